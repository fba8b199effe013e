//! Reading a stream of camera frames cheaply. Most frames at a gate show no
//! code, so each frame gets, in order, only as much work as it needs:
//!
//! 1. a quarter-size copy, compared with the last frame that found nothing:
//!    nearly the same picture is skipped (a code coming into view changes
//!    it, so no read is delayed);
//! 2. the first look for finder patterns (`look`): nothing code-like, done;
//! 3. each region it found, read as it is, then rescued (enlarged and
//!    sharpened) when its modules are small;
//! 4. the whole frame through the decoder's pipeline, within what is left
//!    of the frame's time budget.

use std::time::{Duration, Instant};

use image::GrayImage;

use super::{Decoded, Decoder, Stage, engines, look, prep};

/// A quarter-size pixel that moved by more than this counts as changed:
/// well above sensor noise averaged over 16 pixels, well below a code's edge.
const CHANGED_LEVEL: i16 = 20;

/// A frame with fewer changed quarter-size pixels than this fraction (per
/// mille) of the last empty frame's is the same picture.
const CHANGED_PER_MILLE: usize = 2;

/// Frames skipped in a row at most (2 s at 30 fps); then the first look
/// runs again, so a code that crept in slowly is not missed for long. A
/// cluttered room can look code-like and cost the whole pipeline each time.
const MAX_SKIPS: u32 = 60;

/// What became of one frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Nearly the same as the last frame that found nothing: not looked at.
    Skipped,
    /// The first look found nothing code-like.
    Nothing,
    /// Something code-like was there, but no code was read.
    Missed,
    /// A code was read.
    Read(Decoded),
}

/// The state kept between frames of one camera.
#[derive(Debug, Clone)]
pub struct FrameReader {
    decoder: Decoder,
    last_empty: Option<GrayImage>,
    skips: u32,
}

impl FrameReader {
    /// Frames are read by the regions first, then by `decoder`'s stages
    /// (without its rescue, which the regions already had) within its budget.
    pub fn new(decoder: Decoder) -> FrameReader {
        FrameReader { decoder, last_empty: None, skips: 0 }
    }

    pub fn read(&mut self, frame: &GrayImage) -> Outcome {
        let start = Instant::now();
        let quarter = prep::shrink(frame, 4);
        if self.skips < MAX_SKIPS && self.last_empty.as_ref().is_some_and(|last| same_picture(last, &quarter)) {
            self.skips += 1;
            return Outcome::Skipped;
        }
        self.skips = 0;
        let regions = look::regions_with_quarter(frame, &quarter);
        if regions.is_empty() {
            self.last_empty = Some(quarter);
            return Outcome::Nothing;
        }
        // The rescue enlarges and sharpens: run it only while the frame's
        // budget lasts, like the pipeline's stages.
        let in_budget = || self.decoder.budget().is_none_or(|b| start.elapsed() < b);
        let found = regions
            .iter()
            .find_map(|r| engines::read_region(frame, r).map(|t| (t, "region")))
            .or_else(|| regions.iter().take_while(|_| in_budget()).find_map(|r| engines::rescue(frame, r).map(|t| (t, "rescue"))));
        if let Some((text, engine)) = found {
            self.last_empty = None;
            return Outcome::Read(Decoded { text, engine });
        }
        let left = self.decoder.budget().map(|b| b.saturating_sub(start.elapsed()));
        if left != Some(Duration::ZERO) {
            let stages = self.decoder.stages().iter().copied().filter(|s| *s != Stage::Rescue).collect();
            if let Some(d) = Decoder::new(stages).with_budget(left).decode(frame) {
                self.last_empty = None;
                return Outcome::Read(d);
            }
        }
        self.last_empty = Some(quarter);
        Outcome::Missed
    }
}

/// Whether two quarter-size frames show the same picture: few pixels
/// changed by more than noise does.
fn same_picture(a: &GrayImage, b: &GrayImage) -> bool {
    if a.dimensions() != b.dimensions() {
        return false;
    }
    let changed = a.as_raw().iter().zip(b.as_raw()).filter(|(p, q)| (i16::from(**p) - i16::from(**q)).abs() > CHANGED_LEVEL).count();
    changed * 1000 <= a.as_raw().len() * CHANGED_PER_MILLE
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;

    #[test]
    fn an_unchanged_empty_frame_is_skipped_and_a_code_is_not() {
        let wall = GrayImage::from_pixel(320, 240, Luma([160]));
        let mut reader = FrameReader::new(Decoder::default());
        assert_eq!(reader.read(&wall), Outcome::Nothing);
        assert_eq!(reader.read(&wall), Outcome::Skipped);
        let mut with_code = wall.clone();
        let code = crate::qr::to_image(&crate::qr::encode("GH1-WATCH").unwrap(), 4);
        image::imageops::replace(&mut with_code, &code, 100, 60);
        assert!(matches!(reader.read(&with_code), Outcome::Read(d) if d.text == "GH1-WATCH"));
        // After a read nothing is skipped: the next frame is looked at.
        assert_eq!(reader.read(&wall), Outcome::Nothing);
    }

    #[test]
    fn skipping_stops_after_a_while() {
        let wall = GrayImage::from_pixel(64, 64, Luma([90]));
        let mut reader = FrameReader::new(Decoder::default());
        let outcomes: Vec<Outcome> = (0..MAX_SKIPS + 3).map(|_| reader.read(&wall)).collect();
        assert_eq!(outcomes.iter().filter(|o| **o == Outcome::Nothing).count(), 2);
        assert_eq!(outcomes[MAX_SKIPS as usize + 1], Outcome::Nothing);
    }
}
