//! Small image transforms for the retry stages of the decoder, and for
//! pasting a picture into a camera-sized frame (benchmarks and tests).

use image::imageops::{self, FilterType};
use image::{GrayImage, Luma};

/// Light becomes dark: for codes printed light on dark.
pub fn invert(img: &GrayImage) -> GrayImage {
    let mut out = img.clone();
    imageops::invert(&mut out);
    out
}

/// Shrink by an integer factor, each output pixel the mean of a
/// `factor`x`factor` block: cheap, and it smooths noise and JPEG blocking.
pub fn shrink(img: &GrayImage, factor: u32) -> GrayImage {
    let f = factor.max(1) as usize;
    let (w, h) = (img.width() as usize / f, img.height() as usize / f);
    let (stride, raw) = (img.width() as usize, img.as_raw());
    let n = (f * f) as u32;
    // Row by row over slices: sums of each block's columns, then the means
    // (the camera shrinks every frame, so this stays free of bounds checks).
    let mut sums = vec![0u32; w];
    let mut out = Vec::with_capacity(w * h);
    for y in 0..h {
        sums.fill(0);
        for dy in 0..f {
            let start = (y * f + dy) * stride;
            let row = &raw[start..start + w * f];
            for (sum, block) in sums.iter_mut().zip(row.chunks_exact(f)) {
                *sum += block.iter().map(|&p| u32::from(p)).sum::<u32>();
            }
        }
        out.extend(sums.iter().map(|&sum| (sum / n) as u8));
    }
    GrayImage::from_raw(w as u32, h as u32, out).unwrap_or_default()
}

/// Local-mean thresholding over a square window (an integral image, so the
/// cost does not depend on the window): `true` is dark. The window adapts to
/// uneven light across the picture, which a single threshold and rqrr's own
/// row-wise average do not.
pub fn adaptive_threshold(img: &GrayImage, window: u32, bias: i32) -> Vec<bool> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let raw = img.as_raw();
    let mut integral = vec![0u64; (w + 1) * (h + 1)];
    for y in 0..h {
        let mut row = 0u64;
        for x in 0..w {
            row += u64::from(raw[y * w + x]);
            integral[(y + 1) * (w + 1) + x + 1] = integral[y * (w + 1) + x + 1] + row;
        }
    }
    let r = (window / 2).max(1) as usize;
    let mut out = vec![false; w * h];
    for y in 0..h {
        let (y0, y1) = (y.saturating_sub(r), (y + r + 1).min(h));
        for x in 0..w {
            let (x0, x1) = (x.saturating_sub(r), (x + r + 1).min(w));
            let sum = integral[y1 * (w + 1) + x1] + integral[y0 * (w + 1) + x0] - integral[y0 * (w + 1) + x1] - integral[y1 * (w + 1) + x0];
            let count = ((y1 - y0) * (x1 - x0)) as u64;
            let mean = (sum / count) as i32;
            out[y * w + x] = i32::from(raw[y * w + x]) < mean - bias;
        }
    }
    out
}

/// A small, soft code made readable: enlarged by `factor` with Catmull-Rom
/// (bicubic) filtering, which keeps module edges where a box filter would
/// smear them, then an unsharp mask that steepens the edges the camera's
/// blur flattened.
pub fn enlarge_sharpen(img: &GrayImage, factor: u32, sigma: f32) -> GrayImage {
    let big = if factor == 2 {
        enlarge2(img)
    } else {
        imageops::resize(img, img.width() * factor, img.height() * factor, FilterType::CatmullRom)
    };
    imageops::unsharpen(&big, sigma, 2)
}

/// Catmull-Rom taps (in 128ths) for the two output pixels of each input
/// pixel `k` when enlarging x2: the even one lies a quarter pixel before
/// `k`'s centre, the odd one a quarter after (pixels `k-2..=k+2`).
const EVEN: [i32; 5] = [-3, 29, 111, -9, 0];
const ODD: [i32; 5] = [0, -9, 111, 29, -3];

/// `img` enlarged x2 with Catmull-Rom (bicubic) filtering, as
/// `imageops::resize` does it (pixel centres aligned), in integers: the
/// fixed taps of a x2 enlargement, so the rescue's enlarging costs a few
/// nanoseconds a pixel instead of a float filter's dozens. Edges repeat
/// the outermost pixel.
pub fn enlarge2(img: &GrayImage) -> GrayImage {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w == 0 || h == 0 {
        return GrayImage::new(img.width() * 2, img.height() * 2);
    }
    let raw = img.as_raw();
    let clamp = |i: isize, n: usize| i.clamp(0, n as isize - 1) as usize;
    // Across: each row to twice its width, in 128ths.
    let mut wide = vec![0i32; w * 2 * h];
    for y in 0..h {
        let row = &raw[y * w..(y + 1) * w];
        let out = &mut wide[y * w * 2..(y + 1) * w * 2];
        for k in 0..w {
            let tap = |i: isize| i32::from(row[clamp(k as isize + i, w)]);
            let px = [tap(-2), tap(-1), tap(0), tap(1), tap(2)];
            out[2 * k] = px.iter().zip(EVEN).map(|(p, t)| p * t).sum();
            out[2 * k + 1] = px.iter().zip(ODD).map(|(p, t)| p * t).sum();
        }
    }
    // Down: each column to twice its height, then back to grey levels.
    let w2 = w * 2;
    let mut out = vec![0u8; w2 * h * 2];
    for k in 0..h {
        let rows = [-2isize, -1, 0, 1, 2].map(|i| &wide[clamp(k as isize + i, h) * w2..][..w2]);
        for (taps, y) in [(EVEN, 2 * k), (ODD, 2 * k + 1)] {
            let line = &mut out[y * w2..(y + 1) * w2];
            for (x, p) in line.iter_mut().enumerate() {
                let v: i32 = rows.iter().zip(taps).map(|(r, t)| r[x] * t).sum();
                *p = ((v + 8192) >> 14).clamp(0, 255) as u8;
            }
        }
    }
    GrayImage::from_raw(img.width() * 2, img.height() * 2, out).unwrap_or_default()
}

/// The part of `img` inside `region`, copied.
pub fn crop(img: &GrayImage, region: &super::look::Region) -> GrayImage {
    imageops::crop_imm(img, region.x, region.y, region.width, region.height).to_image()
}

/// The picture in a `width`x`height` frame, centred, scaled down (keeping its
/// shape) when it does not fit. The rest of the frame is the mean grey of the
/// picture's border, as if the scene went on around it.
pub fn paste_into_frame(img: &GrayImage, width: u32, height: u32) -> GrayImage {
    let (iw, ih) = (img.width().max(1), img.height().max(1));
    let fitted;
    let src = if iw > width || ih > height {
        let s = (width as f64 / iw as f64).min(height as f64 / ih as f64);
        let (nw, nh) = (((iw as f64 * s) as u32).max(1), ((ih as f64 * s) as u32).max(1));
        fitted = imageops::resize(img, nw, nh, FilterType::Triangle);
        &fitted
    } else {
        img
    };
    let mut frame = GrayImage::from_pixel(width, height, Luma([border_mean(src)]));
    let x = i64::from((width - src.width()) / 2);
    let y = i64::from((height - src.height()) / 2);
    imageops::replace(&mut frame, src, x, y);
    frame
}

fn border_mean(img: &GrayImage) -> u8 {
    let (w, h) = (img.width(), img.height());
    if w == 0 || h == 0 {
        return 128;
    }
    let (mut sum, mut n) = (0u64, 0u64);
    for x in 0..w {
        sum += u64::from(img.get_pixel(x, 0).0[0]) + u64::from(img.get_pixel(x, h - 1).0[0]);
        n += 2;
    }
    for y in 0..h {
        sum += u64::from(img.get_pixel(0, y).0[0]) + u64::from(img.get_pixel(w - 1, y).0[0]);
        n += 2;
    }
    (sum / n) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrink_averages_blocks() {
        let img = GrayImage::from_fn(4, 2, |x, _| Luma([if x % 2 == 0 { 0 } else { 200 }]));
        let s = shrink(&img, 2);
        assert_eq!((s.width(), s.height()), (2, 1));
        assert_eq!(s.get_pixel(0, 0).0[0], 100);
    }

    #[test]
    fn threshold_follows_local_light() {
        // A dark dot on a bright left half and one on a dim right half.
        let mut img = GrayImage::from_fn(40, 10, |x, _| Luma([if x < 20 { 220 } else { 90 }]));
        img.put_pixel(5, 5, Luma([150]));
        img.put_pixel(35, 5, Luma([30]));
        let t = adaptive_threshold(&img, 9, 10);
        assert!(t[5 * 40 + 5] && t[5 * 40 + 35]);
        assert!(!t[5 * 40 + 10] && !t[5 * 40 + 30]);
    }

    #[test]
    fn enlarging_by_two_matches_the_float_filter() {
        let img = GrayImage::from_fn(23, 17, |x, y| Luma([((x * 37 + y * 91) % 256) as u8]));
        let ours = enlarge2(&img);
        let theirs = imageops::resize(&img, 46, 34, FilterType::CatmullRom);
        // Away from the edges (where the float filter renormalises its
        // clipped taps), the same to within rounding.
        for y in 4..30 {
            for x in 4..42 {
                let (a, b) = (i32::from(ours.get_pixel(x, y).0[0]), i32::from(theirs.get_pixel(x, y).0[0]));
                assert!((a - b).abs() <= 1, "({x}, {y}): {a} vs {b}");
            }
        }
        assert_eq!(enlarge2(&GrayImage::new(0, 3)).dimensions(), (0, 6));
    }

    #[test]
    fn paste_centres_and_fits() {
        let img = GrayImage::from_pixel(10, 10, Luma([0]));
        let f = paste_into_frame(&img, 30, 20);
        assert_eq!((f.width(), f.height()), (30, 20));
        assert_eq!(f.get_pixel(15, 10).0[0], 0);
        assert_eq!(f.get_pixel(0, 0).0[0], 0);
        let big = GrayImage::from_pixel(100, 50, Luma([255]));
        let f = paste_into_frame(&big, 30, 20);
        assert_eq!((f.width(), f.height()), (30, 20));
    }
}
