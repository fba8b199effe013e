//! The command-line contract. Scripts rely on these forms; add options
//! freely, but keep the ones listed in README.md.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::service::ExportKind;

#[derive(Debug, Parser)]
#[command(name = "gatehouse", version, about = "Gate console: signed QR passes, resident cards and a tamper-evident ledger")]
pub struct Cli {
    /// Data directory (database, key, config, logs, backups).
    #[arg(long, global = true, env = "GATEHOUSE_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Config file (default: DATA_DIR/config.toml).
    #[arg(long, global = true, env = "GATEHOUSE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The event's database: a postgresql:// URL shared by all gates
    /// (overrides `[storage] database`); the password comes from
    /// PGPASSWORD or ~/.pgpass, never from the URL.
    #[arg(long, global = true, env = "GATEHOUSE_DATABASE_URL", value_name = "URL")]
    pub database: Option<String>,
    /// Act as this user; the password comes from GATEHOUSE_PASSWORD or a prompt.
    #[arg(long, global = true, env = "GATEHOUSE_USER", value_name = "NAME")]
    pub user: Option<String>,
    /// Gate name recorded with scans (default: gate.name from the config).
    #[arg(long, global = true, value_name = "NAME")]
    pub gate: Option<String>,
    /// Camera source, overriding `[camera] source`: `none`, a device index
    /// such as `0`, `replay:DIR[@FPS][,once]` (also `replay:FILE`) or `still:FILE`.
    #[arg(long, global = true, value_name = "SOURCE")]
    pub camera: Option<crate::camera::SourceSpec>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the data directory, config, key file, database and first admin.
    Init(InitArgs),
    /// Manage users (admins only).
    #[command(subcommand)]
    User(UserCmd),
    /// Event passes.
    #[command(subcommand)]
    Pass(PassCmd),
    /// Resident cards.
    #[command(subcommand)]
    Resident(ResidentCmd),
    /// Scan a payload or the QR code in an image, and print the verdict.
    Scan(ScanArgs),
    /// The tamper-evident ledger.
    #[command(subcommand)]
    Ledger(LedgerCmd),
    /// Counts, revenue, occupancy and scans per hour.
    Stats(JsonFlag),
    /// Write passes, residents or the ledger as CSV.
    Export(ExportArgs),
    /// Take a consistent backup and apply the retention.
    Backup(BackupArgs),
    /// Replace the database with a backup, after verifying its ledger.
    Restore(RestoreArgs),
    /// HMAC keys.
    #[command(subcommand)]
    Key(KeyCmd),
    /// The event's database: status, and copies between SQLite and PostgreSQL.
    #[command(subcommand)]
    Db(DbCmd),
    /// Measure the core's speed on a scratch database.
    #[command(subcommand)]
    Bench(BenchCmd),
    /// Print a pass's ticket on the thermal printer (no sign-in; retry freely).
    Print(PrintArgs),
    /// Read the QR code in each image; one JSON line per image.
    Decode(DecodeArgs),
    /// List the cameras this machine has.
    Cameras,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Username of the first admin (asked when missing).
    #[arg(long, value_name = "NAME")]
    pub admin: Option<String>,
    /// Display name of the first admin.
    #[arg(long, value_name = "TEXT")]
    pub display_name: Option<String>,
    /// Read the admin password once from standard input.
    #[arg(long)]
    pub password_stdin: bool,
    /// Join an event already in the shared database: a copy of the first
    /// gate's key file, checked against the ledger before it is used.
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct JsonFlag {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum UserCmd {
    /// Add a user.
    Add {
        username: String,
        #[arg(long, default_value = "operator", value_parser = ["admin", "operator"])]
        role: String,
        #[arg(long, value_name = "TEXT", default_value = "")]
        display_name: String,
        /// Read the new user's password once from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users.
    List(JsonFlag),
    /// Disable a user.
    Disable { username: String },
    /// Enable a disabled user.
    Enable { username: String },
    /// Set a user's password.
    Passwd {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum PassCmd {
    /// Issue a pass; prints its id (or the whole pass with --json).
    Issue(IssueArgs),
    /// List passes.
    List(PassListArgs),
    /// Show one pass (an unambiguous id prefix is enough).
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Void a pass.
    Void {
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// Undo a mistaken admission.
    Unscan {
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// Render the pass's QR code.
    Qr {
        id: String,
        #[command(flatten)]
        out: QrOut,
    },
    /// Draw the pass's ticket as a PNG card, to send by phone or e-mail.
    Card(CardArgs),
    /// Import passes from a CSV file: all rows or none (admins only).
    Import(ImportArgs),
}

#[derive(Debug, Args)]
pub struct PrintArgs {
    /// Id (an unambiguous prefix of 4+ characters is enough).
    pub id: String,
    #[command(flatten)]
    pub opts: PrinterOpts,
}

#[derive(Debug, Args)]
pub struct PrinterOpts {
    /// file:PATH, tcp:HOST:PORT, dev:/dev/usb/lp0 or cups:NAME (default: printer.target).
    #[arg(long, value_name = "TARGET")]
    pub printer: Option<String>,
    /// How the QR code is printed (default: printer.qr_mode).
    #[arg(long, value_name = "raster|native", value_parser = ["raster", "native"])]
    pub mode: Option<String>,
}

#[derive(Debug, Args)]
pub struct CardArgs {
    pub id: String,
    /// The PNG file to write.
    #[arg(long, value_name = "FILE")]
    pub png: PathBuf,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// CSV with the header type,name,phone,name2,phone2,payment,txn,slot,price.
    pub file: PathBuf,
    /// Print every imported pass (printer.target or --printer).
    #[arg(long)]
    pub print: bool,
    /// Write one PNG card per imported pass into this folder.
    #[arg(long, value_name = "DIR")]
    pub cards: Option<PathBuf>,
    #[command(flatten)]
    pub opts: PrinterOpts,
}

#[derive(Debug, Args)]
pub struct IssueArgs {
    #[arg(long = "type", value_name = "T")]
    pub pass_type: String,
    #[arg(long)]
    pub name: String,
    #[arg(long)]
    pub phone: String,
    #[arg(long)]
    pub name2: Option<String>,
    #[arg(long)]
    pub phone2: Option<String>,
    #[arg(long, value_name = "CASH|ONLINE")]
    pub payment: String,
    #[arg(long, value_name = "REF")]
    pub txn: Option<String>,
    #[arg(long, value_name = "S")]
    pub slot: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PassListArgs {
    #[arg(long)]
    pub search: Option<String>,
    #[arg(long = "type", value_name = "T")]
    pub pass_type: Option<String>,
    #[arg(long, value_parser = ["unused", "used", "void"])]
    pub status: Option<String>,
    #[arg(long, value_parser = ["CASH", "ONLINE", "cash", "online"])]
    pub payment: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct QrOut {
    #[arg(long, value_name = "FILE", required_unless_present_any = ["svg", "terminal"], conflicts_with_all = ["svg", "terminal"])]
    pub png: Option<PathBuf>,
    #[arg(long, value_name = "FILE", conflicts_with = "terminal")]
    pub svg: Option<PathBuf>,
    /// Draw the code in this terminal.
    #[arg(long)]
    pub terminal: bool,
}

#[derive(Debug, Subcommand)]
pub enum ResidentCmd {
    /// Register a resident; prints the id (or the record with --json).
    Add(ResidentAddArgs),
    /// List residents with their IN/OUT status.
    List {
        #[arg(long)]
        search: Option<String>,
        /// Include deactivated residents.
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Show one resident.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Deactivate a resident's card.
    Deactivate {
        id: String,
        #[arg(long, default_value = "moved out")]
        reason: String,
    },
    /// Render the resident's QR code.
    Qr {
        id: String,
        #[command(flatten)]
        out: QrOut,
    },
    /// Print the resident's card on the thermal printer.
    Print(PrintArgs),
    /// Draw the resident's card as a PNG.
    Card(CardArgs),
}

#[derive(Debug, Args)]
pub struct ResidentAddArgs {
    #[arg(long)]
    pub name: String,
    #[arg(long)]
    pub room: String,
    #[arg(long, default_value = "")]
    pub floor: String,
    #[arg(long, default_value = "")]
    pub phone: String,
    #[arg(long, default_value = "")]
    pub email: String,
    #[arg(long, default_value = "")]
    pub address: String,
    /// Move-in date, YYYY-MM-DD.
    #[arg(long, default_value = "")]
    pub move_in: String,
    #[arg(long, default_value = "")]
    pub occupation: String,
    #[arg(long, default_value = "")]
    pub emergency_contact: String,
    /// A photo file shown on the scan screen.
    #[arg(long)]
    pub photo: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The text of a QR code, as a wedge scanner types it.
    #[arg(long, required_unless_present_any = ["image", "payload_file"], conflicts_with_all = ["image", "payload_file"])]
    pub payload: Option<String>,
    /// An image holding a QR code.
    #[arg(long, value_name = "FILE", conflicts_with = "payload_file")]
    pub image: Option<PathBuf>,
    /// Scan every line of a file (`-` for standard input) in turn, e.g. a
    /// scanner's offline memory; one verdict line each.
    #[arg(long, value_name = "FILE")]
    pub payload_file: Option<PathBuf>,
    /// This scan's id, chosen by the caller: a retry with the same nonce is
    /// recorded once and answered as the first time (default: a new one).
    #[arg(long, value_name = "TEXT", conflicts_with = "payload_file")]
    pub nonce: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum DbCmd {
    /// Backend, server version, schema version and round-trip time.
    Status(JsonFlag),
    /// Copy everything (users, passes, residents, scans, ledger) into an
    /// empty target: a postgresql:// URL or a new SQLite file.
    Copy {
        /// The target: a postgresql:// URL (an empty database) or a path
        /// for a new SQLite file.
        #[arg(long, value_name = "URL_OR_PATH")]
        to: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum LedgerCmd {
    /// Recompute every block; exit 0 only when the chain is intact.
    Verify {
        /// A head written down earlier, to detect truncation.
        #[arg(long, value_name = "INDEX:HASH")]
        expect_head: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Print the head as INDEX:HASH, to write down or export.
    Head(JsonFlag),
    /// Print blocks.
    Show {
        #[arg(long, default_value_t = 0)]
        from: u64,
        #[arg(long, default_value_t = 100)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(value_enum)]
    pub what: ExportKind,
    #[arg(long, value_name = "FILE")]
    pub csv: PathBuf,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Folder for the copy (default: backup.dir in the config).
    #[arg(long, value_name = "DIR")]
    pub to: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    pub file: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum KeyCmd {
    /// Add a new signing key; passes signed with older keys keep verifying.
    Rotate,
    /// List key ids (never the keys).
    List,
}

#[derive(Debug, Subcommand)]
pub enum BenchCmd {
    /// Scan transaction latency over a database of N passes.
    Scan {
        #[arg(long, default_value_t = 100_000)]
        passes: usize,
        #[arg(long, default_value_t = 2_000)]
        scans: usize,
        /// SQLite synchronous mode: full or normal.
        #[arg(long, default_value = "full", value_parser = ["full", "normal"])]
        sync: String,
        /// Concurrent gates, each with its own connection (with the global
        /// --database URL: an empty scratch PostgreSQL database).
        #[arg(long, default_value_t = 1)]
        gates: usize,
    },
    /// Ledger verification rate over N blocks.
    Verify {
        #[arg(long, default_value_t = 100_000)]
        blocks: usize,
    },
    /// CSV import of N rows (parse, validate, duplicate checks, insert).
    Import {
        #[arg(long, default_value_t = 10_000)]
        rows: usize,
    },
    /// QR decoding over a folder tree of images with their expected text
    /// beside them (`NAME.txt` for `NAME.png`): correct, wrong, timings.
    Decode(BenchDecodeArgs),
}

#[derive(Debug, Args)]
pub struct DecodeArgs {
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<PathBuf>,
    /// `pipeline`, or stage names joined by `+` (e.g. `rxing`, `rqrr+rqrr-adaptive`).
    #[arg(long, default_value = "pipeline", value_name = "STAGES")]
    pub engine: String,
}

#[derive(Debug, Args)]
pub struct BenchDecodeArgs {
    pub dir: PathBuf,
    /// Paste each image into a frame of this size first (scaled down to fit).
    #[arg(long, value_name = "WxH")]
    pub frame: Option<crate::camera::Resolution>,
    /// `pipeline`, or stage names joined by `+` (e.g. `rxing`, `rqrr+rqrr-adaptive`).
    #[arg(long, default_value = "pipeline", value_name = "STAGES")]
    pub engine: String,
    /// Per-image time budget in milliseconds, as the camera uses.
    #[arg(long, value_name = "MS")]
    pub budget_ms: Option<f64>,
    /// Decode each image N times and keep the fastest run (for a busy machine).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub repeat: usize,
    /// One line per image: ok / WRONG / miss, ms, stage, file.
    #[arg(long)]
    pub verbose: bool,
}
