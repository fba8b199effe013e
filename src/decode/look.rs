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

/// The share of timing-pattern samples that must alternate for three
/// finders to count as a code's for sure.
const TIMING_MIN: f32 = 0.7;

/// Module sizes of one code's finders differ by less than this factor
/// (perspective and blur make them differ at all).
const SAME_MODULE: f32 = 1.4;

/// Finders tried in threes at most, the most seen first.
const MAX_TRIPLE_FINDERS: usize = 24;

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
    /// Three finders with timing patterns between them: surely a code.
    pub sure: bool,
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
    group(img, &finders_with_quarter(img, quarter))
}

/// The finder patterns of `img` (seen on at least `MIN_HITS` rows), with
/// its quarter-size copy already made.
pub fn finders_with_quarter(img: &GrayImage, quarter: &GrayImage) -> Vec<Finder> {
    let mut finders = Vec::new();
    // Small codes on the picture itself (every other row: a finder's centre
    // is at least 3 modules tall); large ones on the quarter-size copy.
    scan(img, 2, 1.0, &mut finders);
    scan(quarter, 1, 4.0, &mut finders);
    finders.retain(|f| f.hits >= MIN_HITS);
    finders
}

/// Whether three of `finders` lie as a code's do (an L of finders alike in
/// size, `code_shaped`), timing patterns or not: the cheap test of whether
/// a frame may hold a code whose three finders show.
pub fn has_code_shape(finders: &[Finder]) -> bool {
    let mut order: Vec<&Finder> = finders.iter().collect();
    order.sort_by_key(|f| std::cmp::Reverse(f.hits));
    order.truncate(MAX_TRIPLE_FINDERS);
    let n = order.len();
    for x in 0..n {
        for y in x + 1..n {
            for z in y + 1..n {
                let (i, j, k) = (order[x], order[y], order[z]);
                // The corner is the finder opposite the longest side.
                let (dij, djk, dik) = (dist(i, j), dist(j, k), dist(i, k));
                let (corner, a, c) = if djk >= dij && djk >= dik {
                    (i, j, k)
                } else if dik >= dij {
                    (j, i, k)
                } else {
                    (k, i, j)
                };
                if code_shaped(corner, a, c) {
                    return true;
                }
            }
        }
    }
    false
}

/// `finders` (of `img`) grouped into the regions where codes may be,
/// strongest first, as `regions` groups them.
pub fn regions_of(img: &GrayImage, finders: &[Finder]) -> Vec<Region> {
    group(img, finders)
}

/// Every three finders in the picture that lie as a code's do, as
/// (corner, one side, the other side), the clearest timing patterns first:
/// what the perspective sampler (`grid`) starts from.
pub(crate) fn code_triples(img: &GrayImage) -> Vec<[Finder; 3]> {
    let quarter = prep::shrink(img, 4);
    let mut finders = Vec::new();
    scan(img, 2, 1.0, &mut finders);
    scan(&quarter, 1, 4.0, &mut finders);
    finders.retain(|f| f.hits >= MIN_HITS);
    let mut found = triples(img, &finders);
    found.sort_by_key(|t| std::cmp::Reverse(((t.timing * 20.0) as u32, t.hits)));
    found.iter().map(|t| [finders[t.corner], finders[t.a], finders[t.c]]).collect()
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

/// Three finders that may be one code's, the corner one first, with how
/// code-like the picture between them is.
#[derive(Debug, Clone, Copy)]
struct Triple {
    corner: usize,
    a: usize,
    c: usize,
    timing: f32,
    hits: u32,
}

/// Whether `corner`, `a` and `c` lie as a code's finders do: the corner's
/// two sides about as long as each other and about square to each other
/// (tilt and perspective bend both), a plausible number of modules long,
/// and the three alike in module size.
fn code_shaped(corner: &Finder, a: &Finder, c: &Finder) -> bool {
    let lo = corner.module.min(a.module).min(c.module);
    let hi = corner.module.max(a.module).max(c.module);
    if hi >= lo * SAME_MODULE {
        return false;
    }
    let m = (corner.module + a.module + c.module) / 3.0;
    let (ua, uc) = ((a.x - corner.x, a.y - corner.y), (c.x - corner.x, c.y - corner.y));
    let (la, lc) = (dist(corner, a), dist(corner, c));
    // Version 1 has its finders 14 modules apart, version 10 50.
    let modules_ok = |l: f32| l > m * 9.0 && l < m * 60.0;
    let cos = (ua.0 * uc.0 + ua.1 * uc.1) / (la * lc).max(1e-3);
    modules_ok(la) && modules_ok(lc) && la.max(lc) < la.min(lc) * 1.6 && cos.abs() < 0.5
}

/// How well the lines between the corner finder and each other one read
/// as a code's timing patterns (dark and light modules in turn, 3 modules
/// inside the finders' centres), as the share of neighbouring module
/// samples that differ, the best over the versions the finders' spacing
/// allows: near 1 for a code, near 0 on a plain background.
fn timing(img: &GrayImage, corner: &Finder, a: &Finder, c: &Finder) -> f32 {
    let m = (corner.module + a.module + c.module) / 3.0;
    let (w, h) = (img.width() as i64, img.height() as i64);
    let raw = img.as_raw();
    let sample = |x: f32, y: f32| -> u32 {
        let (cx, cy) = ((x as i64).clamp(0, w - 1), (y as i64).clamp(0, h - 1));
        u32::from(raw[(cy * w + cx) as usize])
    };
    let towards = |f: &Finder, g: &Finder| {
        let d = dist(f, g).max(1e-3);
        sample(f.x + (g.x - f.x) * 2.0 * f.module / d, f.y + (g.y - f.y) * 2.0 * f.module / d)
    };
    let dark = (sample(corner.x, corner.y) + sample(a.x, a.y) + sample(c.x, c.y)) / 3;
    let light = (towards(corner, a) + towards(corner, c) + towards(a, corner) + towards(c, corner)) / 4;
    if light < dark + u32::from(MIN_CONTRAST) / 2 {
        return 0.0;
    }
    let cut = (dark + light) / 2;
    let spacing = (dist(corner, a) + dist(corner, c)) / 2.0 / m;
    // Finder centres are 4v+10 modules apart in version v.
    let nearest = ((spacing - 10.0) / 4.0).round().max(1.0);
    let mut best = 0.0f32;
    for v in [nearest - 1.0, nearest, nearest + 1.0] {
        if !(1.0..=40.0).contains(&v) {
            continue;
        }
        let n = 4.0 * v + 10.0;
        let (mut changes, mut pairs) = (0u32, 0u32);
        // Along corner->a, 3 modules towards c, and along corner->c, 3 modules towards a.
        for (to, side) in [(a, c), (c, a)] {
            let (ux, uy) = ((to.x - corner.x) / n, (to.y - corner.y) / n);
            let (sx, sy) = ((side.x - corner.x) / n * 3.0, (side.y - corner.y) / n * 3.0);
            let mut last = None;
            for i in 5..=(n as i32 - 5) {
                let fi = i as f32;
                let is_dark = sample(corner.x + ux * fi + sx, corner.y + uy * fi + sy) < cut;
                if let Some(was) = last {
                    pairs += 1;
                    changes += u32::from(was != is_dark);
                }
                last = Some(is_dark);
            }
        }
        best = best.max(changes as f32 / pairs.max(1) as f32);
    }
    best
}

/// Every three finders that lie as a code's do, each with its corner and
/// how well its timing patterns read. Only the `MAX_TRIPLE_FINDERS` most
/// seen finders are tried, so a cluttered picture's many does not cost
/// thousands of trials.
fn triples(img: &GrayImage, finders: &[Finder]) -> Vec<Triple> {
    let mut order: Vec<usize> = (0..finders.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(finders[i].hits));
    order.truncate(MAX_TRIPLE_FINDERS);
    let n = order.len();
    // Pairs that may be two finders of one code: alike in module size, a
    // plausible number of modules apart (a side or the diagonal).
    let pair = |i: usize, j: usize| {
        let (f, g) = (&finders[i], &finders[j]);
        let (lo, hi) = (f.module.min(g.module), f.module.max(g.module));
        let d = dist(f, g);
        hi < lo * SAME_MODULE && d > lo * 9.0 && d < hi * 85.0
    };
    let ok: Vec<bool> = (0..n * n).map(|k| pair(order[k / n], order[k % n])).collect();
    let mut out = Vec::new();
    for x in 0..n {
        for y in x + 1..n {
            if !ok[x * n + y] {
                continue;
            }
            for z in y + 1..n {
                if !ok[x * n + z] || !ok[y * n + z] {
                    continue;
                }
                let (i, j, k) = (order[x], order[y], order[z]);
                // The corner is the finder opposite the longest side.
                let (dij, djk, dik) = (dist(&finders[i], &finders[j]), dist(&finders[j], &finders[k]), dist(&finders[i], &finders[k]));
                let (corner, a, c) = if djk >= dij && djk >= dik {
                    (i, j, k)
                } else if dik >= dij {
                    (j, i, k)
                } else {
                    (k, i, j)
                };
                let (fc, fa, fcc) = (&finders[corner], &finders[a], &finders[c]);
                if code_shaped(fc, fa, fcc) {
                    let timing = timing(img, fc, fa, fcc);
                    out.push(Triple { corner, a, c, timing, hits: fc.hits + fa.hits + fcc.hits });
                }
            }
        }
    }
    out
}

/// Finders grouped into the regions where codes may be. Three finders
/// lying as a code's do, with timing patterns between them, come first,
/// each finder in one of them at most; then what is left grouped by
/// nearness alone (blur, glare or strong perspective that the timing test
/// misses, a code with a finder lost), strongest first.
fn group(img: &GrayImage, finders: &[Finder]) -> Vec<Region> {
    let mut found = triples(img, finders);
    // The clearest timing patterns first, then the most seen.
    found.sort_by_key(|t| std::cmp::Reverse(((t.timing * 20.0) as u32, t.hits)));
    let mut used = vec![false; finders.len()];
    let mut groups: Vec<(Vec<Finder>, bool)> = Vec::new();
    for t in found.into_iter().filter(|t| t.timing >= TIMING_MIN) {
        if groups.len() < MAX_REGIONS && !used[t.corner] && !used[t.a] && !used[t.c] {
            used[t.corner] = true;
            used[t.a] = true;
            used[t.c] = true;
            groups.push((vec![finders[t.corner], finders[t.a], finders[t.c]], true));
        }
    }
    let rest: Vec<Finder> = finders.iter().zip(&used).filter(|(_, u)| !**u).map(|(f, _)| *f).collect();
    groups.extend(group_by_nearness(&rest).into_iter().map(|g| (g, false)));
    groups
        .iter()
        .take(MAX_REGIONS)
        .map(|(g, sure)| Region { sure: *sure, ..region_around(g, img.width(), img.height()) })
        .filter(|r| r.width >= 21 && r.height >= 21)
        .collect()
}

/// Finders close enough, and alike enough in module size, to belong to one
/// code, strongest group first; lone finders are left out.
fn group_by_nearness(finders: &[Finder]) -> Vec<Vec<Finder>> {
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
    // A lone finder is too often a coincidence of clutter (a framed
    // picture, a window), and a code showing one finder only is not
    // readable anyway.
    groups.retain(|g| g.len() >= MIN_FINDERS);
    groups
}

/// A square around a group of finders with room for the rest of the code
/// and its quiet zone, clipped to the picture.
fn region_around(g: &[Finder], width: u32, height: u32) -> Region {
    let module = g.iter().map(|f| f.module).sum::<f32>() / g.len() as f32;
    // The farthest pair of finders: a side or the diagonal of the code.
    let (a, b) = g
        .iter()
        .flat_map(|a| g.iter().map(move |b| (a, b)))
        .max_by(|p, q| dist(p.0, p.1).total_cmp(&dist(q.0, q.1)))
        .unwrap_or((&g[0], &g[0]));
    let (cx, cy, span) = ((a.x + b.x) / 2.0, (a.y + b.y) / 2.0, dist(a, b));
    // Around the middle of that pair: three finders span the diagonal, so
    // half of it and the finder's corner and quiet zone cover the code;
    // two may be one side, so the code may reach a side's length beyond them.
    let half = if g.len() == 2 { span + module * 10.0 } else { span / 2.0 + module * 10.0 };
    let clip = |c: f32, max: u32| (c.max(0.0) as u32).min(max);
    let (x0, y0) = (clip(cx - half, width), clip(cy - half, height));
    let (x1, y1) = (clip(cx + half, width), clip(cy + half, height));
    Region { x: x0, y: y0, width: x1 - x0, height: y1 - y0, finders: g.len() as u32, module: module.round() as u32, sure: false }
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
    fn three_finders_in_an_l_are_code_shaped_and_two_or_a_row_are_not() {
        let f = |x: f32, y: f32| Finder { x, y, module: 4.0, hits: 5 };
        assert!(has_code_shape(&[f(100.0, 100.0), f(200.0, 100.0), f(100.0, 200.0), f(500.0, 50.0)]));
        assert!(!has_code_shape(&[f(100.0, 100.0), f(200.0, 100.0)]));
        assert!(!has_code_shape(&[f(100.0, 100.0), f(200.0, 100.0), f(300.0, 100.0)]));
        // An L, but of finders too unlike in size to be one code's.
        let big = Finder { module: 9.0, ..f(100.0, 200.0) };
        assert!(!has_code_shape(&[f(100.0, 100.0), f(200.0, 100.0), big]));
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

    /// A finder-like logo: nested squares in 1:1:3:1:1, `m` pixels a ring,
    /// its centre at (`cx`, `cy`), on a light surround.
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

    #[test]
    fn a_code_is_sure_by_its_timing_patterns_and_logos_beside_it_are_not() {
        // A turned code, and three logos lying as a code's finders do
        // (and a fourth, so they can pair with the code's finders too).
        let code = crate::qr::to_image(&crate::qr::encode("GH1-TIMING").unwrap(), 4);
        let mut frame = GrayImage::from_pixel(640, 480, Luma([150]));
        let corners = crate::decode::synth::rotated_square(440.0, 240.0, f64::from(code.width()), 25.0);
        crate::decode::synth::draw_onto(&mut frame, &code, corners);
        for (x, y) in [(80, 80), (200, 80), (80, 200), (200, 200)] {
            logo(&mut frame, x, y, 5);
        }
        let r = regions(&frame);
        assert!(!r.is_empty() && r[0].sure, "{r:?}");
        assert!(r[0].x < 440 && 440 < r[0].x + r[0].width && r[0].y < 240 && 240 < r[0].y + r[0].height, "{r:?}");
        assert_eq!(r.iter().filter(|r| r.sure).count(), 1, "{r:?}");

        let mut wall = GrayImage::from_pixel(640, 480, Luma([150]));
        for (x, y) in [(80, 80), (200, 80), (80, 200)] {
            logo(&mut wall, x, y, 5);
        }
        let r = regions(&wall);
        assert!(!r.is_empty() && r.iter().all(|r| !r.sure), "the logos are seen, but not as a code: {r:?}");
    }
}
