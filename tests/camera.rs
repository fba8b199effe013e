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
    assert_eq!(SourceSpec::choose(None, &cfg.camera.source).unwrap().to_string(), "replay:frames@15,once");
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

/// People walking past a room at 30 fps for 2.2 s, then `pass` held up in
/// front of them for 0.4 s: JPEG files (with NAME.txt: the code's text or
/// nothing) in `dir`, and the same frames as a webcam's raw YUYV and NV12,
/// made from the JPEG files' grey, in `dir/yuyv` and `dir/nv12`.
const WALKING: u64 = 66;
const HELD: u64 = 12;

fn arrival(dir: &std::path::Path, pass: &str) -> Vec<std::path::PathBuf> {
    use gatehouse::camera::raw::RawFormat;
    use gatehouse::decode::scenes::{Held, SENSOR_NOISE, Scene};
    use gatehouse::decode::synth::{self, Conditions, Rng};
    let scene = Scene::new(640, 360, 11, 3);
    let conditions = Conditions {
        width_px: 130.0,
        degrees: -15.0,
        tilt: (10.0, 10.0),
        blur: 1.0,
        gain: 0.9,
        glare: 0.0,
        ink: 40,
        paper: 210,
        noise: 2.5,
        quality: 75,
    };
    let held = Held::new(pass.to_string(), conditions, (420.0, 170.0), (1.0, -0.5)).unwrap();
    let mut rng = Rng::new(3);
    let jpeg_dir = dir.join("jpeg");
    std::fs::create_dir_all(&jpeg_dir).unwrap();
    for i in 0..WALKING + HELD {
        let (img, text) =
            if i < WALKING { (scene.frame(i, SENSOR_NOISE), "") } else { (held.frame(&scene.clean(i), i - WALKING, &mut rng), pass) };
        std::fs::write(jpeg_dir.join(format!("{i:03}.jpg")), synth::jpeg_bytes(&img, 80)).unwrap();
        std::fs::write(jpeg_dir.join(format!("{i:03}.txt")), text).unwrap();
    }
    let mut dirs = vec![jpeg_dir.clone()];
    for format in RawFormat::ALL {
        let to = dir.join(format.extension());
        std::fs::create_dir_all(&to).unwrap();
        for i in 0..WALKING + HELD {
            let img = gatehouse::decode::load_gray(&jpeg_dir.join(format!("{i:03}.jpg"))).unwrap();
            std::fs::write(to.join(format.file_name(&format!("{i:03}"), &img)), format.bytes(&img)).unwrap();
            std::fs::copy(jpeg_dir.join(format!("{i:03}.txt")), to.join(format!("{i:03}.txt"))).unwrap();
        }
        dirs.push(to);
    }
    dirs
}

#[test]
fn people_walking_past_are_not_decoded_and_a_pass_held_up_is_read_from_jpeg_yuyv_and_nv12() {
    use gatehouse::camera::CaptureStats;
    let env = Env::new();
    let mut g = env.open();
    let (_, pass) = issue(&mut g, &single("Meera Iyer", "9876543210"));
    let dir = tempfile::tempdir().unwrap();
    for frames in arrival(dir.path(), &pass) {
        let spec: SourceSpec = format!("replay:{}@30,once", frames.display()).parse().unwrap();
        let (sink, rx) = channel();
        let capture = spawn(spec, CaptureSettings::new(VGA, 30, Duration::from_secs(600)), frame_slot(), sink);
        let events = until_ended(&rx);
        let stats = capture.stats();
        let count = |c| CaptureStats::get(c);
        let (seen, first, decoded, resting) =
            (count(&stats.frames), count(&stats.first_read), count(&stats.decoded), count(&stats.resting));
        capture.wait();
        let what = frames.display();
        assert_eq!(decoded_texts(&events), [pass.as_str()], "{what}: {events:?}");
        assert_eq!(seen, WALKING + HELD, "{what}");
        // Read within a few frames of the code's arrival (frame WALKING + 1),
        // although the idle camera looked at every other frame only.
        assert!((WALKING + 1..=WALKING + 4).contains(&first), "{what}: first read at frame {first}");
        assert!(resting > 0, "{what}: the camera never backed off");
        // People walking past change every frame; the decoder ran on few of them.
        assert!(decoded < WALKING / 4 + HELD, "{what}: {decoded} frames decoded");
    }
    assert_eq!(g.scan(pass.as_bytes(), &operator(), "Gate A").unwrap().verdict, Verdict::Admitted);
}

#[test]
fn bench_camera_measures_code_to_verdict_on_raw_frames() {
    let dir = tempfile::tempdir().unwrap();
    let dirs = arrival(dir.path(), "GH1-BENCH-ARRIVAL");
    let nv12 = &dirs[2];
    let out = std::process::Command::new(bin())
        .args(["bench", "camera", "--replay"])
        .arg(nv12)
        .args(["--fps", "30", "--seconds", "6"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}{}", String::from_utf8_lossy(&out.stderr));
    // The arrival is read. On a busy machine the replay falls behind, and
    // its loop may or may not bring the code round again, within the
    // debounce window (3 s), so a second arrival may go unsent.
    let counts = text.split("code to verdict: ").nth(1).and_then(|t| t.split(" arrivals").next()).unwrap_or_default();
    let (read, _arrivals) = counts.split_once(" of ").unwrap_or_default();
    assert!(read.parse::<u32>().is_ok_and(|n| n >= 1), "{text}");
    // Each read scanned on the bench's gate and its verdict drawn by the
    // console's render: this text is no pass of any gate.
    assert!(text.contains(&format!("to its verdict drawn by the console's render (80x24, {read} drawn: ")), "{text}");
    assert!(text.contains(" MALFORMED): median"), "{text}");
    assert!(text.contains("dropped while idle"), "{text}");
}
