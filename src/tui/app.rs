//! The console's state and its one `update`: an action in, state changed,
//! effects out. No terminal, no database, no clock reads here.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use image::GrayImage;

use super::action::Action;
use super::effect::{Bell, Effect, Outcome, ScanSource};
use super::event::CameraNote;
use super::forms::{IssueField, IssueForm, ResidentForm, TextField};
use super::wedge::Wedge;
use crate::config::Config;
use crate::domain::ledger::{StoredBlock, VerifyReport};
use crate::domain::pass::{PassStatus, PaymentMode};
use crate::domain::scan::ScanOutcome;
use crate::domain::stats::Stats;
use crate::domain::user::Actor;
use crate::service::{ExportKind, PassView, ResidentView};
use crate::store::PassFilter;

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;
const RECENT: usize = 10;
/// Stats refresh on their own this often, besides after every scan.
const STATS_EVERY: Duration = Duration::from_secs(5);
/// The same code typed again by the wedge scanner inside this window is one read.
const WEDGE_DEBOUNCE: Duration = Duration::from_secs(3);
const BACKUP_EVERY: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Login,
    Scan,
    Issue,
    Passes,
    Residents,
    Ledger,
    Stats,
}

impl Screen {
    pub fn title(self) -> &'static str {
        match self {
            Screen::Login => "Login",
            Screen::Scan => "Scan",
            Screen::Issue => "Issue",
            Screen::Passes => "Passes",
            Screen::Residents => "Residents",
            Screen::Ledger => "Ledger",
            Screen::Stats => "Stats",
        }
    }
}

#[derive(Debug, Clone)]
pub struct LoginState {
    pub user: TextField,
    pub pass: TextField,
    pub focus_pass: bool,
    pub error: Option<String>,
    pub busy: bool,
}

impl Default for LoginState {
    fn default() -> Self {
        LoginState {
            user: TextField::new("Username", "username"),
            pass: TextField::masked("Password", "password"),
            focus_pass: false,
            error: None,
            busy: false,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ScanState {
    pub wedge: Wedge,
    pub last: Option<ScanOutcome>,
    pub recent: VecDeque<(ScanOutcome, ScanSource)>,
    /// The scanned resident's photo, loaded and encoded by the worker.
    pub photo: Option<super::effect::Photo>,
    /// The last wedge read and when, for the debounce.
    last_wedge: Option<(String, Instant)>,
    pub busy: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Newest,
    Name,
    Status,
}

impl SortKey {
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Newest => "newest",
            SortKey::Name => "name",
            SortKey::Status => "status",
        }
    }
}

/// A one-line question in a box: a reason, a file path, or yes/no.
#[derive(Debug, Clone)]
pub struct Prompt {
    pub kind: PromptKind,
    pub input: TextField,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    VoidReason,
    VoidConfirm,
    UnscanReason,
    ExportPath,
    DeactivateConfirm,
}

#[derive(Debug, Clone)]
pub struct PassesState {
    pub search: TextField,
    pub searching: bool,
    pub type_filter: Option<String>,
    pub status_filter: Option<PassStatus>,
    pub payment_filter: Option<PaymentMode>,
    pub sort: SortKey,
    pub rows: Vec<PassView>,
    pub selected: usize,
    pub detail: bool,
}

impl Default for PassesState {
    fn default() -> Self {
        PassesState {
            search: TextField::new("Search", "search"),
            searching: false,
            type_filter: None,
            status_filter: None,
            payment_filter: None,
            sort: SortKey::default(),
            rows: Vec::new(),
            selected: 0,
            detail: false,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ResidentsState {
    pub rows: Vec<ResidentView>,
    pub selected: usize,
    pub detail: bool,
    pub form: Option<ResidentForm>,
}

#[derive(Debug, Clone, Default)]
pub struct LedgerState {
    pub blocks: Vec<StoredBlock>,
    pub total: u64,
    pub verifying: bool,
    pub progress: u64,
    pub report: Option<VerifyReport>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

#[derive(Debug, Clone)]
pub struct App {
    pub cfg: Config,
    pub gate: String,
    pub data_dir: PathBuf,
    pub clock: String,
    pub camera: String,
    pub camera_ok: bool,
    /// A shared PostgreSQL database's link, kept current by the store
    /// (None for the local SQLite file: nothing to show).
    pub db_link: Option<crate::store::DbLink>,
    /// The latest camera frame, already downscaled for the preview.
    pub preview: Option<GrayImage>,
    pub screen: Screen,
    pub actor: Option<Actor>,
    pub login: LoginState,
    pub scan: ScanState,
    pub issue: IssueForm,
    pub passes: PassesState,
    pub residents: ResidentsState,
    pub ledger: LedgerState,
    pub stats: Option<Stats>,
    pub prompt: Option<Prompt>,
    pub help: bool,
    pub confirm_quit: bool,
    pub status: Option<Status>,
    pub quit: bool,
    last_stats: Option<Instant>,
    last_backup: Option<Instant>,
}

impl App {
    pub fn new(cfg: Config, gate: String, data_dir: PathBuf) -> App {
        App {
            cfg,
            gate,
            data_dir,
            clock: String::new(),
            camera: "No camera".into(),
            camera_ok: false,
            db_link: None,
            preview: None,
            screen: Screen::Login,
            actor: None,
            login: LoginState::default(),
            scan: ScanState::default(),
            issue: IssueForm::default(),
            passes: PassesState::default(),
            residents: ResidentsState::default(),
            ledger: LedgerState::default(),
            stats: None,
            prompt: None,
            help: false,
            confirm_quit: false,
            status: None,
            quit: false,
            last_stats: None,
            last_backup: None,
        }
    }

    /// The tabs this user may open: operators see Scan and Stats only.
    pub fn tabs(&self) -> Vec<Screen> {
        match &self.actor {
            None => vec![],
            Some(a) if a.is_admin() => {
                vec![Screen::Scan, Screen::Issue, Screen::Passes, Screen::Residents, Screen::Ledger, Screen::Stats]
            }
            Some(_) => vec![Screen::Scan, Screen::Stats],
        }
    }

    pub fn prompt_open(&self) -> bool {
        self.prompt.is_some()
    }

    pub fn prompt_is_confirm(&self) -> bool {
        matches!(self.prompt.as_ref().map(|p| p.kind), Some(PromptKind::VoidConfirm | PromptKind::DeactivateConfirm))
    }

    /// Is a text input focused, so that letters and digits are text?
    pub fn editing_text(&self) -> bool {
        match self.screen {
            Screen::Issue => {
                self.issue.issued.is_none()
                    && matches!(
                        self.issue.focus,
                        IssueField::Name | IssueField::Phone | IssueField::Name2 | IssueField::Phone2 | IssueField::Txn
                    )
            }
            Screen::Passes => self.passes.searching,
            Screen::Residents => self.residents.form.is_some(),
            _ => false,
        }
    }

    /// Unsaved input that quitting would lose.
    pub fn has_unsaved_input(&self) -> bool {
        self.issue.dirty() || self.residents.form.as_ref().is_some_and(ResidentForm::dirty) || self.prompt.is_some()
    }

    fn say(&mut self, text: impl Into<String>) {
        self.status = Some(Status { text: text.into(), error: false });
    }

    fn warn(&mut self, text: impl Into<String>) {
        self.status = Some(Status { text: text.into(), error: true });
    }

    fn selected_pass(&self) -> Option<&PassView> {
        self.passes.rows.get(self.passes.selected)
    }

    fn selected_resident(&self) -> Option<&ResidentView> {
        self.residents.rows.get(self.residents.selected)
    }

    pub fn pass_filter(&self) -> PassFilter {
        PassFilter {
            search: Some(self.passes.search.value()).filter(|s| !s.trim().is_empty()),
            pass_type: self.passes.type_filter.clone(),
            status: self.passes.status_filter,
            payment: self.passes.payment_filter,
            limit: Some(500),
        }
    }

    /// Effects to load what a screen shows when it opens.
    fn enter(&mut self, screen: Screen) -> Vec<Effect> {
        self.screen = screen;
        self.status = None;
        match screen {
            Screen::Passes => vec![Effect::LoadPasses(self.pass_filter())],
            Screen::Residents => vec![Effect::LoadResidents],
            Screen::Ledger => vec![Effect::LoadLedger],
            Screen::Stats | Screen::Scan => vec![Effect::LoadStats],
            Screen::Issue => {
                if self.issue.issued.is_none() && self.issue.focus == IssueField::Type && !self.issue.dirty() {
                    self.issue.focus = IssueField::Name;
                }
                vec![]
            }
            Screen::Login => vec![],
        }
    }

    fn switch_tab(&mut self, delta: isize) -> Vec<Effect> {
        let tabs = self.tabs();
        if tabs.is_empty() {
            return vec![];
        }
        let i = tabs.iter().position(|s| *s == self.screen).unwrap_or(0) as isize;
        let next = tabs[((i + delta).rem_euclid(tabs.len() as isize)) as usize];
        self.enter(next)
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::ForceQuit => {
                self.quit = true;
                return vec![Effect::Quit];
            }
            Action::Quit => {
                if self.confirm_quit || !self.has_unsaved_input() {
                    self.quit = true;
                    return vec![Effect::Quit];
                }
                self.confirm_quit = true;
                return vec![];
            }
            Action::Confirm(false) if self.confirm_quit => {
                self.confirm_quit = false;
                return vec![];
            }
            Action::ToggleHelp => {
                self.help = !self.help;
                return vec![];
            }
            _ => {}
        }
        if self.prompt.is_some() {
            return self.update_prompt(action);
        }
        match action {
            Action::NextTab => return self.switch_tab(1),
            Action::PrevTab => return self.switch_tab(-1),
            Action::GoTo(i) => {
                return match self.tabs().get(i) {
                    Some(s) => self.enter(*s),
                    None => vec![],
                };
            }
            _ => {}
        }
        match self.screen {
            Screen::Login => self.update_login(action),
            Screen::Scan => self.update_scan(action),
            Screen::Issue => self.update_issue(action),
            Screen::Passes => self.update_passes(action),
            Screen::Residents => self.update_residents(action),
            Screen::Ledger => match action {
                Action::Verify if !self.ledger.verifying => {
                    self.ledger.verifying = true;
                    self.ledger.progress = 0;
                    self.ledger.report = None;
                    vec![Effect::VerifyLedger]
                }
                Action::Refresh => vec![Effect::LoadLedger],
                _ => vec![],
            },
            Screen::Stats => match action {
                Action::Refresh => vec![Effect::LoadStats],
                _ => vec![],
            },
        }
    }

    fn update_login(&mut self, action: Action) -> Vec<Effect> {
        let l = &mut self.login;
        match action {
            Action::Up | Action::Down => l.focus_pass = !l.focus_pass,
            Action::Type(k) => {
                if l.focus_pass {
                    l.pass.input(k)
                } else {
                    l.user.input(k)
                }
            }
            Action::Paste(s) => {
                if l.focus_pass {
                    l.pass.paste(&s)
                } else {
                    l.user.paste(&s)
                }
            }
            Action::Submit if !l.busy => {
                if !l.focus_pass {
                    l.focus_pass = true;
                    return vec![];
                }
                let username = l.user.value().trim().to_string();
                if username.is_empty() {
                    l.error = Some("enter your username".into());
                    l.focus_pass = false;
                    return vec![];
                }
                l.busy = true;
                l.error = None;
                let password = l.pass.value();
                l.pass.clear();
                return vec![Effect::Login { username, password }];
            }
            _ => {}
        }
        vec![]
    }

    fn update_scan(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::ScanChar(c, at) => self.scan.wedge.push(c, at),
            Action::ScanBackspace => self.scan.wedge.backspace(),
            Action::Back => self.scan.wedge.clear(),
            Action::Paste(s) => {
                let text: String = s.chars().filter(|c| !c.is_control()).collect();
                return self.submit_scan(text, ScanSource::Manual, None);
            }
            Action::ScanSubmit => {
                let burst = self.scan.wedge.was_burst();
                if let Some(text) = self.scan.wedge.take() {
                    let source = if burst { ScanSource::Wedge } else { ScanSource::Manual };
                    return self.submit_scan(text, source, None);
                }
            }
            _ => {}
        }
        vec![]
    }

    /// Send a read to the core, unless it is the wedge scanner reading the
    /// same code again a moment later.
    fn submit_scan(&mut self, text: String, source: ScanSource, now: Option<Instant>) -> Vec<Effect> {
        if source == ScanSource::Wedge {
            let now = now.unwrap_or_else(Instant::now);
            if let Some((last, at)) = &self.scan.last_wedge {
                if *last == text && now.saturating_duration_since(*at) < WEDGE_DEBOUNCE {
                    return vec![];
                }
            }
            self.scan.last_wedge = Some((text.clone(), now));
        }
        self.scan.busy = true;
        vec![Effect::Scan { payload: text, source }]
    }

    fn update_issue(&mut self, action: Action) -> Vec<Effect> {
        let cfg = self.cfg.clone();
        if let Some(v) = self.issue.issued.clone() {
            return match action {
                Action::IssueAnother | Action::Back => {
                    self.issue.reset();
                    self.status = None;
                    vec![]
                }
                Action::SavePng => {
                    let path = self.data_dir.join("qr").join(format!("pass-{}.png", &v.pass.id[..8]));
                    vec![Effect::SaveQr { payload: v.payload.clone(), path }]
                }
                Action::Print => vec![Effect::Print { pass_id: Some(v.pass.id.clone()), resident_id: None }],
                _ => vec![],
            };
        }
        let f = &mut self.issue;
        match action {
            Action::Up => f.move_focus(&cfg, -1),
            Action::Down => f.move_focus(&cfg, 1),
            Action::Cycle(d) => f.cycle(&cfg, d),
            Action::Back => f.focus = IssueField::Type,
            Action::Type(k) => {
                let focus = f.focus;
                if let Some(t) = f.text_mut(focus) {
                    t.input(k);
                }
            }
            Action::Paste(s) => {
                let focus = f.focus;
                if let Some(t) = f.text_mut(focus) {
                    t.paste(&s);
                }
            }
            Action::Submit if f.focus != IssueField::Submit => f.move_focus(&cfg, 1),
            Action::Submit if !f.busy => {
                f.busy = true;
                f.errors = Default::default();
                return vec![Effect::Issue(f.request(&cfg))];
            }
            _ => {}
        }
        vec![]
    }

    fn update_passes(&mut self, action: Action) -> Vec<Effect> {
        let p = &mut self.passes;
        let reload = |app: &App| vec![Effect::LoadPasses(app.pass_filter())];
        if p.searching {
            match action {
                Action::Type(k) => {
                    p.search.input(k);
                    p.selected = 0;
                    return reload(self);
                }
                Action::Paste(s) => {
                    p.search.paste(&s);
                    return reload(self);
                }
                Action::Back | Action::Submit | Action::Down => p.searching = false,
                _ => {}
            }
            return vec![];
        }
        match action {
            Action::StartSearch => p.searching = true,
            Action::Up => p.selected = p.selected.saturating_sub(1),
            Action::Down => p.selected = (p.selected + 1).min(p.rows.len().saturating_sub(1)),
            Action::Submit => p.detail = !p.rows.is_empty(),
            Action::Back => {
                if p.detail {
                    p.detail = false;
                } else if !p.search.is_empty() {
                    p.search.clear();
                    return reload(self);
                }
            }
            Action::FilterType => {
                let names: Vec<String> = self.cfg.pass_types.iter().map(|t| t.name.clone()).collect();
                p.type_filter = cycle_opt(&names, p.type_filter.as_ref());
                return reload(self);
            }
            Action::FilterStatus => {
                p.status_filter = cycle_opt(&[PassStatus::Unused, PassStatus::Used, PassStatus::Void], p.status_filter.as_ref());
                return reload(self);
            }
            Action::FilterPayment => {
                p.payment_filter = cycle_opt(&[PaymentMode::Cash, PaymentMode::Online], p.payment_filter.as_ref());
                return reload(self);
            }
            Action::CycleSort => {
                p.sort = match p.sort {
                    SortKey::Newest => SortKey::Name,
                    SortKey::Name => SortKey::Status,
                    SortKey::Status => SortKey::Newest,
                };
                sort_passes(&mut p.rows, p.sort);
            }
            Action::Refresh => return reload(self),
            Action::Void if self.selected_pass().is_some() => {
                self.prompt = Some(Prompt { kind: PromptKind::VoidReason, input: TextField::new("Reason for voiding", "reason") });
            }
            Action::Unscan if self.selected_pass().is_some_and(|v| v.status == PassStatus::Used) => {
                self.prompt =
                    Some(Prompt { kind: PromptKind::UnscanReason, input: TextField::new("Reason for undoing the admission", "reason") });
            }
            Action::Unscan => self.warn("only an admitted (used) pass can be unscanned"),
            Action::Print => {
                if let Some(v) = self.selected_pass() {
                    return vec![Effect::Print { pass_id: Some(v.pass.id.clone()), resident_id: None }];
                }
            }
            Action::Export => {
                let mut input = TextField::new("Export passes to CSV file", "path");
                input.set(&self.data_dir.join("passes.csv").display().to_string());
                self.prompt = Some(Prompt { kind: PromptKind::ExportPath, input });
            }
            _ => {}
        }
        vec![]
    }

    fn update_prompt(&mut self, action: Action) -> Vec<Effect> {
        let Some(prompt) = self.prompt.as_mut() else { return vec![] };
        match action {
            Action::Back | Action::Confirm(false) => self.prompt = None,
            Action::Type(k) => prompt.input.input(k),
            Action::Paste(s) => prompt.input.paste(&s),
            Action::Submit | Action::Confirm(true) => {
                let text = prompt.input.value().trim().to_string();
                let kind = prompt.kind;
                match kind {
                    PromptKind::VoidReason if text.is_empty() => self.warn("a reason is required"),
                    PromptKind::VoidReason => {
                        // Ask once more: voiding cannot be undone.
                        let mut input = TextField::new("Void this pass? y/n", "reason");
                        input.set(&text);
                        self.prompt = Some(Prompt { kind: PromptKind::VoidConfirm, input });
                    }
                    PromptKind::VoidConfirm if action == Action::Confirm(true) => {
                        self.prompt = None;
                        if let Some(v) = self.selected_pass() {
                            return vec![Effect::VoidPass { id: v.pass.id.clone(), reason: text }];
                        }
                    }
                    PromptKind::UnscanReason if text.is_empty() => self.warn("a reason is required"),
                    PromptKind::UnscanReason => {
                        self.prompt = None;
                        if let Some(v) = self.selected_pass() {
                            return vec![Effect::UnscanPass { id: v.pass.id.clone(), reason: text }];
                        }
                    }
                    PromptKind::ExportPath if !text.is_empty() => {
                        self.prompt = None;
                        return vec![Effect::Export { kind: ExportKind::Passes, path: PathBuf::from(text) }];
                    }
                    PromptKind::DeactivateConfirm if action == Action::Confirm(true) => {
                        self.prompt = None;
                        if let Some(r) = self.selected_resident() {
                            return vec![Effect::DeactivateResident { id: r.resident.id.clone() }];
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
        vec![]
    }

    fn update_residents(&mut self, action: Action) -> Vec<Effect> {
        if let Some(form) = self.residents.form.as_mut() {
            let n = form.fields.len();
            match action {
                Action::Up => form.focus = (form.focus + n - 1) % n,
                Action::Down => form.focus = (form.focus + 1) % n,
                Action::Type(k) => form.fields[form.focus].input(k),
                Action::Paste(s) => form.fields[form.focus].paste(&s),
                Action::Back => {
                    self.residents.form = None;
                    self.status = None;
                }
                Action::CapturePhoto => return vec![Effect::CapturePhoto],
                Action::Submit if form.focus + 1 < n => form.focus += 1,
                Action::Submit if !form.busy => {
                    form.busy = true;
                    form.errors = Default::default();
                    return vec![Effect::AddResident(form.request())];
                }
                _ => {}
            }
            return vec![];
        }
        let r = &mut self.residents;
        match action {
            Action::Up => r.selected = r.selected.saturating_sub(1),
            Action::Down => r.selected = (r.selected + 1).min(r.rows.len().saturating_sub(1)),
            Action::Submit => r.detail = !r.rows.is_empty(),
            Action::Back => r.detail = false,
            Action::AddResident => {
                r.form = Some(ResidentForm::default());
                r.detail = false;
            }
            Action::Refresh => return vec![Effect::LoadResidents],
            Action::Deactivate if self.selected_resident().is_some_and(|v| v.resident.active) => {
                self.prompt =
                    Some(Prompt { kind: PromptKind::DeactivateConfirm, input: TextField::new("Deactivate this card? y/n", "confirm") });
            }
            Action::Print => {
                if let Some(v) = self.selected_resident() {
                    return vec![Effect::Print { pass_id: None, resident_id: Some(v.resident.id.clone()) }];
                }
            }
            _ => {}
        }
        vec![]
    }

    /// A tick: the clock text, wedge pauses, periodic stats and backups.
    pub fn tick(&mut self, now: Instant, clock: String) -> Vec<Effect> {
        self.clock = clock;
        let mut fx = Vec::new();
        if self.actor.is_none() {
            return fx;
        }
        if self.screen == Screen::Scan {
            if let Some(text) = self.scan.wedge.take_if_paused(now) {
                fx.extend(self.submit_scan(text, ScanSource::Wedge, Some(now)));
            }
        }
        if matches!(self.screen, Screen::Scan | Screen::Stats)
            && self.last_stats.is_none_or(|t| now.saturating_duration_since(t) >= STATS_EVERY)
        {
            self.last_stats = Some(now);
            fx.push(Effect::LoadStats);
        }
        match self.last_backup {
            None => self.last_backup = Some(now),
            Some(t) if now.saturating_duration_since(t) >= BACKUP_EVERY => {
                self.last_backup = Some(now);
                fx.push(Effect::Backup);
            }
            Some(_) => {}
        }
        fx
    }

    pub fn camera(&mut self, note: CameraNote) -> Vec<Effect> {
        match note {
            CameraNote::Opened(d) => {
                self.camera = d;
                self.camera_ok = true;
            }
            CameraNote::Error(e) => {
                self.camera = e;
                self.camera_ok = false;
                self.preview = None;
            }
            CameraNote::Ended => {
                self.camera = "camera stopped".into();
                self.camera_ok = false;
            }
            // The capture thread already debounced it; scan only once signed in.
            CameraNote::Decoded(text) if self.actor.is_some() => {
                self.scan.busy = true;
                return vec![Effect::Scan { payload: text, source: ScanSource::Camera }];
            }
            CameraNote::Decoded(_) => {}
        }
        vec![]
    }

    /// Take a worker result into the state.
    pub fn apply(&mut self, outcome: Outcome) -> Vec<Effect> {
        match outcome {
            Outcome::LoggedIn(actor) => {
                self.login = LoginState::default();
                self.actor = Some(actor);
                return self.enter(Screen::Scan);
            }
            Outcome::LoginFailed(e) => {
                self.login.busy = false;
                self.login.error = Some(e);
            }
            Outcome::Scanned(out, source, photo) => {
                self.scan.busy = false;
                self.scan.photo = photo;
                let bell = if out.verdict.admits() { Bell::Admit } else { Bell::Deny };
                self.scan.recent.push_front(((*out).clone(), source));
                self.scan.recent.truncate(RECENT);
                self.scan.last = Some(*out);
                if self.screen != Screen::Scan && self.screen != Screen::Stats {
                    let v = self.scan.last.as_ref().map(|o| o.verdict.as_str()).unwrap_or("");
                    self.say(format!("scan: {v} (see the Scan screen)"));
                }
                return vec![Effect::Bell(bell), Effect::LoadStats];
            }
            Outcome::Issued(v) => {
                self.issue.busy = false;
                self.say(format!("issued pass {}", &v.pass.id[..8]));
                self.issue.issued = Some(v);
            }
            Outcome::IssueRejected(e) => {
                self.issue.busy = false;
                if let Some(first) = e.0.first() {
                    self.warn(format!("{}: {}", first.field, first.message));
                }
                self.issue.errors = e;
            }
            Outcome::Passes(rows) => {
                let mut rows: Vec<PassView> = rows.into_iter().map(|p| *p).collect();
                sort_passes(&mut rows, self.passes.sort);
                self.passes.rows = rows;
                self.passes.selected = self.passes.selected.min(self.passes.rows.len().saturating_sub(1));
            }
            Outcome::PassChanged(p, what) => {
                self.say(format!("pass {} {what}", &p.id[..8]));
                return vec![Effect::LoadPasses(self.pass_filter()), Effect::LoadStats];
            }
            Outcome::Residents(rows) => {
                self.residents.rows = rows;
                self.residents.selected = self.residents.selected.min(self.residents.rows.len().saturating_sub(1));
            }
            Outcome::ResidentAdded(v) => {
                self.residents.form = None;
                self.say(format!("registered {} ({})", v.resident.name, v.resident.room));
                let id = v.resident.id.clone();
                self.residents.rows.push(*v);
                self.residents.selected = self.residents.rows.iter().position(|r| r.resident.id == id).unwrap_or(0);
                self.residents.detail = true;
                return vec![Effect::LoadResidents];
            }
            Outcome::ResidentRejected(e) => {
                if let Some(f) = self.residents.form.as_mut() {
                    f.busy = false;
                    f.errors = e;
                }
            }
            Outcome::PhotoSaved(path) => {
                if let Some(f) = self.residents.form.as_mut() {
                    f.set("photo", &path.display().to_string());
                }
                self.say(format!("photo saved to {}", path.display()));
            }
            Outcome::Ledger(blocks, total) => {
                self.ledger.blocks = blocks;
                self.ledger.total = total;
            }
            Outcome::Verified(r) => {
                self.ledger.verifying = false;
                self.ledger.report = Some(r);
            }
            Outcome::Stats(s) => self.stats = Some(*s),
            Outcome::Done(msg) => self.say(msg),
            Outcome::Failed(msg) => {
                self.scan.busy = false;
                self.issue.busy = false;
                self.login.busy = false;
                self.ledger.verifying = false;
                if let Some(f) = self.residents.form.as_mut() {
                    f.busy = false;
                }
                self.warn(msg);
            }
        }
        vec![]
    }

    pub fn progress(&mut self, done: u64) {
        self.ledger.progress = done;
    }
}

fn cycle_opt<T: Clone + PartialEq>(all: &[T], cur: Option<&T>) -> Option<T> {
    match cur.and_then(|c| all.iter().position(|x| x == c)) {
        None => all.first().cloned(),
        Some(i) if i + 1 < all.len() => Some(all[i + 1].clone()),
        Some(_) => None,
    }
}

fn sort_passes(rows: &mut [PassView], key: SortKey) {
    match key {
        SortKey::Newest => rows.sort_by(|a, b| b.pass.created_at.cmp(&a.pass.created_at)),
        SortKey::Name => rows.sort_by_key(|v| v.pass.holder_name.to_lowercase()),
        SortKey::Status => rows.sort_by_key(|v| v.status.as_str()),
    }
}
