//! Drawing a payload as a QR symbol: PNG, SVG or terminal half-blocks.

use std::path::Path;

use image::{GrayImage, Luma};
use qrcode::{Color, EcLevel, QrCode, Version};

use crate::error::{Error, Result};

/// Quiet zone in modules on every side, as the QR standard asks.
pub const QUIET: u32 = 4;

/// Our payloads fit version 4 (HMAC) or 8 (Ed25519) at level Q; fall
/// back to M for longer text. An empty payload is a code this session
/// could not sign (an Ed25519 pass without the issuing key): refused, never
/// drawn as an empty symbol.
pub fn encode(payload: &str) -> Result<QrCode> {
    if payload.is_empty() {
        return Err(Error::Forbidden("no code to draw: it is signed with an Ed25519 issuing key this sign-in does not hold".into()));
    }
    QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::Q)
        .or_else(|_| QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M))
        .map_err(|e| Error::Image(format!("cannot encode QR: {e}")))
}

pub fn version_number(code: &QrCode) -> i16 {
    match code.version() {
        Version::Normal(n) | Version::Micro(n) => n,
    }
}

/// A greyscale image, `scale` pixels per module, with the quiet zone.
pub fn to_image(code: &QrCode, scale: u32) -> GrayImage {
    let w = code.width() as u32;
    let colors = code.to_colors();
    let side = (w + 2 * QUIET) * scale;
    GrayImage::from_fn(side, side, |x, y| {
        let (mx, my) = (x / scale, y / scale);
        let dark = mx >= QUIET
            && my >= QUIET
            && mx < QUIET + w
            && my < QUIET + w
            && colors[((my - QUIET) * w + (mx - QUIET)) as usize] == Color::Dark;
        Luma([if dark { 0 } else { 255 }])
    })
}

pub fn write_png(payload: &str, path: &Path, scale: u32) -> Result<()> {
    let img = to_image(&encode(payload)?, scale);
    img.save_with_format(path, image::ImageFormat::Png).map_err(|e| Error::Image(format!("cannot write {}: {e}", path.display())))
}

pub fn write_svg(payload: &str, path: &Path) -> Result<()> {
    let svg = encode(payload)?.render::<qrcode::render::svg::Color>().min_dimensions(256, 256).quiet_zone(true).build();
    std::fs::write(path, svg).map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
}

/// Two modules per character cell with half blocks, light quiet zone, so a
/// phone can scan it off the screen in a dark or light terminal.
pub fn to_terminal(payload: &str) -> Result<String> {
    let code = encode(payload)?;
    let w = code.width() as i64;
    let colors = code.to_colors();
    let q = 2i64;
    let dark = |x: i64, y: i64| x >= 0 && y >= 0 && x < w && y < w && colors[(y * w + x) as usize] == Color::Dark;
    let mut out = String::new();
    let mut y = -q;
    while y < w + q {
        for x in -q..w + q {
            // Light modules are drawn as ink so the symbol reads as dark-on-light.
            out.push(match (!dark(x, y), !dark(x, y + 1)) {
                (true, true) => '█',
                (true, false) => '▀',
                (false, true) => '▄',
                (false, false) => ' ',
            });
        }
        out.push('\n');
        y += 2;
    }
    Ok(out)
}
