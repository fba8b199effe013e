//! Effects are data: `App::update` returns them, the driver runs them (the
//! database ones on the worker thread) and feeds each result back.

use std::path::PathBuf;

use super::screens::Screen;
use crate::domain::ledger::StoredBlock;
use crate::domain::pass::{Pass, PassRequest};
use crate::domain::resident::ResidentRequest;
use crate::domain::scan::ScanOutcome;
use crate::domain::stats::Stats;
use crate::domain::user::Actor;
use crate::domain::validate::ValidationErrors;
use crate::service::{ExportKind, PassView, ResidentView};
use crate::store::PassFilter;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanSource {
    Camera,
    Wedge,
    /// Typed into the entry by a person.
    Manual,
    /// Found by name, phone or id and checked in by hand.
    CheckIn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bell {
    Admit,
    /// A pass already used: a pattern of its own, not a forgery's.
    AlreadyUsed,
    Deny,
}

/// A password on its way to the core: never printed, even in a debug log.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Login {
        username: String,
        password: String,
    },
    /// The worker forgets who was signed in.
    SignOut,
    /// Manual check-in: search, then the same scan by id.
    FindCheckIn(String),
    ScanManual {
        id: String,
        reason: String,
    },
    Scan {
        payload: String,
        source: ScanSource,
        /// An exit, or only some of a group: set by a key for one scan.
        opts: crate::service::ScanOpts,
    },
    Issue(PassRequest),
    /// The event's pass types (its rules, from the database), for the issue form.
    LoadPassTypes,
    LoadPasses(PassFilter),
    VoidPass {
        id: String,
        reason: String,
    },
    UnscanPass {
        id: String,
        reason: String,
    },
    /// Residents, those matching the search when there is one.
    LoadResidents(Option<String>),
    AddResident(ResidentRequest),
    DeactivateResident {
        id: String,
        reason: String,
    },
    CapturePhoto,
    LoadUsers,
    AddUser {
        username: String,
        display_name: String,
        role: crate::domain::user::Role,
        password: Secret,
    },
    SetUserDisabled {
        username: String,
        disabled: bool,
    },
    UnlockUser(String),
    SetPassword {
        username: String,
        password: Secret,
    },
    LoadLedger,
    VerifyLedger,
    LoadStats,
    SaveQr {
        payload: String,
        path: PathBuf,
    },
    Print {
        pass_id: Option<String>,
        resident_id: Option<String>,
    },
    Export {
        kind: ExportKind,
        path: PathBuf,
        /// For passes: the search and filters on screen.
        filter: PassFilter,
    },
    Backup,
    /// Acknowledge the conflict in this ledger block (a `conflict_ack`).
    AckConflict(u64),
    /// A gate with a server: upload queued scans, pull changes, read the
    /// open conflicts (a timed job, answered with `Outcome::Synced`).
    Sync,
    Bell(Bell),
    Quit,
}

impl Effect {
    /// Effects the driver runs itself rather than on the worker.
    pub fn is_local(&self) -> bool {
        matches!(self, Effect::Bell(_) | Effect::Quit)
    }
}

/// Who asked for an effect: its result goes back there, so one screen's
/// failure never clears another screen's busy flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asker {
    /// The console itself: the sync job, timed stats and backups, sign-out,
    /// the conflict list.
    App,
    Screen(Screen),
}

impl From<Screen> for Asker {
    fn from(s: Screen) -> Asker {
        Asker::Screen(s)
    }
}

/// An effect with the one who asked for it: what `App` hands the driver.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub asker: Asker,
    pub effect: Effect,
}

impl Job {
    pub fn all(asker: impl Into<Asker>, effects: Vec<Effect>) -> Vec<Job> {
        let asker = asker.into();
        effects.into_iter().map(|effect| Job { asker, effect }).collect()
    }
}

/// A resident's photo, ready to draw: sixel, kitty or iTerm2 where the
/// terminal has them, half blocks elsewhere.
#[derive(Clone)]
pub struct Photo(pub ratatui_image::protocol::Protocol);

impl std::fmt::Debug for Photo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Photo")
    }
}

/// The photo's size on the Scan screen, in cells.
pub const PHOTO_COLS: u16 = 24;
pub const PHOTO_ROWS: u16 = 10;

/// A worker result, fed back into `App::apply` with its asker.
#[derive(Debug, Clone)]
pub enum Outcome {
    LoggedIn(Actor),
    LoginFailed(String),
    Scanned(Box<ScanOutcome>, ScanSource, Option<Photo>),
    /// Check-in candidates for a query.
    Found(String, Vec<crate::service::Candidate>),
    Issued(Box<PassView>),
    IssueRejected(ValidationErrors),
    /// The holder has a live pass of this type and slot: which, in words, and its id.
    IssueDuplicate {
        held: String,
        existing_id: String,
    },
    /// The event's pass types and their rules.
    PassTypes(Vec<crate::domain::rules::TypeRule>),
    Passes(Vec<Box<PassView>>),
    PassChanged(Box<Pass>, &'static str),
    Residents(Vec<ResidentView>),
    PhotoSaved(PathBuf),
    ResidentAdded(Box<ResidentView>),
    ResidentRejected(ValidationErrors),
    Users(Vec<crate::domain::user::User>),
    /// A user was added, unlocked, disabled, enabled or given a password.
    UserChanged(String),
    UserRejected(ValidationErrors),
    Ledger(Vec<StoredBlock>, u64),
    /// The file, schema, chain and audit (boxed: it is large).
    Verified(Box<crate::service::Verification>),
    /// Ledger verification under way: blocks checked so far.
    Progress(u64),
    Stats(Box<Stats>),
    /// Stats could not be read: the server did not answer (offline gate).
    StatsOffline(String),
    /// The event's gates, read with the stats (Stats screen).
    Gates(Vec<crate::service::GateView>),
    /// A conflict is acknowledged (by us, or by another gate first).
    ConflictAcked(u64, String),
    /// A backup was written to this file.
    BackedUp(PathBuf),
    /// Where the gate stands after a sync: what the header shows.
    Synced(Box<super::offline::SyncView>),
    Done(String),
    Failed(String),
}
