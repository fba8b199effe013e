//! Tickets for ESC/POS thermal printers, and the same ticket as a PNG card.
//!
//! A ticket is laid out once (`ticket`), then rendered either as one 1-bit
//! raster image sent with `GS v 0` (the default: every printer prints it,
//! and names in any Latin, Greek or Cyrillic script come out right) or as
//! ESC/POS text with the printer's own QR command `GS ( k` (`native`).
//! Transports (`transport`) only move bytes: printing never changes the
//! database, so a failed print loses nothing and can be retried.
//!
//! No terminal code lives here; the CLI and the TUI both call these
//! functions.

pub mod bitmap;
pub mod escpos;
mod font;
pub mod ticket;
pub mod transport;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use image::GrayImage;

use crate::domain::pass::Pass;
use crate::domain::resident::Resident;
use crate::domain::rules::TypeRule;

pub use bitmap::Bitmap;
pub use ticket::short_id;
pub use transport::{TARGET_FORMS, Target, Timeouts, send, send_with};

/// Pixels per printer dot in a PNG card: a 58 mm ticket becomes 768 pixels
/// wide, sharp on a phone.
pub const CARD_SCALE: u32 = 2;
/// White border around a PNG card, in pixels.
pub const CARD_BORDER: u32 = 24;

/// How the QR code reaches the paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QrMode {
    /// The whole ticket, QR included, as a `GS v 0` bit image.
    #[default]
    Raster,
    /// Text commands and the printer's own `GS ( k` QR symbol.
    Native,
}

impl FromStr for QrMode {
    type Err = PrintError;
    fn from_str(s: &str) -> Result<QrMode, PrintError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "raster" => Ok(QrMode::Raster),
            "native" => Ok(QrMode::Native),
            _ => Err(PrintError::BadMode(s.to_string())),
        }
    }
}

impl fmt::Display for QrMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            QrMode::Raster => "raster",
            QrMode::Native => "native",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error("no printer configured: set printer.target in config.toml or give --printer ({TARGET_FORMS})")]
    NoPrinter,

    #[error("printer {target:?} is not understood ({reason}): use {TARGET_FORMS}")]
    BadTarget { target: String, reason: String },

    #[error("QR mode {0:?} is not understood: use raster or native")]
    BadMode(String),

    #[error("{0}")]
    NotPrintable(String),

    #[error("printer {target}: {detail}")]
    NotFound { target: String, detail: String },

    #[error("printer {target}: permission denied; {hint}")]
    PermissionDenied { target: String, hint: String },

    #[error(
        "printer {target}: connection refused; is the printer switched on and is that its address? (raw printing is usually port 9100)"
    )]
    Refused { target: String },

    #[error("printer {target}: timed out after {} while {doing}; check that it is on, online, has paper and its cover is closed", secs(*after))]
    Timeout { target: String, doing: String, after: Duration },

    #[error("printer {target}: {message}")]
    Failed { target: String, message: String },

    #[error("cannot encode the QR code: {0}")]
    Qr(String),

    #[error("cannot write {path}: {message}")]
    Card { path: PathBuf, message: String },
}

fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 1.0 { format!("{} ms", d.as_millis()) } else { format!("{s:.0} s") }
}

impl PrintError {
    /// A problem with the printer or its connection (worth retrying once it
    /// is fixed), as opposed to bad input.
    pub fn is_printer_problem(&self) -> bool {
        matches!(
            self,
            PrintError::NotFound { .. }
                | PrintError::PermissionDenied { .. }
                | PrintError::Refused { .. }
                | PrintError::Timeout { .. }
                | PrintError::Failed { .. }
        )
    }
}

/// What printing needs to know of the event and the laptop's printer.
/// `Config::printing` assembles it, so printing knows nothing of config files.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub event_name: String,
    pub currency: String,
    /// `file:PATH`, `tcp:HOST:PORT`, `dev:/dev/usb/lp0` or `cups:NAME`; empty for none.
    pub target: String,
    /// 384 (58 mm) or 576 (80 mm) dots.
    pub width_dots: u32,
    pub qr_mode: QrMode,
    pub footer: String,
}

/// The QR mode the settings ask for.
pub fn configured_mode(cfg: &Settings) -> QrMode {
    cfg.qr_mode
}

/// `--printer TARGET` if given, else the config's target; an error when
/// neither names a printer.
pub fn resolve_target(cfg: &Settings, target: Option<&str>) -> Result<Target, PrintError> {
    let t = target.map(str::trim).filter(|t| !t.is_empty()).unwrap_or(cfg.target.trim());
    if t.is_empty() {
        return Err(PrintError::NoPrinter);
    }
    t.parse()
}

fn printable_pass(p: &Pass) -> Result<(), PrintError> {
    match &p.voided_at {
        Some(at) => Err(PrintError::NotPrintable(format!("pass {} was voided at {at}; a voided pass admits no one", short_id(&p.id)))),
        None => Ok(()),
    }
}

fn printable_resident(r: &Resident) -> Result<(), PrintError> {
    if r.active {
        Ok(())
    } else {
        Err(PrintError::NotPrintable(format!("resident {} ({}) is deactivated; their card admits no one", r.name, short_id(&r.id))))
    }
}

/// ESC/POS bytes for a pass ticket. A voided pass is refused.
/// `rule` is the pass type's rule, named on the ticket when known.
pub fn render_pass_ticket(
    cfg: &Settings,
    pass: &Pass,
    rule: Option<&TypeRule>,
    payload: &str,
    mode: QrMode,
) -> Result<Vec<u8>, PrintError> {
    printable_pass(pass)?;
    ticket::for_pass(cfg, pass, rule, payload).to_escpos(mode)
}

/// ESC/POS bytes for a resident card. A deactivated resident is refused.
pub fn render_resident_ticket(cfg: &Settings, resident: &Resident, payload: &str, mode: QrMode) -> Result<Vec<u8>, PrintError> {
    printable_resident(resident)?;
    ticket::for_resident(cfg, resident, payload).to_escpos(mode)
}

/// Render and send a pass ticket to `target` (else `printer.target`) in
/// `mode` (else `printer.qr_mode`). Returns nothing but success: the pass
/// itself is untouched either way.
pub fn print_pass(
    cfg: &Settings,
    pass: &Pass,
    rule: Option<&TypeRule>,
    payload: &str,
    target: Option<&str>,
    mode: Option<QrMode>,
) -> Result<(), PrintError> {
    let t = resolve_target(cfg, target)?;
    let bytes = render_pass_ticket(cfg, pass, rule, payload, mode.unwrap_or_else(|| configured_mode(cfg)))?;
    send(&t, &bytes)?;
    tracing::info!(pass = %pass.id, target = %t, "printed pass ticket");
    Ok(())
}

/// Render and send a resident card, like `print_pass`.
pub fn print_resident(
    cfg: &Settings,
    resident: &Resident,
    payload: &str,
    target: Option<&str>,
    mode: Option<QrMode>,
) -> Result<(), PrintError> {
    let t = resolve_target(cfg, target)?;
    let bytes = render_resident_ticket(cfg, resident, payload, mode.unwrap_or_else(|| configured_mode(cfg)))?;
    send(&t, &bytes)?;
    tracing::info!(resident = %resident.id, target = %t, "printed resident card");
    Ok(())
}

/// The pass ticket as a greyscale image: the raster ticket, `CARD_SCALE`
/// pixels per dot, with a white border. For PNG cards and screen previews.
pub fn pass_card_image(cfg: &Settings, pass: &Pass, rule: Option<&TypeRule>, payload: &str) -> Result<GrayImage, PrintError> {
    printable_pass(pass)?;
    Ok(ticket::for_pass(cfg, pass, rule, payload).to_bitmap()?.to_gray(CARD_SCALE, CARD_BORDER))
}

pub fn resident_card_image(cfg: &Settings, resident: &Resident, payload: &str) -> Result<GrayImage, PrintError> {
    printable_resident(resident)?;
    Ok(ticket::for_resident(cfg, resident, payload).to_bitmap()?.to_gray(CARD_SCALE, CARD_BORDER))
}

/// Write the pass ticket as a PNG, to send by phone or e-mail.
pub fn pass_card_png(cfg: &Settings, pass: &Pass, rule: Option<&TypeRule>, payload: &str, path: &Path) -> Result<(), PrintError> {
    save_png(&pass_card_image(cfg, pass, rule, payload)?, path)
}

pub fn resident_card_png(cfg: &Settings, resident: &Resident, payload: &str, path: &Path) -> Result<(), PrintError> {
    save_png(&resident_card_image(cfg, resident, payload)?, path)
}

fn save_png(img: &GrayImage, path: &Path) -> Result<(), PrintError> {
    img.save_with_format(path, image::ImageFormat::Png).map_err(|e| PrintError::Card { path: path.to_path_buf(), message: e.to_string() })
}
