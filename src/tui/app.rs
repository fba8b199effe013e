//! The console's state and its routing: an action in, to the global keys or
//! the open screen, effects out. Each screen's own state and update live in
//! `screens/`. No terminal, no database, no clock reads here.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use image::GrayImage;
use ratatui::crossterm::event::{KeyCode, KeyEvent};

use super::action::Action;
use super::component::Component;
use super::effect::{Asker, Effect, Job, Outcome, ScanSource};
use super::event::CameraNote;
use super::keys;
use super::screens::prompt::Prompt;
use super::screens::{Ctx, Screens};
use super::theme::Theme;
use super::view::View;
use super::wedge::{Input, Wedge, is_code_char};
use crate::config::Config;
use crate::domain::stats::Stats;
use crate::domain::user::Actor;

pub use super::screens::issue::{IssueField, IssueForm};
pub use super::screens::ledger::LedgerState;
pub use super::screens::login::LoginState;
pub use super::screens::passes::{PassesState, SortKey};
pub use super::screens::residents::{ResidentForm, ResidentsState};
pub use super::screens::scan::ScanState;
pub use super::screens::{Screen, Status};

/// A screen's context, borrowed field by field so the screens can be
/// borrowed mutably beside it.
macro_rules! cx {
    ($app:ident) => {
        &mut Ctx { cfg: &$app.cfg, data_dir: &$app.data_dir, status: &mut $app.status }
    };
}

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;
/// Stats refresh on their own this often, besides after every scan.
const STATS_EVERY: Duration = Duration::from_secs(5);
const BACKUP_EVERY: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone)]
pub struct App {
    pub cfg: Config,
    pub gate: String,
    pub data_dir: PathBuf,
    pub clock: String,
    pub camera: String,
    pub camera_ok: bool,
    /// Whether this gate shares a server: then a sync job runs on a timer.
    pub remote: bool,
    /// A gate with a server: its freshness (ONLINE/OFFLINE, replica age,
    /// queue, conflicts), as the last sync job found it.
    pub sync: Option<super::offline::SyncView>,
    /// When the next sync job is due, and whether one is running.
    next_sync: Option<Instant>,
    syncing: bool,
    /// The latest camera frame, already downscaled for the preview.
    pub preview: Option<GrayImage>,
    pub screen: Screen,
    pub actor: Option<Actor>,
    /// Every screen's own state; the open one gets the keys.
    pub screens: Screens,
    pub stats: Option<Stats>,
    /// Why the stats shown are not current (the server did not answer).
    pub stats_offline: Option<String>,
    /// The event's gates as the last stats load found them.
    pub gates: Vec<crate::service::GateView>,
    /// Conflicts acknowledged from this console, hidden before the sync
    /// thread's next read of the list.
    pub acked: Vec<u64>,
    /// The list of open conflicts, opened with F9.
    pub conflict_list: Option<super::screens::conflicts::ConflictList>,
    /// The scanner path: every key passes here before any binding.
    pub wedge: Wedge,
    /// The scan (by number) whose verdict arrived while the Scan screen's
    /// verdict box was out of view: drawn over the screen until it expires.
    pub verdict_strip: Option<u64>,
    pub help: bool,
    /// Asking "Quit?": quitting always asks first.
    pub confirm_quit: bool,
    /// Asking "Sign out?" because a form holds input.
    pub confirm_sign_out: bool,
    /// The last key, for the idle lock.
    last_key: Option<Instant>,
    pub status: Option<Status>,
    pub quit: bool,
    last_stats: Option<Instant>,
    last_backup: Option<Instant>,
}

impl App {
    pub fn new(cfg: Config, gate: String, data_dir: PathBuf) -> App {
        let mut screens = Screens::default();
        screens.scan.direction = Some(cfg.gate_direction());
        App {
            cfg,
            gate,
            data_dir,
            clock: String::new(),
            camera: "No camera".into(),
            camera_ok: false,
            remote: false,
            sync: None,
            next_sync: None,
            syncing: false,
            preview: None,
            screen: Screen::Login,
            actor: None,
            screens,
            stats: None,
            stats_offline: None,
            gates: Vec::new(),
            acked: Vec::new(),
            conflict_list: None,
            wedge: Wedge::default(),
            verdict_strip: None,
            help: false,
            confirm_quit: false,
            confirm_sign_out: false,
            last_key: None,
            status: None,
            quit: false,
            last_stats: None,
            last_backup: None,
        }
    }

    /// The tabs this user may open: operators see Scan and Stats only.
    pub fn tabs(&self) -> Vec<Screen> {
        let Some(a) = &self.actor else { return vec![] };
        Screen::FIXED.into_iter().filter(|s| a.is_admin() || !s.admin_only()).collect()
    }

    /// The offline-capable gate's state, when this is one.
    pub fn sync_view(&self) -> Option<super::offline::SyncView> {
        self.sync.clone()
    }

    /// Whether this gate's server did not answer (an offline-capable gate only).
    pub fn offline(&self) -> bool {
        self.sync_view().is_some_and(|v| !v.fresh.online)
    }

    /// Open conflicts, less those acknowledged here that the sync thread
    /// has not read back yet: the header's count moves with F9.
    pub fn open_conflicts(&self) -> usize {
        let Some(v) = self.sync_view() else { return 0 };
        let acked_here = v.conflicts.iter().filter(|c| !c.acknowledged && self.acked.contains(&c.block)).count();
        v.open_conflicts.saturating_sub(acked_here)
    }

    /// The conflict the alert shows (the oldest not acknowledged), and how
    /// many are open.
    pub fn alert(&self) -> Option<(crate::domain::offline::Conflict, usize)> {
        let open = self.open_list();
        let n = open.len();
        open.into_iter().next().map(|c| (c, n))
    }

    /// Conflicts not acknowledged, here or elsewhere, oldest first.
    pub fn open_list(&self) -> Vec<crate::domain::offline::Conflict> {
        let Some(v) = self.sync_view() else { return vec![] };
        v.conflicts.into_iter().filter(|c| !c.acknowledged && !self.acked.contains(&c.block)).collect()
    }

    /// The open screen, as a component.
    pub fn open(&self) -> &dyn Component {
        self.screens.get(self.screen)
    }

    /// What the screens may read while drawing, besides their own state.
    pub fn view<'a>(&'a self, theme: &'a Theme) -> View<'a> {
        View {
            theme,
            cfg: &self.cfg,
            gate: &self.gate,
            actor: self.actor.as_ref(),
            stats: self.stats.as_ref(),
            stats_offline: self.stats_offline.as_deref(),
            gates: &self.gates,
            camera: &self.camera,
            camera_ok: self.camera_ok,
            preview: self.preview.as_ref(),
        }
    }

    /// The open screen's prompt, if it asked something.
    pub fn prompt(&self) -> Option<&Prompt> {
        self.open().prompt()
    }

    pub fn prompt_open(&self) -> bool {
        self.prompt().is_some()
    }

    pub fn prompt_is_confirm(&self) -> bool {
        self.prompt().is_some_and(Prompt::is_confirm)
    }

    /// Is a text input focused, so that letters and digits are text?
    pub fn editing_text(&self) -> bool {
        self.open().editing_text()
    }

    /// Unsaved input that quitting would lose, on any screen.
    pub fn has_unsaved_input(&self) -> bool {
        Screen::ALL.iter().any(|s| self.screens.get(*s).dirty())
    }

    /// Open a screen, with the effects that load what it shows.
    fn enter(&mut self, screen: Screen) -> Vec<Job> {
        self.screen = screen;
        self.status = None;
        Job::all(screen, self.screens.get_mut(screen).enter())
    }

    fn switch_tab(&mut self, delta: isize) -> Vec<Job> {
        let tabs = self.tabs();
        if tabs.is_empty() {
            return vec![];
        }
        let i = tabs.iter().position(|s| *s == self.screen).unwrap_or(0) as isize;
        let next = tabs[((i + delta).rem_euclid(tabs.len() as isize)) as usize];
        self.enter(next)
    }

    /// A key from the terminal. It goes through the scanner path first, on
    /// every screen and overlay, signed in or not: a burst is a scan and
    /// nothing else; what is left reaches the key bindings.
    pub fn key(&mut self, key: KeyEvent, at: Instant) -> Vec<Job> {
        self.last_key = Some(at);
        let inputs = self.wedge.key(key, at);
        self.route(inputs)
    }

    /// A scanner's read: checked when someone is signed in; on the sign-in
    /// screen dropped with a word (and a buzz), never typed into a field.
    fn scanned_burst(&mut self, text: String, at: Instant) -> Vec<Job> {
        let login = &mut self.screens.login;
        if self.actor.is_none() && login.busy {
            // Signing in right now: the guest waits a moment, not for a second read.
            login.pending_scan = Some((text, at));
            return vec![];
        }
        if self.actor.is_none() {
            login.scan_refused();
            let buzz = if self.cfg.console.sound { vec![Effect::Bell(super::effect::Bell::Deny)] } else { vec![] };
            return Job::all(Screen::Login, buzz);
        }
        let text = text.trim().to_string();
        // Our codes in capitals (a scanner set to lower case); others as read.
        let text = if text.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("GH1-")) { text.to_ascii_uppercase() } else { text };
        Job::all(Screen::Scan, self.screens.scan.submit(text, ScanSource::Wedge, Some(at)))
    }

    fn route(&mut self, inputs: Vec<Input>) -> Vec<Job> {
        let mut fx = Vec::new();
        for input in inputs {
            match input {
                Input::Scan { text, at } => fx.extend(self.scanned_burst(text, at)),
                Input::Key { key, at, fast: false } => fx.extend(keys::map(self, key, at).map(|a| self.update(a)).unwrap_or_default()),
                // Too quick for a person: text for an input, never a command.
                Input::Key { key, at, fast: true } => {
                    let text = keys::map(self, key, at).filter(|a| matches!(a, Action::Type(_) | Action::ScanChar(..)));
                    // On Scan a fast `q` is a letter of a code, never the quit key.
                    let action = text.or(match key.code {
                        KeyCode::Char(c)
                            if self.screen == Screen::Scan && !self.help && self.screens.scan.checkin.is_none() && is_code_char(c) =>
                        {
                            Some(Action::ScanChar(c, at))
                        }
                        _ => None,
                    });
                    fx.extend(action.map(|a| self.update(a)).unwrap_or_default());
                }
            }
        }
        fx
    }

    pub fn update(&mut self, action: Action) -> Vec<Job> {
        let mine = |fx: Vec<Effect>| Job::all(Asker::App, fx);
        match action {
            Action::ForceQuit => {
                self.quit = true;
                return mine(vec![Effect::Quit]);
            }
            Action::Quit => {
                // A second Ctrl-C while asking means it.
                if self.confirm_quit {
                    self.quit = true;
                    return mine(vec![Effect::Quit]);
                }
                self.confirm_quit = true;
                return vec![];
            }
            Action::Confirm(false) if self.confirm_quit || self.confirm_sign_out => {
                self.confirm_quit = false;
                self.confirm_sign_out = false;
                return vec![];
            }
            Action::SignOut if self.actor.is_some() => {
                if self.confirm_sign_out || !self.has_unsaved_input() {
                    return self.sign_out(None);
                }
                self.confirm_sign_out = true;
                return vec![];
            }
            Action::ToggleHelp => {
                self.help = !self.help;
                return vec![];
            }
            Action::AckConflict => {
                if self.actor.is_some() && self.alert().is_some() {
                    self.conflict_list = Some(Default::default());
                }
                return vec![];
            }
            _ => {}
        }
        if self.conflict_list.is_some() {
            let open = self.open_list();
            let Some(list) = self.conflict_list.as_mut() else { return vec![] };
            return match list.update(action, &open) {
                Some(fx) => mine(fx),
                None => {
                    self.conflict_list = None;
                    vec![]
                }
            };
        }
        if !self.prompt_open() {
            match action {
                Action::NextTab => return self.switch_tab(1),
                Action::PrevTab => return self.switch_tab(-1),
                Action::GoTo(i) => {
                    let Some(want) = Screen::FIXED.get(i).copied() else { return vec![] };
                    if self.tabs().contains(&want) {
                        return self.enter(want);
                    }
                    if self.actor.is_some() {
                        let mine: Vec<String> =
                            self.tabs().iter().filter_map(|s| s.fkey().map(|k| format!("F{k} {}", s.title()))).collect();
                        cx!(self).warn(format!("{} is for admins; yours: {}", want.title(), mine.join(", ")));
                    }
                    return vec![];
                }
                _ => {}
            }
        }
        let screen = self.screen;
        Job::all(screen, self.screens.get_mut(screen).update(action, cx!(self)))
    }

    /// Back to the login screen for the next operator. The camera, the
    /// last scans and the counts stay; every form, prompt and admin list goes.
    pub fn sign_out(&mut self, why: Option<String>) -> Vec<Job> {
        let Some(who) = self.actor.take() else { return vec![] };
        for s in Screen::ALL {
            self.screens.get_mut(s).sign_out();
        }
        self.screens.login =
            LoginState { error: Some(why.unwrap_or_else(|| format!("{} signed out", who.username))), ..Default::default() };
        self.wedge.clear();
        self.conflict_list = None;
        self.help = false;
        self.confirm_quit = false;
        self.confirm_sign_out = false;
        self.status = None;
        self.screen = Screen::Login;
        Job::all(Asker::App, vec![Effect::SignOut])
    }

    /// A tick: the clock text, wedge pauses, the idle lock, periodic stats
    /// and backups.
    pub fn tick(&mut self, now: Instant, clock: String) -> Vec<Job> {
        self.clock = clock;
        let mut fx = Vec::new();
        // Signed in or not: the replica stays fresh for the next operator.
        if self.remote && !self.syncing && self.next_sync.is_none_or(|t| now >= t) {
            self.syncing = true;
            fx.push(Job { asker: Asker::App, effect: Effect::Sync });
        }
        if self.actor.is_none() {
            let inputs = self.wedge.tick(now);
            fx.extend(self.route(inputs));
            return fx;
        }
        let idle = Duration::from_secs(self.cfg.console.idle_lock_minutes * 60);
        let last = *self.last_key.get_or_insert(now);
        if !idle.is_zero() && now.saturating_duration_since(last) >= idle {
            let m = self.cfg.console.idle_lock_minutes;
            return self.sign_out(Some(format!("locked after {m} idle minute{}; sign in again", if m == 1 { "" } else { "s" })));
        }
        let inputs = self.wedge.tick(now);
        fx.extend(self.route(inputs));
        // "… needs the server (offline)" is stale once the gate is back online.
        if !self.offline() && self.sync.is_some() && self.status.as_ref().is_some_and(|s| s.text.contains("needs the server (offline)")) {
            self.status = None;
        }
        // Back online with counts marked not current: ask for them now
        // (at most once a second, should the server still not answer).
        if self.stats_offline.is_some()
            && self.sync.is_some()
            && !self.offline()
            && self.last_stats.is_some_and(|t| now.saturating_duration_since(t) >= Duration::from_secs(1))
        {
            self.last_stats = None;
        }
        self.screens.scan.tick(now, Duration::from_secs_f64(self.cfg.console.verdict_secs));
        if matches!(self.screen, Screen::Scan | Screen::Stats)
            && self.last_stats.is_none_or(|t| now.saturating_duration_since(t) >= STATS_EVERY)
        {
            self.last_stats = Some(now);
            fx.push(Job { asker: Asker::App, effect: Effect::LoadStats });
        }
        match self.last_backup {
            None => self.last_backup = Some(now),
            Some(t) if now.saturating_duration_since(t) >= BACKUP_EVERY => {
                self.last_backup = Some(now);
                fx.push(Job { asker: Asker::App, effect: Effect::Backup });
            }
            Some(_) => {}
        }
        fx
    }

    pub fn camera(&mut self, note: CameraNote) -> Vec<Job> {
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
                return Job::all(Screen::Scan, self.screens.scan.send(text, ScanSource::Camera));
            }
            CameraNote::Decoded(_) => {}
        }
        vec![]
    }

    /// A worker result, for the one who asked. What every screen reads (the
    /// counts, the gate's link, who is signed in) the App keeps; the rest
    /// goes to the asking screen, and a message to the footer.
    pub fn apply(&mut self, to: impl Into<Asker>, outcome: Outcome) -> Vec<Job> {
        let to = to.into();
        match outcome {
            Outcome::LoggedIn(actor) => {
                let pending = self.screens.login.pending_scan.take();
                self.screens.login = LoginState::default();
                self.actor = Some(actor);
                self.last_key = None;
                let mut fx = self.enter(Screen::Scan);
                if let Some((text, at)) = pending {
                    fx.extend(self.scanned_burst(text, at));
                }
                fx
            }
            Outcome::Scanned(ref out, source, _) => {
                // Scanned from another screen or under a dialog: the verdict
                // over it in full, and in the footer.
                let covered = self.screen != Screen::Scan || self.help || self.screens.scan.under_checkin(source);
                let who = out.pass.as_ref().map(|p| p.holders()).or_else(|| out.resident.as_ref().map(|r| r.name.clone()));
                let line = format!(
                    "scan #{}: {} · {}",
                    self.screens.scan.seq + 1,
                    super::screens::scan::big_word(out),
                    who.unwrap_or(out.reason.clone())
                );
                let admits = out.verdict.admits();
                let mut fx = Job::all(Screen::Scan, self.screens.scan.outcome(outcome, cx!(self)));
                if covered {
                    self.verdict_strip = Some(self.screens.scan.seq);
                    if admits {
                        cx!(self).say(line);
                    } else {
                        cx!(self).warn(line);
                    }
                }
                // The open screen may show what the scan changed.
                let screen = self.screen;
                if screen != Screen::Scan {
                    fx.extend(Job::all(screen, self.screens.get_mut(screen).scanned()));
                }
                fx
            }
            Outcome::Stats(s) => {
                self.stats = Some(*s);
                self.stats_offline = None;
                vec![]
            }
            Outcome::Gates(g) => {
                self.gates = g;
                vec![]
            }
            Outcome::StatsOffline(why) => {
                self.stats_offline = Some(why);
                vec![]
            }
            Outcome::ConflictAcked(block, msg) => {
                if !self.acked.contains(&block) {
                    self.acked.push(block);
                }
                // The header's count is read again at once, not a pull later.
                if !self.syncing {
                    self.next_sync = None;
                }
                // The list follows: the next one chosen, closed when none is left.
                let left = self.open_list().len();
                match self.conflict_list.as_mut() {
                    Some(_) if left == 0 => self.conflict_list = None,
                    Some(l) => l.selected = l.selected.min(left - 1),
                    None => {}
                }
                cx!(self).say(msg);
                vec![]
            }
            Outcome::Synced(view) => {
                self.syncing = false;
                let every =
                    if view.fresh.online { super::offline::PULL_EVERY } else { Duration::from_secs_f64(self.cfg.offline.retry_secs) };
                self.next_sync = Some(Instant::now() + every);
                self.sync = Some(*view);
                vec![]
            }
            // The backup is the database only: say where the key must be kept.
            Outcome::BackedUp(file) => {
                cx!(self).say(format!("backup written: {} · the key is not in it: keep gatehouse.key apart", file.display()));
                vec![]
            }
            // Said in the footer; the asker may follow it (a list reloads).
            Outcome::Done(msg) => {
                if !msg.is_empty() {
                    cx!(self).say(msg.clone());
                }
                self.for_asker(to, Outcome::Done(msg))
            }
            // Only the screen that asked stops waiting; the footer says why.
            Outcome::Failed(msg) => {
                let fx = self.for_asker(to, Outcome::Failed(msg.clone()));
                cx!(self).warn(msg);
                fx
            }
            other => self.for_asker(to, other),
        }
    }

    /// An outcome for the screen that asked (the App asks for none of these).
    fn for_asker(&mut self, to: Asker, outcome: Outcome) -> Vec<Job> {
        let Asker::Screen(s) = to else { return vec![] };
        Job::all(s, self.screens.get_mut(s).outcome(outcome, cx!(self)))
    }
}
