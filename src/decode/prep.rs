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
    let f = factor.max(1);
    let (w, h) = (img.width() / f, img.height() / f);
    let raw = img.as_raw();
    let stride = img.width() as usize;
    let n = f * f;
    GrayImage::from_fn(w, h, |x, y| {
        let mut sum = 0u32;
        for dy in 0..f {
            let row = (y * f + dy) as usize * stride;
            for dx in 0..f {
                sum += u32::from(raw[row + (x * f + dx) as usize]);
            }
        }
        Luma([(sum / n) as u8])
    })
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
    let big = imageops::resize(img, img.width() * factor, img.height() * factor, FilterType::CatmullRom);
    imageops::unsharpen(&big, sigma, 2)
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
