//! QR Model 1, the first QR symbology (ISO 18004:2000 Annex M), still met
//! on old print: no alignment patterns, extension patterns along the right
//! and bottom edges, codewords laid in 2x4 and 4x2 blocks rather than in
//! the zig-zag of Model 2, and the error-correction blocks back to back
//! rather than interleaved. rxing reads its format and codewords but
//! de-interleaves the blocks as Model 2's, so a symbol of more than one
//! block fails its Reed-Solomon check: this is the path of our own. It
//! uses rxing's pieces that are the same for both models (format decoding,
//! the Reed-Solomon decoder, the bit-stream decoder, the finder detector).

use image::GrayImage;
use rxing::common::{BitMatrix, DetectorRXingResult, HybridBinarizer};
use rxing::qrcode::common::{ErrorCorrectionLevel, FormatInformation, Version};
use rxing::qrcode::cpp_port::Type;
use rxing::qrcode::cpp_port::decoder::{CorrectErrors, DecodeBitStream};
use rxing::qrcode::cpp_port::detector::{DetectPureQR, FindFinderPatterns, GenerateFinderPatternSets, SampleQR};
use rxing::{Binarizer, Luma8Source};

use super::quiet;

/// Finder-pattern sets sampled at most per picture.
const MAX_SETS: usize = 4;

/// The text of a Model 1 symbol in `img`, found by rxing's detector (the
/// picture as a whole symbol first, then each set of three finders); a
/// Model 2 symbol is left to the other stages.
pub fn read(img: &GrayImage) -> Option<String> {
    quiet::catch(|| {
        let source = Luma8Source::new_with_slice(img.as_raw(), img.width(), img.height()).ok()?;
        let binarizer = HybridBinarizer::new(source);
        let binary = binarizer.get_black_matrix().ok()?;
        if let Some(t) = DetectPureQR(binary).ok().and_then(|d| decode(d.getBits())) {
            return Some(t);
        }
        let mut finders = FindFinderPatterns(binary, true, 0);
        GenerateFinderPatternSets(&mut finders)
            .into_iter()
            .take(MAX_SETS)
            .find_map(|set| SampleQR(binary, &set).ok().and_then(|d| decode(d.getBits())))
    })
    .flatten()
}

/// The text of the Model 1 symbol whose modules (dark set) are `bits`, or
/// none when the grid is not one or its errors are past correcting.
pub fn decode(bits: &BitMatrix) -> Option<String> {
    let size = bits.height();
    if bits.width() != size || size < 21 || !(size - 17).is_multiple_of(4) {
        return None;
    }
    let format = format_information(bits);
    if !format.isValid() || format.qr_type() != Type::Model1 {
        return None;
    }
    let version = Version::Model1((size - 17) / 4).ok()?;
    let level = format.error_correction_level;
    if level == ErrorCorrectionLevel::Invalid {
        return None;
    }
    let module = |x: u32, y: u32| if format.isMirrored { bits.get(y, x) } else { bits.get(x, y) };
    let mut codewords: Vec<u8> = codeword_blocks(size)
        .into_iter()
        .map(|block| block.iter().fold(0u8, |byte, &(x, y)| (byte << 1) | u8::from(module(x, y) != masked(format.data_mask, x, y))))
        .collect();
    if codewords.len() != version.getTotalCodewords() as usize {
        return None;
    }
    // The first codeword's upper half lies in the corner, outside the
    // data; the bit stream's leading four bits are zero by definition.
    codewords[0] &= 0x0f;
    let data = correct(&codewords, version, level)?;
    let result = DecodeBitStream(&data, version, level).ok()?;
    result.isValid().then(|| result.content().to_string()).filter(|t| !t.is_empty())
}

/// The format bits read around the finders (the same places in both
/// models); rxing tells Model 1 from Model 2 by the mask they carry.
fn format_information(bits: &BitMatrix) -> FormatInformation {
    let size = bits.height();
    let mut first = 0u32;
    let push = |word: &mut u32, dark: bool| *word = (*word << 1) | u32::from(dark);
    // Along row 8 left to right, then up column 8, skipping the timing
    // patterns' module in each.
    for x in [0, 1, 2, 3, 4, 5, 7, 8] {
        push(&mut first, bits.get(x, 8));
    }
    for y in [7, 5, 4, 3, 2, 1, 0] {
        push(&mut first, bits.get(8, y));
    }
    // The copy: up column 8 from the bottom (the dark module among them),
    // then along row 8 on the right.
    let mut second = 0u32;
    for y in (size - 8..size).rev() {
        push(&mut second, bits.get(8, y));
    }
    for x in size - 8..size {
        push(&mut second, bits.get(x, 8));
    }
    FormatInformation::DecodeQR(first, second)
}

/// Whether data mask `mask` flips the module at (`x`, `y`): the eight
/// masks of both models.
fn masked(mask: u8, x: u32, y: u32) -> bool {
    match mask {
        0 => (x + y).is_multiple_of(2),
        1 => y.is_multiple_of(2),
        2 => x.is_multiple_of(3),
        3 => (x + y).is_multiple_of(3),
        4 => (y / 2 + x / 3).is_multiple_of(2),
        5 => (x * y) % 2 + (x * y) % 3 == 0,
        6 => ((x * y) % 2 + (x * y) % 3).is_multiple_of(2),
        _ => ((x + y) % 2 + (x * y) % 3).is_multiple_of(2),
    }
}

/// The modules of each codeword, most significant bit first, in the order
/// the codewords are laid out in a Model 1 symbol of `size` modules. The
/// symbol is cut into strips of blocks, right to left:
/// - the two rightmost column pairs: 2-wide, 4-tall blocks from the bottom
///   up to the top-right finder, the outermost pair leaving out every
///   other block between its ends (the extension patterns there);
/// - the middle: 4-wide, 2-tall blocks from the bottom to the top, skipping
///   row 6 (timing) and, in the first of these strips, the rows beside the
///   top-right finder; a strip's bottom block is left out where an
///   extension pattern sits at the bottom edge;
/// - the four leftmost column pairs (column 6, timing, skipped): 2-wide,
///   4-tall blocks between the two left finders.
///
/// Within a block the bits run right to left, then upwards.
fn codeword_blocks(size: u32) -> Vec<Vec<(u32, u32)>> {
    let last = size - 1;
    let strips = size / 4 + 3;
    let tall = |right: u32, bottom: u32| -> Vec<(u32, u32)> { (0..8).map(|b| (right - b % 2, bottom - b / 2)).collect() };
    let wide = |right: u32, bottom: u32| -> Vec<(u32, u32)> { (0..8).map(|b| (right - b % 4, bottom - b / 4)).collect() };
    let mut out = Vec::new();
    for strip in 0..strips {
        let from_left = strips - strip;
        if strip < 2 {
            let blocks = (size - 8) / 4;
            for i in 0..blocks {
                let extension = strip == 0 && i % 2 == 0 && i > 0 && i + 1 < blocks;
                if !extension {
                    out.push(tall(last - 2 * strip, last - 4 * i));
                }
            }
        } else if from_left <= 4 {
            let right = 2 * (from_left - 1) + 1 + u32::from(from_left == 4);
            for i in 0..(size - 16) / 4 {
                out.push(tall(right, last - 8 - 4 * i));
            }
        } else {
            let blocks = size / 2;
            for i in 0..blocks {
                let beside_finder = strip == 2 && i + 4 >= blocks;
                let extension = i == 0 && strip % 2 == 1 && strip + 1 != strips - 4;
                if !beside_finder && !extension {
                    let above_timing = u32::from(i + 3 >= blocks);
                    out.push(wide(last - 4 - 4 * (strip - 2), last - 2 * i - above_timing));
                }
            }
        }
    }
    out
}

/// The data codewords after error correction. Model 1's blocks lie back to
/// back: every block's data, then every block's error correction.
fn correct(codewords: &[u8], version: &Version, level: ErrorCorrectionLevel) -> Option<Vec<u8>> {
    let blocks = version.getECBlocksForLevel(level);
    let ec_per_block = blocks.getECCodewordsPerBlock() as usize;
    let sizes: Vec<usize> =
        blocks.getECBlocks().iter().flat_map(|b| std::iter::repeat_n(b.getDataCodewords() as usize, b.getCount() as usize)).collect();
    let data_total: usize = sizes.iter().sum();
    if data_total + ec_per_block * sizes.len() != codewords.len() {
        return None;
    }
    let mut out = Vec::with_capacity(data_total);
    let (mut data_at, mut ec_at) = (0, data_total);
    for size in sizes {
        let mut block = codewords[data_at..data_at + size].to_vec();
        block.extend_from_slice(&codewords[ec_at..ec_at + ec_per_block]);
        data_at += size;
        ec_at += ec_per_block;
        if !CorrectErrors(&mut block, size as u32).ok()? {
            return None;
        }
        out.extend_from_slice(&block[..size]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_blocks_of_every_version_cover_as_many_codewords_as_the_version_holds() {
        // Versions 13 and 14 have extension patterns this layout does not
        // know (nor does zxing-cpp's, which it follows): their counts differ, and `decode`
        // refuses them rather than read a wrong layout.
        for number in [13, 14] {
            let blocks = codeword_blocks(4 * number + 17).len();
            assert_ne!(blocks, Version::Model1(number).unwrap().getTotalCodewords() as usize, "version {number}");
        }
        for number in 1..=12 {
            let version = Version::Model1(number).unwrap();
            let size = 4 * number + 17;
            let blocks = codeword_blocks(size);
            assert_eq!(blocks.len(), version.getTotalCodewords() as usize, "version {number}");
            // No module is used twice, and none lies in a finder.
            let mut seen = std::collections::HashSet::new();
            for &(x, y) in blocks.iter().flatten() {
                assert!(x < size && y < size);
                assert!(seen.insert((x, y)), "version {number}: ({x}, {y}) twice");
                let in_finder = |fx: u32, fy: u32| x >= fx && x < fx + 8 && y >= fy && y < fy + 8;
                assert!(!in_finder(0, 0) && !in_finder(size - 8, 0) && !in_finder(0, size - 8), "({x}, {y}) in a finder");
            }
        }
    }

    #[test]
    fn a_grid_that_is_not_model_1_is_no_read() {
        assert_eq!(decode(&BitMatrix::new(37, 37).unwrap()), None);
        assert_eq!(decode(&BitMatrix::new(36, 36).unwrap()), None);
        assert_eq!(decode(&BitMatrix::new(21, 25).unwrap()), None);
    }
}
