//! Grey straight from JPEG (a camera's MJPEG frame, or a replayed file).
//!
//! `image` decodes a JPEG to RGB and `to_luma8` then mixes the channels back
//! to grey: the chroma blocks are inverse-transformed, upsampled and colour
//! converted only to be thrown away. zune-jpeg asked for Luma output skips
//! the chroma blocks after entropy decoding and hands back the Y plane,
//! which is the grey the decoder wants (measured in `gatehouse bench camera`).

use image::GrayImage;
use zune_core::bytestream::ZCursor;
use zune_core::colorspace::ColorSpace;
use zune_core::options::DecoderOptions;

/// The Y plane of a JPEG, at most `max_pixels` pixels; an error says why not.
pub fn jpeg_to_grey(data: &[u8], max_pixels: u64) -> Result<GrayImage, String> {
    let options = DecoderOptions::default().jpeg_set_out_colorspace(ColorSpace::Luma).set_strict_mode(false);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(data), options);
    decoder.decode_headers().map_err(|e| format!("not a readable JPEG: {e}"))?;
    let (w, h) = decoder.dimensions().map(|(w, h)| (w as u32, h as u32)).ok_or("not a readable JPEG: no frame header")?;
    if u64::from(w) * u64::from(h) > max_pixels {
        return Err(format!("too large ({w}x{h})"));
    }
    let pixels = decoder.decode().map_err(|e| format!("not a readable JPEG: {e}"))?;
    // A Luma decode of a CMYK or other odd file may not give one byte a pixel.
    GrayImage::from_raw(w, h, pixels).ok_or_else(|| "not a readable JPEG: unexpected pixel layout".to_string())
}

/// Whether `data` starts like a JPEG file (SOI marker).
pub fn is_jpeg(data: &[u8]) -> bool {
    data.starts_with(&[0xff, 0xd8, 0xff])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(img: &image::DynamicImage) -> Vec<u8> {
        let mut buf = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut buf, 90).encode_image(img).unwrap();
        buf
    }

    #[test]
    fn colour_and_grey_jpegs_give_their_luma() {
        // Left half black, right half white, in colour (4:2:0) and in grey.
        let rgb = image::RgbImage::from_fn(32, 16, |x, _| image::Rgb(if x < 16 { [0, 0, 0] } else { [255, 255, 255] }));
        for img in
            [image::DynamicImage::ImageRgb8(rgb.clone()), image::DynamicImage::ImageLuma8(image::DynamicImage::ImageRgb8(rgb).to_luma8())]
        {
            let grey = jpeg_to_grey(&encode(&img), 1 << 20).unwrap();
            assert_eq!((grey.width(), grey.height()), (32, 16));
            assert!(grey.get_pixel(4, 8).0[0] < 30 && grey.get_pixel(28, 8).0[0] > 225);
        }
    }

    #[test]
    fn broken_or_huge_jpegs_are_errors() {
        assert!(jpeg_to_grey(b"\xff\xd8\xff not really", 1 << 20).is_err());
        assert!(jpeg_to_grey(&[], 1 << 20).is_err());
        let img = image::DynamicImage::ImageLuma8(GrayImage::new(64, 64));
        let e = jpeg_to_grey(&encode(&img), 100).unwrap_err();
        assert!(e.contains("too large (64x64)"), "{e}");
    }
}
