//! Raw webcam frames as files: what a camera gives when MJPEG is not chosen
//! (YUYV, NV12), named `NAME.WIDTHxHEIGHT.yuyv` or `.nv12`. A replay plays
//! them through the same grey-from-camera step as a webcam's frames
//! (`device::to_grey`), so that step is measured by `bench camera`, not only
//! unit-tested.

use std::path::{Path, PathBuf};

use image::GrayImage;
use nokhwa::utils::FrameFormat;

use super::device::to_grey;

/// The raw layouts written and replayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawFormat {
    Yuyv,
    Nv12,
}

impl RawFormat {
    pub const ALL: [RawFormat; 2] = [RawFormat::Yuyv, RawFormat::Nv12];

    pub fn extension(self) -> &'static str {
        match self {
            RawFormat::Yuyv => "yuyv",
            RawFormat::Nv12 => "nv12",
        }
    }

    fn frame_format(self) -> FrameFormat {
        match self {
            RawFormat::Yuyv => FrameFormat::YUYV,
            RawFormat::Nv12 => FrameFormat::NV12,
        }
    }

    /// `img` as this camera format would carry it, with neutral colour:
    /// YUYV interleaves Y with U and V every other byte; NV12 is the Y plane
    /// and then a half-height plane of U and V (an odd width or height
    /// rounded up, as cameras pad).
    pub fn bytes(self, img: &GrayImage) -> Vec<u8> {
        let y = img.as_raw();
        match self {
            RawFormat::Yuyv => y.iter().flat_map(|&p| [p, 128]).collect(),
            RawFormat::Nv12 => {
                let chroma = (img.width().div_ceil(2) * 2) as usize * img.height().div_ceil(2) as usize;
                y.iter().copied().chain(std::iter::repeat_n(128, chroma)).collect()
            }
        }
    }

    /// The file name for frame `stem` of `img`'s size.
    pub fn file_name(self, stem: &str, img: &GrayImage) -> String {
        format!("{stem}.{}x{}.{}", img.width(), img.height(), self.extension())
    }
}

/// The format and size a raw frame's name says, or `None` when it is not one.
pub fn parse_name(path: &Path) -> Option<(RawFormat, u32, u32)> {
    let ext = path.extension()?.to_str()?;
    let format = RawFormat::ALL.into_iter().find(|f| f.extension().eq_ignore_ascii_case(ext))?;
    let size = Path::new(path.file_stem()?).extension()?.to_str()?;
    let (w, h) = size.split_once('x')?;
    Some((format, w.parse().ok()?, h.parse().ok()?))
}

pub fn is_raw(path: &Path) -> bool {
    parse_name(path).is_some()
}

/// The frame's name without its size and format: `NAME` of `NAME.WxH.yuyv`.
pub fn stem(path: &Path) -> PathBuf {
    match parse_name(path) {
        Some(_) => path.with_extension("").with_extension(""),
        None => path.with_extension(""),
    }
}

/// The grey of a raw frame file, through the webcam's conversion.
pub fn load(path: &Path) -> Result<GrayImage, String> {
    let (format, w, h) = parse_name(path).ok_or_else(|| format!("{} is not named NAME.WxH.yuyv or .nv12", path.display()))?;
    if u64::from(w) * u64::from(h) > crate::decode::MAX_PIXELS {
        return Err(format!("{} is too large ({w}x{h})", path.display()));
    }
    let data = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    to_grey(format.frame_format(), w, h, &data).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raw_frame_round_trips_to_its_grey_and_its_name_says_its_size() {
        let img = GrayImage::from_fn(5, 3, |x, y| image::Luma([(x * 40 + y * 7) as u8]));
        let dir = tempfile::tempdir().unwrap();
        for f in RawFormat::ALL {
            let path = dir.path().join(f.file_name("0007", &img));
            std::fs::write(&path, f.bytes(&img)).unwrap();
            assert_eq!(parse_name(&path), Some((f, 5, 3)));
            assert_eq!(stem(&path), dir.path().join("0007"));
            assert_eq!(load(&path).unwrap(), img);
            // A frame cut short is an error, not a panic.
            std::fs::write(&path, &f.bytes(&img)[..10]).unwrap();
            assert!(load(&path).is_err());
        }
        assert_eq!(parse_name(Path::new("a.jpg")), None);
        assert_eq!(parse_name(Path::new("a.yuyv")), None);
        assert_eq!(parse_name(Path::new("a.12xq.nv12")), None);
    }
}
