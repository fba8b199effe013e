//! Generated camera frames, deterministic from a seed: our codes as a
//! webcam at the gate sees them (small, turned, tilted, blurred, dim or with
//! glare, JPEG-compressed, on a cluttered background), and the same
//! background with no code. Tests use them so no fixed files are needed;
//! `gatehouse bench frames` writes them out for the benchmarks.

use image::imageops;
use image::{GrayImage, Luma};

/// xorshift64*: the same numbers on every run and machine.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Seeds are spread by splitmix64 first, so that nearby seeds (1, 2, 3)
    /// give unrelated numbers.
    pub fn new(seed: u64) -> Rng {
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng((z ^ (z >> 31)) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Roughly normal, mean 0, standard deviation about `sd`.
    pub fn noise(&mut self, sd: f64) -> f64 {
        let sum: f64 = (0..4).map(|_| self.unit()).sum();
        (sum - 2.0) * sd * 3.0f64.sqrt()
    }
}

/// The 3x3 projective transform taking the four `from` points to `to`.
pub fn homography(from: [(f64, f64); 4], to: [(f64, f64); 4]) -> [f64; 9] {
    // Solve the 8x8 system for h0..h7 (h8 = 1) by Gaussian elimination.
    let mut m = [[0.0f64; 9]; 8];
    for i in 0..4 {
        let ((x, y), (u, v)) = (from[i], to[i]);
        m[2 * i] = [x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, u];
        m[2 * i + 1] = [0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y, v];
    }
    for c in 0..8 {
        let p = (c..8).max_by(|&a, &b| m[a][c].abs().total_cmp(&m[b][c].abs())).unwrap_or(c);
        m.swap(c, p);
        for r in 0..8 {
            if r != c && m[c][c] != 0.0 {
                let f = m[r][c] / m[c][c];
                let pivot = m[c];
                for (v, p) in m[r].iter_mut().zip(pivot).skip(c) {
                    *v -= f * p;
                }
            }
        }
    }
    let h: Vec<f64> = (0..8).map(|i| if m[i][i] == 0.0 { 0.0 } else { m[i][8] / m[i][i] }).collect();
    [h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1.0]
}

/// `src` drawn onto `dst` with its corners at `corners` (clockwise from top
/// left), bilinear: rotation, tilt and perspective in one.
pub fn draw_onto(dst: &mut GrayImage, src: &GrayImage, corners: [(f64, f64); 4]) {
    let (w, h) = (f64::from(src.width()), f64::from(src.height()));
    let t = homography(corners, [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)]);
    let (xs, ys) = (corners.map(|c| c.0), corners.map(|c| c.1));
    let lo = |v: [f64; 4], max: u32| (v.iter().copied().fold(f64::MAX, f64::min).floor().max(0.0) as u32).min(max);
    let hi = |v: [f64; 4], max: u32| (v.iter().copied().fold(f64::MIN, f64::max).ceil().max(0.0) as u32).min(max);
    let (x0, x1, y0, y1) = (lo(xs, dst.width()), hi(xs, dst.width()), lo(ys, dst.height()), hi(ys, dst.height()));
    for y in y0..y1 {
        for x in x0..x1 {
            let (px, py) = (f64::from(x) + 0.5, f64::from(y) + 0.5);
            let d = t[6] * px + t[7] * py + t[8];
            let sx = (t[0] * px + t[1] * py + t[2]) / d - 0.5;
            let sy = (t[3] * px + t[4] * py + t[5]) / d - 0.5;
            if sx < 0.0 || sy < 0.0 || sx > w - 1.0 || sy > h - 1.0 {
                continue;
            }
            let (ix, iy) = (sx.floor() as u32, sy.floor() as u32);
            let (jx, jy) = ((ix + 1).min(src.width() - 1), (iy + 1).min(src.height() - 1));
            let (fx, fy) = (sx - f64::from(ix), sy - f64::from(iy));
            let p = |x, y| f64::from(src.get_pixel(x, y).0[0]);
            let top = p(ix, iy) * (1.0 - fx) + p(jx, iy) * fx;
            let bottom = p(ix, jy) * (1.0 - fx) + p(jx, jy) * fx;
            dst.put_pixel(x, y, Luma([(top * (1.0 - fy) + bottom * fy).round() as u8]));
        }
    }
}

/// `src` in a new `out_w`x`out_h` picture of grey `bg`, corners at `corners`.
pub fn place(src: &GrayImage, out_w: u32, out_h: u32, corners: [(f64, f64); 4], bg: u8) -> GrayImage {
    let mut out = GrayImage::from_pixel(out_w, out_h, Luma([bg]));
    draw_onto(&mut out, src, corners);
    out
}

/// Corners of a `side` square centred at (`cx`, `cy`), turned by `degrees`.
pub fn rotated_square(cx: f64, cy: f64, side: f64, degrees: f64) -> [(f64, f64); 4] {
    let (s, c) = degrees.to_radians().sin_cos();
    let r = side / 2.0;
    [(-r, -r), (r, -r), (r, r), (-r, r)].map(|(x, y)| (cx + x * c - y * s, cy + x * s + y * c))
}

/// Every grey level through `f`, rounded and clamped.
pub fn map(img: &GrayImage, f: impl Fn(f64) -> f64) -> GrayImage {
    GrayImage::from_fn(img.width(), img.height(), |x, y| Luma([f(f64::from(img.get_pixel(x, y).0[0])).round().clamp(0.0, 255.0) as u8]))
}

/// Sensor noise of standard deviation about `sd`.
pub fn add_noise(img: &GrayImage, sd: f64, seed: u64) -> GrayImage {
    let mut rng = Rng::new(seed);
    GrayImage::from_fn(img.width(), img.height(), |x, y| {
        let v = f64::from(img.get_pixel(x, y).0[0]) + rng.noise(sd);
        Luma([v.round().clamp(0.0, 255.0) as u8])
    })
}

/// The JPEG file of `img` at `quality` (1-100).
pub fn jpeg_bytes(img: &GrayImage, quality: u8) -> Vec<u8> {
    let mut buf = Vec::new();
    // Encoding into memory fails only on a zero-sized picture.
    let _ = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut buf, quality.clamp(1, 100)).encode_image(img);
    buf
}

/// `img` after a JPEG round trip at `quality`.
pub fn jpeg(img: &GrayImage, quality: u8) -> GrayImage {
    image::load_from_memory_with_format(&jpeg_bytes(img, quality), image::ImageFormat::Jpeg)
        .map(|i| i.into_luma8())
        .unwrap_or_else(|_| img.clone())
}

/// A room seen by a gate webcam: a wall lit unevenly, with posters, door
/// frames, printed text and a patterned floor; no QR code. `seed` picks the
/// room; `frame` moves the noise and the light a little, as a still camera's
/// frames differ.
pub fn cluttered_scene(width: u32, height: u32, seed: u64, frame: u64) -> GrayImage {
    let blurred = room(width, height, seed);
    // Per frame: the light breathes a little and the sensor is noisy.
    let mut frame_rng = Rng::new(seed ^ frame.wrapping_mul(0x5851_f42d_4c95_7f2d));
    let gain = 1.0 + frame_rng.range(-0.01, 0.01);
    add_noise(&map(&blurred, |v| v * gain), 2.5, frame_rng.next_u64())
}

/// The room of `cluttered_scene` before its light and noise: the same
/// for every frame of one seed.
pub fn room(width: u32, height: u32, seed: u64) -> GrayImage {
    let mut rng = Rng::new(seed);
    let (base, tilt) = (rng.range(110.0, 190.0), rng.range(-60.0, 60.0));
    let mut img = GrayImage::from_fn(width, height, |x, y| {
        let v = base + tilt * (f64::from(x) / f64::from(width.max(1)) - 0.5) - 30.0 * f64::from(y) / f64::from(height.max(1));
        Luma([v.clamp(0.0, 255.0) as u8])
    });
    let fw = f64::from(width);
    let fh = f64::from(height);
    // Rectangles: posters, a door, a notice board.
    for _ in 0..12 {
        let (x, y) = (rng.range(0.0, fw), rng.range(0.0, fh));
        let (w, h) = (rng.range(20.0, fw / 4.0), rng.range(20.0, fh / 3.0));
        let shade = rng.range(0.0, 255.0) as u8;
        fill(&mut img, x, y, w, h, shade);
    }
    // Lines of "text": short dark dashes in rows.
    for _ in 0..6 {
        let (x0, y0) = (rng.range(0.0, fw * 0.8), rng.range(0.0, fh * 0.9));
        let size = rng.range(3.0, 9.0);
        for line in 0..rng.range(2.0, 8.0) as u32 {
            let mut x = x0;
            let y = y0 + f64::from(line) * size * 2.2;
            for _ in 0..rng.range(5.0, 30.0) as u32 {
                let len = size * rng.range(0.4, 1.6);
                fill(&mut img, x, y, len, size, rng.range(0.0, 60.0) as u8);
                x += len + size * rng.range(0.3, 1.0);
            }
        }
    }
    // What could pass for a code's parts: logos of nested squares in a
    // finder's 1:1:3:1:1 (a pair of them, alike, as a code's finders are),
    // and checkerboards with squares the size of a code's modules.
    let decoys = rng.range(1.0, 3.99) as u32;
    for _ in 0..decoys {
        let (x, y, size) = (rng.range(0.0, fw * 0.9), rng.range(0.0, fh * 0.8), rng.range(18.0, 60.0));
        let (ink, paper) = (rng.range(0.0, 70.0) as u8, rng.range(170.0, 250.0) as u8);
        let gap = size * rng.range(1.5, 6.0);
        for (dx, dy) in [(0.0, 0.0), (gap, 0.0)] {
            let m = size / 7.0;
            fill(&mut img, x + dx - m, y + dy - m, size + 2.0 * m, size + 2.0 * m, paper);
            fill(&mut img, x + dx, y + dy, size, size, ink);
            fill(&mut img, x + dx + m, y + dy + m, size - 2.0 * m, size - 2.0 * m, paper);
            fill(&mut img, x + dx + 2.0 * m, y + dy + 2.0 * m, size - 4.0 * m, size - 4.0 * m, ink);
        }
        let (cx, cy, square) = (rng.range(0.0, fw * 0.9), rng.range(0.0, fh * 0.8), rng.range(3.0, 9.0));
        let n = rng.range(6.0, 20.0) as u32;
        for j in 0..n {
            for i in 0..n {
                let shade = if (i + j) % 2 == 0 { ink } else { paper };
                fill(&mut img, cx + f64::from(i) * square, cy + f64::from(j) * square, square, square, shade);
            }
        }
    }
    // A floor of tiles and a grille: regular dark and light bands.
    let (tile, floor) = (rng.range(8.0, 30.0), fh * rng.range(0.75, 0.9));
    for y in floor as u32..height {
        for x in 0..width {
            let (tx, ty) = ((f64::from(x) / tile) as u32, (f64::from(y) / tile) as u32);
            if (tx + ty) % 2 == 0 {
                let p = img.get_pixel_mut(x, y);
                p.0[0] = p.0[0].saturating_sub(50);
            }
        }
    }
    imageops::blur(&img, rng.range(0.6, 1.4) as f32)
}

fn fill(img: &mut GrayImage, x: f64, y: f64, w: f64, h: f64, shade: u8) {
    let (x0, y0) = (x.max(0.0) as u32, y.max(0.0) as u32);
    let (x1, y1) = (((x + w).max(0.0) as u32).min(img.width()), ((y + h).max(0.0) as u32).min(img.height()));
    for yy in y0..y1 {
        for xx in x0..x1 {
            img.put_pixel(xx, yy, Luma([shade]));
        }
    }
}

/// How one webcam frame of a code was made.
#[derive(Debug, Clone, PartialEq)]
pub struct Conditions {
    /// Width of the code (without its quiet zone) in the frame, in pixels,
    /// before the tilt foreshortens it.
    pub width_px: f64,
    /// Turned in the picture's plane.
    pub degrees: f64,
    /// Tilted back (about the horizontal axis) and turned aside (about the
    /// vertical one), in degrees: the code is foreshortened along those
    /// directions, with the perspective of a webcam's lens.
    pub tilt: (f64, f64),
    /// Gaussian blur (sigma, pixels) of a lens out of focus or a hand that moves.
    pub blur: f64,
    /// Light: below 1 dim, above 1 washed out.
    pub gain: f64,
    /// Glare: how bright a spot of reflected light is over the code (0 none).
    pub glare: f64,
    /// Grey of the ink and of the paper (or of a phone screen's dark and
    /// light): thermal receipts and screens are far from black on white.
    pub ink: u8,
    pub paper: u8,
    /// Sensor noise (standard deviation, grey levels): a dim picture is
    /// amplified, and its noise with it.
    pub noise: f64,
    pub quality: u8,
}

/// A webcam's focal length in pixels at 1280x720 (about 65° across).
const FOCAL_PX: f64 = 1000.0;

impl Conditions {
    /// The range the gate must read: 150-200 px wide in a 1280x720 frame
    /// (4-6 px a module for a version-4 code), turned up to 35° either way
    /// with some perspective (tilted up to 25° back or aside), blurred up to
    /// sigma 1.8, dim (and noisier) or with glare, printed in grey on grey,
    /// JPEG quality 45-85. Weighted towards the hard end, where decoders
    /// fail: the width towards 150 px (the square of a uniform draw) and the
    /// blur between sigma 1.0 and 1.8, a webcam focused for the room behind.
    pub fn webcam(rng: &mut Rng) -> Conditions {
        let light = rng.unit();
        let gain = if light < 0.3 { rng.range(0.35, 0.6) } else { rng.range(0.8, 1.1) };
        Conditions {
            width_px: 150.0 + 50.0 * rng.unit().powi(2),
            degrees: rng.range(-35.0, 35.0),
            tilt: (rng.range(-25.0, 25.0), rng.range(-25.0, 25.0)),
            blur: rng.range(1.0, 1.8),
            gain,
            glare: if light > 0.75 { rng.range(60.0, 140.0) } else { 0.0 },
            ink: rng.range(10.0, 70.0) as u8,
            paper: rng.range(175.0, 250.0) as u8,
            noise: rng.range(1.5, 3.0) / gain.min(1.0),
            quality: rng.range(45.0, 86.0) as u8,
        }
    }
}

/// Corners (clockwise from top left) of a `side` square centred at (`cx`,
/// `cy`), turned by `degrees` in the picture's plane and tilted by `tilt`
/// (degrees about the horizontal and vertical axes), seen through a lens of
/// focal length `FOCAL_PX` from the distance at which it is `side` wide.
pub fn tilted_square(cx: f64, cy: f64, side: f64, degrees: f64, tilt: (f64, f64)) -> [(f64, f64); 4] {
    let (sr, cr) = degrees.to_radians().sin_cos();
    let (sa, ca) = tilt.0.to_radians().sin_cos();
    let (sb, cb) = tilt.1.to_radians().sin_cos();
    let r = side / 2.0;
    [(-r, -r), (r, -r), (r, r), (-r, r)].map(|(x, y)| {
        // Tilt about x (back), then about y (aside), then turn in the plane.
        let (y1, z1) = (y * ca, y * sa);
        let (x2, z2) = (x * cb + z1 * sb, -x * sb + z1 * cb);
        let (x3, y3) = (x2 * cr - y1 * sr, x2 * sr + y1 * cr);
        let s = FOCAL_PX / (FOCAL_PX + z2);
        (cx + x3 * s, cy + y3 * s)
    })
}

/// `payload` as a webcam sees it in `scene` under `c`, with a little
/// more perspective from `rng`; the frame is a JPEG file's bytes.
pub fn webcam_frame(payload: &str, scene: &GrayImage, c: &Conditions, rng: &mut Rng) -> Option<Vec<u8>> {
    let code = code_picture(payload, c)?;
    let side = code_side(&code, c);
    let (w, h) = (f64::from(scene.width()), f64::from(scene.height()));
    let (cx, cy) = (rng.range(side, w - side), rng.range(side * 0.7, h - side * 0.7));
    Some(jpeg_bytes(&code_in_scene(&code, scene, c, (cx, cy), rng), c.quality))
}

/// The code of `payload` rendered large, one module 8 pixels with a
/// 4-module quiet zone, in the ink and paper's greys of `c`.
pub fn code_picture(payload: &str, c: &Conditions) -> Option<GrayImage> {
    let symbol = crate::qr::encode(payload).ok()?;
    let (ink, paper) = (f64::from(c.ink), f64::from(c.paper.max(c.ink)));
    Some(map(&crate::qr::to_image(&symbol, 8), |v| ink + (paper - ink) * v / 255.0))
}

/// The side in frame pixels of `code` (from `code_picture`) with its quiet
/// zone, when the code itself is `c.width_px` wide.
pub fn code_side(code: &GrayImage, c: &Conditions) -> f64 {
    let modules = f64::from(code.width()) / 8.0;
    c.width_px * modules / (modules - 8.0)
}

/// `code` (from `code_picture`) held up in `scene` with its centre at
/// `centre`, under `c`, with a little more perspective from `rng`: drawn at
/// its size by the warp, which averages each frame pixel's area as a
/// sensor's pixel does, then blurred, lit and made noisy (not compressed).
pub fn code_in_scene(code: &GrayImage, scene: &GrayImage, c: &Conditions, centre: (f64, f64), rng: &mut Rng) -> GrayImage {
    let side = code_side(code, c);
    let (cx, cy) = centre;
    let jitter = side * 0.03;
    let corners =
        tilted_square(cx, cy, side, c.degrees, c.tilt).map(|(x, y)| (x + rng.range(-jitter, jitter), y + rng.range(-jitter, jitter)));
    let mut frame = scene.clone();
    draw_onto_area(&mut frame, code, corners, 3);
    let mut frame = imageops::blur(&frame, c.blur as f32);
    let (gx, gy, gr) = (cx + rng.range(-side / 3.0, side / 3.0), cy + rng.range(-side / 3.0, side / 3.0), side * rng.range(0.2, 0.45));
    for (x, y, p) in frame.enumerate_pixels_mut() {
        let mut v = f64::from(p.0[0]) * c.gain;
        if c.glare > 0.0 {
            let d2 = ((f64::from(x) - gx).powi(2) + (f64::from(y) - gy).powi(2)) / (gr * gr);
            v += c.glare * (-d2).exp();
        }
        p.0[0] = v.round().clamp(0.0, 255.0) as u8;
    }
    add_noise(&frame, c.noise, rng.next_u64())
}

/// `draw_onto`, each frame pixel the mean of `n`x`n` bilinear samples
/// across its area: a sensor integrates light over a pixel, it does not
/// point-sample it.
pub fn draw_onto_area(dst: &mut GrayImage, src: &GrayImage, corners: [(f64, f64); 4], n: u32) {
    let n = n.max(1);
    let (w, h) = (f64::from(src.width()), f64::from(src.height()));
    let t = homography(corners, [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)]);
    let (xs, ys) = (corners.map(|c| c.0), corners.map(|c| c.1));
    let lo = |v: [f64; 4], max: u32| (v.iter().copied().fold(f64::MAX, f64::min).floor().max(0.0) as u32).min(max);
    let hi = |v: [f64; 4], max: u32| (v.iter().copied().fold(f64::MIN, f64::max).ceil().max(0.0) as u32).min(max);
    let (x0, x1, y0, y1) = (lo(xs, dst.width()), hi(xs, dst.width()), lo(ys, dst.height()), hi(ys, dst.height()));
    let (sw, sh, raw) = (src.width(), src.height(), src.as_raw());
    let p = |x: u32, y: u32| f64::from(raw[(y * sw + x) as usize]);
    for y in y0..y1 {
        for x in x0..x1 {
            let (mut sum, mut inside) = (0.0, 0u32);
            let background = f64::from(dst.get_pixel(x, y).0[0]);
            for j in 0..n {
                for i in 0..n {
                    let px = f64::from(x) + (f64::from(i) + 0.5) / f64::from(n);
                    let py = f64::from(y) + (f64::from(j) + 0.5) / f64::from(n);
                    let d = t[6] * px + t[7] * py + t[8];
                    let sx = (t[0] * px + t[1] * py + t[2]) / d - 0.5;
                    let sy = (t[3] * px + t[4] * py + t[5]) / d - 0.5;
                    if sx < 0.0 || sy < 0.0 || sx > w - 1.0 || sy > h - 1.0 {
                        sum += background;
                        continue;
                    }
                    inside += 1;
                    let (ix, iy) = (sx.floor() as u32, sy.floor() as u32);
                    let (jx, jy) = ((ix + 1).min(sw - 1), (iy + 1).min(sh - 1));
                    let (fx, fy) = (sx - f64::from(ix), sy - f64::from(iy));
                    let top = p(ix, iy) * (1.0 - fx) + p(jx, iy) * fx;
                    let bottom = p(ix, jy) * (1.0 - fx) + p(jx, jy) * fx;
                    sum += top * (1.0 - fy) + bottom * fy;
                }
            }
            if inside > 0 {
                dst.put_pixel(x, y, Luma([(sum / f64::from(n * n)).round() as u8]));
            }
        }
    }
}

/// A pass or resident card payload as gatehouse issues them, signed with
/// a key made from `rng` (a generated frame set needs no database).
pub fn our_payload(rng: &mut Rng) -> String {
    use crate::domain::payload::{Kind, encode};
    let key: [u8; 32] = std::array::from_fn(|i| (rng.next_u64() >> (i % 8)) as u8);
    let keys = crate::domain::keys::KeyRing::new(&[("01".into(), key)]);
    let id = uuid::Uuid::from_u64_pair(rng.next_u64(), rng.next_u64());
    let kind = if rng.unit() < 0.8 { Kind::Pass } else { Kind::Resident };
    keys.map(|k| encode(&k, kind, &id)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_frame() {
        let a = cluttered_scene(160, 90, 3, 0);
        assert_eq!(a, cluttered_scene(160, 90, 3, 0));
        assert_ne!(a, cluttered_scene(160, 90, 4, 0));
        let mut r1 = Rng::new(5);
        let mut r2 = Rng::new(5);
        assert_eq!(Conditions::webcam(&mut r1), Conditions::webcam(&mut r2));
    }

    #[test]
    fn the_homography_maps_corners() {
        let from = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)];
        let to = [(1.0, 2.0), (12.0, 1.0), (11.0, 13.0), (0.0, 11.0)];
        let h = homography(from, to);
        for ((x, y), (u, v)) in from.iter().zip(to) {
            let d = h[6] * x + h[7] * y + h[8];
            assert!(((h[0] * x + h[1] * y + h[2]) / d - u).abs() < 1e-6);
            assert!(((h[3] * x + h[4] * y + h[5]) / d - v).abs() < 1e-6);
        }
    }
}
