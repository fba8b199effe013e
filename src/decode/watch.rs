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
    /// The first look found only finder patterns already read in vain on
    /// an earlier frame and unchanged around since (a poster, a pair of
    /// logos): not read again.
    Known,
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
    /// The finders of the last frame read in vain, each with its patch of
    /// that frame's quarter-size copy, and the frames since they were read.
    tried: Vec<(look::Finder, GrayImage)>,
    tried_age: u32,
    /// Frames in a row with no code read or seen for sure.
    quiet: u32,
    /// Frames whose new finders were not code-shaped, not read since the last read.
    unshaped: u32,
    /// Whether the last frame read showed a code for sure among new finders.
    code_like: bool,
    /// What a rescue has cost per pixel of its region (nanoseconds of CPU),
    /// the dearest of the last ones: the estimate that keeps rescues within
    /// the frame's budget.
    rescue_ns_per_px: Option<f64>,
}

impl FrameReader {
    /// Frames are read by the regions first, then by `decoder`'s first
    /// stage, the rescue of the regions, and its other stages within its budget.
    pub fn new(decoder: Decoder) -> FrameReader {
        FrameReader {
            decoder,
            last_empty: None,
            skips: 0,
            tried: Vec::new(),
            tried_age: 0,
            quiet: 0,
            unshaped: 0,
            code_like: false,
            rescue_ns_per_px: None,
        }
    }

    /// Frames in a row read with no code read or seen for sure in them:
    /// how long the camera has been idle (it may then look at fewer frames).
    pub fn quiet_frames(&self) -> u32 {
        self.quiet
    }

    /// Read one frame. The budget is this thread's CPU time (`clock`).
    pub fn read(&mut self, frame: &GrayImage) -> Outcome {
        let outcome = self.look_and_read(frame);
        // A read of clutter that failed is not a code coming into view.
        self.quiet = match outcome {
            Outcome::Missed if self.code_like => 0,
            Outcome::Read(_) => 0,
            _ => self.quiet.saturating_add(1),
        };
        outcome
    }

    fn look_and_read(&mut self, frame: &GrayImage) -> Outcome {
        let start = CpuTimer::start();
        let quarter = prep::shrink(frame, 4);
        if self.skips < MAX_SKIPS && self.last_empty.as_ref().is_some_and(|last| same_picture(last, &quarter)) {
            self.skips += 1;
            return Outcome::Skipped;
        }
        self.skips = 0;
        let finders = look::finders_with_quarter(frame, &quarter);
        // People walking past change the frame, but not the poster whose
        // finder-like squares the decoder failed on a moment ago: finders
        // seen then, unchanged around them since, are left out (until
        // `MAX_SKIPS` frames on, as an unchanged frame is).
        self.tried_age = self.tried_age.saturating_add(1);
        let unseen: Vec<look::Finder> = finders
            .iter()
            .copied()
            .filter(|f| !self.tried.iter().any(|(t, patch)| same_finder(t, f) && unchanged(patch, &quarter, t)))
            .collect();
        let fresh = if self.tried_age <= MAX_SKIPS { unseen.clone() } else { finders.clone() };
        let regions = look::regions_of(frame, &fresh);
        if regions.is_empty() {
            self.last_empty = Some(quarter);
            if fresh.len() < finders.len() {
                return Outcome::Known;
            }
            return Outcome::Nothing;
        }
        // Once reads have failed here (a cluttered room), regions of new
        // finders that no three of which lie as a code's (clutter's pairs,
        // flickering with the noise, a shape walking past) go to the
        // decoder only every `FULL_EVERY`th such frame: a code comes into
        // view with its three finders, and one lost to blur in this frame
        // shows in the next ones.
        let shaped = look::has_code_shape(&unseen);
        // Idle ends with a read, or with a code seen for sure (three new
        // finders with timing patterns between them) that was not read.
        self.code_like = shaped && regions.iter().any(|r| r.sure);
        if !shaped && !self.tried.is_empty() && self.unshaped < FULL_EVERY {
            self.unshaped += 1;
            return Outcome::Known;
        }
        self.unshaped = 0;
        let outcome = self.read_regions(frame, &regions, start);
        match outcome {
            Outcome::Missed => {
                self.remember(&finders, &quarter);
                self.last_empty = Some(quarter);
            }
            _ => {
                self.tried.clear();
                self.tried_age = 0;
            }
        }
        outcome
    }

    /// Keep `finders` (read in vain) with their patches of `quarter`: a
    /// finder seen before gets its new patch. They gather over frames, as
    /// clutter's weak finders come and go with the noise, and are all
    /// forgotten together `MAX_SKIPS` frames after the first of them.
    fn remember(&mut self, finders: &[look::Finder], quarter: &GrayImage) {
        if self.tried.is_empty() || self.tried_age >= MAX_SKIPS {
            self.tried.clear();
            self.tried_age = 0;
        }
        for f in finders {
            let patch = finder_patch(quarter, f);
            match self.tried.iter().position(|(t, _)| same_finder(t, f)) {
                Some(i) => self.tried[i] = (*f, patch),
                None if self.tried.len() < MAX_TRIED => self.tried.push((*f, patch)),
                None => {}
            }
        }
    }

    /// The regions of `frame`, then the whole frame, within the budget.
    fn read_regions(&mut self, frame: &GrayImage, regions: &[look::Region], start: CpuTimer) -> Outcome {
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

/// Frames with new but not code-shaped finders, in a cluttered room, of
/// which one goes to the decoder: 0.5 s at 30 fps.
const FULL_EVERY: u32 = 15;

/// Finders remembered at most (a cluttered room shows a few dozen).
const MAX_TRIED: usize = 256;

/// The same finder pattern seen again: within a module of where it was,
/// of about the same module size.
fn same_finder(a: &look::Finder, b: &look::Finder) -> bool {
    let m = a.module.max(b.module);
    (a.x - b.x).abs() <= m && (a.y - b.y).abs() <= m && m < a.module.min(b.module) * 1.25
}

/// Modules around a finder's centre that its patch reaches: the finder
/// (3.5) and the code's first modules beyond it, so that another code in
/// the same place is another picture.
const PATCH_MODULES: f32 = 8.0;

/// The quarter-size copy's patch around finder `f` (in picture coordinates).
fn finder_patch(quarter: &GrayImage, f: &look::Finder) -> GrayImage {
    let reach = f.module * PATCH_MODULES;
    let clip = |v: f32, max: u32| ((v / 4.0).max(0.0) as u32).min(max);
    let (x0, y0) = (clip(f.x - reach, quarter.width()), clip(f.y - reach, quarter.height()));
    let (x1, y1) = (clip(f.x + reach, quarter.width()), clip(f.y + reach, quarter.height()));
    image::imageops::crop_imm(quarter, x0, y0, x1 - x0, y1 - y0).to_image()
}

/// Whether the patch around finder `f` is the same picture as `patch`,
/// taken from an earlier frame around `f`.
fn unchanged(patch: &GrayImage, quarter: &GrayImage, f: &look::Finder) -> bool {
    same_picture(patch, &finder_patch(quarter, f))
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

    /// Nested squares in a finder's 1:1:3:1:1, `m` pixels a ring, centred at (`cx`, `cy`).
    fn logo(img: &mut GrayImage, cx: u32, cy: u32, m: u32) {
        for (ring, shade) in [(4, 230), (3, 20), (2, 230), (1, 20)] {
            let half = m * ring - m / 2;
            for y in cy - half..cy + half {
                for x in cx - half..cx + half {
                    img.put_pixel(x, y, Luma([shade]));
                }
            }
        }
    }

    /// A wall with a pair of finder-like logos, and a dark shape walking past at `x`.
    fn wall_with_walker(x: u32) -> GrayImage {
        let mut img = GrayImage::from_pixel(480, 320, Luma([150]));
        logo(&mut img, 60, 60, 5);
        logo(&mut img, 160, 60, 5);
        for y in 120..320 {
            for xx in x..(x + 60).min(480) {
                img.put_pixel(xx, y, Luma([40]));
            }
        }
        img
    }

    #[test]
    fn finders_read_in_vain_are_not_read_again_while_people_walk_past() {
        let mut reader = FrameReader::new(Decoder::default());
        assert_eq!(reader.read(&wall_with_walker(200)), Outcome::Missed, "the logos look code-like");
        // Clutter read in vain is no code: the camera is still idle.
        assert_eq!(reader.quiet_frames(), 1);
        // The shape moves: the frame changed, but not around the logos.
        for (i, x) in [230, 260, 290].into_iter().enumerate() {
            assert_eq!(reader.read(&wall_with_walker(x)), Outcome::Known, "frame {i}");
        }
        assert_eq!(reader.quiet_frames(), 4);
        // A code held up beside them is read at once.
        let mut with_code = wall_with_walker(320);
        let code = crate::qr::to_image(&crate::qr::encode("GH1-PAST-THE-LOGOS").unwrap(), 4);
        image::imageops::replace(&mut with_code, &code, 40, 140);
        assert!(matches!(reader.read(&with_code), Outcome::Read(d) if d.text == "GH1-PAST-THE-LOGOS"));
        assert_eq!(reader.quiet_frames(), 0);
        // After a read the logos are looked at afresh.
        assert_eq!(reader.read(&wall_with_walker(350)), Outcome::Missed);
        // The picture around them changes (a bar just below them) while
        // the shape walks on: two new finders, not three in an L, so they
        // go to the decoder again only once in `FULL_EVERY` frames.
        let changed = |k: u32| {
            let mut img = wall_with_walker(360 + 3 * k);
            for y in 82..88 {
                for x in 40..180 {
                    img.put_pixel(x, y, Luma([40]));
                }
            }
            img
        };
        let outcomes: Vec<Outcome> = (0..FULL_EVERY + 5).map(|k| reader.read(&changed(k))).collect();
        let read: Vec<usize> = outcomes.iter().enumerate().filter(|(_, o)| **o == Outcome::Missed).map(|(i, _)| i).collect();
        assert_eq!(read, [FULL_EVERY as usize], "{outcomes:?}");
        assert!(outcomes.iter().all(|o| matches!(o, Outcome::Known | Outcome::Missed)), "{outcomes:?}");
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
