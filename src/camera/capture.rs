//! The capture thread: open the source, pull frames, keep the latest for
//! the preview, read each frame as cheaply as it allows (`FrameReader`:
//! unchanged frames skipped, a first look, then the decoder within its
//! time budget), and send debounced `Decoded` events. It stops when asked or when the
//! receiver is gone (the sink returns false). Nothing queues up: one frame
//! slot, and events go straight to the sink.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::decode::{FrameReader, Outcome};

use super::{CameraEvent, CaptureSettings, Debouncer, DeviceSource, Frame, FrameSlot, FrameSource, ReplaySource, SourceSpec, StillSource};

/// Frame errors in a row after which the thread gives up (a camera that was
/// unplugged, a replay folder of broken files).
const MAX_ERRORS_IN_A_ROW: u32 = 10;

/// Longest sleep between checks of the stop flag while pacing a replay.
const STOP_POLL: Duration = Duration::from_millis(20);

/// What the capture thread has done so far, counted as it goes (for
/// `gatehouse bench camera` and the tests; the console does not read it).
#[derive(Debug, Default)]
pub struct CaptureStats {
    /// Frames taken from the source.
    pub frames: AtomicU64,
    /// Frames nearly identical to the last empty one, not looked at.
    pub skipped: AtomicU64,
    /// Frames the first look found nothing code-like in.
    pub nothing: AtomicU64,
    /// Frames with only regions already read in vain, unchanged.
    pub known: AtomicU64,
    /// Frames the decoder ran on.
    pub decoded: AtomicU64,
    /// Frames a code was read from (before debouncing).
    pub reads: AtomicU64,
    /// The number of the first frame a code was read from; 0 before any.
    pub first_read: AtomicU64,
    /// Frames taken and dropped undecoded by an idle camera (`back_off`).
    pub resting: AtomicU64,
    /// Each frame's times, when `CaptureSettings::timeline` is set.
    pub timeline: Mutex<Vec<FrameTime>>,
}

/// When a frame was taken from the source (for a replay: when it was due,
/// as a camera would deliver it) and when a code read from it was handed
/// to the sink, if one was.
#[derive(Debug, Clone, Copy)]
pub struct FrameTime {
    pub seq: u64,
    pub taken: Instant,
    pub sent: Option<Instant>,
}

impl CaptureStats {
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// A running capture thread.
#[derive(Debug)]
pub struct Capture {
    stop: Arc<AtomicBool>,
    stats: Arc<CaptureStats>,
    handle: Option<JoinHandle<()>>,
}

impl Capture {
    /// The thread's counters, live.
    pub fn stats(&self) -> &CaptureStats {
        &self.stats
    }

    /// Ask the thread to stop and wait for it (at most one frame's work).
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.join();
    }

    /// Wait for the thread to end by itself (the end of a replay played
    /// once, or a source that cannot be opened).
    pub fn wait(mut self) {
        self.join();
    }

    pub fn is_finished(&self) -> bool {
        self.handle.as_ref().is_none_or(JoinHandle::is_finished)
    }

    fn join(&mut self) {
        if let Some(h) = self.handle.take()
            && h.join().is_err()
        {
            tracing::error!("the capture thread panicked");
        }
    }
}

impl Drop for Capture {
    /// Dropped without `stop`: the thread is told to stop and ends on its own.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Start the capture thread for `spec`. The source is opened on the new
/// thread (a webcam handle cannot move between threads); whether it opened
/// is the first event, `Opened` or `Error`. The last event is always
/// `Ended`, unless the sink has already said it is gone.
pub fn spawn(
    spec: SourceSpec,
    settings: CaptureSettings,
    slot: FrameSlot,
    mut sink: Box<dyn FnMut(CameraEvent) -> bool + Send>,
) -> Capture {
    let stop = Arc::new(AtomicBool::new(false));
    let stats = Arc::new(CaptureStats::default());
    let (flag, counters) = (stop.clone(), stats.clone());
    let spawned = std::thread::Builder::new().name("camera".into()).spawn(move || {
        if run(&spec, &settings, &slot, &flag, &counters, &mut sink) {
            sink(CameraEvent::Ended);
        }
    });
    match spawned {
        Ok(handle) => Capture { stop, stats, handle: Some(handle) },
        Err(e) => {
            // The sink went down with the closure; the log is all that is left.
            tracing::error!("cannot start the camera thread: {e}");
            Capture { stop, stats, handle: None }
        }
    }
}

fn open(spec: &SourceSpec, settings: &CaptureSettings) -> Result<Box<dyn FrameSource>, String> {
    Ok(match spec {
        SourceSpec::None => return Err("no camera source configured ([camera] source = \"none\")".into()),
        SourceSpec::Device(i) => Box::new(DeviceSource::open(*i, settings.resolution, settings.fps)?),
        SourceSpec::Replay { path, fps, looping } => {
            Box::new(ReplaySource::open(path, fps.unwrap_or(f64::from(settings.fps.max(1))), *looping)?)
        }
        SourceSpec::Still(path) => Box::new(StillSource::open(path)?),
    })
}

/// The thread's body; `false` when the sink is gone (nothing more to send).
fn run(
    spec: &SourceSpec,
    settings: &CaptureSettings,
    slot: &FrameSlot,
    stop: &AtomicBool,
    stats: &CaptureStats,
    sink: &mut dyn FnMut(CameraEvent) -> bool,
) -> bool {
    let mut source = match open(spec, settings) {
        Ok(s) => s,
        Err(message) => return sink(CameraEvent::Error(message)),
    };
    if !sink(CameraEvent::Opened(source.describe())) {
        return false;
    }
    let started = Instant::now();
    let mut debouncer = Debouncer::new(settings.debounce);
    let mut reader = FrameReader::new(settings.decoder.clone());
    let mut seq = 0u64;
    let mut errors = 0u32;
    let mut due = Instant::now();
    // Idle for `IDLE_SECS`: only every `back_off`th frame is looked at.
    let idle_after = (super::IDLE_SECS * f64::from(settings.fps.max(1))) as u32;
    let back_off = u64::from(settings.back_off.max(1));
    while !stop.load(Ordering::SeqCst) {
        if let Some(interval) = source.interval() {
            if !sleep_until(due, stop) {
                break;
            }
            // Paced from the schedule, not from now, so decoding time does
            // not slow a replay; a late frame does not cause a burst.
            due = (due + interval).max(Instant::now());
        }
        let resting = back_off > 1 && reader.quiet_frames() >= idle_after && !(seq + 1).is_multiple_of(back_off);
        let taken = Instant::now();
        let got = if resting { source.skip_frame().map(|more| more.then_some(None)) } else { source.next_frame().map(|f| f.map(Some)) };
        let image = match got {
            Ok(Some(Some(image))) => image,
            Ok(Some(None)) => {
                errors = 0;
                seq += 1;
                CaptureStats::bump(&stats.frames);
                CaptureStats::bump(&stats.resting);
                record(settings, stats, FrameTime { seq, taken, sent: None });
                continue;
            }
            Ok(None) => break,
            Err(message) => {
                errors += 1;
                if !sink(CameraEvent::Error(message)) {
                    return false;
                }
                if errors >= MAX_ERRORS_IN_A_ROW {
                    if !sink(CameraEvent::Error(format!("{errors} frame errors in a row: the camera is stopped"))) {
                        return false;
                    }
                    break;
                }
                continue;
            }
        };
        errors = 0;
        seq += 1;
        CaptureStats::bump(&stats.frames);
        let decoded = match reader.read(&image) {
            Outcome::Skipped => {
                CaptureStats::bump(&stats.skipped);
                None
            }
            Outcome::Nothing => {
                CaptureStats::bump(&stats.nothing);
                None
            }
            Outcome::Known => {
                CaptureStats::bump(&stats.known);
                None
            }
            Outcome::Missed => {
                CaptureStats::bump(&stats.decoded);
                None
            }
            Outcome::Read(d) => {
                CaptureStats::bump(&stats.decoded);
                CaptureStats::bump(&stats.reads);
                let _ = stats.first_read.compare_exchange(0, seq, Ordering::Relaxed, Ordering::Relaxed);
                Some(d)
            }
        };
        let seen_at = started.elapsed();
        // The preview gets the frame after decoding, so it is moved, not copied.
        match slot.lock() {
            Ok(mut s) => *s = Some(Frame { image, seq }),
            Err(poisoned) => *poisoned.into_inner() = Some(Frame { image, seq }),
        }
        let mut times = FrameTime { seq, taken, sent: None };
        if let Some(d) = decoded
            && debouncer.accept(&d.text, seen_at)
        {
            if !sink(CameraEvent::Decoded(d.text)) {
                return false;
            }
            times.sent = Some(Instant::now());
        }
        record(settings, stats, times);
    }
    true
}

/// Keep a frame's times when the settings ask for them.
fn record(settings: &CaptureSettings, stats: &CaptureStats, times: FrameTime) {
    if settings.timeline {
        match stats.timeline.lock() {
            Ok(mut t) => t.push(times),
            Err(poisoned) => poisoned.into_inner().push(times),
        }
    }
}

/// Sleep until `due`, waking often enough to see the stop flag; `false`
/// when stopped.
fn sleep_until(due: Instant, stop: &AtomicBool) -> bool {
    loop {
        if stop.load(Ordering::SeqCst) {
            return false;
        }
        let now = Instant::now();
        if now >= due {
            return true;
        }
        std::thread::sleep((due - now).min(STOP_POLL));
    }
}
