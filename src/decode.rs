//! Reading QR codes from pictures: a pipeline of stages over two engines,
//! rxing (a Rust port of ZXing) and rqrr, every call panic-safe and silent.
//!
//! `Decoder::default()` is the pipeline measured best on the shared sample
//! photographs (see `gatehouse bench decode`); a `Decoder` may carry a time
//! budget so that a hard camera frame is given up on rather than stalling
//! the capture loop. `decode_gray` and `load_gray` are the simple entry
//! points the rest of the program uses.

pub mod clock;
mod engines;
pub mod grey;
mod grid;
pub mod look;
mod model1;
mod prep;
mod quiet;
pub mod scenes;
pub mod synth;
pub mod text;
mod warp;
mod watch;

use std::path::{Path, PathBuf};
use std::time::Duration;

use image::GrayImage;

pub use engines::Stage;
pub use prep::{enlarge_sharpen, paste_into_frame};
pub use quiet::{in_decoder, install_panic_hook};
pub use text::bytes_to_text;
pub use watch::{FrameReader, Outcome};

use crate::error::{Error, Result};

/// Images larger than this (in pixels) are refused rather than decoded.
pub const MAX_PIXELS: u64 = 40_000_000;

/// The picture in `path` as grey. A JPEG's grey is its Y plane, decoded
/// without the colour (see `grey`); other formats go through `image`.
pub fn load_gray(path: &Path) -> Result<GrayImage> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(format!("cannot open {}", path.display()), e))?;
    if grey::is_jpeg(&bytes) {
        return grey::jpeg_to_grey(&bytes, MAX_PIXELS).map_err(|e| Error::Image(format!("{}: {e}", path.display())));
    }
    let unreadable = |e: image::ImageError| Error::Image(format!("{} is not a readable image: {e}", path.display()));
    let reader = || {
        image::ImageReader::new(std::io::Cursor::new(&bytes))
            .with_guessed_format()
            .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))
    };
    let (w, h) = reader()?.into_dimensions().map_err(unreadable)?;
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(Error::Image(format!("{} is too large ({w}x{h})", path.display())));
    }
    Ok(reader()?.decode().map_err(unreadable)?.to_luma8())
}

/// File endings read as pictures (a replay folder, a folder of samples).
pub const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "webp"];

pub fn is_image(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| IMAGE_EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

/// An image to score, with its expected text when `STEM.txt` sits beside it.
#[derive(Debug, Clone)]
pub struct LabelledImage {
    pub image: PathBuf,
    pub expected: Option<String>,
}

/// Every image under `dir` (png, jpg, jpeg, webp; recursively, sorted by
/// path), each with the text of `STEM.txt` beside it when there is one: the
/// layout of the shared samples that `gatehouse bench decode` scores.
pub fn labelled_images(dir: &Path) -> Result<Vec<LabelledImage>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| Error::io(format!("cannot read {}", d.display()), e))?;
        for entry in entries {
            let path = entry.map_err(|e| Error::io(format!("cannot read {}", d.display()), e))?.path();
            if path.is_dir() {
                stack.push(path);
            } else if is_image(&path) {
                let expected = std::fs::read_to_string(path.with_extension("txt")).ok();
                out.push(LabelledImage { image: path, expected });
            }
        }
    }
    out.sort_by(|a, b| a.image.cmp(&b.image));
    Ok(out)
}

/// The QR text found in the image by the default pipeline (at most one), or
/// none; never panics.
pub fn decode_gray(img: &GrayImage) -> Vec<String> {
    Decoder::default().decode(img).map(|d| d.text).into_iter().collect()
}

/// A text read from a picture, and the stage that read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    pub engine: &'static str,
}

/// Stages tried in order until one reads a code, within an optional budget.
#[derive(Debug, Clone)]
pub struct Decoder {
    stages: Vec<Stage>,
    budget: Option<Duration>,
}

/// The default pipeline, in order: cheap rxing views first, then rqrr,
/// the perspective sampler, then the Model 1 reader last (old print only).
pub const PIPELINE: &[Stage] = &[
    Stage::Rxing,
    Stage::RxingGlobal,
    Stage::RxingHalf,
    Stage::RxingInverted,
    Stage::RqrrAdaptive,
    Stage::Rescue,
    Stage::RqrrLevels,
    Stage::Grid,
    Stage::Model1,
];

impl Default for Decoder {
    fn default() -> Self {
        Decoder { stages: PIPELINE.to_vec(), budget: None }
    }
}

impl Decoder {
    pub fn new(stages: Vec<Stage>) -> Decoder {
        Decoder { stages, budget: None }
    }

    /// `pipeline` (the default), a single stage's name (`rxing`, `rqrr`, ...)
    /// or stage names joined by `+`.
    pub fn named(name: &str) -> std::result::Result<Decoder, String> {
        if name == "pipeline" {
            return Ok(Decoder::default());
        }
        let stages = name
            .split('+')
            .map(|s| {
                Stage::parse(s.trim()).ok_or_else(|| {
                    let known: Vec<_> = Stage::ALL.iter().map(|s| s.name()).collect();
                    format!("unknown decoder stage {s:?}; known: pipeline, {}", known.join(", "))
                })
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(Decoder::new(stages))
    }

    /// Keep each decode within `budget` of this thread's CPU time (see
    /// `clock`): the first stage always runs; a later one runs only when
    /// the time spent so far plus its estimated cost (its `relative_cost`
    /// times what the first stage took on this picture) fits. Estimating
    /// from the first stage scales with the picture's size and the
    /// machine's speed.
    pub fn with_budget(mut self, budget: Option<Duration>) -> Decoder {
        self.budget = budget;
        self
    }

    pub fn budget(&self) -> Option<Duration> {
        self.budget
    }

    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }

    pub fn decode(&self, img: &GrayImage) -> Option<Decoded> {
        let start = clock::CpuTimer::start();
        let mut first = Duration::ZERO;
        for (i, stage) in self.stages.iter().enumerate() {
            if i > 0
                && let Some(budget) = self.budget
                && start.elapsed() + first.mul_f64(stage.relative_cost()) > budget
            {
                continue;
            }
            let found = stage.run(img).into_iter().next();
            if i == 0 {
                first = start.elapsed();
            }
            if let Some(text) = found {
                return Some(Decoded { text, engine: stage.name() });
            }
        }
        None
    }
}
