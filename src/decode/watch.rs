//! Reading a stream of camera frames cheaply. Most frames at a gate show no
//! code, so each frame gets, in order, only as much work as it needs:
//!
//! 1. a quarter-size copy, compared with the last frame that found nothing:
//!    nearly the same picture is skipped (a code coming into view changes
//!    it, so no read is delayed);
//! 2. the first look for finder patterns (`look`): nothing code-like, done;
//! 3. each region it found, read as it is (a crop: cheap);
//! 4. the whole frame by the pipeline's first stage (rxing), which finds
//!    codes whose finders the first look lost or ranked below a logo;
//! 5. the strongest region by rqrr on a local threshold (tilted codes), the
//!    strongest regions with small modules rescued (enlarged and
//!    sharpened), then the pipeline's other stages, each within what is
//!    left of the frame's time budget (this thread's CPU time).

use std::time::Duration;

use image::GrayImage;

use super::clock::CpuTimer;
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
    /// What a rescue has cost per pixel of its region (nanoseconds of CPU),
    /// the dearest of the last ones: the estimate that keeps rescues within
    /// the frame's budget.
    rescue_ns_per_px: Option<f64>,
}

impl FrameReader {
    /// Frames are read by the regions first, then by `decoder`'s first
    /// stage, the rescue of the regions, and its other stages within its budget.
    pub fn new(decoder: Decoder) -> FrameReader {
        FrameReader { decoder, last_empty: None, skips: 0, rescue_ns_per_px: None }
    }

    /// Read one frame. The budget is this thread's CPU time (`clock`).
    pub fn read(&mut self, frame: &GrayImage) -> Outcome {
        let start = CpuTimer::start();
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
        // A region whose timing patterns read is surely a code: when its
        // modules are small, it is rescued (if read as it is, it was not)
        // before anything else is tried.
        let early = regions.first().filter(|r| r.sure && r.module <= EARLY_RESCUE_MAX_MODULE);
        for (i, r) in regions.iter().enumerate() {
            if let Some(text) = engines::read_region(frame, r) {
                return self.found(Decoded { text, engine: "region" });
            }
            if i == 0
                && early.is_some()
                && let Some(text) = self.rescue(frame, r, start)
            {
                return self.found(Decoded { text, engine: "rescue" });
            }
        }
        // The whole frame by the pipeline's first stage, whatever the budget
        // (as a budgeted decoder always runs its first stage): the regions
        // may have missed the code (a finder lost in blur, a code-like logo
        // ranked before it), and rxing finds finders on its own.
        let stages: Vec<Stage> = self.decoder.stages().iter().copied().filter(|s| *s != Stage::Rescue).collect();
        let Some((&first, rest)) = stages.split_first() else {
            self.last_empty = Some(quarter);
            return Outcome::Missed;
        };
        let t = CpuTimer::start();
        if let Some(text) = first.run(frame).into_iter().next() {
            return self.found(Decoded { text, engine: first.name() });
        }
        let first_cost = t.elapsed();
        let budget = self.decoder.budget();
        // rqrr on the strongest region's local threshold (tilted codes),
        // when its estimate fits: rqrr's cost relative to rxing's on the
        // whole frame, for the region's share of the frame.
        let frame_px = (f64::from(frame.width()) * f64::from(frame.height())).max(1.0);
        if let Some(r) = regions.first() {
            let share = f64::from(r.width) * f64::from(r.height) / frame_px;
            let estimate = first_cost.mul_f64(Stage::RqrrAdaptive.relative_cost() * share);
            if budget.is_none_or(|b| start.elapsed() + estimate <= b)
                && let Some(text) = engines::read_region_rqrr(frame, r)
            {
                return self.found(Decoded { text, engine: "region-rqrr" });
            }
        }
        // The rescue enlarges and sharpens: at most `MAX_RESCUES` regions,
        // each when its estimate (what rescues have cost per pixel so far)
        // fits in what is left of the budget, like the pipeline's stages.
        let rescues = regions.iter().filter(|r| r.module <= engines::RESCUE_MAX_MODULE).take(MAX_RESCUES);
        for r in rescues.filter(|r| Some(*r) != early) {
            if let Some(text) = self.rescue(frame, r, start) {
                return self.found(Decoded { text, engine: "rescue" });
            }
        }
        // The other stages, each when its estimate (from what the first
        // stage took on this frame) fits in what is left of the budget.
        for stage in rest {
            let fits = self.decoder.budget().is_none_or(|b| start.elapsed() + first_cost.mul_f64(stage.relative_cost()) <= b);
            if fits && let Some(text) = stage.run(frame).into_iter().next() {
                return self.found(Decoded { text, engine: stage.name() });
            }
        }
        self.last_empty = Some(quarter);
        Outcome::Missed
    }
}

impl FrameReader {
    /// The region enlarged and sharpened (`engines::rescue`), when its
    /// estimate (what rescues have cost per pixel so far) fits in what is
    /// left of the frame's budget, counted from `start`.
    fn rescue(&mut self, frame: &GrayImage, r: &look::Region, start: CpuTimer) -> Option<String> {
        let budget = self.decoder.budget();
        let pixels = f64::from(r.width) * f64::from(r.height);
        let estimate = match self.rescue_ns_per_px {
            Some(ns) => Duration::from_secs_f64(ns * pixels / 1e9),
            // The first rescue of this camera, cost unknown: only while
            // half the budget is left.
            None => budget.map_or(Duration::ZERO, |b| b / 2),
        };
        if budget.is_some_and(|b| start.elapsed() + estimate > b) {
            return None;
        }
        let t = CpuTimer::start();
        let rescued = engines::rescue(frame, r);
        let ns = t.elapsed().as_secs_f64() * 1e9 / pixels.max(1.0);
        // The dearest recent cost, fading slowly towards cheaper ones.
        self.rescue_ns_per_px = Some(self.rescue_ns_per_px.map_or(ns, |old| ns.max(old * 0.9 + ns * 0.1)));
        rescued
    }

    fn found(&mut self, d: Decoded) -> Outcome {
        self.last_empty = None;
        Outcome::Read(d)
    }
}

/// Modules at most this wide (in pixels) get the early rescue of a sure
/// region: the small codes that only the rescue reads. Larger ones are
/// read whole by rxing more often than rescued, so they wait for it.
const EARLY_RESCUE_MAX_MODULE: u32 = 5;

/// Rescues tried on one frame at most: each enlarges a region four times
/// over in area, so more would blow the frame's budget; the strongest
/// regions come first.
const MAX_RESCUES: usize = 2;

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
