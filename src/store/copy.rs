//! Moving an event between backends: every table read in one snapshot as
//! plain cells, then written into an empty target in one transaction. The
//! ledger's rows are copied verbatim and in storage order, so the target's
//! `ledger verify` prints the same head.

/// One value, as both backends can store it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Text(String),
}

/// How a column is typed on PostgreSQL (SQLite stores all of them as
/// INTEGER or TEXT).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Text,
    Int,
    BigInt,
    Bool,
}

pub struct TableSpec {
    pub name: &'static str,
    pub cols: &'static [(&'static str, Kind)],
    /// Storage order, kept in the copy (the ledger's seq, the scan log's id).
    pub order: &'static str,
}

use Kind::{BigInt, Bool, Int, Text};

/// Every table, parents first. Surrogate keys (seq, id) are not copied: the
/// target numbers the rows again in the same order.
pub const TABLES: &[TableSpec] = &[
    TableSpec {
        name: "users",
        cols: &[
            ("username", Text),
            ("display_name", Text),
            ("role", Text),
            ("pw_hash", Text),
            ("created_at", Text),
            ("disabled", Bool),
            ("failed_attempts", Int),
            ("locked_until", Text),
        ],
        order: "username",
    },
    TableSpec {
        name: "passes",
        cols: &[
            ("id", Text),
            ("pass_type", Text),
            ("persons", Int),
            ("holder_name", Text),
            ("holder_phone", Text),
            ("name_key", Text),
            ("holder2_name", Text),
            ("holder2_phone", Text),
            ("price_cents", BigInt),
            ("payment_mode", Text),
            ("txn_ref", Text),
            ("slot", Text),
            ("key_id", Text),
            ("created_at", Text),
            ("created_by", Text),
            ("scanned_at", Text),
            ("scanned_by", Text),
            ("gate", Text),
            ("voided_at", Text),
            ("voided_by", Text),
            ("void_reason", Text),
            ("inside", Int),
            ("entered", Int),
            ("entry_day", Text),
            ("last_in_at", Text),
            ("last_in_gate", Text),
            ("note", Text),
        ],
        order: "id",
    },
    TableSpec {
        name: "residents",
        cols: &[
            ("id", Text),
            ("name", Text),
            ("room", Text),
            ("floor", Text),
            ("phone", Text),
            ("email", Text),
            ("address", Text),
            ("move_in", Text),
            ("occupation", Text),
            ("emergency_contact", Text),
            ("photo", Text),
            ("status", Text),
            ("active", Bool),
            ("key_id", Text),
            ("created_at", Text),
            ("created_by", Text),
            ("last_scan_at", Text),
            ("deactivated_at", Text),
            ("deactivated_by", Text),
        ],
        order: "id",
    },
    TableSpec {
        name: "scans",
        cols: &[
            ("at", Text),
            ("operator", Text),
            ("gate", Text),
            ("verdict", Text),
            ("subject", Text),
            ("persons", Int),
            ("repeated", Bool),
            ("block", BigInt),
            ("nonce", Text),
            ("reason", Text),
        ],
        order: "id",
    },
    TableSpec {
        name: "ledger",
        cols: &[
            ("idx", BigInt),
            ("ts", Text),
            ("operator", Text),
            ("gate", Text),
            ("event", Text),
            ("data", Text),
            ("prev_hash", Text),
            ("hash", Text),
            ("key_id", Text),
            ("sig", Text),
        ],
        order: "seq",
    },
    TableSpec {
        name: "event_rules",
        cols: &[("id", Int), ("rules", Text), ("digest", Text), ("set_at", Text), ("set_by", Text), ("block", BigInt)],
        order: "id",
    },
    // An event's Ed25519 issuing keys travel with it: without them its
    // GH2 codes no longer verify, nor can its admins sign any.
    TableSpec {
        name: "issuing_keys",
        cols: &[("key_id", Text), ("public_key", Text), ("created_at", Text), ("created_by", Text)],
        order: "key_id",
    },
    TableSpec { name: "key_slots", cols: &[("username", Text), ("sealed", Text), ("updated_at", Text)], order: "username" },
    // The event's gates and their tokens' hashes: `gate list` and the
    // uploads' checks read them (the ledger proves them either way).
    TableSpec {
        name: "gates",
        cols: &[
            ("name", Text),
            ("key_id", Text),
            ("public_key", Text),
            ("enrolled_at", Text),
            ("enrolled_by", Text),
            ("block", BigInt),
            ("last_seen", Text),
            ("revoked_at", Text),
            ("revoked_by", Text),
            ("db_role", Text),
        ],
        order: "name",
    },
    TableSpec {
        name: "gate_tokens",
        cols: &[("token_hash", Text), ("gate", Text), ("created_at", Text), ("created_by", Text), ("expires_at", Text), ("used_at", Text)],
        order: "token_hash",
    },
];

/// The rules row's spec, as the change pull carries it.
pub const RULES: &TableSpec = &TABLES[5];

/// Every table's rows, in `TABLES` order.
pub type Dump = Vec<Vec<Vec<Cell>>>;

/// Rows per table, for the copy's summary line.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CopyReport {
    pub users: usize,
    pub passes: usize,
    pub residents: usize,
    pub scans: usize,
    pub ledger: usize,
    pub event_rules: usize,
}

impl CopyReport {
    pub fn of(dump: &Dump) -> CopyReport {
        let n = |i: usize| dump.get(i).map_or(0, Vec::len);
        CopyReport { users: n(0), passes: n(1), residents: n(2), scans: n(3), ledger: n(4), event_rules: n(5) }
    }
}

/// The column list of an INSERT or SELECT.
pub fn col_list(spec: &TableSpec) -> String {
    spec.cols.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", ")
}
