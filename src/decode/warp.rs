//! A grid that bends: for a code on a curved or crumpled sheet, whose
//! modules drift off any one projective map between the finders and the
//! alignment pattern. The map's module centres are moved, patch by patch,
//! to where the samples around them are most clearly dark or light: a
//! sample on a module's centre is the module's grey, one on an edge
//! between two modules is between the two. The moves are interpolated
//! between patches, so the grid bends smoothly.

/// How far a patch's move may stray from what its fitted neighbours
/// predict, in modules: the two-tone score repeats every module, so a
/// patch only ever chooses within half a module of the prediction, and
/// the moves grow from the finders (fixed) outwards.
const REACH: f64 = 0.5;

/// Modules either side of a patch's centre that it samples.
const PATCH: i32 = 3;

/// Modules between neighbouring patch centres, at most.
const SPACING: f64 = 6.0;

/// Moves of each patch, in modules, over a lattice of patch centres:
/// `moved(u, v)` is where module coordinates (`u`, `v`) are sampled.
pub struct Warp {
    per_side: usize,
    first: f64,
    spacing: f64,
    moves: Vec<(f64, f64)>,
}

impl Warp {
    /// The moves for a code of `size` modules, with `grey(u, v)` the grey
    /// level at module coordinates (`u`, `v`) through the unbent map.
    pub fn fit(size: u32, grey: impl Fn(f64, f64) -> f64) -> Warp {
        let n = f64::from(size);
        // Patch centres from the first finder's centre to the last's.
        let (first, last) = (3.5, n - 3.5);
        let per_side = (((last - first) / SPACING).ceil() as usize + 1).max(2);
        let spacing = (last - first) / (per_side - 1) as f64;
        let mut moves = vec![(0.0, 0.0); per_side * per_side];
        // From the top-left finder outwards, a diagonal at a time, so that
        // every patch has fitted neighbours above or to its left. The
        // patches on the three finders' centres stay where the finders are.
        let end = per_side - 1;
        for diagonal in 1..2 * per_side - 1 {
            for j in diagonal.saturating_sub(end)..=diagonal.min(end) {
                let i = diagonal - j;
                if (i, j) == (end, 0) || (i, j) == (0, end) {
                    continue;
                }
                let fitted: Vec<(f64, f64)> = [(i.wrapping_sub(1), j), (i, j.wrapping_sub(1)), (i.wrapping_sub(1), j.wrapping_sub(1))]
                    .into_iter()
                    .filter(|&(a, b)| a < per_side && b < per_side)
                    .map(|(a, b)| moves[b * per_side + a])
                    .collect();
                let predicted = (
                    fitted.iter().map(|m| m.0).sum::<f64>() / fitted.len() as f64,
                    fitted.iter().map(|m| m.1).sum::<f64>() / fitted.len() as f64,
                );
                let centre = (first + i as f64 * spacing, first + j as f64 * spacing);
                moves[j * per_side + i] = best_move(size, centre, predicted, &grey);
            }
        }
        Warp { per_side, first, spacing, moves }
    }

    /// Module coordinates (`u`, `v`) moved by the patches around them
    /// (bilinear between the four nearest patch centres).
    pub fn moved(&self, u: f64, v: f64) -> (f64, f64) {
        let last = (self.per_side - 1) as f64;
        let gi = ((u - self.first) / self.spacing).clamp(0.0, last);
        let gj = ((v - self.first) / self.spacing).clamp(0.0, last);
        let (i0, j0) = ((gi.floor() as usize).min(self.per_side - 2), (gj.floor() as usize).min(self.per_side - 2));
        let (fx, fy) = (gi - i0 as f64, gj - j0 as f64);
        let m = |i: usize, j: usize| self.moves[j * self.per_side + i];
        let mix = |a: f64, b: f64, c: f64, d: f64| (a * (1.0 - fx) + b * fx) * (1.0 - fy) + (c * (1.0 - fx) + d * fx) * fy;
        let (a, b, c, d) = (m(i0, j0), m(i0 + 1, j0), m(i0, j0 + 1), m(i0 + 1, j0 + 1));
        (u + mix(a.0, b.0, c.0, d.0), v + mix(a.1, b.1, c.1, d.1))
    }
}

/// The move of the patch around `centre` whose module samples are most
/// two-toned, within `REACH` of `predicted`: coarse steps, then finer ones
/// around the best. A move further from the prediction must be clearly
/// better to be taken.
fn best_move(size: u32, centre: (f64, f64), predicted: (f64, f64), grey: &impl Fn(f64, f64) -> f64) -> (f64, f64) {
    let (cx, cy) = (centre.0.floor() as i32, centre.1.floor() as i32);
    let last = size as i32 - 1;
    let modules: Vec<(f64, f64)> = (cy - PATCH..=cy + PATCH)
        .flat_map(|y| (cx - PATCH..=cx + PATCH).map(move |x| (x, y)))
        .filter(|&(x, y)| (0..=last).contains(&x) && (0..=last).contains(&y))
        .map(|(x, y)| (f64::from(x) + 0.5, f64::from(y) + 0.5))
        .collect();
    let mut samples = vec![0.0; modules.len()];
    let mut score = |(dx, dy): (f64, f64)| {
        for (s, &(u, v)) in samples.iter_mut().zip(&modules) {
            *s = grey(u + dx, v + dy);
        }
        let mean = samples.iter().sum::<f64>() / samples.len() as f64;
        let spread = samples.iter().map(|s| (s - mean).abs()).sum::<f64>() / samples.len() as f64;
        let (ox, oy) = (dx - predicted.0, dy - predicted.1);
        spread * (1.0 - 0.3 * (ox * ox + oy * oy))
    };
    let mut best = (predicted, score(predicted));
    for (step, reach) in [(0.125, REACH), (0.04, 0.08)] {
        let around = best.0;
        let steps = (reach / step).round() as i32;
        for j in -steps..=steps {
            for i in -steps..=steps {
                let m = (around.0 + f64::from(i) * step, around.1 + f64::from(j) * step);
                if (m.0 - predicted.0).abs() > REACH || (m.1 - predicted.1).abs() > REACH {
                    continue;
                }
                let s = score(m);
                if s > best.1 {
                    best = (m, s);
                }
            }
        }
    }
    best.0
}
