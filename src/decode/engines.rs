//! The two QR engines, each call behind `quiet::catch`, and the retry
//! stages built on them. A stage is one engine call on one view of the
//! picture (as it is, inverted, shrunk, thresholded).

use image::GrayImage;
use rxing::common::{GlobalHistogramBinarizer, HybridBinarizer};
use rxing::{BarcodeFormat, Binarizer, BinaryBitmap, DecodeHints, Luma8Source, MultiFormatReader, Reader};

use super::{grid, look, model1, prep, quiet, text};

/// One attempt of the pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// rxing (the ZXing port): hybrid (local) binarizer, try-harder, and a
    /// second look at the inverted binary picture for light-on-dark codes.
    Rxing,
    /// rxing with ZXing's global histogram binarizer: evenly lit codes whose
    /// modules the local binarizer breaks up (blur, round or textured modules).
    RxingGlobal,
    /// rxing, global binarizer, on the picture shrunk by 2: blur, noise,
    /// texture and JPEG blocks average out.
    RxingHalf,
    /// rxing on the inverted grey picture (inverting before binarizing finds
    /// light-on-dark codes that inverting the binary picture misses).
    RxingInverted,
    /// rqrr as it comes.
    Rqrr,
    /// rqrr on our local-mean threshold: uneven light, soft edges.
    RqrrAdaptive,
    /// rqrr on the inverted picture.
    RqrrInverted,
    /// rqrr on the picture shrunk by 2.
    RqrrHalf,
    /// rqrr on a small picture enlarged x2 and cut at one grey level after
    /// another: photos of small codes that every local threshold breaks up
    /// (a level suits the modules in the middle of the code, where the
    /// local mean is pulled by the dense pattern). Larger pictures are left
    /// alone: too many levels to try in a frame's time.
    RqrrLevels,
    /// The rescue of small, soft codes: the first look's regions, each
    /// enlarged x2 (bicubic) and sharpened, read by rxing.
    Rescue,
    /// The perspective sampler (`grid`): module centres sampled through a
    /// projective map from three finders and the alignment pattern, the
    /// bits decoded by rxing with its error correction.
    Grid,
    /// QR Model 1 symbols (`model1`): rxing's detector, our own layout
    /// and block order.
    Model1,
}

impl Stage {
    pub const ALL: [Stage; 12] = [
        Stage::Rxing,
        Stage::RxingGlobal,
        Stage::RxingHalf,
        Stage::RxingInverted,
        Stage::Rqrr,
        Stage::RqrrAdaptive,
        Stage::RqrrInverted,
        Stage::RqrrHalf,
        Stage::RqrrLevels,
        Stage::Rescue,
        Stage::Grid,
        Stage::Model1,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Stage::Rxing => "rxing",
            Stage::RxingGlobal => "rxing-global",
            Stage::RxingHalf => "rxing-half",
            Stage::RxingInverted => "rxing-inverted",
            Stage::Rqrr => "rqrr",
            Stage::RqrrAdaptive => "rqrr-adaptive",
            Stage::RqrrInverted => "rqrr-inverted",
            Stage::RqrrHalf => "rqrr-half",
            Stage::RqrrLevels => "rqrr-levels",
            Stage::Rescue => "rescue",
            Stage::Grid => "grid",
            Stage::Model1 => "model1",
        }
    }

    pub fn parse(name: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Cost relative to the first stage of a pipeline (`Rxing`) on the same
    /// picture: the median ratio measured over the shared samples in
    /// 1280x720 frames (`gatehouse bench decode --engine STAGE --verbose`).
    /// A budgeted decoder skips a stage whose estimate would overrun.
    pub fn relative_cost(self) -> f64 {
        match self {
            Stage::Rxing => 1.0,
            Stage::RxingHalf => 0.5,
            Stage::RxingGlobal => 0.6,
            Stage::RxingInverted => 0.9,
            Stage::RqrrHalf => 1.5,
            Stage::RqrrInverted => 4.5,
            Stage::Rqrr | Stage::RqrrAdaptive => 6.0,
            Stage::RqrrLevels => 8.0,
            Stage::Rescue => 1.0,
            // Cheap when no three finders lie as a code's; up to a few
            // hundred grid decodes when several do.
            Stage::Grid => 4.0,
            // rxing's finder search without its decoding.
            Stage::Model1 => 0.8,
        }
    }

    /// Every text this stage reads in the picture; never panics.
    pub fn run(self, img: &GrayImage) -> Vec<String> {
        if img.width() < 21 || img.height() < 21 {
            return Vec::new();
        }
        let one = |t: Option<String>| t.into_iter().collect();
        match self {
            Stage::Rxing => one(rxing(img, Binarize::Hybrid, true)),
            Stage::RxingGlobal => one(rxing(img, Binarize::Global, false)),
            Stage::RxingHalf => one(rxing(&prep::shrink(img, 2), Binarize::Global, false)),
            Stage::RxingInverted => one(rxing(&prep::invert(img), Binarize::Hybrid, false)),
            Stage::Rqrr => rqrr_decode(RqrrInput::Grey(img)),
            Stage::RqrrAdaptive => {
                let window = (img.width().min(img.height()) / 8).max(15) | 1;
                let dark = prep::adaptive_threshold(img, window, 6);
                rqrr_decode(RqrrInput::Dark { width: img.width() as usize, height: img.height() as usize, dark: &dark })
            }
            Stage::RqrrInverted => rqrr_decode(RqrrInput::Grey(&prep::invert(img))),
            Stage::RqrrHalf => rqrr_decode(RqrrInput::Grey(&prep::shrink(img, 2))),
            Stage::RqrrLevels => levels(img).into_iter().collect(),
            Stage::Rescue => look::regions(img).iter().find_map(|r| rescue(img, r)).into_iter().collect(),
            Stage::Grid => grid::read(img).into_iter().collect(),
            Stage::Model1 => model1::read(img).into_iter().collect(),
        }
    }
}

/// Pictures larger than this (in pixels) are not tried level by level.
const LEVELS_MAX_PIXELS: u64 = 400 * 400;

/// `Stage::RqrrLevels`: the first text rqrr reads at any grey level.
fn levels(img: &GrayImage) -> Option<String> {
    if u64::from(img.width()) * u64::from(img.height()) > LEVELS_MAX_PIXELS {
        return None;
    }
    let big = prep::enlarge2(img);
    let (width, height) = (big.width() as usize, big.height() as usize);
    (30u8..=222).step_by(8).find_map(|level| {
        let dark: Vec<bool> = big.as_raw().iter().map(|&p| p < level).collect();
        rqrr_decode(RqrrInput::Dark { width, height, dark: &dark }).into_iter().next()
    })
}

/// Modules larger than this (in pixels) need no enlarging: the rescue
/// leaves their regions to the other stages.
pub const RESCUE_MAX_MODULE: u32 = 7;

/// The region of `img` read as it is by the first stage (rxing): cheap,
/// because the region is a small part of the frame.
pub fn read_region(img: &GrayImage, region: &look::Region) -> Option<String> {
    rxing(&prep::crop(img, region), Binarize::Hybrid, true)
}

/// The region of `img` read by rqrr on the local-mean threshold
/// (`Stage::RqrrAdaptive` on the crop): tilted codes whose perspective
/// rxing's sampler gets wrong, at the cost of the region rather than of
/// the whole frame (a 1280x720 frame is several times a region's area).
pub fn read_region_rqrr(img: &GrayImage, region: &look::Region) -> Option<String> {
    Stage::RqrrAdaptive.run(&prep::crop(img, region)).into_iter().next()
}

/// The region of `img` enlarged x2 and sharpened, then read by rxing with
/// each binarizer: small codes whose modules blur into each other.
pub fn rescue(img: &GrayImage, region: &look::Region) -> Option<String> {
    if region.module > RESCUE_MAX_MODULE {
        return None;
    }
    let big = prep::enlarge_sharpen(&prep::crop(img, region), 2, RESCUE_SHARPEN_SIGMA);
    rxing(&big, Binarize::Hybrid, true).or_else(|| rxing(&big, Binarize::Global, false))
}

/// The unsharp mask's radius on the enlarged crop: a camera blur of sigma
/// up to 1.8 is 3.6 after enlarging; a mask about half that steepens the
/// module edges without ringing across a module.
const RESCUE_SHARPEN_SIGMA: f32 = 2.0;

#[derive(Clone, Copy)]
enum Binarize {
    Hybrid,
    Global,
}

fn qr_hints(also_inverted: bool) -> DecodeHints {
    DecodeHints {
        PossibleFormats: Some(std::collections::HashSet::from([BarcodeFormat::QR_CODE])),
        TryHarder: Some(true),
        AlsoInverted: Some(also_inverted),
        ..DecodeHints::default()
    }
}

fn rxing(img: &GrayImage, binarize: Binarize, also_inverted: bool) -> Option<String> {
    fn read<B: Binarizer>(mut bitmap: BinaryBitmap<B>, hints: &DecodeHints) -> Option<String> {
        let result = MultiFormatReader::default().decode_with_hints(&mut bitmap, hints).ok()?;
        Some(result.getText().to_owned())
    }
    let hints = qr_hints(also_inverted);
    quiet::catch(|| {
        let source = Luma8Source::new_with_slice(img.as_raw(), img.width(), img.height()).ok()?;
        match binarize {
            Binarize::Hybrid => read(BinaryBitmap::new(HybridBinarizer::new(source)), &hints),
            Binarize::Global => read(BinaryBitmap::new(GlobalHistogramBinarizer::new(source)), &hints),
        }
    })
    .flatten()
    .filter(|t| !t.is_empty())
}

/// What rqrr is given: grey levels (it thresholds them itself) or a
/// thresholded picture (`true` is dark).
enum RqrrInput<'a> {
    Grey(&'a GrayImage),
    Dark { width: usize, height: usize, dark: &'a [bool] },
}

fn rqrr_decode(input: RqrrInput) -> Vec<String> {
    quiet::catch(|| {
        let mut prepared = match input {
            RqrrInput::Grey(img) => {
                let w = img.width() as usize;
                let raw = img.as_raw();
                rqrr::PreparedImage::prepare_from_greyscale(w, img.height() as usize, |x, y| raw[y * w + x])
            }
            RqrrInput::Dark { width, height, dark } => rqrr::PreparedImage::prepare_from_bitmap(width, height, |x, y| dark[y * width + x]),
        };
        prepared
            .detect_grids()
            .into_iter()
            .filter_map(|g| {
                // A failed grid may leave half its bytes in the writer: one
                // buffer per grid, used only on success.
                let mut raw = Vec::new();
                g.decode_to(&mut raw).ok()?;
                Some(text::bytes_to_text(&raw))
            })
            .filter(|t| !t.is_empty())
            .collect()
    })
    .unwrap_or_default()
}
