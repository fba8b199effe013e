//! Whole-database dump and load for `db copy` and backups into SQLite.
//! Booleans and integers travel as BIGINT, text as TEXT; the casts in the
//! SQL put them back into each column's type.

use super::conn::{Param, Params};
use super::{PgDb, PgStore, get};
use crate::error::{Error, Result};
use crate::store::copy::{Cell, Dump, Kind, TABLES, TableSpec, col_list};

/// The rows `SELECT ... FROM spec.name {tail}` finds, as cells: every
/// column of `spec`, integers and booleans read as BIGINT.
pub(super) fn cells(db: &PgDb, spec: &TableSpec, tail: &str, params: Params) -> Result<Vec<Vec<Cell>>> {
    let select: Vec<String> = spec
        .cols
        .iter()
        .map(|(c, k)| match k {
            Kind::Text => c.to_string(),
            Kind::Bool => format!("CASE WHEN {c} THEN 1 ELSE 0 END::BIGINT"),
            Kind::Int | Kind::BigInt => format!("{c}::BIGINT"),
        })
        .collect();
    let sql = format!("SELECT {} FROM {} {tail}", select.join(", "), spec.name);
    let mut out = Vec::new();
    for r in db.query_built(&sql, params)? {
        let cells = spec
            .cols
            .iter()
            .enumerate()
            .map(|(i, (_, k))| {
                Ok(match k {
                    Kind::Text => get::<Option<String>>(&r, i)?.map_or(Cell::Null, Cell::Text),
                    _ => get::<Option<i64>>(&r, i)?.map_or(Cell::Null, Cell::Int),
                })
            })
            .collect::<Result<Vec<Cell>>>()?;
        out.push(cells);
    }
    Ok(out)
}

impl PgStore {
    /// Every table in one repeatable-read snapshot.
    pub fn dump(&mut self) -> Result<Dump> {
        self.snapshot(|db| TABLES.iter().map(|spec| cells(db, spec, &format!("ORDER BY {}", spec.order), &[])).collect())
    }

    /// Load a dump into this (empty) database in one transaction.
    pub fn load(&mut self, dump: &Dump) -> Result<()> {
        self.transaction(|db| load_into(db, dump))
    }
}

fn load_into(db: &PgDb, dump: &Dump) -> Result<()> {
    for (spec, rows) in TABLES.iter().zip(dump) {
        let n: i64 = get(&db.query_one(&format!("SELECT COUNT(*) FROM {}", spec.name), &[])?, 0)?;
        if n > 0 {
            return Err(Error::Conflict(format!("the target is not empty: its {} table has {n} rows", spec.name)));
        }
        let marks: Vec<String> = spec
            .cols
            .iter()
            .enumerate()
            .map(|(i, (_, k))| match k {
                Kind::Text => format!("${}::TEXT", i + 1),
                Kind::Bool => format!("(${}::BIGINT <> 0)", i + 1),
                Kind::Int => format!("${}::BIGINT::INTEGER", i + 1),
                Kind::BigInt => format!("${}::BIGINT", i + 1),
            })
            .collect();
        let insert = format!("INSERT INTO {} ({}) VALUES ({})", spec.name, col_list(spec), marks.join(", "));
        for row in rows {
            let (texts, ints): (Vec<Option<String>>, Vec<Option<i64>>) = row
                .iter()
                .zip(spec.cols)
                .map(|(c, (_, k))| match (c, k) {
                    (Cell::Text(t), Kind::Text) => (Some(t.clone()), None),
                    (Cell::Int(v), Kind::Text) => (Some(v.to_string()), None),
                    (Cell::Int(v), _) => (None, Some(*v)),
                    (Cell::Text(t), _) => (None, t.parse().ok()),
                    (Cell::Null, _) => (None, None),
                })
                .unzip();
            let params: Vec<&dyn Param> = spec
                .cols
                .iter()
                .enumerate()
                .map(|(i, (_, k))| if *k == Kind::Text { &texts[i] as &dyn Param } else { &ints[i] as &dyn Param })
                .collect();
            db.execute(&insert, &params)?;
        }
    }
    Ok(())
}
