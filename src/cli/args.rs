//! The command-line contract. Scripts rely on these forms; add options
//! freely, but keep the ones listed in README.md. Every argument needs a
//! one-line help (tests/help.rs walks the tree), and each subcommand ends its
//! help with an example or two.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::service::ExportKind;

#[derive(Debug, Parser)]
#[command(
    name = "gatehouse",
    version = concat!(env!("CARGO_PKG_VERSION"), " (", env!("GATEHOUSE_REVISION"), ")"),
    about = "Gate console: signed QR passes, resident cards and a tamper-evident ledger",
    long_about = "Gate console: signed QR passes, resident cards and a tamper-evident ledger.\n\n\
        Without a subcommand, opens the terminal console (the first run creates the data \
        directory and asks for the first admin). With one, runs it headless: exit 0 on \
        success or admission, 1 on a denial or a tampered ledger, 2 on an error.",
    next_help_heading = "Global options",
    after_help = "Examples:\n  gatehouse\n  gatehouse --data-dir /srv/gate pass list --status unused"
)]
pub struct Cli {
    /// Data directory (database, key, config, logs, backups).
    #[arg(long, global = true, env = "GATEHOUSE_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Config file (default: DATA_DIR/config.toml).
    #[arg(long, global = true, env = "GATEHOUSE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The event's database: a postgresql:// URL shared by all gates
    /// (overrides `[storage] database`); the password comes from
    /// PGPASSWORD or ~/.pgpass, never from the URL. TLS as in libpq:
    /// `?sslmode=disable|prefer|require|verify-ca|verify-full` (default
    /// prefer) and `&sslrootcert=CA.crt` (default ~/.postgresql/root.crt;
    /// `system` for the system's CAs).
    #[arg(long, global = true, env = "GATEHOUSE_DATABASE_URL", value_name = "URL")]
    pub database: Option<String>,
    /// Act as this user; the password comes from GATEHOUSE_PASSWORD, a
    /// live `gatehouse login` session of this user, or a prompt.
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
    #[command(
        after_help = "Examples:\n  gatehouse init --data-dir /srv/gate\n  echo \"$PW\" | gatehouse init --data-dir /srv/gate --admin asha \\\n      --password-stdin"
    )]
    Init(InitArgs),
    /// Sign in for a while, as sudo does: later commands need no password
    /// until the session ends or `gatehouse logout`.
    #[command(after_help = "Examples:\n  gatehouse --user asha login\n  gatehouse --user asha login --minutes 60")]
    Login(LoginArgs),
    /// End this shell's session (from `gatehouse login`) and remove its file.
    #[command(after_help = "Examples:\n  gatehouse logout\n  gatehouse --user asha logout")]
    Logout,
    /// Manage users (admins only).
    #[command(subcommand, after_help = "Examples:\n  gatehouse --user asha user add ravi --role operator\n  gatehouse user list")]
    User(UserCmd),
    /// Event passes.
    #[command(
        subcommand,
        after_help = "Examples:\n  gatehouse --user asha pass issue --type SINGLE --name \"Asha Rao\" \\\n      --phone 9876543210 --payment CASH\n  gatehouse pass list --status unused"
    )]
    Pass(PassCmd),
    /// Resident cards.
    #[command(
        subcommand,
        after_help = "Examples:\n  gatehouse --user asha resident add --name \"Ravi Kumar\" --room 204\n  gatehouse resident list --search ravi"
    )]
    Resident(ResidentCmd),
    /// Scan a payload or the QR code in an image, and print the verdict.
    #[command(
        after_help = "Examples:\n  gatehouse --user ravi scan --payload GH1-P-01-...\n  gatehouse --user ravi scan --image photo.jpg --json"
    )]
    Scan(ScanArgs),
    /// The tamper-evident ledger.
    #[command(subcommand, after_help = "Examples:\n  gatehouse ledger verify\n  gatehouse ledger verify --expect-head 1042:9F3A...")]
    Ledger(LedgerCmd),
    /// Counts, revenue, occupancy and scans per hour.
    #[command(after_help = "Examples:\n  gatehouse stats\n  gatehouse stats --json")]
    Stats(JsonFlag),
    /// Write passes, residents or the ledger as CSV.
    #[command(
        after_help = "Examples:\n  gatehouse --user asha export passes --csv passes.csv\n  gatehouse --user asha export ledger --csv ledger.csv"
    )]
    Export(ExportArgs),
    /// Take a consistent backup and apply the retention.
    #[command(after_help = "Examples:\n  gatehouse backup\n  gatehouse backup --to /media/usb")]
    Backup(BackupArgs),
    /// Replace the database with a backup, after verifying its ledger.
    #[command(
        after_help = "Example:\n  gatehouse --user asha restore \\\n      ~/.local/share/gatehouse/backups/gatehouse-20261201T180000Z.db"
    )]
    Restore(RestoreArgs),
    /// HMAC keys.
    #[command(subcommand, after_help = "Examples:\n  gatehouse key list\n  gatehouse --user asha key rotate")]
    Key(KeyCmd),
    /// The event's gates: enrolment tokens, the list, revocation.
    #[command(subcommand, after_help = "Examples:\n  gatehouse --user asha gate token --gate \"Gate B\"\n  gatehouse gate list")]
    Gate(GateCmd),
    /// Upload this gate's offline scans, then pull the server's changes
    /// into its replica (PostgreSQL gates).
    #[command(after_help = "Examples:\n  gatehouse sync\n  gatehouse sync --json")]
    Sync(JsonFlag),
    /// Passes admitted offline that were admitted elsewhere first.
    #[command(after_help = "Examples:\n  gatehouse --user asha conflicts\n  gatehouse --user asha conflicts --ack 1042 --json")]
    Conflicts(ConflictsArgs),
    /// The event's own settings, the same at every gate: its entry rules.
    #[command(
        subcommand,
        after_help = "Examples:\n  gatehouse --user asha event rules set rules.toml\n  gatehouse event rules show --json"
    )]
    Event(EventCmd),
    /// The event's database: status, and copies between SQLite and PostgreSQL.
    #[command(subcommand, after_help = "Examples:\n  gatehouse db status --json\n  gatehouse --user asha db copy --to event-copy.db")]
    Db(DbCmd),
    /// Measure the core's speed on a scratch database.
    #[command(
        subcommand,
        after_help = "Examples:\n  gatehouse bench scan --passes 10000\n  gatehouse bench decode ../shared/qr-samples --frame 1280x720"
    )]
    Bench(BenchCmd),
    /// Print a pass's ticket on the thermal printer (admins; retry freely).
    #[command(
        after_help = "Examples:\n  gatehouse --user asha print 7K3M\n  gatehouse --user asha print 7K3M \\\n      --printer tcp:192.168.1.50:9100 --mode native"
    )]
    Print(PrintArgs),
    /// Read the QR code in each image; one JSON line per image.
    #[command(after_help = "Examples:\n  gatehouse decode ticket.png\n  gatehouse decode --engine rqrr photos/*.jpg")]
    Decode(DecodeArgs),
    /// List the cameras this machine has.
    #[command(after_help = "Example:\n  gatehouse cameras")]
    Cameras,
    /// Print the manual page of gatehouse or of one of its commands (roff).
    #[command(after_help = "Examples:\n  gatehouse man pass issue | man -l -\n  gatehouse man --dir ~/.local/share/man/man1")]
    Man(ManArgs),
    /// Print the shell completion script for SHELL.
    #[command(
        after_help = "Examples:\n  gatehouse completions bash \\\n      > ~/.local/share/bash-completion/completions/gatehouse\n  gatehouse completions fish > ~/.config/fish/completions/gatehouse.fish"
    )]
    Completions(CompletionsArgs),
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The command whose page to print, e.g. `pass issue` (default: gatehouse itself).
    #[arg(value_name = "COMMAND", conflicts_with = "dir")]
    pub command: Vec<String>,
    /// Write the pages of gatehouse and of every command into this folder instead.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
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
    /// Join an event already in the shared database with a one-time token
    /// from `gatehouse gate token`: this gate makes its own device key and
    /// carries no key file.
    #[arg(long, value_name = "TOKEN", conflicts_with = "key_file")]
    pub enroll: Option<String>,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// How long the session lasts, in minutes (1 to 720).
    #[arg(long, default_value_t = crate::service::SESSION_MINUTES, value_parser = clap::value_parser!(i64).range(1..=crate::service::SESSION_MAX_MINUTES))]
    pub minutes: i64,
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
    #[command(
        after_help = "Examples:\n  gatehouse --user asha user add ravi --display-name \"Ravi K\"\n  echo \"$PW\" | gatehouse --user asha user add meena --role admin \\\n      --password-stdin"
    )]
    Add {
        /// Login name of the new user.
        username: String,
        /// Operators scan; admins also issue, void, register residents and manage users.
        #[arg(long, default_value = "operator", value_parser = ["admin", "operator"])]
        role: String,
        /// Name shown in the console and the ledger.
        #[arg(long, value_name = "TEXT", default_value = "")]
        display_name: String,
        /// Read the new user's password once from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users.
    #[command(after_help = "Examples:\n  gatehouse user list\n  gatehouse user list --json")]
    List(JsonFlag),
    /// Disable a user.
    #[command(after_help = "Example:\n  gatehouse --user asha user disable ravi")]
    Disable {
        /// Login name of the user to disable.
        username: String,
    },
    /// Enable a disabled user (also lifts a lockout).
    #[command(after_help = "Example:\n  gatehouse --user asha user enable ravi")]
    Enable {
        /// Login name of the user to enable.
        username: String,
    },
    /// Lift a lockout after wrong passwords before it ends.
    #[command(after_help = "Example:\n  gatehouse --user asha user unlock ravi")]
    Unlock {
        /// Login name of the locked-out user.
        username: String,
    },
    /// Set a user's password.
    #[command(
        after_help = "Examples:\n  gatehouse --user asha user passwd ravi\n  echo \"$PW\" | gatehouse --user asha user passwd ravi --password-stdin"
    )]
    Passwd {
        /// Login name of the user whose password changes.
        username: String,
        /// Read the new password once from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum PassCmd {
    /// Issue a pass; prints its id (or the whole pass with --json).
    #[command(
        after_help = "Examples:\n  gatehouse --user asha pass issue --type SINGLE --name \"Asha Rao\" \\\n      --phone 9876543210 --payment CASH\n  gatehouse --user asha pass issue --type COUPLE \\\n      --name Ravi --phone 9876500001 --name2 Meena --phone2 9876500002 \\\n      --payment ONLINE --txn UPI-4471 --json"
    )]
    Issue(IssueArgs),
    /// List passes.
    #[command(after_help = "Examples:\n  gatehouse pass list --search rao\n  gatehouse pass list --type COUPLE --status used --json")]
    List(PassListArgs),
    /// Show one pass (an unambiguous id prefix is enough).
    #[command(after_help = "Examples:\n  gatehouse pass show 7K3M\n  gatehouse pass show 7K3M --json")]
    Show {
        /// Pass id (an unambiguous prefix of 4+ characters is enough).
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Void a pass.
    #[command(after_help = "Example:\n  gatehouse --user asha pass void 7K3M --reason \"refunded\"")]
    Void {
        /// Pass id (an unambiguous prefix of 4+ characters is enough).
        id: String,
        /// Why, recorded in the ledger.
        #[arg(long)]
        reason: String,
    },
    /// Undo a mistaken admission.
    #[command(after_help = "Example:\n  gatehouse --user asha pass unscan 7K3M --reason \"wrong ticket scanned\"")]
    Unscan {
        /// Pass id (an unambiguous prefix of 4+ characters is enough).
        id: String,
        /// Why, recorded in the ledger.
        #[arg(long)]
        reason: String,
    },
    /// Render the pass's QR code.
    #[command(after_help = "Examples:\n  gatehouse pass qr 7K3M --png 7K3M.png\n  gatehouse pass qr 7K3M --terminal")]
    Qr {
        /// Pass id (an unambiguous prefix of 4+ characters is enough).
        id: String,
        #[command(flatten)]
        out: QrOut,
    },
    /// Draw the pass's ticket as a PNG card, to send by phone or e-mail.
    #[command(after_help = "Example:\n  gatehouse pass card 7K3M --png ticket.png")]
    Card(CardArgs),
    /// Import passes from a CSV file: all rows or none (admins only).
    #[command(
        after_help = "Examples:\n  gatehouse --user asha pass import guests.csv\n  gatehouse --user asha pass import guests.csv --cards cards/ \\\n      --print --printer dev:/dev/usb/lp0"
    )]
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
    /// Id (an unambiguous prefix of 4+ characters is enough).
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
    /// Import rows for holders who already have a live pass of that type and slot (or appear twice in the file).
    #[arg(long)]
    pub allow_duplicate: bool,
    #[command(flatten)]
    pub opts: PrinterOpts,
}

#[derive(Debug, Args)]
pub struct IssueArgs {
    /// Pass type, one of the event's rules (`event rules show`), any case.
    #[arg(long = "type", value_name = "T")]
    pub pass_type: String,
    /// Holder's name.
    #[arg(long)]
    pub name: String,
    /// Holder's phone, 7 to 15 digits.
    #[arg(long)]
    pub phone: String,
    /// Second holder's name (couple passes only).
    #[arg(long)]
    pub name2: Option<String>,
    /// Second holder's phone (couple passes only).
    #[arg(long)]
    pub phone2: Option<String>,
    /// How it was paid.
    #[arg(long, value_name = "CASH|ONLINE")]
    pub payment: String,
    /// Transaction reference (required for ONLINE, refused for CASH).
    #[arg(long, value_name = "REF")]
    pub txn: Option<String>,
    /// Time slot, one of event.slots (default: the first).
    #[arg(long, value_name = "S")]
    pub slot: Option<String>,
    /// A note shown loudly at the gate ("CHECK ID", "wheelchair access").
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// Issue it even though the holder already has a live pass of this type and slot.
    #[arg(long)]
    pub allow_duplicate: bool,
    /// Print the whole pass, with its QR payload, as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PassListArgs {
    /// Only passes whose holder name or phone contains this text, or whose id starts with it.
    #[arg(long)]
    pub search: Option<String>,
    /// Only passes of this type.
    #[arg(long = "type", value_name = "T")]
    pub pass_type: Option<String>,
    /// Only passes in this state.
    #[arg(long, value_parser = ["unused", "used", "void"])]
    pub status: Option<String>,
    /// Only passes paid this way.
    #[arg(long, value_parser = ["CASH", "ONLINE", "cash", "online"])]
    pub payment: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct QrOut {
    /// Write the code as a PNG image.
    #[arg(long, value_name = "FILE", required_unless_present_any = ["svg", "terminal"], conflicts_with_all = ["svg", "terminal"])]
    pub png: Option<PathBuf>,
    /// Write the code as an SVG image.
    #[arg(long, value_name = "FILE", conflicts_with = "terminal")]
    pub svg: Option<PathBuf>,
    /// Draw the code in this terminal.
    #[arg(long)]
    pub terminal: bool,
}

#[derive(Debug, Subcommand)]
pub enum ResidentCmd {
    /// Register a resident; prints the id (or the record with --json).
    #[command(
        after_help = "Examples:\n  gatehouse --user asha resident add --name \"Ravi Kumar\" --room 204\n  gatehouse --user asha resident add --name Meena --room 12B --floor 1 \\\n      --phone 9876500002 --photo meena.jpg --json"
    )]
    Add(ResidentAddArgs),
    /// List residents with their IN/OUT status.
    #[command(after_help = "Examples:\n  gatehouse resident list --search 204\n  gatehouse resident list --all --json")]
    List {
        /// Only residents whose name, room or phone contains this text, or whose id starts with it.
        #[arg(long)]
        search: Option<String>,
        /// Include deactivated residents.
        #[arg(long)]
        all: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one resident.
    #[command(after_help = "Examples:\n  gatehouse resident show 4QX2\n  gatehouse resident show 4QX2 --json")]
    Show {
        /// Resident id (an unambiguous prefix of 4+ characters is enough).
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Deactivate a resident's card.
    #[command(after_help = "Example:\n  gatehouse --user asha resident deactivate 4QX2 --reason \"card lost\"")]
    Deactivate {
        /// Resident id (an unambiguous prefix of 4+ characters is enough).
        id: String,
        /// Why, recorded in the ledger.
        #[arg(long, default_value = "moved out")]
        reason: String,
    },
    /// Render the resident's QR code.
    #[command(after_help = "Examples:\n  gatehouse resident qr 4QX2 --svg 4QX2.svg\n  gatehouse resident qr 4QX2 --terminal")]
    Qr {
        /// Resident id (an unambiguous prefix of 4+ characters is enough).
        id: String,
        #[command(flatten)]
        out: QrOut,
    },
    /// Print the resident's card on the thermal printer.
    #[command(after_help = "Example:\n  gatehouse resident print 4QX2 --printer cups:receipt")]
    Print(PrintArgs),
    /// Draw the resident's card as a PNG.
    #[command(after_help = "Example:\n  gatehouse resident card 4QX2 --png card.png")]
    Card(CardArgs),
}

#[derive(Debug, Args)]
pub struct ResidentAddArgs {
    /// Full name.
    #[arg(long)]
    pub name: String,
    /// Room or flat number.
    #[arg(long)]
    pub room: String,
    /// Floor.
    #[arg(long, default_value = "")]
    pub floor: String,
    /// Phone number.
    #[arg(long, default_value = "")]
    pub phone: String,
    /// E-mail address.
    #[arg(long, default_value = "")]
    pub email: String,
    /// Postal address.
    #[arg(long, default_value = "")]
    pub address: String,
    /// Move-in date, YYYY-MM-DD.
    #[arg(long, default_value = "")]
    pub move_in: String,
    /// Occupation.
    #[arg(long, default_value = "")]
    pub occupation: String,
    /// Who to call in an emergency, with their number.
    #[arg(long, default_value = "")]
    pub emergency_contact: String,
    /// A photo file shown on the scan screen.
    #[arg(long)]
    pub photo: Option<PathBuf>,
    /// Print the registered record as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The text of a QR code, as a wedge scanner types it.
    #[arg(long, required_unless_present_any = ["image", "payload_file", "id"], conflicts_with_all = ["image", "payload_file", "id"])]
    pub payload: Option<String>,
    /// Manual check-in without the code: a pass or resident id, or the short id on the ticket.
    #[arg(long, value_name = "ID_OR_PREFIX", conflicts_with_all = ["image", "payload_file"])]
    pub id: Option<String>,
    /// Why a manual check-in was needed (recorded in the ledger).
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
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
    /// Record an exit (at a gate whose [gate] direction is "both"; every
    /// scan at an "out" gate is one).
    #[arg(long, conflicts_with_all = ["payload_file", "id"])]
    pub exit: bool,
    /// Admit only K of the pass's people still to come (a group arriving apart).
    #[arg(long, value_name = "K", conflicts_with_all = ["payload_file", "id"], value_parser = clap::value_parser!(u32).range(1..))]
    pub persons: Option<u32>,
    /// Print the verdict as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ConflictsArgs {
    /// Acknowledge the conflict recorded in this ledger block.
    #[arg(long, value_name = "BLOCK")]
    pub ack: Option<u64>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum EventCmd {
    /// Pass types and their entry rules.
    #[command(
        subcommand,
        after_help = "Examples:\n  gatehouse --user asha event rules set rules.toml\n  gatehouse event rules show --json"
    )]
    Rules(RulesCmd),
}

#[derive(Debug, Subcommand)]
pub enum RulesCmd {
    /// Replace the event's rules with those in FILE (admins): every gate
    /// applies them from its next scan or pull.
    #[command(after_help = "Example:\n  gatehouse --user asha event rules set rules.toml")]
    Set {
        /// A TOML file: [[pass_type]] (name, persons, price, entry, days,
        /// gates, attention), [venue] capacity, [[zone]], day_starts.
        file: std::path::PathBuf,
    },
    /// The rules in force, and where they come from.
    #[command(after_help = "Examples:\n  gatehouse event rules show\n  gatehouse event rules show --json")]
    Show(JsonFlag),
}

#[derive(Debug, Subcommand)]
pub enum DbCmd {
    /// Backend, server version, schema version and round-trip time.
    #[command(
        after_help = "Examples:\n  gatehouse --database postgresql://gate@/event?host=/run/postgresql \\\n      db status --json\n  gatehouse --database \\\n      \"postgresql://gate@db/ev?sslmode=verify-full&sslrootcert=ca.crt\" \\\n      db status"
    )]
    Status(JsonFlag),
    /// Copy everything (users, passes, residents, scans, ledger) into an
    /// empty target: a postgresql:// URL or a new SQLite file.
    #[command(
        after_help = "Examples:\n  gatehouse --user asha db copy \\\n      --to postgresql://gate@db.example:5432/event\n  gatehouse --user asha db copy --to event-copy.db"
    )]
    Copy {
        /// The target: a postgresql:// URL (an empty database) or a path
        /// for a new SQLite file.
        #[arg(long, value_name = "URL_OR_PATH")]
        to: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum LedgerCmd {
    /// Check the database file, its schema, every block, and the tables against the blocks; exit 0 only when all hold.
    #[command(after_help = "Examples:\n  gatehouse ledger verify\n  gatehouse ledger verify --expect-head 1042:9F3A --json")]
    Verify {
        /// A head written down earlier, to detect truncation.
        #[arg(long, value_name = "INDEX:HASH")]
        expect_head: Option<String>,
        /// Check the file, schema and chain only; skip the audit of the tables.
        #[arg(long)]
        chain_only: bool,
        /// Print the result, with every problem, as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the head as INDEX:HASH, to write down or export.
    #[command(after_help = "Examples:\n  gatehouse ledger head\n  gatehouse ledger head --json")]
    Head(JsonFlag),
    /// Print blocks.
    #[command(after_help = "Examples:\n  gatehouse ledger show --limit 20\n  gatehouse ledger show --from 1000 --json")]
    Show {
        /// First block index to print (default: the newest `--limit` blocks).
        #[arg(long)]
        from: Option<u64>,
        /// How many blocks to print at most.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// What to export.
    #[arg(value_enum)]
    pub what: ExportKind,
    /// The CSV file to write.
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
    /// The backup file to restore (a `gatehouse backup` copy).
    pub file: PathBuf,
    /// Restore even a copy older than this database, or one whose ledger diverges from it.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum KeyCmd {
    /// Add a new signing key; passes signed with older keys keep verifying.
    /// With --ed25519, an event issuing key: gates then verify new codes
    /// with its public key alone, and only signed-in admins can sign them.
    #[command(after_help = "Examples:\n  gatehouse --user asha key rotate\n  gatehouse --user asha key rotate --ed25519")]
    Rotate {
        /// Make an Ed25519 issuing key, sealed in your key slot (admins).
        #[arg(long)]
        ed25519: bool,
    },
    /// List key ids (never the keys).
    #[command(after_help = "Example:\n  gatehouse key list")]
    List,
    /// Print the event's Ed25519 issuing public keys (id and hex), which
    /// anyone can check a GH2 code with (README, "Payload format").
    #[command(after_help = "Examples:\n  gatehouse key public\n  gatehouse key public --json")]
    Public(JsonFlag),
}

#[derive(Debug, Subcommand)]
pub enum GateCmd {
    /// A one-time token that enrols one new gate laptop under the name
    /// `--gate NAME` gives (admins); it expires in 30 minutes.
    #[command(
        after_help = "Examples:\n  gatehouse --user asha gate token --gate \"Gate B\"\n  gatehouse --user asha gate token --gate \"Gate B\" --json"
    )]
    Token {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Each gate: name, enrolment, last seen, online or offline, revoked.
    #[command(after_help = "Examples:\n  gatehouse gate list\n  gatehouse gate list --json")]
    List {
        /// Online means synced within this many seconds.
        #[arg(long, value_name = "SECS", default_value_t = crate::service::ONLINE_SECS)]
        within: i64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Disown a gate (admins): its later blocks and uploads are refused.
    #[command(after_help = "Example:\n  gatehouse --user asha gate revoke \"Gate B\"")]
    Revoke {
        /// The gate's name.
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum BenchCmd {
    /// Scan transaction latency over a database of N passes.
    #[command(
        after_help = "Examples:\n  gatehouse bench scan --passes 10000 --scans 500 --sync normal\n  gatehouse --database postgresql://postgres@127.0.0.1:55432/b8 \\\n      bench scan --gates 8 --rate 500"
    )]
    Scan {
        /// Passes in the scratch database.
        #[arg(long, default_value_t = 100_000)]
        passes: usize,
        /// Scans to time.
        #[arg(long, default_value_t = 2_000)]
        scans: usize,
        /// As `[storage] synchronous`: full (each scan on disk before its
        /// verdict) or normal (SQLite: not synced on each commit;
        /// PostgreSQL: commits not waited for).
        #[arg(long, default_value = "full", value_parser = ["full", "normal"])]
        sync: String,
        /// Concurrent gates, each with its own connection (with the global
        /// --database URL: an empty scratch PostgreSQL database).
        #[arg(long, default_value_t = 1)]
        gates: usize,
        /// Scans a second offered by all gates together, each gate on a
        /// steady beat; a scan is timed from when it was due. Without it,
        /// every gate scans back to back as fast as it can.
        #[arg(long, value_name = "N")]
        rate: Option<f64>,
        /// Issue the passes with an Ed25519 issuing key (GH2 codes), as an
        /// event that ran `key rotate --ed25519` does.
        #[arg(long)]
        ed25519: bool,
        /// Sign the scans' blocks with a gate's device key (Ed25519), as an
        /// enrolled gate does, instead of the event key file's HMAC.
        #[arg(long)]
        device_key: bool,
    },
    /// Ledger verification rate over N blocks.
    #[command(after_help = "Example:\n  gatehouse bench verify --blocks 10000")]
    Verify {
        /// Blocks in the scratch ledger.
        #[arg(long, default_value_t = 100_000)]
        blocks: usize,
        /// Time the chain walk and the audit this many times over the same
        /// ledger (built once), and report the fastest of each.
        #[arg(long, default_value_t = 1)]
        repeat: usize,
        /// Build the scratch ledger in DIR and leave it there; when DIR
        /// already holds one, time that one instead of building another.
        #[arg(long, value_name = "DIR")]
        keep: Option<std::path::PathBuf>,
        /// Sign the blocks with a gate's device key (Ed25519), as an
        /// enrolled gate does, instead of the event key file's HMAC.
        #[arg(long)]
        device_key: bool,
    },
    /// CSV import of N rows (parse, validate, duplicate checks, insert).
    #[command(after_help = "Example:\n  gatehouse bench import --rows 1000")]
    Import {
        /// Rows in the generated CSV file.
        #[arg(long, default_value_t = 10_000)]
        rows: usize,
    },
    /// An offline gate (docs/offline.md) against an empty scratch PostgreSQL
    /// database (the global --database): the time from the link's return to
    /// an empty queue of N offline scans, and the replica's pull of M
    /// passes, first and incremental. The link is cut by a relay in this
    /// process.
    #[command(
        after_help = "Example:\n  gatehouse --database postgresql://postgres@127.0.0.1:55432/bench \\\n      bench offline --scans 1000 --passes 100000"
    )]
    Offline {
        /// Offline scans queued while the link is down (each a different pass).
        #[arg(long, default_value_t = 1_000)]
        scans: usize,
        /// Passes on the server for the replica's pull.
        #[arg(long, default_value_t = 100_000)]
        passes: usize,
        /// Passes voided before the incremental pull.
        #[arg(long, default_value_t = 1_000)]
        voids: usize,
    },
    /// Ed25519: signatures verified per second (one core and all), codes
    /// checked per second (GH2 against GH1), their QR versions, and the time
    /// to open a key slot at the standard argon2id cost.
    #[command(after_help = "Example:\n  gatehouse bench sigs --n 100000")]
    Sigs {
        /// Signatures (and codes) to verify.
        #[arg(long, default_value_t = 100_000)]
        n: usize,
        /// Runs of each measure; the fastest is kept (for a busy machine).
        #[arg(long, default_value_t = 3)]
        repeat: usize,
    },
    /// QR decoding over a folder tree of images with their expected text
    /// beside them (`NAME.txt` for `NAME.png`): correct, wrong, timings.
    #[command(
        after_help = "Examples:\n  gatehouse bench decode ../shared/qr-samples --frame 1280x720 \\\n      --budget-ms 33 --verbose\n  gatehouse bench decode frames/codes --as-camera --budget-ms 33"
    )]
    Decode(BenchDecodeArgs),
    /// The capture thread over a replayed folder: CPU time per frame and per
    /// second (the process's CPU clock), frames decoded and skipped, reads.
    #[command(
        after_help = "Examples:\n  gatehouse bench camera --replay frames/empty --fps 30 --seconds 20\n  gatehouse bench camera --replay scenes/arrivals --seconds 31"
    )]
    Camera(BenchCameraArgs),
    /// Write generated webcam frames: codes (with NAME.txt) and empty rooms.
    #[command(
        after_help = "Examples:\n  gatehouse bench frames --out frames\n  gatehouse bench frames --out scenes --codes 0 --empty 0 \\\n      --rooms 0 --scenes --raw"
    )]
    Frames(BenchFramesArgs),
}

#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// Image files to read (PNG, JPEG or WebP).
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<PathBuf>,
    /// `pipeline`, or stage names joined by `+` (e.g. `rxing`, `rqrr+rqrr-adaptive`).
    #[arg(long, default_value = "pipeline", value_name = "STAGES")]
    pub engine: String,
}

#[derive(Debug, Args)]
pub struct BenchDecodeArgs {
    /// Folder of images, each with its expected text in NAME.txt beside it.
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
    /// Read each image as the camera reads a frame: the first look, its
    /// regions (enlarged and sharpened when small), then the pipeline within
    /// the budget; a fresh reader for each image, so nothing is skipped.
    #[arg(long)]
    pub as_camera: bool,
    /// One line per image: ok / WRONG / miss, ms, stage, file.
    #[arg(long)]
    pub verbose: bool,
}

#[derive(Debug, Args)]
pub struct BenchCameraArgs {
    /// Folder of frames (png, jpg, jpeg, webp), played in name order, looping.
    #[arg(long, value_name = "DIR")]
    pub replay: PathBuf,
    /// Frames per second to replay at.
    #[arg(long, default_value_t = 30, value_name = "N")]
    pub fps: u32,
    /// How long to run.
    #[arg(long, default_value_t = 10.0, value_name = "S")]
    pub seconds: f64,
    /// Once idle for 2 s, look at every Nth frame only (1: every frame).
    #[arg(long, default_value_t = crate::camera::BACK_OFF, value_name = "N")]
    pub back_off: u32,
}

#[derive(Debug, Args)]
pub struct BenchFramesArgs {
    /// Folder to write `codes/` and `empty/` into (created when missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Frames with a code, each in a different room and condition.
    #[arg(long, default_value_t = 400, value_name = "N")]
    pub codes: usize,
    /// Frames of one empty room, as a still camera sees it.
    #[arg(long, default_value_t = 90, value_name = "N")]
    pub empty: usize,
    /// Frames of different cluttered rooms with no code (written to
    /// `rooms/`, each with an empty NAME.txt: nothing is to be read).
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub rooms: usize,
    /// Seed: the same seed writes the same frames.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub seed: u64,
    /// Also write the camera's scenes at 30 fps: `still/` (one room, the
    /// same picture), `noise/` (fresh sensor noise in every frame),
    /// `walking/` (people walking past, noisy) and `arrivals/` (codes held
    /// up after people walked past, each frame with its NAME.txt).
    #[arg(long)]
    pub scenes: bool,
    /// Arrivals in `arrivals/`: 3 s of people walking past, then a code for 0.8 s.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub arrivals: usize,
    /// With --scenes: also `walking.yuyv/`, `walking.nv12/`, `arrivals.yuyv/`
    /// and `arrivals.nv12/`, the frames as a webcam's raw YUYV and NV12
    /// (NAME.1280x720.yuyv), replayed through the camera's grey conversion.
    #[arg(long, requires = "scenes")]
    pub raw: bool,
    /// The codes' signatures: `hmac` (GH1, QR version 4) or `ed25519`
    /// (GH2, version 8). The same seed draws the same rooms, conditions,
    /// kinds and ids either way, so two folders compare like with like.
    #[arg(long, default_value = "hmac", value_parser = ["hmac", "ed25519"])]
    pub code: String,
    /// Draw each code with modules as large as a version-4 code's at the
    /// drawn width (a bigger symbol), not squeezed into that width.
    #[arg(long)]
    pub same_pitch: bool,
}
