//! What a gate webcam sees between arrivals, for `gatehouse bench frames
//! --scenes`: a still room, the room with fresh sensor noise in every
//! frame, people walking past, and codes held up after empty frames with
//! people walking behind them. Deterministic from a seed, like `synth`.

use image::{GrayImage, Luma};

use super::synth::{self, Conditions, Rng};

/// A webcam's sensor noise in a lit room (standard deviation, grey levels),
/// fresh in every frame.
pub const SENSOR_NOISE: f64 = 4.0;

/// A person-sized shape crossing the picture: head, body, arms and legs,
/// clothes in two greys (sometimes a striped top), walking at its own pace.
#[derive(Debug, Clone)]
pub struct Walker {
    /// The middle at frame 0 and the distance walked per frame (pixels;
    /// negative walks left).
    x0: f64,
    speed: f64,
    /// Where the feet are and how tall the person looks (pixels).
    feet: f64,
    height: f64,
    top: u8,
    bottom: u8,
    skin: u8,
    /// A striped top: the height of a stripe (pixels).
    stripes: Option<f64>,
}

impl Walker {
    fn new(rng: &mut Rng, width: f64, height: f64) -> Walker {
        let tall = height * rng.range(0.55, 0.95);
        // 1.3 m/s at 3-6 m from a 65° lens: a crossing takes 2-4 s.
        let speed = rng.range(width / 120.0, width / 60.0) * if rng.unit() < 0.5 { -1.0 } else { 1.0 };
        Walker {
            x0: rng.range(0.0, width),
            speed,
            feet: height * rng.range(0.9, 1.05),
            height: tall,
            top: rng.range(15.0, 230.0) as u8,
            bottom: rng.range(15.0, 120.0) as u8,
            skin: rng.range(90.0, 200.0) as u8,
            stripes: (rng.unit() < 0.3).then(|| rng.range(4.0, 14.0)),
        }
    }

    /// The middle at frame `i`: walking off one side, coming back in at the
    /// other (the next person).
    fn middle(&self, i: f64, width: f64) -> f64 {
        let span = width + self.height;
        (self.x0 + self.speed * i + self.height / 2.0).rem_euclid(span) - self.height / 2.0
    }

    /// The grey of the person at (`x`, `y`) when their middle is at `mx`
    /// and the stride is at `phase`; `None` off the person.
    fn shade(&self, x: f64, y: f64, mx: f64, phase: f64) -> Option<u8> {
        let h = self.height;
        let top = self.feet - h;
        let (dx, dy) = (x - mx, y - top);
        let head = h * 0.07;
        if (dx * dx + (dy - head) * (dy - head)) < head * head {
            return Some(self.skin);
        }
        let (body_top, hips) = (head * 2.0, h * 0.52);
        if dy >= body_top && dy < hips {
            let half = h * 0.13;
            if dx.abs() < half {
                return Some(match self.stripes {
                    Some(s) if ((dy / s) as i64) % 2 == 0 => self.top.saturating_add(70),
                    _ => self.top,
                });
            }
            // Arms, swinging against the legs.
            let swing = phase.sin() * h * 0.05 * (dy - body_top) / (hips - body_top);
            let arm = dx.abs() - half;
            if arm >= 0.0 && arm < h * 0.045 + swing.abs() * 0.2 && dy < hips + h * 0.05 {
                return Some(self.top.saturating_sub(10));
            }
        }
        if dy >= hips && dy < h {
            // Legs apart by the stride, closing at the hips.
            let apart = phase.sin().abs() * h * 0.12 * (dy - hips) / (h - hips);
            let leg = h * 0.055;
            if (dx - apart).abs() < leg || (dx + apart).abs() < leg {
                return Some(self.bottom);
            }
        }
        None
    }

    /// Draw the person at frame `i` onto `img`, blurred along the way it
    /// walks as a webcam's exposure blurs it (a few positions averaged).
    fn draw(&self, img: &mut GrayImage, i: f64) {
        const SUB: usize = 3;
        let width = f64::from(img.width());
        let mx = self.middle(i, width);
        let phase = (self.x0 + self.speed * i) / (self.height * 0.25);
        let reach = self.height * 0.3 + self.speed.abs();
        let (x0, x1) = ((mx - reach).max(0.0) as u32, ((mx + reach).max(0.0) as u32).min(img.width()));
        let (y0, y1) = ((self.feet - self.height).max(0.0) as u32, (self.feet.max(0.0) as u32).min(img.height()));
        for y in y0..y1 {
            for x in x0..x1 {
                let background = f64::from(img.get_pixel(x, y).0[0]);
                let sum: f64 = (0..SUB)
                    .map(|s| {
                        let at = mx - self.speed * (s as f64) / SUB as f64;
                        self.shade(f64::from(x), f64::from(y), at, phase).map_or(background, f64::from)
                    })
                    .sum();
                img.put_pixel(x, y, Luma([(sum / SUB as f64).round() as u8]));
            }
        }
    }
}

/// One room and the people who walk through it.
#[derive(Debug, Clone)]
pub struct Scene {
    room: GrayImage,
    walkers: Vec<Walker>,
    seed: u64,
}

impl Scene {
    /// A cluttered room (`synth::room`) with `walkers` people walking past.
    pub fn new(width: u32, height: u32, seed: u64, walkers: usize) -> Scene {
        let mut rng = Rng::new(seed ^ 0x7e11_a1ce);
        let (w, h) = (f64::from(width), f64::from(height));
        let walkers = (0..walkers).map(|_| Walker::new(&mut rng, w, h)).collect();
        Scene { room: synth::room(width, height, seed), walkers, seed }
    }

    /// Frame `i` before the sensor's noise.
    pub fn clean(&self, i: u64) -> GrayImage {
        let mut img = self.room.clone();
        for w in &self.walkers {
            w.draw(&mut img, i as f64);
        }
        img
    }

    /// Frame `i` with fresh sensor noise of `noise` (0: none, the same
    /// picture in every frame when nobody walks).
    pub fn frame(&self, i: u64, noise: f64) -> GrayImage {
        let clean = self.clean(i);
        if noise <= 0.0 {
            return clean;
        }
        synth::add_noise(&clean, noise, self.seed ^ i.wrapping_mul(0x2545_f491_4f6c_dd1d))
    }
}

/// A code held up in front of the camera: the same code in every frame of
/// one arrival, drifting a little as a hand does.
#[derive(Debug, Clone)]
pub struct Held {
    pub payload: String,
    code: GrayImage,
    conditions: Conditions,
    centre: (f64, f64),
    drift: (f64, f64),
}

impl Held {
    /// A pass from `rng`, as a webcam sees one (`Conditions::webcam`),
    /// somewhere in a `width`x`height` frame, drifting by up to 1.5 pixels
    /// a frame.
    pub fn random(rng: &mut Rng, width: u32, height: u32) -> Option<Held> {
        let payload = synth::our_payload(rng);
        let conditions = Conditions::webcam(rng);
        let code = synth::code_picture(&payload, &conditions)?;
        let side = synth::code_side(&code, &conditions);
        let (w, h) = (f64::from(width), f64::from(height));
        let centre = (rng.range(side, w - side), rng.range(side * 0.7, h - side * 0.7));
        let drift = (rng.range(-1.5, 1.5), rng.range(-1.0, 1.0));
        Held::new(payload, conditions, centre, drift)
    }

    /// `payload` under `conditions`, its centre at `centre` in the first
    /// frame and moving by `drift` pixels a frame.
    pub fn new(payload: String, conditions: Conditions, centre: (f64, f64), drift: (f64, f64)) -> Option<Held> {
        let code = synth::code_picture(&payload, &conditions)?;
        Some(Held { payload, code, conditions, centre, drift })
    }

    /// Frame `k` of the arrival (from 0), held in front of `scene` (clean).
    pub fn frame(&self, scene: &GrayImage, k: u64, rng: &mut Rng) -> GrayImage {
        let k = k as f64;
        let centre = (self.centre.0 + self.drift.0 * k, self.centre.1 + self.drift.1 * k);
        synth::code_in_scene(&self.code, scene, &self.conditions, centre, rng)
    }

    pub fn quality(&self) -> u8 {
        self.conditions.quality
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_walk_across_the_room_and_the_same_seed_gives_the_same_frames() {
        let scene = Scene::new(320, 180, 9, 3);
        let (a, b) = (scene.frame(0, SENSOR_NOISE), scene.frame(10, SENSOR_NOISE));
        assert_eq!(a, Scene::new(320, 180, 9, 3).frame(0, SENSOR_NOISE));
        // Ten frames on, people have moved: many pixels changed by far more than noise.
        let moved = a.as_raw().iter().zip(b.as_raw()).filter(|(p, q)| p.abs_diff(**q) > 40).count();
        assert!(moved > 320 * 180 / 100, "{moved}");
        // Without walkers and noise, every frame is the same picture.
        let still = Scene::new(320, 180, 9, 0);
        assert_eq!(still.frame(0, 0.0), still.frame(50, 0.0));
    }
}
