//! Pictures from files: a folder (or one file) played at a set rate, and a
//! single still. Tests and demos use them in place of a webcam.

use std::path::{Path, PathBuf};
use std::time::Duration;

use image::GrayImage;

use super::{FrameSource, raw};
use crate::decode::load_gray;
pub use crate::decode::{IMAGE_EXTENSIONS, is_image};

/// The frames of a replay folder in the order played: its images and raw
/// camera frames (`raw`), sorted by name.
pub fn frame_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read replay folder {}: {e}", dir.display()))?;
    let mut files: Vec<PathBuf> =
        entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file() && (is_image(p) || raw::is_raw(p))).collect();
    files.sort();
    Ok(files)
}

/// The images of a folder (sorted by name) or one image, at `fps`, looping
/// or not. Each file is read when its turn comes, so a long replay costs no
/// memory; a file that cannot be read is reported and skipped.
#[derive(Debug)]
pub struct ReplaySource {
    label: String,
    files: Vec<PathBuf>,
    interval: Duration,
    looping: bool,
    next: usize,
}

impl ReplaySource {
    pub fn open(path: &Path, fps: f64, looping: bool) -> Result<ReplaySource, String> {
        let files = if path.is_dir() {
            let files = frame_files(path)?;
            if files.is_empty() {
                return Err(format!(
                    "replay folder {} has no images ({}, or raw NAME.WxH.yuyv / .nv12)",
                    path.display(),
                    IMAGE_EXTENSIONS.join(", ")
                ));
            }
            files
        } else if path.is_file() {
            vec![path.to_path_buf()]
        } else {
            return Err(format!("replay source {} does not exist", path.display()));
        };
        let fps = if fps.is_finite() && fps > 0.0 { fps } else { 1.0 };
        let label = format!(
            "replay of {} ({} image{}, {fps} fps{})",
            path.display(),
            files.len(),
            if files.len() == 1 { "" } else { "s" },
            if looping { ", looping" } else { "" }
        );
        Ok(ReplaySource { label, files, interval: Duration::from_secs_f64(1.0 / fps), looping, next: 0 })
    }
}

impl FrameSource for ReplaySource {
    fn describe(&self) -> String {
        self.label.clone()
    }

    fn interval(&self) -> Option<Duration> {
        Some(self.interval)
    }

    fn next_frame(&mut self) -> Result<Option<GrayImage>, String> {
        if self.next >= self.files.len() {
            if !self.looping {
                return Ok(None);
            }
            self.next = 0;
        }
        let file = &self.files[self.next];
        self.next += 1;
        if raw::is_raw(file) {
            return raw::load(file).map(Some);
        }
        load_gray(file).map(Some).map_err(|e| e.to_string())
    }

    fn skip_frame(&mut self) -> Result<bool, String> {
        if self.next >= self.files.len() {
            if !self.looping {
                return Ok(false);
            }
            self.next = 0;
        }
        self.next += 1;
        Ok(true)
    }
}

/// One picture, delivered once.
#[derive(Debug)]
pub struct StillSource {
    label: String,
    image: Option<GrayImage>,
}

impl StillSource {
    pub fn new(label: impl Into<String>, image: GrayImage) -> StillSource {
        StillSource { label: label.into(), image: Some(image) }
    }

    pub fn open(path: &Path) -> Result<StillSource, String> {
        let image = load_gray(path).map_err(|e| e.to_string())?;
        Ok(StillSource::new(format!("still image {}", path.display()), image))
    }
}

impl FrameSource for StillSource {
    fn describe(&self) -> String {
        self.label.clone()
    }

    fn interval(&self) -> Option<Duration> {
        None
    }

    fn next_frame(&mut self) -> Result<Option<GrayImage>, String> {
        Ok(self.image.take())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plays_a_folder_in_name_order_once_or_looping() {
        let dir = tempfile::tempdir().unwrap();
        for (name, shade) in [("b.png", 20u8), ("a.png", 10), ("c.PNG", 30)] {
            GrayImage::from_pixel(4, 4, image::Luma([shade])).save(dir.path().join(name)).unwrap();
        }
        std::fs::write(dir.path().join("notes.txt"), "not an image").unwrap();
        let shades = |src: &mut ReplaySource, n: usize| -> Vec<Option<u8>> {
            (0..n).map(|_| src.next_frame().unwrap().map(|i| i.get_pixel(0, 0).0[0])).collect()
        };
        let mut once = ReplaySource::open(dir.path(), 10.0, false).unwrap();
        assert_eq!(once.interval(), Some(Duration::from_millis(100)));
        assert_eq!(shades(&mut once, 4), [Some(10), Some(20), Some(30), None]);
        let mut looping = ReplaySource::open(dir.path(), 10.0, true).unwrap();
        assert_eq!(shades(&mut looping, 4), [Some(10), Some(20), Some(30), Some(10)]);
    }

    #[test]
    fn a_bad_file_is_an_error_for_that_frame_only() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.png"), b"not a png").unwrap();
        GrayImage::new(4, 4).save(dir.path().join("b.png")).unwrap();
        let mut src = ReplaySource::open(dir.path(), 5.0, false).unwrap();
        assert!(src.next_frame().is_err());
        assert!(src.next_frame().unwrap().is_some());
        assert!(src.next_frame().unwrap().is_none());
    }

    #[test]
    fn missing_or_empty_sources_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let e = ReplaySource::open(dir.path(), 5.0, true).unwrap_err();
        assert!(e.contains("has no images"), "{e}");
        let e = ReplaySource::open(&dir.path().join("nope"), 5.0, true).unwrap_err();
        assert!(e.contains("does not exist"), "{e}");
    }

    #[test]
    fn a_still_is_one_frame() {
        let mut s = StillSource::new("x", GrayImage::new(2, 2));
        assert!(s.next_frame().unwrap().is_some());
        assert!(s.next_frame().unwrap().is_none());
    }
}
