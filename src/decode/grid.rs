//! The perspective sampler: for codes seen at a slant, or on a curved
//! sheet, that the engines' own samplers misplace. From three finders that
//! lie as a code's do (`look`), and the alignment pattern found near where
//! they put it, a projective map from module to picture; each module
//! centre is sampled, cut at the local mean, and the grid of bits handed
//! to rxing's QR decoder, whose error correction must accept it: a grid it
//! cannot correct is no read.

use image::GrayImage;
use rxing::common::BitMatrix;

use super::look::{self, Finder};
use super::warp::Warp;
use super::{prep, synth};

/// Threes of finders tried at most, the clearest first.
const MAX_TRIPLES: usize = 2;

/// The first text read through a perspective grid, dark on light and then
/// light on dark.
pub fn read(img: &GrayImage) -> Option<String> {
    read_dark(img).or_else(|| read_dark(&prep::invert(img)))
}

fn read_dark(img: &GrayImage) -> Option<String> {
    for [corner, a, c] in look::code_triples(img).into_iter().take(MAX_TRIPLES) {
        // Top right and bottom left: turning from the corner's right side
        // to its lower one is clockwise on a picture whose y runs down.
        let cross = (a.x - corner.x) * (c.y - corner.y) - (a.y - corner.y) * (c.x - corner.x);
        let (right, below) = if cross > 0.0 { (a, c) } else { (c, a) };
        let m = (corner.module + a.module + c.module) / 3.0;
        let spacing = (dist(&corner, &right) + dist(&corner, &below)) / 2.0 / m;
        let nearest = ((spacing - 10.0) / 4.0).round().max(1.0) as i32;
        for v in [nearest, nearest - 1, nearest + 1] {
            if !(1..=40).contains(&v) {
                continue;
            }
            if let Some(t) = read_version(img, &corner, &right, &below, v as u32) {
                return Some(t);
            }
        }
    }
    None
}

fn dist(a: &Finder, b: &Finder) -> f32 {
    ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt()
}

/// The grey level at (`x`, `y`), bilinear, clamped to the picture.
fn at(img: &GrayImage, x: f64, y: f64) -> f64 {
    let (w, h) = (img.width() as i64, img.height() as i64);
    let (x, y) = ((x - 0.5).clamp(0.0, (w - 1) as f64), (y - 0.5).clamp(0.0, (h - 1) as f64));
    let (ix, iy) = (x.floor() as i64, y.floor() as i64);
    let (jx, jy) = ((ix + 1).min(w - 1), (iy + 1).min(h - 1));
    let (fx, fy) = (x - ix as f64, y - iy as f64);
    let raw = img.as_raw();
    let p = |x: i64, y: i64| f64::from(raw[(y * w + x) as usize]);
    let top = p(ix, iy) * (1.0 - fx) + p(jx, iy) * fx;
    let bottom = p(ix, jy) * (1.0 - fx) + p(jx, jy) * fx;
    top * (1.0 - fy) + bottom * fy
}

/// Module coordinates (`u`, `v`) to picture coordinates through `h`.
fn apply(h: &[f64; 9], u: f64, v: f64) -> (f64, f64) {
    let d = h[6] * u + h[7] * v + h[8];
    ((h[0] * u + h[1] * v + h[2]) / d, (h[3] * u + h[4] * v + h[5]) / d)
}

/// The code read as version `version` with its finders' centres at
/// `corner`, `right` and `below`.
fn read_version(img: &GrayImage, corner: &Finder, right: &Finder, below: &Finder, version: u32) -> Option<String> {
    let size = 4 * version + 17;
    let far = f64::from(size) - 3.5;
    let p = |f: &Finder| (f64::from(f.x), f64::from(f.y));
    let (b, r, l) = (p(corner), p(right), p(below));
    // The fourth point: the alignment pattern's centre (versions 2 and up),
    // searched for near where the parallelogram of the finders puts it;
    // for version 1, the parallelogram's corner itself.
    let (fourth_module, fourth) = if version >= 2 {
        let at_module = f64::from(size) - 6.5;
        let guess = synth::homography([(3.5, 3.5), (far, 3.5), (3.5, far), (far, far)], [b, r, l, (r.0 + l.0 - b.0, r.1 + l.1 - b.1)]);
        // `homography(from, to)` maps `from` to `to`: module to picture.
        let predicted = apply(&guess, at_module, at_module);
        let module = f64::from((corner.module + right.module + below.module) / 3.0);
        (at_module, find_alignment(img, predicted, module)?)
    } else {
        (far, (r.0 + l.0 - b.0, r.1 + l.1 - b.1))
    };
    let module = f64::from((corner.module + right.module + below.module) / 3.0);
    let corners = [(3.5, 3.5), (far, 3.5), (3.5, far), (fourth_module, fourth_module)];
    // The fourth point nudged by up to half a module each way: a curved
    // sheet puts the corners' map off where the alignment pattern is not.
    let mut timed = false;
    for (jx, jy) in [(0.0, 0.0), (0.5, 0.0), (-0.5, 0.0), (0.0, 0.5), (0.0, -0.5), (0.5, 0.5), (-0.5, -0.5), (0.5, -0.5), (-0.5, 0.5)] {
        let moved = (fourth.0 + jx * module, fourth.1 + jy * module);
        let h = synth::homography(corners, [b, r, l, moved]);
        match read_grid(img, size, |u, v| apply(&h, u, v)) {
            Sampled::Read(t) => return Some(t),
            Sampled::Timed => timed = true,
            Sampled::Off => {}
        }
    }
    // A sheet bent more than that (`warp`): the map through the finders
    // and the alignment pattern, bent patch by patch from the finders
    // outwards. Only where some grid above had its timing patterns right,
    // so the version and finders are a code's: the bending costs more
    // than all the grids above, and rooms' clutter and wrong versions
    // never get that far.
    if !timed {
        return None;
    }
    let h = synth::homography(corners, [b, r, l, fourth]);
    let warp = Warp::fit(size, |u, v| {
        let (x, y) = apply(&h, u, v);
        at(img, x, y)
    });
    match read_grid(img, size, |u, v| {
        let (u, v) = warp.moved(u, v);
        apply(&h, u, v)
    }) {
        Sampled::Read(t) => Some(t),
        _ => None,
    }
}

/// What a grid of module samples gave.
enum Sampled {
    Read(String),
    /// Its timing patterns read, but its bits did not decode.
    Timed,
    /// Its timing patterns did not read: not a code's grid.
    Off,
}

/// The code read from module centres placed in the picture by `map` (from
/// module coordinates), each cut at a local mean and then at the whole
/// code's.
fn read_grid(img: &GrayImage, size: u32, map: impl Fn(f64, f64) -> (f64, f64)) -> Sampled {
    let n = size as usize;
    let mut grey = vec![0.0f64; n * n];
    for y in 0..n {
        for x in 0..n {
            let (px, py) = map(x as f64 + 0.5, y as f64 + 0.5);
            grey[y * n + x] = at(img, px, py);
        }
    }
    // Sums over the grid's rectangles (an integral image), so each
    // window's mean costs four lookups.
    let mut sums = vec![0.0f64; (n + 1) * (n + 1)];
    for y in 0..n {
        let mut row = 0.0;
        for x in 0..n {
            row += grey[y * n + x];
            sums[(y + 1) * (n + 1) + x + 1] = sums[y * (n + 1) + x + 1] + row;
        }
    }
    let mut best = Sampled::Off;
    for window in [4usize, 2, 0] {
        match decode_grid(&grey, &sums, size, window) {
            Sampled::Read(t) => return Sampled::Read(t),
            Sampled::Timed => best = Sampled::Timed,
            Sampled::Off => {}
        }
    }
    best
}

/// The sampled modules (`grey`, with `sums` its integral image) cut at
/// the mean of the modules within `window` of each (0: the mean of the
/// whole code), decoded.
fn decode_grid(grey: &[f64], sums: &[f64], size: u32, window: usize) -> Sampled {
    let n = size as usize;
    let reach = if window == 0 { n } else { window };
    let Ok(mut bits) = BitMatrix::new(size, size) else { return Sampled::Off };
    for y in 0..n {
        for x in 0..n {
            let (y0, y1, x0, x1) = (y.saturating_sub(reach), (y + reach + 1).min(n), x.saturating_sub(reach), (x + reach + 1).min(n));
            let sum = sums[y1 * (n + 1) + x1] + sums[y0 * (n + 1) + x0] - sums[y0 * (n + 1) + x1] - sums[y1 * (n + 1) + x0];
            let count = ((y1 - y0) * (x1 - x0)) as f64;
            if grey[y * n + x] < sum / count {
                bits.set(x as u32, y as u32);
            }
        }
    }
    // The timing patterns (row and column 6, dark on even modules) must
    // mostly read (three in four): a grid off by a version or misplaced is
    // not worth the decoder's error correction.
    let timing = 8..n - 8;
    let checked = 2 * timing.len();
    let wrong = timing.clone().filter(|&i| bits.get(i as u32, 6) != (i % 2 == 0)).count()
        + timing.filter(|&i| bits.get(6, i as u32) != (i % 2 == 0)).count();
    if wrong * 4 > checked {
        return Sampled::Off;
    }
    super::quiet::catch(|| rxing::qrcode::cpp_port::decoder::Decode(&bits).ok())
        .flatten()
        .map(|d| d.content().to_string())
        .filter(|t| !t.is_empty())
        .map_or(Sampled::Timed, Sampled::Read)
}

/// The alignment pattern's centre near `predicted`: where a dark centre
/// module, a light ring and a dark ring (each `module` pixels) best match,
/// within 3 modules of the prediction.
fn find_alignment(img: &GrayImage, predicted: (f64, f64), module: f64) -> Option<(f64, f64)> {
    let step = (module / 4.0).max(0.5);
    let reach = (3.0 * module / step).round() as i32;
    let mut best: Option<(f64, (f64, f64))> = None;
    for dy in -reach..=reach {
        for dx in -reach..=reach {
            let (cx, cy) = (predicted.0 + f64::from(dx) * step, predicted.1 + f64::from(dy) * step);
            let centre = at(img, cx, cy);
            let mut light = 0.0;
            let mut dark = 0.0;
            for (ox, oy) in [(1.0, 0.0), (-1.0, 0.0), (0.0, 1.0), (0.0, -1.0), (1.0, 1.0), (-1.0, 1.0), (1.0, -1.0), (-1.0, -1.0)] {
                light += at(img, cx + ox * module, cy + oy * module);
                dark += at(img, cx + ox * 2.0 * module, cy + oy * 2.0 * module);
            }
            // Light ring minus the dark centre and the dark ring.
            let score = light / 8.0 - (centre + dark / 8.0) / 2.0;
            if best.is_none_or(|(s, _)| score > s) {
                best = Some((score, (cx, cy)));
            }
        }
    }
    best.filter(|(s, _)| *s > 10.0).map(|(_, p)| p)
}
