//! The capture thread end to end: a replay of frames goes in, decoded and
//! debounced codes come out, and the scan turns them into verdicts.

mod common;

use std::sync::mpsc::{Receiver, sync_channel};
use std::time::Duration;

use common::*;
use gatehouse::camera::{CameraEvent, CaptureSettings, Resolution, SourceSpec, frame_slot, spawn};
use gatehouse::domain::scan::Verdict;
use image::{GrayImage, Luma};

const VGA: Resolution = Resolution { width: 640, height: 480 };

/// A 640x480 camera frame: a grey wall, the code (if any) somewhere on it.
fn frame(payload: Option<&str>, x: i64, y: i64) -> GrayImage {
    let mut f = GrayImage::from_pixel(640, 480, Luma([170]));
    if let Some(p) = payload {
        let code = gatehouse::qr::to_image(&gatehouse::qr::encode(p).unwrap(), 5);
        image::imageops::replace(&mut f, &code, x, y);
    }
    f
}

/// Settings for a test: a debounce window far longer than any test runs,
/// so that timing on a slow machine cannot change what is debounced.
fn settings() -> CaptureSettings {
    CaptureSettings::new(VGA, 50, Duration::from_secs(600))
}

/// The sink the TUI would use: a bounded channel; when the receiver is
/// gone, `send` fails and the thread stops.
fn channel() -> (Box<dyn FnMut(CameraEvent) -> bool + Send>, Receiver<CameraEvent>) {
    let (tx, rx) = sync_channel(8);
    (Box::new(move |e| tx.send(e).is_ok()), rx)
}

/// Every event until `Ended` (the receiver never waits more than a minute).
fn until_ended(rx: &Receiver<CameraEvent>) -> Vec<CameraEvent> {
    let mut events = Vec::new();
    loop {
        let e = rx.recv_timeout(Duration::from_secs(60)).expect("the capture thread went silent");
        let end = e == CameraEvent::Ended;
        events.push(e);
        if end {
            return events;
        }
    }
}

/// The texts of the `Decoded` events, in order.
fn decoded_texts(events: &[CameraEvent]) -> Vec<&str> {
    events.iter().filter_map(|e| if let CameraEvent::Decoded(t) = e { Some(t.as_str()) } else { None }).collect()
}

#[test]
fn replayed_frames_become_verdicts_and_repeats_are_debounced() {
    let env = Env::new();
    let mut g = env.open();
    let (_, pass) = issue(&mut g, &single("Meera Iyer", "9876543210"));
    let resident = g
        .add_resident(
            &admin(),
            &gatehouse::domain::resident::ResidentRequest { name: "Kiran Rao".into(), room: "B-204".into(), ..Default::default() },
        )
        .unwrap();
    let card = g.resident_payload(&resident);

    // The person walks up (blank frames), holds the pass up for a while
    // (moving it a little), steps aside, the resident shows a card, and the
    // first person's pass comes into view once more.
    let frames: Vec<GrayImage> = vec![
        frame(None, 0, 0),
        frame(None, 0, 0),
        frame(Some(&pass), 200, 120),
        frame(Some(&pass), 210, 124),
        frame(Some(&pass), 220, 130),
        frame(Some(&pass), 230, 126),
        frame(Some(&pass), 240, 120),
        frame(None, 0, 0),
        frame(Some(&card), 100, 100),
        frame(Some(&card), 104, 98),
        frame(None, 0, 0),
        frame(Some(&pass), 300, 200),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (i, f) in frames.iter().enumerate() {
        f.save(dir.path().join(format!("frame-{i:03}.png"))).unwrap();
    }

    let spec: SourceSpec = format!("replay:{}@50,once", dir.path().display()).parse().unwrap();
    let slot = frame_slot();
    let (sink, rx) = channel();
    let capture = spawn(spec, settings(), slot.clone(), sink);
    let events = until_ended(&rx);
    capture.wait();

    assert!(matches!(&events[0], CameraEvent::Opened(d) if d.contains("12 images")), "{events:?}");
    assert_eq!(events.last(), Some(&CameraEvent::Ended));
    let decoded = decoded_texts(&events);
    // Seven frames with the pass, two with the card: each sent once.
    assert_eq!(decoded, [pass.as_str(), card.as_str()], "{events:?}");
    assert!(!events.iter().any(|e| matches!(e, CameraEvent::Error(_))), "{events:?}");

    // The driver scans what the camera sends.
    let verdicts: Vec<Verdict> = decoded.iter().map(|t| g.scan(t.as_bytes(), &operator(), "Gate A").unwrap().verdict).collect();
    assert_eq!(verdicts, [Verdict::Admitted, Verdict::ResidentIn]);
    assert_eq!(g.stats().unwrap().people_admitted, 1);

    // The preview slot holds the last frame only.
    let last = slot.lock().unwrap().take().expect("a preview frame");
    assert_eq!(last.seq, 12);
    assert_eq!((last.image.width(), last.image.height()), (640, 480));
}

#[test]
fn without_debounce_every_sighting_is_sent() {
    let env = Env::new();
    let mut g = env.open();
    let (_, pass) = issue(&mut g, &single("Meera Iyer", "9876543210"));
    let dir = tempfile::tempdir().unwrap();
    for i in 0..3 {
        frame(Some(&pass), 100 + i * 10, 100).save(dir.path().join(format!("{i}.png"))).unwrap();
    }
    let spec: SourceSpec = format!("replay:{}@100,once", dir.path().display()).parse().unwrap();
    let (sink, rx) = channel();
    let capture = spawn(spec, CaptureSettings::new(VGA, 100, Duration::ZERO), frame_slot(), sink);
    let events = until_ended(&rx);
    capture.wait();
    let decoded = events.iter().filter(|e| matches!(e, CameraEvent::Decoded(_))).count();
    assert_eq!(decoded, 3);
    // Which is why the camera debounces: the second read of a pass is a denial.
    let verdicts: Vec<Verdict> = (0..2).map(|_| g.scan(pass.as_bytes(), &operator(), "Gate A").unwrap().verdict).collect();
    assert_eq!(verdicts, [Verdict::Admitted, Verdict::AlreadyUsed]);
}

#[test]
fn a_looping_replay_runs_until_stopped() {
    let dir = tempfile::tempdir().unwrap();
    frame(None, 0, 0).save(dir.path().join("blank.png")).unwrap();
    let spec: SourceSpec = format!("replay:{}@200", dir.path().display()).parse().unwrap();
    let slot = frame_slot();
    let (sink, rx) = channel();
    let capture = spawn(spec, settings(), slot.clone(), sink);
    assert!(matches!(rx.recv_timeout(Duration::from_secs(60)), Ok(CameraEvent::Opened(_))));
    // Frames keep coming: wait for the tenth.
    while slot.lock().unwrap().as_ref().is_none_or(|f| f.seq < 10) {
        std::thread::sleep(Duration::from_millis(5));
    }
    capture.stop();
    assert_eq!(rx.recv_timeout(Duration::from_secs(60)), Ok(CameraEvent::Ended));
}

#[test]
fn the_thread_stops_when_the_receiver_is_gone() {
    let env = Env::new();
    let mut g = env.open();
    let (_, pass) = issue(&mut g, &single("Meera Iyer", "9876543210"));
    let dir = tempfile::tempdir().unwrap();
    frame(Some(&pass), 100, 100).save(dir.path().join("a.png")).unwrap();
    let spec: SourceSpec = format!("replay:{}@200", dir.path().display()).parse().unwrap();
    // No debounce: every frame is an event, so the sink is called at once.
    let (sink, rx) = channel();
    let capture = spawn(spec, CaptureSettings::new(VGA, 200, Duration::ZERO), frame_slot(), sink);
    drop(rx);
    // A looping replay with no stop flag: it ends only because sends fail.
    capture.wait();
}

#[test]
fn no_camera_is_an_error_event_not_a_panic() {
    for (spec, expect) in [
        ("99", "no camera 99"),
        ("none", "no camera source"),
        ("replay:/nonexistent/frames", "does not exist"),
        ("still:/nonexistent.png", "cannot open"),
    ] {
        let (sink, rx) = channel();
        let capture = spawn(spec.parse().unwrap(), settings(), frame_slot(), sink);
        let events = until_ended(&rx);
        capture.wait();
        assert_eq!(events.len(), 2, "{spec}: {events:?}");
        assert!(matches!(&events[0], CameraEvent::Error(m) if m.contains(expect)), "{spec}: {events:?}");
    }
}

#[test]
fn a_still_image_is_decoded_once() {
    let env = Env::new();
    let mut g = env.open();
    let (_, pass) = issue(&mut g, &single("Meera Iyer", "9876543210"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pass.png");
    frame(Some(&pass), 50, 50).save(&file).unwrap();
    let (sink, rx) = channel();
    let capture = spawn(SourceSpec::Still(file), settings(), frame_slot(), sink);
    let events = until_ended(&rx);
    capture.wait();
    assert_eq!(events[1..], [CameraEvent::Decoded(pass), CameraEvent::Ended]);
}

#[test]
fn cameras_command_lists_or_says_there_are_none() {
    let out = std::process::Command::new(bin()).arg("cameras").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("no cameras found") || text.lines().all(|l| l.contains(": ")), "{text}");
}

#[test]
fn bad_camera_option_is_a_clear_error() {
    let out = std::process::Command::new(bin()).args(["--camera", "video0", "cameras"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected none, a device index"));
}

#[test]
fn a_bad_camera_source_in_the_config_is_a_clear_error() {
    let path = std::path::Path::new("config.toml");
    let text = gatehouse::config::SAMPLE.replace("source = \"none\"", "source = \"webcam\"");
    let e = gatehouse::config::Config::parse(&text, path).unwrap_err().to_string();
    assert!(e.contains("camera.source") && e.contains("expected none, a device index"), "{e}");
    let text = gatehouse::config::SAMPLE.replace("source = \"none\"", "source = \"replay:frames@15,once\"");
    let cfg = gatehouse::config::Config::parse(&text, path).unwrap();
    assert_eq!(SourceSpec::choose(None, &cfg).unwrap().to_string(), "replay:frames@15,once");
}

#[test]
fn a_code_coming_into_view_at_frame_30_is_read_by_frame_33() {
    use gatehouse::camera::CaptureStats;
    use gatehouse::decode::synth::{self, Conditions, Rng};
    let env = Env::new();
    let mut g = env.open();
    let (_, pass) = issue(&mut g, &single("Meera Iyer", "9876543210"));
    // A still camera on a cluttered room for 60 frames (noise and light
    // differ frame to frame); from frame 30 a pass is held up, small and soft.
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(42);
    let room = rng.next_u64();
    let held = Conditions {
        width_px: 150.0,
        degrees: 20.0,
        tilt: (15.0, -10.0),
        blur: 1.4,
        gain: 0.9,
        glare: 0.0,
        ink: 40,
        paper: 210,
        noise: 2.5,
        quality: 70,
    };
    for i in 1..=60u64 {
        let scene = synth::cluttered_scene(640, 400, room, i);
        let bytes =
            if i >= 30 { synth::webcam_frame(&pass, &scene, &held, &mut rng.clone()).unwrap() } else { synth::jpeg_bytes(&scene, 70) };
        std::fs::write(dir.path().join(format!("frame-{i:03}.jpg")), bytes).unwrap();
    }
    let spec: SourceSpec = format!("replay:{}@30,once", dir.path().display()).parse().unwrap();
    let (sink, rx) = channel();
    let capture = spawn(spec, CaptureSettings::new(VGA, 30, Duration::from_secs(600)), frame_slot(), sink);
    let events = until_ended(&rx);
    let stats = capture.stats();
    let (frames, first, skipped) =
        (CaptureStats::get(&stats.frames), CaptureStats::get(&stats.first_read), CaptureStats::get(&stats.skipped));
    capture.wait();
    let decoded = decoded_texts(&events);
    assert_eq!(decoded, [pass.as_str()], "{events:?}");
    assert_eq!(frames, 60);
    assert!((30..=33).contains(&first), "first read at frame {first}");
    // The empty room before it was mostly not looked at again.
    assert!(skipped >= 20, "{skipped} frames skipped");
    assert_eq!(g.scan(pass.as_bytes(), &operator(), "Gate A").unwrap().verdict, Verdict::Admitted);
}
