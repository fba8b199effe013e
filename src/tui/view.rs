//! What every screen may read while drawing besides its own state: the
//! console's shared facts (settings, the gate, counts, the camera). Screens
//! draw from this and from themselves, never from the `App`.

use image::GrayImage;

use super::theme::Theme;
use crate::config::Config;
use crate::domain::stats::Stats;
use crate::domain::user::Actor;

pub struct View<'a> {
    pub theme: &'a Theme,
    pub cfg: &'a Config,
    pub gate: &'a str,
    pub actor: Option<&'a Actor>,
    /// The counts, as the last load found them.
    pub stats: Option<&'a Stats>,
    /// Why those counts are not current (the server did not answer).
    pub stats_offline: Option<&'a str>,
    /// The event's gates (none on a gate with no server).
    pub gates: &'a [crate::service::GateView],
    /// What the camera said, whether it runs, and its latest frame, shrunk.
    pub camera: &'a str,
    pub camera_ok: bool,
    pub preview: Option<&'a GrayImage>,
}
