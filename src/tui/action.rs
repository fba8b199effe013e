//! Named actions: what a key means on the current screen. `keys::map`
//! produces them and `App::update` consumes them, so behaviour is testable
//! without a terminal.

use std::time::Instant;

use ratatui::crossterm::event::KeyEvent;

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Quit,
    ForceQuit,
    /// Back to the login screen for the next operator.
    SignOut,
    ToggleHelp,
    Back,
    NextTab,
    PrevTab,
    GoTo(usize),
    /// Move focus between form fields or rows.
    Up,
    Down,
    /// Change a choice field (type, payment, slot) or a filter.
    Cycle(isize),
    /// Text for the focused input.
    Type(KeyEvent),
    Paste(String),
    Submit,
    /// A payload character for the scan entry, with its arrival time.
    ScanChar(char, Instant),
    ScanBackspace,
    ScanSubmit,
    /// The next scan records an exit (a `both` gate).
    ExitNext,
    /// Start typing K: the next scan admits K of a group's people left.
    GroupPart,
    IssueAnother,
    SavePng,
    Print,
    StartSearch,
    FilterType,
    FilterStatus,
    FilterPayment,
    CycleSort,
    Void,
    Unscan,
    Export,
    AddResident,
    AddUser,
    /// Lift a user's lockout.
    Unlock,
    /// Set a new password for the chosen user.
    ResetPassword,
    Deactivate,
    CapturePhoto,
    Verify,
    /// Copy the database now (the key file stays out of it).
    Backup,
    Refresh,
    Confirm(bool),
    /// F9: open the list of conflicts to acknowledge.
    AckConflict,
    /// In that list: acknowledge every open conflict (after a y/n).
    AckAll,
}
