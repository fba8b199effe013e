//! Reading QR codes from images with rqrr. rqrr can panic on some photos
//! (in its perspective geometry), so every call is behind `catch_unwind`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use image::GrayImage;

use crate::error::{Error, Result};

/// Images larger than this (in pixels) are refused rather than decoded.
pub const MAX_PIXELS: u64 = 40_000_000;

pub fn load_gray(path: &Path) -> Result<GrayImage> {
    let reader = image::ImageReader::open(path)
        .map_err(|e| Error::io(format!("cannot open {}", path.display()), e))?
        .with_guessed_format()
        .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
    let (w, h) = reader.into_dimensions().map_err(|e| Error::Other(format!("{} is not a readable image: {e}", path.display())))?;
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(Error::Other(format!("{} is too large ({w}x{h})", path.display())));
    }
    let img = image::ImageReader::open(path)
        .map_err(|e| Error::io(format!("cannot open {}", path.display()), e))?
        .with_guessed_format()
        .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?
        .decode()
        .map_err(|e| Error::Other(format!("{} is not a readable image: {e}", path.display())))?;
    Ok(img.to_luma8())
}

/// Every QR text rqrr finds in the image, or none; never panics.
pub fn decode_gray(img: &GrayImage) -> Vec<String> {
    if img.width() < 21 || img.height() < 21 {
        return Vec::new();
    }
    catch_unwind(AssertUnwindSafe(|| {
        let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(img.width() as usize, img.height() as usize, |x, y| {
            img.get_pixel(x as u32, y as u32).0[0]
        });
        prepared
            .detect_grids()
            .into_iter()
            .filter_map(|g| {
                let mut raw = Vec::new();
                g.decode_to(&mut raw).ok()?;
                Some(String::from_utf8_lossy(&raw).into_owned())
            })
            .collect::<Vec<_>>()
    }))
    .unwrap_or_default()
}
