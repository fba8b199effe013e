//! `gatehouse decode`, `gatehouse cameras`, and `gatehouse bench decode`,
//! `bench camera` and `bench frames`.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Result, anyhow, bail};

use super::args::{BenchCameraArgs, BenchDecodeArgs, BenchFramesArgs, DecodeArgs};
use super::output::{say, say_err};
use super::{EXIT_DENIED, EXIT_ERROR};
use crate::camera::{CaptureSettings, CaptureStats, Resolution, SourceSpec, frame_slot, list_devices};
use crate::decode::clock::CpuTimer;
use crate::decode::synth::{self, Conditions, Rng};
use crate::decode::{Decoder, FrameReader, Outcome, load_gray, paste_into_frame};

/// One JSON line per image: `{"file", "text", "engine", "ms"}`, plus
/// `"error"` when the file cannot be read. Exit 0 when every image gave a
/// text, 1 when some had none, 2 when some could not be read.
/// A line of `gatehouse decode`, fields in this order.
#[derive(serde::Serialize)]
struct DecodeLine<'a> {
    file: &'a std::path::Path,
    text: Option<String>,
    engine: Option<&'static str>,
    ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

pub fn decode(a: &DecodeArgs) -> Result<ExitCode> {
    let decoder = Decoder::named(&a.engine).map_err(|e| anyhow!("--engine: {e}"))?;
    let mut code = 0u8;
    for file in &a.images {
        let line = match load_gray(file) {
            Err(e) => {
                code = code.max(EXIT_ERROR);
                DecodeLine { file, text: None, engine: None, ms: None, error: Some(e.to_string()) }
            }
            Ok(img) => {
                let t = Instant::now();
                let found = decoder.decode(&img);
                let ms = round3(t.elapsed().as_secs_f64() * 1000.0);
                if found.is_none() {
                    code = code.max(EXIT_DENIED);
                }
                let engine = found.as_ref().map(|d| d.engine);
                DecodeLine { file, text: found.map(|d| d.text), engine, ms: Some(ms), error: None }
            }
        };
        super::output::json_line(&line)?;
    }
    Ok(ExitCode::from(code))
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

pub fn cameras() -> Result<ExitCode> {
    let devices = list_devices().map_err(|e| anyhow!(e))?;
    if devices.is_empty() {
        say!("no cameras found; scan with a barcode scanner, or play images with --camera replay:DIR");
    }
    for d in devices {
        if d.description.is_empty() || d.description == d.name {
            say!("{}: {}", d.index, d.name);
        } else {
            say!("{}: {} ({})", d.index, d.name, d.description);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The value at fraction `p` of the sorted list (nearest rank).
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

pub fn bench_decode(a: &BenchDecodeArgs) -> Result<ExitCode> {
    let budget = a.budget_ms.map(|ms| std::time::Duration::from_secs_f64(ms.max(0.0) / 1000.0));
    let decoder = Decoder::named(&a.engine).map_err(|e| anyhow!("--engine: {e}"))?.with_budget(budget);
    let all = crate::decode::labelled_images(&a.dir)?;
    let scored: Vec<&crate::decode::LabelledImage> = all.iter().filter(|s| s.expected.is_some()).collect();
    if scored.is_empty() {
        bail!("no images with an expected text (IMAGE.txt beside IMAGE) under {}", a.dir.display());
    }
    let (mut correct, mut wrong, mut unreadable) = (0usize, 0usize, 0usize);
    // Wall time per image, and this thread's CPU time (which other programs
    // sharing the cores do not inflate).
    let (mut ms, mut cpu_ms) = (Vec::with_capacity(scored.len()), Vec::with_capacity(scored.len()));
    for s in &scored {
        let img = match load_gray(&s.image) {
            Ok(img) => img,
            Err(e) => {
                unreadable += 1;
                say_err!("cannot load {}: {e}", s.image.display());
                continue;
            }
        };
        let img = match a.frame {
            Some(Resolution { width, height }) => paste_into_frame(&img, width, height),
            None => img,
        };
        let (found, took, cpu) = (0..a.repeat.max(1))
            .map(|_| {
                let (t, c) = (Instant::now(), CpuTimer::start());
                let found = if a.as_camera {
                    match FrameReader::new(decoder.clone()).read(&img) {
                        Outcome::Read(d) => Some(d),
                        _ => None,
                    }
                } else {
                    decoder.decode(&img)
                };
                (found, t.elapsed().as_secs_f64() * 1000.0, c.elapsed().as_secs_f64() * 1000.0)
            })
            .min_by(|x, y| x.2.total_cmp(&y.2))
            .unwrap_or((None, 0.0, 0.0));
        ms.push(took);
        cpu_ms.push(cpu);
        // An empty NAME.txt: no code there, and nothing is to be read.
        let expected = s.expected.as_deref().unwrap_or_default().trim();
        let verdict = match &found {
            Some(d) if d.text.trim() == expected && !expected.is_empty() => {
                correct += 1;
                "ok"
            }
            Some(_) => {
                wrong += 1;
                "WRONG"
            }
            None if expected.is_empty() => {
                correct += 1;
                "none"
            }
            None => "miss",
        };
        if a.verbose {
            let engine = found.as_ref().map_or("-", |d| d.engine);
            say!("{verdict:<5} {took:>8.2} ms {cpu:>8.2} ms CPU  {engine:<14} {}", s.image.display());
            if verdict == "WRONG" {
                say!("      read {:?}", found.map(|d| d.text).unwrap_or_default());
            }
        }
    }
    ms.sort_by(f64::total_cmp);
    cpu_ms.sort_by(f64::total_cmp);
    let mut how = a.frame.map_or("images as they are".to_string(), |r| format!("images in {r} frames"));
    if let Some(b) = budget {
        how += &format!(", budget {} ms", b.as_secs_f64() * 1000.0);
    }
    if a.repeat > 1 {
        how += &format!(", best of {}", a.repeat);
    }
    if a.as_camera {
        how += ", read as camera frames";
    }
    say!(
        "decode {} ({}, {how}): {correct}/{} correct, {wrong} wrong{}; wall median {:.2} ms, p95 {:.2} ms, max {:.2} ms; \
         CPU (thread clock) median {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        a.dir.display(),
        a.engine,
        scored.len(),
        if unreadable > 0 { format!(", {unreadable} unreadable files") } else { String::new() },
        percentile(&ms, 0.5),
        percentile(&ms, 0.95),
        ms.last().copied().unwrap_or(0.0),
        percentile(&cpu_ms, 0.5),
        percentile(&cpu_ms, 0.95),
        cpu_ms.last().copied().unwrap_or(0.0),
    );
    let unscored = all.len() - scored.len();
    if unscored > 0 {
        say!("({unscored} images without an expected text were not scored)");
    }
    Ok(ExitCode::SUCCESS)
}

/// CPU time this process has used, all threads (for `bench camera` and the
/// other benchmarks).
use crate::decode::clock::process_cpu;

pub fn bench_camera(a: &BenchCameraArgs) -> Result<ExitCode> {
    if !(a.seconds.is_finite() && a.seconds > 0.0) {
        bail!("--seconds must be above 0");
    }
    let fps = a.fps.clamp(1, 1000);
    let spec = SourceSpec::Replay { path: a.replay.clone(), fps: Some(f64::from(fps)), looping: true };
    // The settings the console uses, at this rate; a long debounce window,
    // since only reads are counted here.
    let mut settings = CaptureSettings::new(Resolution { width: 1280, height: 720 }, fps, std::time::Duration::from_secs(3));
    settings.back_off = a.back_off.max(1);
    settings.timeline = true;
    // The reads go to a console of the bench's own, which scans each and
    // draws its verdict through the console's render.
    let (tx, rx) = std::sync::mpsc::channel();
    let console = super::bench::verdict::spawn(rx)?;
    let sink = Box::new(move |e| tx.send(e).is_ok());
    let (cpu0, wall0) = (process_cpu(), Instant::now());
    let capture = crate::camera::spawn(spec, settings, frame_slot(), sink);
    let until = wall0 + std::time::Duration::from_secs_f64(a.seconds);
    while Instant::now() < until && !capture.is_finished() {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let s = capture.stats();
    let count = |c| CaptureStats::get(c);
    let (frames, skipped, nothing, known, decoded, reads, first) =
        (count(&s.frames), count(&s.skipped), count(&s.nothing), count(&s.known), count(&s.decoded), count(&s.reads), count(&s.first_read));
    let (cpu, wall) = ((process_cpu() - cpu0).as_secs_f64(), wall0.elapsed().as_secs_f64());
    let resting = count(&s.resting);
    let timeline = match s.timeline.lock() {
        Ok(t) => t.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    };
    // Stopping the capture drops its sink, which ends the console.
    capture.stop();
    let drawn = console.join().map_err(|_| anyhow!("the bench console panicked"))??;
    if let Some(m) = drawn.errors.first() {
        bail!("{m}");
    }
    if frames == 0 {
        bail!("no frame was captured from {} in {wall:.1} s", a.replay.display());
    }
    let resting = if resting > 0 { format!("{resting} dropped while idle, ") } else { String::new() };
    println!(
        "camera replay {} at {fps} fps for {wall:.1} s: {frames} frames ({resting}{decoded} decoded, {skipped} skipped as unchanged, \
         {nothing} with nothing code-like, {known} with only regions already tried), {reads} reads{}; CPU (process clock) {:.2} ms per frame, {:.0} ms per second = {:.1}% of one core",
        a.replay.display(),
        if first > 0 { format!(" (first at frame {first})") } else { String::new() },
        cpu * 1000.0 / frames as f64,
        cpu * 1000.0 / wall,
        cpu * 100.0 / wall,
    );
    if let Some(lines) = code_to_verdict(&a.replay, &timeline, &drawn)? {
        println!("{lines}");
    }
    Ok(ExitCode::SUCCESS)
}

/// For a replay folder whose frames carry NAME.txt (a code's text, or empty
/// for none): each arrival (the first frame of a code after a frame
/// without it) and the time from that frame's capture to the handing of
/// its read to the console's channel, and to the verdict drawn on the
/// console's screen (`drawn`, in the order of the reads); `None` for a
/// folder without codes.
fn code_to_verdict(
    dir: &std::path::Path,
    timeline: &[crate::camera::FrameTime],
    drawn: &super::bench::verdict::Drawn,
) -> Result<Option<String>> {
    if !dir.is_dir() {
        return Ok(None);
    }
    let files = crate::camera::replay::frame_files(dir).map_err(|e| anyhow!(e))?;
    let texts: Vec<Option<String>> = files
        .iter()
        .map(|f| {
            let label = crate::camera::raw::stem(f).with_extension("txt");
            std::fs::read_to_string(label).ok().map(|t| t.trim().to_string()).filter(|t| !t.is_empty())
        })
        .collect();
    if files.is_empty() || texts.iter().all(Option::is_none) {
        return Ok(None);
    }
    // The n-th read handed over is the n-th verdict drawn.
    let mut drawn_at = std::collections::HashMap::new();
    for (f, at) in timeline.iter().filter(|f| f.sent.is_some()).zip(&drawn.at) {
        drawn_at.insert(f.seq, *at);
    }
    let text_of = |seq: u64| &texts[((seq - 1) % texts.len() as u64) as usize];
    let (mut handed, mut shown, mut arrivals, mut missed) = (Vec::new(), Vec::new(), 0usize, 0usize);
    for (i, f) in timeline.iter().enumerate() {
        let Some(code) = text_of(f.seq) else { continue };
        if f.seq > 1 && text_of(f.seq - 1).as_ref() == Some(code) {
            continue;
        }
        // The frames of this arrival that the run saw to its end.
        let held: Vec<_> = timeline[i..].iter().take_while(|g| text_of(g.seq).as_ref() == Some(code)).collect();
        if i + held.len() >= timeline.len() {
            break;
        }
        arrivals += 1;
        match held.iter().find(|g| g.sent.is_some()) {
            Some(g) => {
                handed.extend(g.sent.map(|sent| (sent - f.taken).as_secs_f64() * 1000.0));
                shown.extend(drawn_at.get(&g.seq).map(|at| (*at - f.taken).as_secs_f64() * 1000.0));
            }
            None => missed += 1,
        }
    }
    let summary = |waits: &mut Vec<f64>| {
        waits.sort_by(f64::total_cmp);
        format!(
            "median {:.0} ms, p95 {:.0} ms, max {:.0} ms",
            percentile(waits, 0.5),
            percentile(waits, 0.95),
            waits.last().copied().unwrap_or(0.0)
        )
    };
    let verdicts: Vec<String> = drawn.verdicts.iter().map(|(v, n)| format!("{n} {v}")).collect();
    Ok(Some(format!(
        "code to verdict: {} of {arrivals} arrivals read{}; from the first frame with the code\n  \
         to its read handed to the console: {}\n  \
         to its verdict drawn by the console's render (80x24, {} drawn: {}): {}",
        handed.len(),
        if missed > 0 { format!(" ({missed} never read while held)") } else { String::new() },
        summary(&mut handed),
        shown.len(),
        verdicts.join(", "),
        summary(&mut shown),
    )))
}

pub fn bench_frames(a: &BenchFramesArgs) -> Result<ExitCode> {
    let write =
        |path: std::path::PathBuf, bytes: &[u8]| std::fs::write(&path, bytes).map_err(|e| anyhow!("cannot write {}: {e}", path.display()));
    let (codes, empty, rooms) = (a.out.join("codes"), a.out.join("empty"), a.out.join("rooms"));
    for d in [&codes, &empty, &rooms] {
        std::fs::create_dir_all(d).map_err(|e| anyhow!("cannot create {}: {e}", d.display()))?;
    }
    let (w, h) = (1280, 720);
    let mut rng = Rng::new(a.seed);
    let issuer = crate::domain::issuing::Issuer::new("E1", crate::domain::issuing::generate()?);
    let v4_modules = f64::from(crate::qr::encode(&synth::our_payload(&mut Rng::new(0)))?.width() as u32);
    for i in 0..a.codes {
        let payload = synth::our_payload(&mut rng);
        let payload = if a.code == "ed25519" { resigned(&payload, &issuer)? } else { payload };
        let scene = synth::cluttered_scene(w, h, rng.next_u64(), 0);
        let mut c = Conditions::webcam(&mut rng);
        if a.same_pitch {
            c.width_px *= crate::qr::encode(&payload)?.width() as f64 / v4_modules;
        }
        let jpeg = synth::webcam_frame(&payload, &scene, &c, &mut rng).ok_or_else(|| anyhow!("cannot draw {payload}"))?;
        write(codes.join(format!("{i:04}.jpg")), &jpeg)?;
        write(codes.join(format!("{i:04}.txt")), payload.as_bytes())?;
    }
    let room = rng.next_u64();
    for i in 0..a.empty {
        write(empty.join(format!("{i:04}.jpg")), &synth::jpeg_bytes(&synth::cluttered_scene(w, h, room, i as u64), 75))?;
    }
    for i in 0..a.rooms {
        let scene = synth::cluttered_scene(w, h, rng.next_u64(), 0);
        let quality = rng.range(45.0, 86.0) as u8;
        write(rooms.join(format!("{i:04}.jpg")), &synth::jpeg_bytes(&scene, quality))?;
        write(rooms.join(format!("{i:04}.txt")), b"")?;
    }
    println!(
        "wrote {} frames with a code to {}, {} frames of one empty room to {} and {} of different empty rooms to {}",
        a.codes,
        codes.display(),
        a.empty,
        empty.display(),
        a.rooms,
        rooms.display()
    );
    if a.scenes {
        write_scenes(a, w, h)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The same kind and id as the HMAC code `hmac`, signed with `issuer`'s
/// Ed25519 key instead (`bench frames --code ed25519`).
fn resigned(hmac: &str, issuer: &crate::domain::issuing::Issuer) -> Result<String> {
    let p = crate::domain::payload::parse(hmac.as_bytes()).map_err(|e| anyhow!("{e}"))?;
    crate::domain::payload::encode_ed25519(issuer, "E1", p.kind, &p.id).ok_or_else(|| anyhow!("cannot sign"))
}

/// Seconds of each scene without a code (at 30 fps), and of an arrival's
/// parts: people walking past, then the code held up.
const SCENE_FRAMES: (u64, u64, u64) = (90, 90, 300);
const ARRIVAL_FRAMES: (u64, u64) = (90, 24);

/// JPEG quality of a webcam's MJPEG frames.
const SCENE_QUALITY: u8 = 80;

/// Every frame of `from` (JPEG) as a raw camera frame in `to`, its NAME.txt beside it.
fn write_raw(from: &std::path::Path, to: &std::path::Path, format: crate::camera::raw::RawFormat) -> Result<()> {
    for file in crate::camera::replay::frame_files(from).map_err(|e| anyhow!(e))? {
        let img = load_gray(&file)?;
        let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("frame");
        let out = to.join(format.file_name(stem, &img));
        std::fs::write(&out, format.bytes(&img)).map_err(|e| anyhow!("cannot write {}: {e}", out.display()))?;
        let label = file.with_extension("txt");
        if label.is_file() {
            std::fs::copy(&label, to.join(format!("{stem}.txt"))).map_err(|e| anyhow!("cannot copy {}: {e}", label.display()))?;
        }
    }
    Ok(())
}

/// `bench frames --scenes`: `still/`, `noise/`, `walking/` and `arrivals/`
/// (see `decode::scenes`).
fn write_scenes(a: &BenchFramesArgs, w: u32, h: u32) -> Result<()> {
    use crate::decode::scenes::{Held, SENSOR_NOISE, Scene};
    let dir = |name: &str| -> Result<std::path::PathBuf> {
        let d = a.out.join(name);
        std::fs::create_dir_all(&d).map_err(|e| anyhow!("cannot create {}: {e}", d.display()))?;
        Ok(d)
    };
    let write =
        |path: std::path::PathBuf, bytes: &[u8]| std::fs::write(&path, bytes).map_err(|e| anyhow!("cannot write {}: {e}", path.display()));
    let (still, noisy, walking) = (Scene::new(w, h, a.seed, 0), Scene::new(w, h, a.seed, 0), Scene::new(w, h, a.seed, 3));
    let (n_still, n_noise, n_walk) = SCENE_FRAMES;
    let (still_dir, noise_dir, walk_dir, arrive_dir) = (dir("still")?, dir("noise")?, dir("walking")?, dir("arrivals")?);
    let picture = synth::jpeg_bytes(&still.frame(0, 0.0), SCENE_QUALITY);
    for i in 0..n_still {
        write(still_dir.join(format!("{i:04}.jpg")), &picture)?;
    }
    for i in 0..n_noise {
        write(noise_dir.join(format!("{i:04}.jpg")), &synth::jpeg_bytes(&noisy.frame(i, SENSOR_NOISE), SCENE_QUALITY))?;
    }
    for i in 0..n_walk {
        write(walk_dir.join(format!("{i:04}.jpg")), &synth::jpeg_bytes(&walking.frame(i, SENSOR_NOISE), SCENE_QUALITY))?;
    }
    // Arrivals: the same room and people; each code held in front of them.
    let mut rng = Rng::new(a.seed ^ 0xa221_7a15);
    let (gap, held) = ARRIVAL_FRAMES;
    let mut n = 0u64;
    for _ in 0..a.arrivals {
        let code = Held::random(&mut rng, w, h).ok_or_else(|| anyhow!("cannot draw a pass"))?;
        for k in 0..gap + held {
            let name = format!("{n:05}");
            let (jpeg, text) = if k < gap {
                (synth::jpeg_bytes(&walking.frame(n, SENSOR_NOISE), SCENE_QUALITY), "")
            } else {
                let frame = code.frame(&walking.clean(n), k - gap, &mut rng);
                (synth::jpeg_bytes(&frame, code.quality()), code.payload.as_str())
            };
            write(arrive_dir.join(format!("{name}.jpg")), &jpeg)?;
            write(arrive_dir.join(format!("{name}.txt")), text.as_bytes())?;
            n += 1;
        }
    }
    if a.raw {
        for (from, name) in [(&walk_dir, "walking"), (&arrive_dir, "arrivals")] {
            for format in crate::camera::raw::RawFormat::ALL {
                write_raw(from, &dir(&format!("{name}.{}", format.extension()))?, format)?;
            }
        }
    }
    println!(
        "wrote scenes at 1280x720: {n_still} frames of a still room to {}, {n_noise} with fresh sensor noise to {}, \
         {n_walk} of people walking past to {}, and {} arrivals ({gap} frames of people walking past, then {held} with a code) to {}",
        still_dir.display(),
        noise_dir.display(),
        walk_dir.display(),
        a.arrivals,
        arrive_dir.display()
    );
    Ok(())
}
