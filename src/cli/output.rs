//! Human-readable printing for the CLI; `--json` goes through `json`.

use std::borrow::Cow;
use std::fmt::Write;

use serde::Serialize;

use crate::domain::ledger::StoredBlock;
use crate::domain::pass::{Pass, format_money};
use crate::domain::resident::Resident;
use crate::domain::scan::ScanOutcome;
use crate::domain::stats::Stats;
use crate::domain::user::User;
use crate::service::{PassView, ResidentView};

/// `s` as it is safe to show on a terminal: every control, invisible or
/// text-direction character (see `domain::text::hidden_at`) written as
/// `\u{1b}`, so nothing typed, stored or configured can move the cursor,
/// retitle the window, ring the bell or reorder a line. Line ends stay.
/// Everything the CLI prints, errors included, goes through here.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(crate::domain::text::is_hidden) {
        return Cow::Borrowed(s);
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        if crate::domain::text::hidden_at(&chars, i, true) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `println!` through `escape`.
macro_rules! say {
    ($($t:tt)*) => { println!("{}", $crate::cli::output::escape(&format!($($t)*))) };
}
/// `eprintln!` through `escape`.
macro_rules! say_err {
    ($($t:tt)*) => { eprintln!("{}", $crate::cli::output::escape(&format!($($t)*))) };
}
pub(crate) use {say, say_err};

/// JSON with hidden characters as `\uXXXX` escapes: serde_json writes DEL,
/// C1 controls and format characters raw, and a JSON parser reads the
/// escapes back as the same text. (Outside strings JSON has only ASCII.)
pub fn json_text(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && crate::domain::text::is_hidden(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c != '\n' && crate::domain::text::is_hidden(c) {
            for u in c.encode_utf16(&mut [0; 2]) {
                let _ = write!(out, "\\u{u:04x}");
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

pub fn json<T: Serialize>(v: &T) {
    match serde_json::to_string_pretty(v) {
        Ok(s) => println!("{}", json_text(&s)),
        Err(e) => eprintln!("error: cannot print JSON: {e}"),
    }
}

/// One JSON value on one line (for streams of results).
pub fn json_line<T: Serialize>(v: &T) -> anyhow::Result<()> {
    println!("{}", json_text(&serde_json::to_string(v)?));
    Ok(())
}

/// Times printed for people (and the console's) are in the event's zone, with its offset.
pub fn set_zone(offset: Option<chrono::FixedOffset>) {
    crate::domain::clock::set_shown_zone(offset);
}

/// A stored RFC 3339 stamp as a person reads it: the event's local time,
/// to the second, with its offset (`2026-12-03 21:52:34 +05:30`); as
/// stored when it does not parse. JSON keeps the stored stamp.
pub fn when(stamp: &str) -> String {
    crate::domain::clock::shown_stamp(stamp)
}

fn when_as(stamp: &str, format: &str) -> String {
    let Some(t) = crate::domain::clock::parse_stamp(stamp) else { return stamp.to_string() };
    crate::domain::clock::shown(t, format)
}

/// An hour bucket of `stats` (`2026-12-03T16` UTC, or a whole stamp) as the
/// event's local hour: `2026-12-03 21:30 +05:30`.
pub fn hour(bucket: &str) -> String {
    let full = if bucket.len() == 13 { format!("{bucket}:00:00Z") } else { bucket.to_string() };
    if crate::domain::clock::parse_stamp(&full).is_none() {
        return bucket.to_string();
    }
    when_as(&full, "%Y-%m-%d %H:%M %:z")
}

fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

pub fn verdict(o: &ScanOutcome) {
    say!("{}", o.verdict.as_str());
    // Stored stamps in the reason in the event's zone, as every time a person reads.
    say!("  {}", crate::domain::clock::map_stamps(&o.reason, |t| when(&crate::domain::clock::stamp(t))));
    if let Some(p) = &o.pass {
        say!("  pass {} {} × {}  slot {}", short(&p.id), p.pass_type, p.persons, p.slot);
    }
    if let Some(r) = &o.resident {
        say!("  resident {} room {} ({})", r.name, r.room, short(&r.id));
    }
    if let Some(n) = &o.note {
        say!("  NOTE: {n}");
    }
    if o.manual {
        say!("  manual check-in (no code read)");
    }
    say!("  {} at {} by {}, ledger block {}", when(&o.at), o.gate, o.operator, o.block);
}

pub fn passes(list: &[Pass], currency: &str) {
    say!("{:<8}  {:<7}  {:<32}  {:<14}  {:>12}  {:<6}  {:<6}", "ID", "TYPE", "HOLDERS", "PHONE", "PRICE", "PAY", "STATUS");
    for p in list {
        say!(
            "{:<8}  {:<7}  {:<32}  {:<14}  {:>12}  {:<6}  {:<6}",
            short(&p.id),
            p.pass_type,
            p.holders().chars().take(32).collect::<String>(),
            p.holder_phone,
            format_money(p.price_cents, currency),
            p.payment_mode.as_str(),
            p.status().as_str()
        );
    }
    say!("{} passes", list.len());
}

/// One pass; its payload (a bearer credential) only for admins.
pub fn pass(v: &PassView, currency: &str, with_payload: bool) {
    let p = &v.pass;
    say!("id        {}", p.id);
    say!("type      {} ({} person{})", p.pass_type, p.persons, if p.persons == 1 { "" } else { "s" });
    say!("holder    {}  {}", p.holder_name, p.holder_phone);
    if let (Some(n), Some(ph)) = (&p.holder2_name, &p.holder2_phone) {
        say!("holder 2  {n}  {ph}");
    }
    say!(
        "price     {}  {}{}",
        format_money(p.price_cents, currency),
        p.payment_mode.as_str(),
        p.txn_ref.as_deref().map(|t| format!(" ref {t}")).unwrap_or_default()
    );
    say!("slot      {}", p.slot);
    say!("issued    {} by {}", when(&p.created_at), p.created_by);
    say!("status    {}", v.status.as_str());
    if let Some(at) = &p.scanned_at {
        say!("admitted  {} by {} at {}", when(at), p.scanned_by.as_deref().unwrap_or("?"), p.gate.as_deref().unwrap_or("?"));
    }
    if let Some(at) = &p.voided_at {
        say!("voided    {} by {}: {}", when(at), p.voided_by.as_deref().unwrap_or("?"), p.void_reason.as_deref().unwrap_or(""));
    }
    if with_payload {
        say!("payload   {}", v.payload);
    }
}

pub fn residents(list: &[Resident]) {
    say!("{:<8}  {:<28}  {:<8}  {:<6}  {:<4}  ACTIVE", "ID", "NAME", "ROOM", "FLOOR", "NOW");
    for r in list {
        say!(
            "{:<8}  {:<28}  {:<8}  {:<6}  {:<4}  {}",
            short(&r.id),
            r.name.chars().take(28).collect::<String>(),
            r.room,
            r.floor,
            r.status.as_str(),
            if r.active { "yes" } else { "no" }
        );
    }
    let inside = list.iter().filter(|r| r.active && r.status == crate::domain::resident::Presence::In).count();
    say!("{} residents, {inside} IN", list.len());
}

/// One resident; the card's payload only for admins.
pub fn resident(v: &ResidentView, with_payload: bool) {
    let r = &v.resident;
    for (k, val) in [
        ("id", r.id.as_str()),
        ("name", &r.name),
        ("room", &r.room),
        ("floor", &r.floor),
        ("phone", &r.phone),
        ("email", &r.email),
        ("address", &r.address),
        ("move in", &r.move_in),
        ("occupation", &r.occupation),
        ("emergency", &r.emergency_contact),
        ("photo", r.photo.as_deref().unwrap_or("")),
        ("status", r.status.as_str()),
        ("active", if r.active { "yes" } else { "no" }),
        ("payload", if with_payload { &v.payload } else { "" }),
    ] {
        if !val.is_empty() {
            say!("{k:<10}  {val}");
        }
    }
}

pub fn users(list: &[User]) {
    say!("{:<16}  {:<24}  {:<8}  STATE", "USER", "NAME", "ROLE");
    for u in list {
        let state = if u.disabled {
            "disabled".to_string()
        } else if let Some(l) = &u.locked_until {
            format!("locked until {}", when(l))
        } else {
            "active".into()
        };
        say!("{:<16}  {:<24}  {:<8}  {state}", u.username, u.display_name, u.role.as_str());
    }
}

pub fn blocks(list: &[StoredBlock]) {
    for b in list {
        say!("{:>6}  {}  {:<10}  {:<12}  {:<18}  {}  {}", b.index, when(&b.ts), b.operator, b.gate, b.event, short(&b.hash), b.data);
    }
}

pub fn stats(s: &Stats) {
    let money = |v: f64| format_money((v * 100.0).round() as i64, &s.currency);
    say!("passes issued     {}", s.passes_issued);
    for (t, n) in &s.issued_by_type {
        say!("  {t:<15} {n}");
    }
    say!("admitted          {}, {}", crate::domain::stats::passes(s.passes_admitted), crate::domain::stats::people(s.people_admitted));
    say!("unused            {}", s.passes_unused);
    say!("voided            {}", s.passes_voided);
    say!("revenue           {}", format_money(s.revenue_total_cents, &s.currency));
    for (m, v) in &s.revenue_by_payment {
        say!("  {m:<15} {}", money(*v));
    }
    for (o, v) in &s.revenue_by_operator {
        say!("  by {o:<12} {}", money(*v));
    }
    say!("residents         {} IN, {} OUT", s.residents_in, s.residents_out);
    // Guests against the venue's capacity; residents are on their own line.
    match s.venue_capacity {
        Some(cap) => say!("inside now        {} of {cap}", s.inside_now),
        None => say!("inside now        {}", s.inside_now),
    }
    for (name, z) in &s.by_zone {
        match z.capacity {
            Some(cap) => say!("  zone {name:<10} {} of {cap}", z.inside),
            None => say!("  zone {name:<10} {}", z.inside),
        }
    }
    if s.conflicts > 0 {
        say!("conflicts         {}  ({} open: gatehouse conflicts)", s.conflicts, s.conflicts_open);
    }
    say!("scans (24 h)      {}", s.scans_total_24h);
    for (h, n) in s.scans_per_hour.iter().filter(|(_, n)| *n > 0) {
        say!("  {}  {n}", hour(h));
    }
    if !s.denied_by_reason.is_empty() {
        say!("denied");
        for (v, n) in &s.denied_by_reason {
            say!("  {v:<17} {n}");
        }
    }
    if !s.by_slot.is_empty() {
        say!("by slot");
        for (slot, n) in &s.by_slot {
            let voided = if n.voided > 0 { format!("  voided {:>5}", n.voided) } else { String::new() };
            say!("  {slot:<32} issued {:>5}  admitted {:>5}  people {:>5}{voided}", n.issued, n.admitted, n.people);
        }
    }
    if !s.by_gate.is_empty() {
        say!("by gate");
        for (gate, n) in &s.by_gate {
            say!("  {gate:<32} scans  {:>5}  admitted {:>5}  people {:>5}", n.scans, n.admitted, n.people);
        }
    }
    if !s.by_zone.is_empty() {
        say!("by zone");
        for (zone, z) in &s.by_zone {
            let cap = z.capacity.map_or(String::new(), |c| format!(" of {c}"));
            say!("  {zone:<32} inside {:>5}{cap}", z.inside);
        }
    }
    if !s.by_day.is_empty() {
        say!("by day");
        for (day, d) in &s.by_day {
            say!("  {day:<32} admitted {:>5}  people {:>5}  exited {:>5}", d.admitted, d.people, d.exited);
        }
    }
}

/// `ledger verify`: one verdict line, then each problem, then notes.
pub fn verification(v: &crate::service::Verification) {
    let c = &v.chain;
    let head = format!("{}:{}", c.head_index.map_or("-".into(), |i| i.to_string()), c.head_hash.as_deref().unwrap_or("-"));
    if v.ok {
        let audited = match &v.audit {
            Some(a) => format!("; the tables match the ledger ({} rows audited)", a.rows),
            None => "; tables not audited (--chain-only)".into(),
        };
        say!("OK: {} blocks, head {head}{audited}", c.blocks);
    } else {
        let problems = v.problems();
        say!("TAMPERED: {} problem(s)", problems.len());
        for p in &problems {
            say!("  {p}");
        }
        if c.ok {
            say!("the chain itself verifies: {} blocks, head {head}", c.blocks);
        } else {
            say!("{} blocks verified before the problem", c.blocks);
        }
    }
    for n in &v.notes {
        say!("note: {n}");
    }
    if c.hmac_unchecked > 0 {
        say!(
            "note: {} block(s) signed with the event key file were checked for their hash and link only: this enrolled gate holds no key file (verify on the first gate for their signatures)",
            c.hmac_unchecked
        );
    }
    for n in v.audit.iter().flat_map(|a| &a.not_covered) {
        say!("note: {n}");
    }
}

/// `event rules show`: each pass type's rule on a line, then the venue.
pub fn rules(r: &crate::service::EventRules) {
    match (&r.set_by, &r.set_at) {
        (Some(by), Some(at)) => say!("event rules (set by {by} at {}, ledger block {})", when(at), r.block.unwrap_or_default()),
        _ => say!("event rules: the seed (none set yet; this gate's config.toml types, each admitted once)"),
    }
    say!("  digest {}", r.digest);
    for t in &r.rules.types {
        let mut extra = Vec::new();
        if !t.days.is_empty() {
            extra.push(format!("days {}", t.days.join(", ")));
        }
        if !t.gates.is_empty() {
            extra.push(format!("gates {}", t.gates.join(", ")));
        }
        if t.attention {
            extra.push("attention".into());
        }
        say!(
            "  {:<10} {} person(s)  {:>10.2}  {:<8}{}",
            t.name,
            t.persons,
            t.price_cents as f64 / 100.0,
            t.entry.as_str(),
            if extra.is_empty() { String::new() } else { format!("  {}", extra.join("; ")) }
        );
    }
    if let Some(c) = r.rules.capacity {
        say!("  venue capacity {c}");
    }
    for z in &r.rules.zones {
        let cap = z.capacity.map_or(String::new(), |c| format!(", capacity {c}"));
        say!("  zone {}: gates {}{cap}", z.name, z.gates.join(", "));
    }
    if let Some(d) = &r.rules.day_starts {
        say!("  an event day starts at {d}");
    }
}
