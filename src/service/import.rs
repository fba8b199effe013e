//! Bulk import of passes sold elsewhere, from CSV. Every row is validated
//! with the same rules as `issue_pass`, duplicates are looked for in the
//! file and in the database, and only when every row is good are all of
//! them inserted in one transaction, each with its ledger block.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Gatehouse, require_admin};
use crate::domain::pass::{self, HolderKey, Pass, PassRequest, ValidPass};
use crate::domain::text;
use crate::domain::user::Actor;
use crate::error::Error;

/// The header, in this order when gatehouse writes a template. Columns may
/// come in any order; `type`, `name`, `phone` and `payment` are required.
pub const IMPORT_COLUMNS: [&str; 10] = ["type", "name", "phone", "name2", "phone2", "payment", "txn", "slot", "price", "note"];
pub const REQUIRED_COLUMNS: [&str; 4] = ["type", "name", "phone", "payment"];

/// One problem in one row. `line` is the file's line where the row starts
/// (the header is line 1); `field` is a column name, or `row`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowProblem {
    pub line: u64,
    pub field: String,
    pub message: String,
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, {}: {}", self.line, self.field, self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The file as a whole is unusable (header, CSV syntax, no rows).
    #[error("{0}")]
    Format(String),

    /// Some rows are bad: nothing was written.
    #[error("{}", rejected(*rows, problems))]
    Rejected { rows: usize, problems: Vec<RowProblem> },

    #[error(transparent)]
    Core(#[from] Error),
}

fn rejected(rows: usize, problems: &[RowProblem]) -> String {
    let mut lines: Vec<u64> = problems.iter().map(|p| p.line).collect();
    lines.dedup();
    let mut s = format!("{} of {rows} rows are invalid; nothing was imported", lines.len());
    for p in problems {
        s.push_str("\n  ");
        s.push_str(&p.to_string());
    }
    s
}

/// A row that passed every check, and the line it came from.
#[derive(Debug, Clone)]
pub struct ImportRow {
    pub line: u64,
    pub pass: ValidPass,
}

#[derive(Clone, Copy)]
struct Columns {
    index: [Option<usize>; IMPORT_COLUMNS.len()],
    /// Fields in the header line, named or not.
    len: usize,
}

/// The holder columns of `gatehouse export passes`, under their export
/// names, so an exported file imports as it is.
const EXPORT_NAMES: [(&str, &str); 6] = [
    ("holder_name", "name"),
    ("holder_phone", "phone"),
    ("holder2_name", "name2"),
    ("holder2_phone", "phone2"),
    ("payment_mode", "payment"),
    ("txn_ref", "txn"),
];
/// The header `export passes` writes. Importing that file back, a column
/// that is neither an import column nor one of `EXPORT_NAMES` describes the
/// old pass (its id, status, uses), not the new one: it is ignored.
pub const PASS_EXPORT_HEADER: [&str; 23] = [
    "id",
    "type",
    "persons",
    "holder_name",
    "holder_phone",
    "holder2_name",
    "holder2_phone",
    "price",
    "payment_mode",
    "txn_ref",
    "slot",
    "status",
    "created_at",
    "created_by",
    "scanned_at",
    "scanned_by",
    "gate",
    "voided_at",
    "voided_by",
    "void_reason",
    "note",
    "inside",
    "persons_left",
];

fn export_only(name: &str) -> bool {
    PASS_EXPORT_HEADER.contains(&name) && !IMPORT_COLUMNS.contains(&name) && !EXPORT_NAMES.iter().any(|(e, _)| *e == name)
}

impl Columns {
    fn from_header(h: &csv::ByteRecord) -> Result<Columns, ImportError> {
        let mut index = [None; IMPORT_COLUMNS.len()];
        for (i, raw) in h.iter().enumerate() {
            let name = String::from_utf8_lossy(raw).trim().trim_start_matches('\u{feff}').to_ascii_lowercase();
            if name.is_empty() || export_only(&name) {
                continue;
            }
            let name = EXPORT_NAMES.iter().find(|(e, _)| *e == name).map_or(name.as_str(), |(_, n)| n).to_string();
            let Some(col) = IMPORT_COLUMNS.iter().position(|c| *c == name) else {
                return Err(header_error(format!("unknown column {name:?}")));
            };
            if index[col].replace(i).is_some() {
                return Err(header_error(format!("column {name:?} appears twice")));
            }
        }
        let missing: Vec<&str> = REQUIRED_COLUMNS.iter().copied().filter(|c| index[column(c)].is_none()).collect();
        if !missing.is_empty() {
            return Err(header_error(format!("missing column{} {}", if missing.len() == 1 { "" } else { "s" }, missing.join(", "))));
        }
        Ok(Columns { index, len: h.len() })
    }
}

fn column(name: &str) -> usize {
    IMPORT_COLUMNS.iter().position(|c| *c == name).unwrap_or(0)
}

fn header_error(what: String) -> ImportError {
    ImportError::Format(format!("CSV header (line 1): {what}; the columns are {}", IMPORT_COLUMNS.join(",")))
}

fn blank(field: &[u8]) -> bool {
    field.iter().all(u8::is_ascii_whitespace)
}

/// Every row of a file: the good ones, and every problem in the others.
#[derive(Debug, Default)]
pub struct ParsedRows {
    pub rows: Vec<ImportRow>,
    pub problems: Vec<RowProblem>,
    /// Non-blank data rows read.
    pub count: usize,
}

/// Read and validate every row, and look for duplicates inside the file;
/// the database is not consulted. Only a file that cannot be read as a
/// whole (header, CSV syntax) is an error here. The input is read as a
/// stream, record by record: a large file is never held in memory.
pub fn parse_rows(rules: &pass::PassRules, input: impl Read) -> Result<ParsedRows, ImportError> {
    let mut problems = Vec::new();
    let mut rows = Vec::new();
    let mut count = 0usize;
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(LineCounter::new(input));
    let mut rec = csv::ByteRecord::new();
    let mut cols: Option<Columns> = None;
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = rdr.get_mut().line_at(e.position().map_or(0, csv::Position::byte));
                return Err(ImportError::Format(format!("line {line}: cannot read the CSV: {}", csv_error_kind(&e))));
            }
        }
        let line = rdr.get_mut().line_at(rec.position().map_or(0, csv::Position::byte));
        let Some(c) = cols else {
            cols = Some(Columns::from_header(&rec)?);
            continue;
        };
        if rec.iter().all(blank) {
            continue; // a blank row, as spreadsheets leave at the end
        }
        count += 1;
        if rec.len() < c.len || rec.iter().skip(c.len).any(|f| !blank(f)) {
            problems.push(RowProblem {
                line,
                field: "row".into(),
                message: format!("has {} fields but the header has {}", rec.len(), c.len),
            });
            continue;
        }
        let mut bad = false;
        let mut get = |name: &'static str| -> Option<String> {
            let i = c.index[column(name)]?;
            match std::str::from_utf8(rec.get(i).unwrap_or(b"")) {
                // A cell gatehouse's export guarded against spreadsheet formulas.
                Ok(s) => Some(text::unguard_formula(s).to_string()),
                Err(_) => {
                    problems.push(RowProblem { line, field: name.into(), message: "is not UTF-8 text; save the file as CSV UTF-8".into() });
                    bad = true;
                    None
                }
            }
        };
        let req = PassRequest {
            pass_type: get("type").unwrap_or_default(),
            name: get("name").unwrap_or_default(),
            phone: get("phone").unwrap_or_default(),
            name2: get("name2"),
            phone2: get("phone2"),
            payment: get("payment").unwrap_or_default(),
            txn_ref: get("txn"),
            slot: get("slot"),
            price_override: get("price"),
            note: get("note"),
            allow_duplicate: false,
        };
        if bad {
            continue;
        }
        match pass::validate(&req, rules) {
            Err(errs) => {
                problems.extend(errs.0.into_iter().map(|e| RowProblem { line, field: e.field.into(), message: e.message }));
            }
            // Duplicates (in the file and in the database) are `check_import`'s.
            Ok(v) => rows.push(ImportRow { line, pass: v }),
        }
    }
    if cols.is_none() {
        return Err(ImportError::Format(format!("the file is empty; the first line must be the header {}", IMPORT_COLUMNS.join(","))));
    }
    Ok(ParsedRows { rows, problems, count })
}

/// Line numbers as an editor shows them, counted as the bytes stream past.
/// The csv crate's own count is off by one after CRLF line ends, so the
/// line of a record is found from its byte offset (past any line end it
/// points at). Only the line ends the csv reader has read but not yet
/// returned a record for are kept: a few kilobytes' worth at most.
struct LineCounter<R> {
    inner: R,
    /// Offset and byte of each CR and LF read but not yet passed.
    ends: VecDeque<(u64, u8)>,
    read: u64,
    line: u64,
}

impl<R: Read> LineCounter<R> {
    fn new(inner: R) -> Self {
        LineCounter { inner, ends: VecDeque::new(), read: 0, line: 1 }
    }

    /// The line of the record starting at `byte`; offsets must not go back.
    fn line_at(&mut self, byte: u64) -> u64 {
        let mut b = byte;
        while let Some(&(at, c)) = self.ends.front() {
            if at > b {
                break;
            }
            if at == b {
                b += 1; // a line end the offset points at
            }
            self.line += u64::from(c == b'\n');
            self.ends.pop_front();
        }
        self.line
    }
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (i, &c) in buf[..n].iter().enumerate() {
            if c == b'\n' || c == b'\r' {
                self.ends.push_back((self.read + i as u64, c));
            }
        }
        self.read += n as u64;
        Ok(n)
    }
}

fn csv_error_kind(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Io(io) => io.to_string(),
        _ => e.to_string(),
    }
}

impl Gatehouse {
    /// Validate a CSV of passes against the rules and the database, writing
    /// nothing. The rows that would be imported, or every problem. Unless
    /// `allow_duplicate`, a row for a holder who has a live pass of its
    /// type and slot, or a second such row in the file, is a problem.
    pub fn check_import(&mut self, input: impl Read, allow_duplicate: bool) -> Result<Vec<ImportRow>, ImportError> {
        let ParsedRows { rows, mut problems, count } = parse_rows(&self.pass_rules()?, input)?;
        if count == 0 {
            return Err(ImportError::Format("the file has a header but no passes".into()));
        }
        if !allow_duplicate {
            let keys: Vec<HolderKey> = rows.iter().map(|r| r.pass.holder_key()).collect();
            let existing = self.store.read(|db| db.find_duplicate_passes(&keys))?;
            let mut first_line = HashMap::with_capacity(rows.len());
            for ((r, key), id) in rows.iter().zip(&keys).zip(existing) {
                let message = match (id, first_line.get(key)) {
                    (Some(id), _) => format!("this holder already has a live {} pass for {}: {id}", r.pass.pass_type, r.pass.slot),
                    (None, Some(line)) => format!("the same holder, type and slot as line {line}"),
                    (None, None) => {
                        first_line.insert(*key, r.line);
                        continue;
                    }
                };
                problems.push(RowProblem {
                    line: r.line,
                    field: "name".into(),
                    message: format!("{message} (import with --allow-duplicate to issue it anyway)"),
                });
            }
        }
        if !problems.is_empty() {
            problems.sort_by_key(|p| p.line);
            return Err(ImportError::Rejected { rows: count, problems });
        }
        Ok(rows)
    }

    /// Import every row, or none: validation and duplicate checks first,
    /// then one transaction with a ledger block per pass. Admins only.
    pub fn import_passes(&mut self, actor: &Actor, input: impl Read) -> Result<Vec<Pass>, ImportError> {
        self.import_passes_with(actor, input, false)
    }

    /// `import_passes`, issuing holders' further passes when `allow_duplicate`.
    pub fn import_passes_with(&mut self, actor: &Actor, input: impl Read, allow_duplicate: bool) -> Result<Vec<Pass>, ImportError> {
        require_admin(actor, "import passes")?;
        let rows = self.check_import(input, allow_duplicate)?;
        let valid: Vec<ValidPass> = rows.into_iter().map(|r| r.pass).collect();
        Ok(self.insert_passes(actor, &valid, allow_duplicate)?)
    }

    pub fn import_passes_file(&mut self, actor: &Actor, path: &Path) -> Result<Vec<Pass>, ImportError> {
        self.import_passes_file_with(actor, path, false)
    }

    pub fn import_passes_file_with(&mut self, actor: &Actor, path: &Path, allow_duplicate: bool) -> Result<Vec<Pass>, ImportError> {
        require_admin(actor, "import passes")?;
        let f = std::fs::File::open(path).map_err(|source| ImportError::Read { path: path.to_path_buf(), source })?;
        // Streamed: the csv reader pulls records from the file as it goes.
        self.import_passes_with(actor, std::io::BufReader::new(f), allow_duplicate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_numbers_with_lf_crlf_and_quoted_newlines() {
        let cfg = crate::config::Config::default().pass_rules();
        for body in [
            "type,name,phone,payment\nSINGLE,\"A\nB\",1,CASH\n\nSINGLE,C,2,CASH\n",
            "type,name,phone,payment\r\nSINGLE,\"A\r\nB\",1,CASH\r\n\r\nSINGLE,C,2,CASH\r\n",
        ] {
            let parsed = parse_rows(&cfg, body.as_bytes()).unwrap();
            // Both phones are bad: the rows start on lines 2 and 5.
            let lines: Vec<u64> = parsed.problems.iter().map(|p| p.line).collect();
            assert_eq!(lines, vec![2, 5], "{body:?}");
        }
    }
}
