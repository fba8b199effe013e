//! `config.toml`: event, gate, pass types, slots and the tunables. Parsed and
//! validated once; a broken file is a clear error, never a panic.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::domain::pass::{PassRules, PassType, to_cents};
use crate::domain::slot::{SlotPolicy, SlotRule};
use crate::error::{Error, Result};

/// The commented sample shipped at the repository root; `init` writes it when
/// the data directory has no config yet.
pub const SAMPLE: &str = include_str!("../config.toml");

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub event: EventConfig,
    pub gate: GateConfig,
    #[serde(rename = "pass_type")]
    pub pass_types: Vec<PassTypeConfig>,
    pub scan: ScanConfig,
    pub backup: BackupConfig,
    pub camera: CameraConfig,
    pub printer: PrinterConfig,
    pub storage: StorageConfig,
    pub console: ConsoleConfig,
    pub offline: OfflineConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleConfig {
    /// Sign the console out after this many minutes without a key; 0 never.
    pub idle_lock_minutes: u64,
    /// How long a verdict stays on screen before the Scan screen says ready.
    pub verdict_secs: f64,
    /// Ring the terminal bell for verdicts.
    pub sound: bool,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        ConsoleConfig { idle_lock_minutes: 0, verdict_secs: 5.0, sound: true }
    }
}

/// A PostgreSQL gate that keeps scanning when its link drops (docs/offline.md).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OfflineConfig {
    /// How long a scan waits for the server before deciding offline.
    pub budget_secs: f64,
    /// While offline, how often the server is tried again.
    pub retry_secs: f64,
    /// A replica older than this is stale: the Scan screen says so.
    pub stale_secs: f64,
    /// A clock skew above this is shown and logged.
    pub max_skew_secs: f64,
}

impl Default for OfflineConfig {
    fn default() -> Self {
        OfflineConfig { budget_secs: 1.5, retry_secs: 5.0, stale_secs: 60.0, max_skew_secs: 30.0 }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// "full" or "normal"; see config.toml.
    pub synchronous: String,
    /// A `postgresql://` URL shared by every gate, or empty for the SQLite
    /// file in the data directory. Never holds a password.
    pub database: String,
    /// The event this gate belongs to: its id (the signature of the
    /// event's first ledger block), written by `init`. A gate refuses to
    /// upload to a server holding another event, even with a new replica.
    pub event: String,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig { synchronous: "full".into(), database: String::new(), event: String::new() }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EventConfig {
    pub name: String,
    pub currency: String,
    /// Time slots offered when issuing; the first is the default.
    pub slots: Vec<String>,
    /// Whether `pass import` may override a type's configured price.
    pub allow_price_override: bool,
    /// The event's time zone as an offset from UTC ("+05:30") for slot
    /// windows; empty: this computer's time zone.
    pub utc_offset: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GateConfig {
    pub name: String,
    /// "in" (the default when unset), "out" or "both": which way a scan
    /// here records people. At a `both` gate an exit is `scan --exit` or a
    /// key. Unset, a resident card toggles IN/OUT as it always has.
    pub direction: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PassTypeConfig {
    pub name: String,
    pub persons: u32,
    /// Price in currency units; up to two decimals.
    pub price: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScanConfig {
    /// A resident card read again within this many seconds is a repeated
    /// read, not a second toggle (anti-passback).
    pub resident_repeat_window_secs: u64,
    /// The camera ignores the same code seen again within this window.
    pub camera_debounce_secs: f64,
    /// A pass scanned outside its slot's window: "deny", "warn" or "off".
    pub slot_policy: String,
    /// Minutes accepted before a slot starts and after it ends.
    pub slot_grace_minutes: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackupConfig {
    /// Where `gatehouse backup` writes, relative to the data directory.
    pub dir: String,
    pub keep_hourly: usize,
    pub keep_daily: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CameraConfig {
    /// `none`, a device index such as `0`, `replay:DIR[@FPS][,once]` or
    /// `still:FILE` (see `camera::SourceSpec`); `--camera` overrides it.
    pub source: String,
    pub width: u32,
    pub height: u32,
    pub fps: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrinterConfig {
    /// `file:PATH`, `tcp:HOST:PORT`, `dev:/dev/usb/lp0` or `cups:NAME`; empty for none.
    pub target: String,
    /// 384 (58 mm) or 576 (80 mm) dots.
    pub width_dots: u32,
    /// `raster` (works everywhere) or `native` (GS ( k).
    pub qr_mode: String,
    pub footer: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            event: EventConfig::default(),
            gate: GateConfig::default(),
            pass_types: vec![
                PassTypeConfig { name: "SINGLE".into(), persons: 1, price: 549.0 },
                PassTypeConfig { name: "COUPLE".into(), persons: 2, price: 999.0 },
            ],
            scan: ScanConfig::default(),
            backup: BackupConfig::default(),
            camera: CameraConfig::default(),
            printer: PrinterConfig::default(),
            storage: StorageConfig::default(),
            console: ConsoleConfig::default(),
            offline: OfflineConfig::default(),
        }
    }
}

impl Default for EventConfig {
    fn default() -> Self {
        EventConfig {
            name: "Gatehouse Event".into(),
            currency: "INR".into(),
            slots: vec!["7:00 PM - 11:00 PM".into()],
            allow_price_override: false,
            utc_offset: String::new(),
        }
    }
}

impl Default for GateConfig {
    fn default() -> Self {
        GateConfig { name: "Main Gate".into(), direction: String::new() }
    }
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig { resident_repeat_window_secs: 10, camera_debounce_secs: 3.0, slot_policy: "deny".into(), slot_grace_minutes: 30 }
    }
}

impl Default for BackupConfig {
    fn default() -> Self {
        BackupConfig { dir: "backups".into(), keep_hourly: 24, keep_daily: 7 }
    }
}

impl Default for CameraConfig {
    fn default() -> Self {
        CameraConfig { source: "none".into(), width: 1280, height: 720, fps: 30 }
    }
}

impl Default for PrinterConfig {
    fn default() -> Self {
        PrinterConfig {
            target: String::new(),
            width_dots: 384,
            qr_mode: "raster".into(),
            footer: "Keep this ticket. One entry per pass.".into(),
        }
    }
}

impl Config {
    /// What the printer module needs, from `[event]` and `[printer]`
    /// (validated when the config was loaded).
    pub fn printing(&self) -> crate::print::Settings {
        crate::print::Settings {
            event_name: self.event.name.clone(),
            currency: self.event.currency.clone(),
            target: self.printer.target.clone(),
            width_dots: self.printer.width_dots,
            qr_mode: self.printer.qr_mode.parse().unwrap_or_default(),
            footer: self.printer.footer.clone(),
        }
    }

    /// The capture thread's settings, from `[camera]` and `[scan] camera_debounce_secs`.
    pub fn capture_settings(&self) -> crate::camera::CaptureSettings {
        crate::camera::CaptureSettings::new(
            crate::camera::Resolution { width: self.camera.width.max(1), height: self.camera.height.max(1) },
            self.camera.fps,
            std::time::Duration::try_from_secs_f64(self.scan.camera_debounce_secs).unwrap_or_default(),
        )
    }

    pub fn load(path: &Path) -> Result<Config> {
        let text =
            std::fs::read_to_string(path).map_err(|e| Error::Config { path: path.to_path_buf(), message: format!("cannot read: {e}") })?;
        Config::parse(&text, path)
    }

    /// `text` with `[gate] name` set to `name`, every comment and other
    /// setting kept as written (`init --gate NAME`). The result is checked
    /// as a config file is when loaded.
    pub fn with_gate_name(text: &str, name: &str, path: &Path) -> Result<String> {
        Self::with_setting(text, ("gate", "name"), name, path, |c| &c.gate.name)
    }

    /// `text` with `[storage] database` set to `url` (an enrolled gate's own
    /// role), kept as written otherwise.
    pub fn with_database(text: &str, url: &str, path: &Path) -> Result<String> {
        Self::with_setting(text, ("storage", "database"), url, path, |c| &c.storage.database)
    }

    /// `text` with `[storage] event` set to `id` (`init`), kept as written otherwise.
    pub fn with_event(text: &str, id: &str, path: &Path) -> Result<String> {
        Self::with_setting(text, ("storage", "event"), id, path, |c| &c.storage.event)
    }

    /// One key of one section set in place, then the whole file checked as
    /// when loaded, and the key read back through `read`.
    fn with_setting(text: &str, (section, key): (&str, &str), value: &str, path: &Path, read: fn(&Config) -> &String) -> Result<String> {
        let new = set_in_section(text, section, key, value);
        let cfg = Config::parse(&new, path)?;
        if read(&cfg) != value {
            let message = format!("[{section}] {key} could not be set: edit it by hand");
            return Err(Error::Config { path: path.to_path_buf(), message });
        }
        Ok(new)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Config> {
        let cfg: Config = toml::from_str(text).map_err(|e| Error::Config { path: path.to_path_buf(), message: one_line(&e, text) })?;
        cfg.validate().map_err(|message| Error::Config { path: path.to_path_buf(), message })?;
        Ok(cfg)
    }

    fn validate(&self) -> std::result::Result<(), String> {
        if self.event.name.trim().is_empty() {
            return Err("event.name must not be empty".into());
        }
        if self.gate.name.trim().is_empty() {
            return Err("gate.name must not be empty".into());
        }
        if GateDirection::parse(&self.gate.direction).is_none() {
            return Err(format!("gate.direction {:?} must be \"in\", \"out\" or \"both\"", self.gate.direction));
        }
        if self.event.slots.is_empty() || self.event.slots.iter().any(|s| s.trim().is_empty()) {
            return Err("event.slots needs at least one non-empty slot".into());
        }
        // These are printed on tickets and screens and stored with every
        // scan: the same characters as names, nothing hidden.
        let texts = [
            ("event.name", &self.event.name),
            ("event.currency", &self.event.currency),
            ("gate.name", &self.gate.name),
            ("printer.footer", &self.printer.footer),
            ("printer.target", &self.printer.target),
            ("backup.dir", &self.backup.dir),
            ("camera.source", &self.camera.source),
        ];
        for (what, v) in texts.into_iter().chain(self.event.slots.iter().map(|s| ("event.slots", s))) {
            if let Some(p) = crate::domain::text::problem(v, false) {
                return Err(format!("{what} {p}"));
            }
        }
        let o = &self.offline;
        for (what, v) in [
            ("offline.budget_secs", o.budget_secs),
            ("offline.retry_secs", o.retry_secs),
            ("offline.stale_secs", o.stale_secs),
            ("offline.max_skew_secs", o.max_skew_secs),
        ] {
            if !(v.is_finite() && v > 0.0 && v <= 86_400.0) {
                return Err(format!("{what} must be a number of seconds above 0"));
            }
        }
        if self.pass_types.is_empty() {
            return Err("at least one [[pass_type]] is required".into());
        }
        let mut seen = std::collections::HashSet::new();
        for t in &self.pass_types {
            let name = t.name.trim();
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!("pass_type name {:?} must be letters, digits or _", t.name));
            }
            if !seen.insert(name.to_ascii_uppercase()) {
                return Err(format!("pass_type {name} is defined twice"));
            }
            if !(1..=2).contains(&t.persons) {
                return Err(format!("pass_type {name}: persons must be 1 or 2"));
            }
            if !t.price.is_finite() || t.price < 0.0 || t.price > 10_000_000.0 {
                return Err(format!("pass_type {name}: price must be between 0 and 10000000"));
            }
        }
        if self.backup.keep_hourly == 0 && self.backup.keep_daily == 0 {
            return Err("backup: keep_hourly and keep_daily cannot both be 0".into());
        }
        if !(self.scan.camera_debounce_secs.is_finite() && self.scan.camera_debounce_secs >= 0.0) {
            return Err("scan.camera_debounce_secs must be 0 or more".into());
        }
        if let Err(e) = self.camera.source.parse::<crate::camera::SourceSpec>() {
            return Err(format!("camera.source: {e}"));
        }
        if !(1..=10_000).contains(&self.camera.width)
            || !(1..=10_000).contains(&self.camera.height)
            || !(1..=240).contains(&self.camera.fps)
        {
            return Err("camera: width and height must be 1 to 10000, fps 1 to 240".into());
        }
        if !matches!(self.printer.width_dots, 384 | 576) {
            return Err("printer.width_dots must be 384 (58 mm) or 576 (80 mm)".into());
        }
        if !matches!(self.storage.synchronous.as_str(), "full" | "normal") {
            return Err("storage.synchronous must be \"full\" or \"normal\"".into());
        }
        let db = self.storage.database.trim();
        if !db.is_empty() && !crate::store::is_postgres_url(db) {
            return Err("storage.database must be empty (the SQLite file) or a postgresql:// URL".into());
        }
        if crate::store::url_has_password(db) {
            return Err("storage.database must not hold a password: set PGPASSWORD or use a pgpass file (mode 0600)".into());
        }
        if !matches!(self.printer.qr_mode.as_str(), "raster" | "native") {
            return Err("printer.qr_mode must be \"raster\" or \"native\"".into());
        }
        if SlotPolicy::parse(&self.scan.slot_policy).is_none() {
            return Err("scan.slot_policy must be \"deny\", \"warn\" or \"off\"".into());
        }
        if self.scan.slot_grace_minutes > 24 * 60 {
            return Err("scan.slot_grace_minutes must be 0 to 1440".into());
        }
        if !self.event.utc_offset.trim().is_empty() && self.utc_offset().is_none() {
            return Err(format!("event.utc_offset {:?} must look like +05:30 or -04:00", self.event.utc_offset));
        }
        if !(self.console.verdict_secs.is_finite() && (0.5..=3600.0).contains(&self.console.verdict_secs)) {
            return Err("console.verdict_secs must be between 0.5 and 3600".into());
        }
        if self.console.idle_lock_minutes > 24 * 60 {
            return Err("console.idle_lock_minutes must be 0 (off) to 1440".into());
        }
        if !self.printer.target.trim().is_empty() {
            self.printer.target.parse::<crate::print::Target>().map_err(|e| format!("printer.target: {e}"))?;
        }
        Ok(())
    }

    /// Whether a resident card toggles here: no direction set, or `both`.
    pub fn resident_toggles(&self) -> bool {
        self.gate.direction.trim().is_empty() || self.gate_direction() == GateDirection::Both
    }

    /// Which way this gate records people.
    pub fn gate_direction(&self) -> GateDirection {
        GateDirection::parse(&self.gate.direction).unwrap_or(GateDirection::In)
    }

    /// The slot rule the scan applies.
    pub fn slot_rule(&self) -> SlotRule {
        SlotRule {
            policy: SlotPolicy::parse(&self.scan.slot_policy).unwrap_or_default(),
            grace: chrono::Duration::minutes(self.scan.slot_grace_minutes as i64),
        }
    }

    /// The event's UTC offset, when set: `+05:30`, `-04:00`, `+00:00`.
    pub fn utc_offset(&self) -> Option<chrono::FixedOffset> {
        let t = self.event.utc_offset.trim();
        let sign = match t.chars().next()? {
            '+' => 1,
            '-' => -1,
            _ => return None,
        };
        let (h, m) = t.get(1..)?.split_once(':')?;
        let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
        if !(0..=14).contains(&h) || !(0..60).contains(&m) {
            return None;
        }
        chrono::FixedOffset::east_opt(sign * (h * 3600 + m * 60))
    }

    /// Local wall time of the event at `now`.
    pub fn local_time(&self, now: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDateTime {
        match self.utc_offset() {
            Some(off) => now.with_timezone(&off).naive_local(),
            None => now.with_timezone(&chrono::Local).naive_local(),
        }
    }

    /// The rules for issuing passes, as the domain takes them.
    pub fn pass_rules(&self) -> PassRules {
        PassRules {
            types: self
                .pass_types
                .iter()
                .map(|t| PassType { name: t.name.trim().to_string(), persons: t.persons, price_cents: to_cents(t.price) })
                .collect(),
            slots: self.event.slots.clone(),
            allow_price_override: self.event.allow_price_override,
        }
    }
}

/// `[gate] direction`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GateDirection {
    In,
    Out,
    Both,
}

impl GateDirection {
    pub fn parse(s: &str) -> Option<GateDirection> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "in" => Some(GateDirection::In),
            "out" => Some(GateDirection::Out),
            "both" => Some(GateDirection::Both),
            _ => None,
        }
    }
}

/// Where the data live. Resolved once from `--data-dir`, `GATEHOUSE_DATA_DIR`
/// or the platform default, so tests never touch a home directory.
#[derive(Debug, Clone)]
pub struct Paths {
    pub data_dir: PathBuf,
    pub config: PathBuf,
    /// `--database` or `GATEHOUSE_DATABASE_URL`; wins over the config's.
    pub database: Option<String>,
}

impl Paths {
    pub fn new(data_dir: PathBuf, config: Option<PathBuf>) -> Paths {
        let config = config.unwrap_or_else(|| data_dir.join("config.toml"));
        Paths { data_dir, config, database: None }
    }

    /// The PostgreSQL URL this gate uses, if any: the command line's, else
    /// `[storage] database`. None means the SQLite file.
    pub fn database_url(&self, cfg: &Config) -> Option<String> {
        let given = self.database.as_deref().unwrap_or(&cfg.storage.database).trim();
        (!given.is_empty()).then(|| given.to_string())
    }
    pub fn db(&self) -> PathBuf {
        self.data_dir.join("gatehouse.db")
    }
    pub fn key(&self) -> PathBuf {
        self.data_dir.join("gatehouse.key")
    }
    pub fn log_dir(&self) -> PathBuf {
        self.data_dir.join("logs")
    }
    pub fn backup_dir(&self, cfg: &Config) -> PathBuf {
        self.data_dir.join(&cfg.backup.dir)
    }

    /// The default data directory when neither flag nor env var names one.
    pub fn default_data_dir() -> PathBuf {
        if let Some(d) = std::env::var_os("XDG_DATA_HOME") {
            return PathBuf::from(d).join("gatehouse");
        }
        if let Some(h) = std::env::var_os("HOME") {
            return PathBuf::from(h).join(".local/share/gatehouse");
        }
        PathBuf::from("gatehouse-data")
    }
}

/// A TOML error on one line: `line L, column C: message`.
fn one_line(e: &toml::de::Error, text: &str) -> String {
    let msg = e.message().trim().replace('\n', " ");
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            let col = before.len() - line_start + 1;
            let src: String = text[line_start..].lines().next().unwrap_or("").trim().chars().take(60).collect();
            format!("line {line}, column {col} ({src}): {msg}")
        }
        None => msg,
    }
}

/// `text` with `key` of `[section]` set to `value`: the line replaced where
/// it stands, or added at the section's end (the section made if missing);
/// every other line, comments included, kept as written.
fn set_in_section(text: &str, section: &str, key: &str, value: &str) -> String {
    let header = format!("[{section}]");
    let line = format!("{key} = {}", toml::Value::String(value.to_string()));
    let mut out: Vec<String> = Vec::new();
    let (mut in_section, mut done) = (false, false);
    for l in text.lines() {
        let t = l.trim_start();
        if t.starts_with('[') {
            if in_section && !done {
                out.push(line.clone());
                done = true;
            }
            in_section = t.trim_end() == header;
        } else if in_section && !done && t.split('=').next().map(str::trim) == Some(key) {
            out.push(line.clone());
            done = true;
            continue;
        }
        out.push(l.to_string());
    }
    if !done {
        if !in_section {
            out.push(header.clone());
        }
        out.push(line);
    }
    let mut new = out.join("\n");
    new.push('\n');
    new
}
