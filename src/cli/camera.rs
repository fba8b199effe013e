//! `gatehouse decode`, `gatehouse cameras` and `gatehouse bench decode`.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Result, anyhow, bail};

use super::args::{BenchDecodeArgs, DecodeArgs};
use super::output::{say, say_err};
use super::{EXIT_DENIED, EXIT_ERROR};
use crate::camera::{Resolution, list_devices};
use crate::decode::{Decoder, load_gray, paste_into_frame};

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
    let mut ms = Vec::with_capacity(scored.len());
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
        let (found, took) = (0..a.repeat.max(1))
            .map(|_| {
                let t = Instant::now();
                let found = decoder.decode(&img);
                (found, t.elapsed().as_secs_f64() * 1000.0)
            })
            .min_by(|x, y| x.1.total_cmp(&y.1))
            .unwrap_or((None, 0.0));
        ms.push(took);
        let expected = s.expected.as_deref().unwrap_or_default();
        let verdict = match &found {
            Some(d) if d.text.trim() == expected.trim() => {
                correct += 1;
                "ok"
            }
            Some(_) => {
                wrong += 1;
                "WRONG"
            }
            None => "miss",
        };
        if a.verbose {
            let engine = found.as_ref().map_or("-", |d| d.engine);
            say!("{verdict:<5} {took:>8.2} ms  {engine:<14} {}", s.image.display());
            if verdict == "WRONG" {
                say!("      read {:?}", found.map(|d| d.text).unwrap_or_default());
            }
        }
    }
    ms.sort_by(f64::total_cmp);
    let mut how = a.frame.map_or("images as they are".to_string(), |r| format!("images in {r} frames"));
    if let Some(b) = budget {
        how += &format!(", budget {} ms", b.as_secs_f64() * 1000.0);
    }
    if a.repeat > 1 {
        how += &format!(", best of {}", a.repeat);
    }
    say!(
        "decode {} ({}, {how}): {correct}/{} correct, {wrong} wrong{}; median {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        a.dir.display(),
        a.engine,
        scored.len(),
        if unreadable > 0 { format!(", {unreadable} unreadable files") } else { String::new() },
        percentile(&ms, 0.5),
        percentile(&ms, 0.95),
        ms.last().copied().unwrap_or(0.0),
    );
    let unscored = all.len() - scored.len();
    if unscored > 0 {
        say!("({unscored} images without an expected text were not scored)");
    }
    Ok(ExitCode::SUCCESS)
}
