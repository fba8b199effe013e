//! Which source to open and how: parsed from `--camera` or `[camera] source`.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::decode::Decoder;

/// A camera source, as written on the command line or in the config:
///
/// | text | source |
/// |---|---|
/// | `none` (or empty) | no camera |
/// | `0`, `1`, ... | the webcam with that index (`gatehouse cameras` lists them) |
/// | `replay:DIR` | the images in DIR (png, jpg, jpeg, webp), sorted by name, looping |
/// | `replay:FILE` | one image, repeated |
/// | `still:FILE` | one image, once |
///
/// A replay takes two optional suffixes: `@FPS` (frames per second, default
/// `[camera] fps`) and `,once` (stop at the end instead of looping), e.g.
/// `replay:frames@15,once`.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceSpec {
    None,
    Device(u32),
    Replay { path: PathBuf, fps: Option<f64>, looping: bool },
    Still(PathBuf),
}

impl FromStr for SourceSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t.is_empty() || t.eq_ignore_ascii_case("none") {
            return Ok(SourceSpec::None);
        }
        if let Ok(i) = t.parse::<u32>() {
            return Ok(SourceSpec::Device(i));
        }
        if let Some(rest) = t.strip_prefix("replay:") {
            let (rest, looping) = match rest.strip_suffix(",once") {
                Some(r) => (r, false),
                None => (rest.strip_suffix(",loop").unwrap_or(rest), true),
            };
            let (path, fps) = match rest.rsplit_once('@') {
                Some((p, f)) if !f.is_empty() && f.chars().all(|c| c.is_ascii_digit() || c == '.') => {
                    let fps: f64 = f.parse().map_err(|_| format!("camera source {s:?}: bad frame rate {f:?}"))?;
                    if !(fps > 0.0 && fps <= 1000.0) {
                        return Err(format!("camera source {s:?}: the frame rate must be above 0 and at most 1000"));
                    }
                    (p, Some(fps))
                }
                _ => (rest, None),
            };
            if path.is_empty() {
                return Err(format!("camera source {s:?}: replay needs a folder or an image, e.g. replay:frames@15"));
            }
            return Ok(SourceSpec::Replay { path: PathBuf::from(path), fps, looping });
        }
        if let Some(path) = t.strip_prefix("still:") {
            if path.is_empty() {
                return Err(format!("camera source {s:?}: still needs an image file"));
            }
            return Ok(SourceSpec::Still(PathBuf::from(path)));
        }
        Err(format!("camera source {s:?}: expected none, a device index such as 0, replay:DIR[@FPS][,once] or still:FILE"))
    }
}

impl SourceSpec {
    /// The source to use: `--camera` when given, else the configured one
    /// (`[camera] source`).
    pub fn choose(option: Option<&SourceSpec>, configured: &str) -> Result<SourceSpec, String> {
        match option {
            Some(spec) => Ok(spec.clone()),
            None => configured.parse().map_err(|e| format!("camera.source: {e}")),
        }
    }
}

impl std::fmt::Display for SourceSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceSpec::None => write!(f, "none"),
            SourceSpec::Device(i) => write!(f, "{i}"),
            SourceSpec::Replay { path, fps, looping } => {
                write!(f, "replay:{}", path.display())?;
                if let Some(fps) = fps {
                    write!(f, "@{fps}")?;
                }
                if !looping {
                    write!(f, ",once")?;
                }
                Ok(())
            }
            SourceSpec::Still(path) => write!(f, "still:{}", path.display()),
        }
    }
}

/// A frame size, `WIDTHxHEIGHT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolution {
    pub width: u32,
    pub height: u32,
}

impl FromStr for Resolution {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{s:?} is not a size like 1280x720");
        let (w, h) = s.trim().split_once(['x', 'X']).ok_or_else(bad)?;
        let (width, height) = (w.parse::<u32>().map_err(|_| bad())?, h.parse::<u32>().map_err(|_| bad())?);
        if !(1..=10_000).contains(&width) || !(1..=10_000).contains(&height) {
            return Err(format!("{s:?}: width and height must be 1 to 10000"));
        }
        Ok(Resolution { width, height })
    }
}

impl std::fmt::Display for Resolution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}x{}", self.width, self.height)
    }
}

/// How the capture thread opens its source and treats frames.
#[derive(Debug, Clone)]
pub struct CaptureSettings {
    /// The resolution asked of a webcam (it may offer the closest it has).
    pub resolution: Resolution,
    /// Frames per second asked of a webcam; a replay's rate unless its spec says.
    pub fps: u32,
    /// The same text again within this window is not sent again.
    pub debounce: Duration,
    /// The decoder, with its per-frame time budget.
    pub decoder: Decoder,
    /// Once nothing code-like has been seen for `IDLE_SECS`, only every
    /// `back_off`th frame is looked at (1: every frame); the others are
    /// taken from the source and dropped undecoded.
    pub back_off: u32,
    /// Keep when each frame was taken and when its read was sent
    /// (`CaptureStats::timeline`), for `gatehouse bench camera`.
    pub timeline: bool,
}

/// Seconds with nothing code-like in view after which the camera backs off.
/// A person takes about 2 s to walk up to the lens.
pub const IDLE_SECS: f64 = 2.0;

/// Every how many frames an idle camera looks: every 2nd at 30 fps adds at
/// most one frame interval (33 ms) to the time from code to verdict.
pub const BACK_OFF: u32 = 2;

impl CaptureSettings {
    /// Settings for `fps` frames per second: the decode budget is one frame
    /// interval, so decoding keeps up with the camera.
    pub fn new(resolution: Resolution, fps: u32, debounce: Duration) -> CaptureSettings {
        let fps = fps.max(1);
        let budget = Duration::from_secs_f64(1.0 / f64::from(fps));
        let decoder = Decoder::default().with_budget(Some(budget));
        CaptureSettings { resolution, fps, debounce, decoder, back_off: BACK_OFF, timeline: false }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        assert_eq!("none".parse(), Ok(SourceSpec::None));
        assert_eq!("".parse(), Ok(SourceSpec::None));
        assert_eq!(" 2 ".parse(), Ok(SourceSpec::Device(2)));
        assert_eq!("replay:frames".parse(), Ok(SourceSpec::Replay { path: "frames".into(), fps: None, looping: true }));
        assert_eq!(
            "replay:/tmp/a b/x.png@12.5,once".parse(),
            Ok(SourceSpec::Replay { path: "/tmp/a b/x.png".into(), fps: Some(12.5), looping: false })
        );
        assert_eq!("replay:me@home".parse(), Ok(SourceSpec::Replay { path: "me@home".into(), fps: None, looping: true }));
        assert_eq!("still:p.png".parse(), Ok(SourceSpec::Still("p.png".into())));
        for bad in ["replay:", "replay:x@0", "replay:x@2000", "video0", "-1", "still:"] {
            assert!(bad.parse::<SourceSpec>().is_err(), "{bad} parsed");
        }
    }

    #[test]
    fn display_round_trips() {
        for s in ["none", "0", "replay:frames", "replay:f@15,once", "still:x.png"] {
            let spec: SourceSpec = s.parse().unwrap();
            assert_eq!(spec.to_string().parse::<SourceSpec>().unwrap(), spec);
        }
    }

    #[test]
    fn the_option_overrides_the_config() {
        assert_eq!(SourceSpec::choose(None, "none"), Ok(SourceSpec::None));
        assert_eq!(SourceSpec::choose(None, "1"), Ok(SourceSpec::Device(1)));
        let replay: SourceSpec = "replay:x".parse().unwrap();
        assert_eq!(SourceSpec::choose(Some(&replay), "1"), Ok(replay));
    }

    #[test]
    fn resolution() {
        assert_eq!("1280x720".parse(), Ok(Resolution { width: 1280, height: 720 }));
        assert!("1280".parse::<Resolution>().is_err());
        assert!("0x720".parse::<Resolution>().is_err());
    }

    #[test]
    fn budget_is_one_frame() {
        let s = CaptureSettings::new(Resolution { width: 640, height: 480 }, 25, Duration::from_secs(3));
        assert_eq!(s.fps, 25);
        assert_eq!(s.debounce, Duration::from_secs(3));
        assert_eq!(s.decoder.budget(), Some(Duration::from_millis(40)));
    }
}
