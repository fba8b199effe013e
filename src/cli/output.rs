//! Human-readable printing for the CLI; `--json` goes through `json`.

use serde::Serialize;

use crate::domain::ledger::StoredBlock;
use crate::domain::pass::{Pass, format_money};
use crate::domain::resident::Resident;
use crate::domain::scan::ScanOutcome;
use crate::domain::stats::Stats;
use crate::domain::user::User;
use crate::service::{PassView, ResidentView};

pub fn json<T: Serialize>(v: &T) {
    match serde_json::to_string_pretty(v) {
        Ok(s) => println!("{s}"),
        Err(e) => eprintln!("error: cannot print JSON: {e}"),
    }
}

fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

pub fn verdict(o: &ScanOutcome) {
    println!("{}", o.verdict.as_str());
    println!("  {}", o.reason);
    if let Some(p) = &o.pass {
        println!("  pass {} {} × {}  slot {}", short(&p.id), p.pass_type, p.persons, p.slot);
    }
    if let Some(r) = &o.resident {
        println!("  resident {} room {} ({})", r.name, r.room, short(&r.id));
    }
    if o.manual {
        println!("  manual check-in (no code read)");
    }
    println!("  {} at {} by {}, ledger block {}", o.at, o.gate, o.operator, o.block);
}

pub fn passes(list: &[Pass], currency: &str) {
    println!("{:<8}  {:<7}  {:<32}  {:<14}  {:>12}  {:<6}  {:<6}", "ID", "TYPE", "HOLDERS", "PHONE", "PRICE", "PAY", "STATUS");
    for p in list {
        println!(
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
    println!("{} passes", list.len());
}

pub fn pass(v: &PassView, currency: &str) {
    let p = &v.pass;
    println!("id        {}", p.id);
    println!("type      {} ({} person{})", p.pass_type, p.persons, if p.persons == 1 { "" } else { "s" });
    println!("holder    {}  {}", p.holder_name, p.holder_phone);
    if let (Some(n), Some(ph)) = (&p.holder2_name, &p.holder2_phone) {
        println!("holder 2  {n}  {ph}");
    }
    println!(
        "price     {}  {}{}",
        format_money(p.price_cents, currency),
        p.payment_mode.as_str(),
        p.txn_ref.as_deref().map(|t| format!(" ref {t}")).unwrap_or_default()
    );
    println!("slot      {}", p.slot);
    println!("issued    {} by {}", p.created_at, p.created_by);
    println!("status    {}", v.status.as_str());
    if let Some(at) = &p.scanned_at {
        println!("admitted  {at} by {} at {}", p.scanned_by.as_deref().unwrap_or("?"), p.gate.as_deref().unwrap_or("?"));
    }
    if let Some(at) = &p.voided_at {
        println!("voided    {at} by {}: {}", p.voided_by.as_deref().unwrap_or("?"), p.void_reason.as_deref().unwrap_or(""));
    }
    println!("payload   {}", v.payload);
}

pub fn residents(list: &[Resident]) {
    println!("{:<8}  {:<28}  {:<8}  {:<6}  {:<4}  ACTIVE", "ID", "NAME", "ROOM", "FLOOR", "NOW");
    for r in list {
        println!(
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
    println!("{} residents, {inside} IN", list.len());
}

pub fn resident(v: &ResidentView) {
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
        ("payload", &v.payload),
    ] {
        if !val.is_empty() {
            println!("{k:<10}  {val}");
        }
    }
}

pub fn users(list: &[User]) {
    println!("{:<16}  {:<24}  {:<8}  STATE", "USER", "NAME", "ROLE");
    for u in list {
        let state = if u.disabled {
            "disabled".to_string()
        } else if let Some(l) = &u.locked_until {
            format!("locked until {l}")
        } else {
            "active".into()
        };
        println!("{:<16}  {:<24}  {:<8}  {state}", u.username, u.display_name, u.role.as_str());
    }
}

pub fn blocks(list: &[StoredBlock]) {
    for b in list {
        println!("{:>6}  {}  {:<10}  {:<12}  {:<18}  {}  {}", b.index, b.ts, b.operator, b.gate, b.event, short(&b.hash), b.data);
    }
}

pub fn stats(s: &Stats) {
    let money = |v: f64| format_money((v * 100.0).round() as i64, &s.currency);
    println!("passes issued     {}", s.passes_issued);
    for (t, n) in &s.issued_by_type {
        println!("  {t:<15} {n}");
    }
    println!("admitted          {}  (people {})", s.passes_admitted, s.people_admitted);
    println!("unused            {}", s.passes_unused);
    println!("voided            {}", s.passes_voided);
    println!("revenue           {}", format_money(s.revenue_total_cents, &s.currency));
    for (m, v) in &s.revenue_by_payment {
        println!("  {m:<15} {}", money(*v));
    }
    for (o, v) in &s.revenue_by_operator {
        println!("  by {o:<12} {}", money(*v));
    }
    println!("residents         {} IN, {} OUT", s.residents_in, s.residents_out);
    println!("inside now        {}", s.occupancy());
    println!("scans (24 h)      {}", s.scans_total_24h);
    for (h, n) in s.scans_per_hour.iter().filter(|(_, n)| *n > 0) {
        println!("  {}  {n}", &h[..13.min(h.len())]);
    }
    if !s.denied_by_reason.is_empty() {
        println!("denied");
        for (v, n) in &s.denied_by_reason {
            println!("  {v:<17} {n}");
        }
    }
    if !s.by_slot.is_empty() {
        println!("by slot");
        for (slot, n) in &s.by_slot {
            println!("  {slot:<32} issued {:>5}  admitted {:>5}  people {:>5}", n.issued, n.admitted, n.people);
        }
    }
}
