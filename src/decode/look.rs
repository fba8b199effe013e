//! The cheap first look: is anything code-like in the picture, and where?
//!
//! A QR code is found by its finder patterns: dark, light, dark, light,
//! dark in the ratio 1:1:3:1:1 across their centre, in both directions.
//! The first look scans for them on a local threshold, every other row of
//! the picture for small codes and every row of a quarter-size copy for
//! large ones, so that an empty frame costs a few milliseconds instead of the
//! whole decoder pipeline. Where it finds some, it groups them into regions
//! the decoder reads first (and the rescue stage enlarges).

use image::GrayImage;

use super::prep;

/// Side of a threshold block, in pixels of the picture scanned.
const BLOCK: u32 = 16;

/// A neighbourhood of blocks whose grey levels span less than this is flat:
/// nothing printed there, so it is not scanned.
const MIN_CONTRAST: u8 = 24;

/// How far each run of a finder pattern may stray from its ideal length, as
/// a fraction of the module size: generous, because blur thins the light
/// ring and perspective stretches one side.
const TOLERANCE: f32 = 0.7;

/// Rows (of the scan) on which a finder must be seen before it counts:
/// one row alone is too often a coincidence of clutter.
const MIN_HITS: u32 = 2;

/// Finder patterns a region must have.
const MIN_FINDERS: usize = 2;

/// Regions handed back at most (the strongest first).
const MAX_REGIONS: usize = 3;

/// A finder pattern seen by the first look, in picture coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Finder {
    pub x: f32,
    pub y: f32,
    /// Estimated module size in pixels.
    pub module: f32,
    /// Scan rows that crossed it.
    pub hits: u32,
}

/// Where a code may be: a rectangle of the picture, clipped to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
    /// Finder patterns in it (1 to 3 for one code).
    pub finders: u32,
    /// Estimated module size in pixels (rounded).
    pub module: u32,
}

/// The regions where codes may be, strongest first (most finders, then
/// most hits); empty when the picture shows nothing code-like.
pub fn regions(img: &GrayImage) -> Vec<Region> {
    let quarter = prep::shrink(img, 4);
    regions_with_quarter(img, &quarter)
}

/// `regions`, with the quarter-size copy already made (the camera makes it
/// once a frame and also compares it with the previous frame's).
pub fn regions_with_quarter(img: &GrayImage, quarter: &GrayImage) -> Vec<Region> {
    let mut finders = Vec::new();
    // Small codes on the picture itself (every other row: a finder's centre
    // is at least 3 modules tall); large ones on the quarter-size copy.
    scan(img, 2, 1.0, &mut finders);
    scan(quarter, 1, 4.0, &mut finders);
    finders.retain(|f| f.hits >= MIN_HITS);
    group(&finders, img.width(), img.height())
}

/// Per-block thresholds of `img`: the mean of the 3x3 blocks around each
/// block, or `None` where that neighbourhood is flat. Only every `step`th
/// row is read, the rows the scan reads.
struct Thresholds {
    cols: usize,
    values: Vec<Option<u8>>,
}

impl Thresholds {
    fn new(img: &GrayImage, step: usize) -> Thresholds {
        let (w, h) = (img.width() as usize, img.height() as usize);
        let b = BLOCK as usize;
        let (cols, rows) = (w.div_ceil(b), h.div_ceil(b));
        let (mut sum, mut count) = (vec![0u32; cols * rows], vec![0u32; cols * rows]);
        let (mut lo, mut hi) = (vec![255u8; cols * rows], vec![0u8; cols * rows]);
        let raw = img.as_raw();
        for y in (0..h).step_by(step) {
            let row = &raw[y * w..(y + 1) * w];
            let base = (y / b) * cols;
            for (bx, chunk) in row.chunks(b).enumerate() {
                let i = base + bx;
                for &p in chunk {
                    sum[i] += u32::from(p);
                    lo[i] = lo[i].min(p);
                    hi[i] = hi[i].max(p);
                }
                count[i] += chunk.len() as u32;
            }
        }
        let mut values = vec![None; cols * rows];
        for by in 0..rows {
            for bx in 0..cols {
                let (mut s, mut n, mut l, mut u) = (0u32, 0u32, 255u8, 0u8);
                for ny in by.saturating_sub(1)..(by + 2).min(rows) {
                    for nx in bx.saturating_sub(1)..(bx + 2).min(cols) {
                        let i = ny * cols + nx;
                        s += sum[i];
                        n += count[i];
                        l = l.min(lo[i]);
                        u = u.max(hi[i]);
                    }
                }
                if u.saturating_sub(l) >= MIN_CONTRAST && n > 0 {
                    values[by * cols + bx] = Some((s / n) as u8);
                }
            }
        }
        Thresholds { cols, values }
    }

    fn at(&self, x: usize, y: usize) -> Option<u8> {
        let b = BLOCK as usize;
        self.values[(y / b) * self.cols + x / b]
    }

    fn dark(&self, img: &GrayImage, x: usize, y: usize) -> bool {
        let w = img.width() as usize;
        self.at(x, y).is_some_and(|t| img.as_raw()[y * w + x] < t)
    }
}

/// Whether five run lengths are in the ratio 1:1:3:1:1, within `TOLERANCE`.
fn finder_ratio(counts: &[u32; 5]) -> bool {
    let total: u32 = counts.iter().sum();
    if total < 7 {
        return false;
    }
    let m = total as f32 / 7.0;
    let v = m * TOLERANCE;
    // The centre may stray twice as far as a ring, not three times: a run
    // of five equal stripes must not pass.
    let near = |c: u32, k: f32, slack: f32| (c as f32 - k * m).abs() < slack * v;
    near(counts[0], 1.0, 1.0)
        && near(counts[1], 1.0, 1.0)
        && near(counts[2], 3.0, 2.0)
        && near(counts[3], 1.0, 1.0)
        && near(counts[4], 1.0, 1.0)
}

/// Scan every `step`th row of `img` for finder patterns; record those that
/// also pass a vertical check, scaled by `scale` to picture coordinates.
fn scan(img: &GrayImage, step: usize, scale: f32, finders: &mut Vec<Finder>) {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w < 7 || h < 7 {
        return;
    }
    let t = Thresholds::new(img, step);
    let raw = img.as_raw();
    for y in (0..h).step_by(step) {
        let row = &raw[y * w..(y + 1) * w];
        let mut counts = [0u32; 5];
        let mut state = 0usize;
        for (x, &p) in row.iter().enumerate() {
            let Some(th) = t.at(x, y) else {
                // A flat stretch breaks any pattern.
                counts = [0; 5];
                state = 0;
                continue;
            };
            if p < th {
                if state & 1 == 1 {
                    state += 1;
                }
                counts[state] += 1;
            } else if state & 1 == 1 {
                counts[state] += 1;
            } else if state == 4 {
                if finder_ratio(&counts) {
                    let cx = x as f32 - counts[4] as f32 - counts[3] as f32 - counts[2] as f32 / 2.0;
                    if let Some((cy, module)) = cross_check(img, &t, cx as usize, y, counts.iter().sum()) {
                        add(finders, Finder { x: (cx + 0.5) * scale, y: (cy + 0.5) * scale, module: module * scale, hits: 1 });
                    }
                }
                counts = [counts[2], counts[3], counts[4], 1, 0];
                state = 3;
            } else if counts[state] > 0 || state > 0 {
                state += 1;
                counts[state] += 1;
            }
        }
    }
}

/// The vertical runs through (`x`, `y`), up and down: the centre row and
/// module size when they are a finder's too, of a size like the horizontal.
fn cross_check(img: &GrayImage, t: &Thresholds, x: usize, y: usize, across: u32) -> Option<(f32, f32)> {
    let h = img.height() as usize;
    let limit = across * 2;
    let mut counts = [0u32; 5];
    // Up from the centre: the rest of the centre, the light ring, the dark ring.
    let mut yy = y as isize;
    for (state, want_dark) in [(2usize, true), (1, false), (0, true)] {
        while yy >= 0 && t.dark(img, x, yy as usize) == want_dark && counts[state] <= limit {
            counts[state] += 1;
            yy -= 1;
        }
        if counts[state] == 0 || counts[state] > limit {
            return None;
        }
    }
    let top = (yy + 1) as usize + (counts[0] + counts[1]) as usize;
    // Down from below the centre row.
    let mut yy = y + 1;
    for (state, want_dark) in [(2usize, true), (3, false), (4, true)] {
        let before = counts[state];
        while yy < h && t.dark(img, x, yy) == want_dark && counts[state] <= limit {
            counts[state] += 1;
            yy += 1;
        }
        if (state != 2 && counts[state] == before) || counts[state] > limit {
            return None;
        }
    }
    let total: u32 = counts.iter().sum();
    if !finder_ratio(&counts) || total * 2 < across || total > across * 2 {
        return None;
    }
    Some((top as f32 + counts[2] as f32 / 2.0, (total + across) as f32 / 14.0))
}

/// Count a sighting: the same finder seen on another row, or a new one.
fn add(finders: &mut Vec<Finder>, f: Finder) {
    let same = finders.iter_mut().find(|g| {
        let m = g.module.max(f.module);
        (g.x - f.x).abs() < m * 2.0 && (g.y - f.y).abs() < m * 3.5 && g.module.max(f.module) < g.module.min(f.module) * 1.8
    });
    match same {
        Some(g) => {
            let n = g.hits as f32;
            g.x = (g.x * n + f.x) / (n + 1.0);
            g.y = (g.y * n + f.y) / (n + 1.0);
            g.module = (g.module * n + f.module) / (n + 1.0);
            g.hits += 1;
        }
        None => finders.push(f),
    }
}

fn dist(a: &Finder, b: &Finder) -> f32 {
    ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt()
}

/// Finders close enough, and alike enough in module size, to belong to one
/// code become one region: a square around them with room for the rest of
/// the code and its quiet zone.
fn group(finders: &[Finder], width: u32, height: u32) -> Vec<Region> {
    let mut groups: Vec<Vec<Finder>> = Vec::new();
    // Most-seen first, so a group grows from its surest finder.
    let mut sorted = finders.to_vec();
    sorted.sort_by_key(|f| std::cmp::Reverse(f.hits));
    for f in sorted {
        // Finders of one code (up to version 10, 57 modules) are at most
        // about 50 modules apart along a side, 71 across.
        let fits = groups.iter_mut().find(|g| {
            g.len() < 3
                && g.iter().all(|o| {
                    let m = o.module.max(f.module);
                    dist(o, &f) < m * 72.0 && m < o.module.min(f.module) * 1.8
                })
        });
        match fits {
            Some(g) => g.push(f),
            None => groups.push(vec![f]),
        }
    }
    groups.sort_by_key(|g| std::cmp::Reverse((g.len(), g.iter().map(|f| f.hits).sum::<u32>())));
    groups
        .iter()
        // A lone finder is too often a coincidence of clutter (a framed
        // picture, a window), and a code showing one finder only is not
        // readable anyway.
        .filter(|g| g.len() >= MIN_FINDERS)
        .take(MAX_REGIONS)
        .map(|g| {
            let module = g.iter().map(|f| f.module).sum::<f32>() / g.len() as f32;
            // The farthest pair of finders: a side or the diagonal of the code.
            let (a, b) = g
                .iter()
                .flat_map(|a| g.iter().map(move |b| (a, b)))
                .max_by(|p, q| dist(p.0, p.1).total_cmp(&dist(q.0, q.1)))
                .unwrap_or((&g[0], &g[0]));
            let (cx, cy, span) = ((a.x + b.x) / 2.0, (a.y + b.y) / 2.0, dist(a, b));
            // Around the middle of that pair: three finders span the
            // diagonal, so half of it and the finder's corner and quiet zone
            // cover the code; two may be one side, so the code may reach a
            // side's length beyond them.
            let half = if g.len() == 2 { span + module * 10.0 } else { span / 2.0 + module * 10.0 };
            let clip = |c: f32, max: u32| (c.max(0.0) as u32).min(max);
            let (x0, y0) = (clip(cx - half, width), clip(cy - half, height));
            let (x1, y1) = (clip(cx + half, width), clip(cy + half, height));
            Region { x: x0, y: y0, width: x1 - x0, height: y1 - y0, finders: g.len() as u32, module: module.round() as u32 }
        })
        .filter(|r| r.width >= 21 && r.height >= 21)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;

    #[test]
    fn the_ratio_test_takes_finders_and_blurred_finders_only() {
        assert!(finder_ratio(&[4, 4, 12, 4, 4]));
        assert!(finder_ratio(&[5, 3, 13, 3, 4]));
        assert!(!finder_ratio(&[4, 4, 4, 4, 4]));
        assert!(!finder_ratio(&[1, 1, 1, 1, 1]));
        assert!(!finder_ratio(&[10, 2, 3, 2, 10]));
    }

    #[test]
    fn a_flat_or_striped_picture_has_no_regions() {
        assert!(regions(&GrayImage::from_pixel(320, 240, Luma([128]))).is_empty());
        let stripes = GrayImage::from_fn(320, 240, |x, _| Luma([if (x / 4) % 2 == 0 { 20 } else { 230 }]));
        assert!(regions(&stripes).is_empty());
        assert!(regions(&GrayImage::new(3, 3)).is_empty());
    }

    #[test]
    fn finds_the_code_in_a_frame() {
        let code = crate::qr::to_image(&crate::qr::encode("GH1-FIRST-LOOK").unwrap(), 4);
        let mut frame = GrayImage::from_pixel(640, 480, Luma([150]));
        image::imageops::replace(&mut frame, &code, 300, 200);
        let r = regions(&frame);
        assert!(!r.is_empty());
        let (cx, cy) = (300 + code.width() / 2, 200 + code.height() / 2);
        assert!(r[0].x < cx && cx < r[0].x + r[0].width && r[0].y < cy && cy < r[0].y + r[0].height, "{r:?}");
        assert_eq!(r[0].finders, 3, "{r:?}");
        assert!((3..=5).contains(&r[0].module), "{r:?}");
    }
}
