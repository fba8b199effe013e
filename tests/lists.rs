//! Lists and their filters, on each backend, and the same answers from
//! both: search by name, phone or id prefix, type, status, payment, limit;
//! residents by name or room, active or all.

#[macro_use]
mod common;

use common::*;
use gatehouse::domain::pass::{PassStatus, PaymentMode};
use gatehouse::domain::resident::ResidentRequest;
use gatehouse::store::PassFilter;

both_backends!(pass_and_resident_filters_find_what_they_name);

/// A few passes and residents in every state; the lists' answers by name.
fn answers(env: &Env) -> Vec<(String, Vec<String>)> {
    let mut g = env.open();
    let (couple_pass, code) = issue(&mut g, &couple("Asha Rao", "9876543210", "Ravi Kumar", "9876501234"));
    g.scan(code.as_bytes(), &operator(), "North").unwrap();
    // Issued a minute apart, so "newest first" is the same order everywhere
    // (ties would fall to the random ids).
    env.clock.advance(chrono::Duration::minutes(1));
    let (void, _) = issue(&mut g, &single("Vik O'Brien", "9000000002"));
    g.void_pass(&admin(), &void.id, "refund").unwrap();
    env.clock.advance(chrono::Duration::minutes(1));
    issue(&mut g, &single("Meena K_100%", "9000000003"));
    let add = |g: &mut gatehouse::service::Gatehouse, name: &str, room: &str| {
        g.add_resident(&admin(), &ResidentRequest { name: name.into(), room: room.into(), ..Default::default() }).unwrap()
    };
    add(&mut g, "Zoya Iyer", "B-204");
    let gone = add(&mut g, "Dev Rao", "A-101");
    g.deactivate_resident(&admin(), &gone.id, "moved out").unwrap();

    let filters = [
        ("all", PassFilter::default()),
        ("search rao", PassFilter { search: Some("rao".into()), ..Default::default() }),
        // Words in any order, as manual check-in finds them.
        ("search kumar ravi", PassFilter { search: Some("kumar ravi".into()), ..Default::default() }),
        ("search kum asha", PassFilter { search: Some("kum asha".into()), ..Default::default() }),
        ("search ravi khan", PassFilter { search: Some("ravi khan".into()), ..Default::default() }),
        ("search txn", PassFilter { search: Some("UPI-778812".into()), ..Default::default() }),
        ("search spaced phone", PassFilter { search: Some("98765 01234".into()), ..Default::default() }),
        ("search phone", PassFilter { search: Some("9000000003".into()), ..Default::default() }),
        ("search id prefix", PassFilter { search: Some(couple_pass.id[..8].to_uppercase()), ..Default::default() }),
        // LIKE's wildcards are plain characters in a search.
        ("search %", PassFilter { search: Some("100%".into()), ..Default::default() }),
        ("search _", PassFilter { search: Some("k_1".into()), ..Default::default() }),
        ("search quote", PassFilter { search: Some("o'brien".into()), ..Default::default() }),
        ("type COUPLE", PassFilter { pass_type: Some("COUPLE".into()), ..Default::default() }),
        ("used", PassFilter { status: Some(PassStatus::Used), ..Default::default() }),
        ("unused", PassFilter { status: Some(PassStatus::Unused), ..Default::default() }),
        ("void", PassFilter { status: Some(PassStatus::Void), ..Default::default() }),
        ("online", PassFilter { payment: Some(PaymentMode::Online), ..Default::default() }),
        ("limit 1", PassFilter { limit: Some(1), ..Default::default() }),
    ];
    let mut out = Vec::new();
    for (what, f) in filters {
        let mut names: Vec<String> = g.list_passes(&f).unwrap().into_iter().map(|p| p.holder_name).collect();
        if what != "limit 1" {
            names.sort();
        }
        out.push((what.to_string(), names));
    }
    for (what, search, all) in
        [("residents", None, false), ("residents all", None, true), ("residents rao", Some("rao"), true), ("room b-2", Some("b-2"), false)]
    {
        let names = g.list_residents(search, all).unwrap().into_iter().map(|r| r.name).collect();
        out.push((what.to_string(), names));
    }
    out
}

fn pass_and_resident_filters_find_what_they_name(b: Backend) {
    let got = answers(&Env::on(b));
    let want: &[(&str, &[&str])] = &[
        ("all", &["Asha Rao", "Meena K_100%", "Vik O'Brien"]),
        ("search rao", &["Asha Rao"]),
        ("search kumar ravi", &["Asha Rao"]),
        ("search kum asha", &["Asha Rao"]),
        ("search ravi khan", &[]),
        ("search txn", &["Asha Rao"]),
        ("search spaced phone", &["Asha Rao"]),
        ("search phone", &["Meena K_100%"]),
        ("search id prefix", &["Asha Rao"]),
        ("search %", &["Meena K_100%"]),
        ("search _", &["Meena K_100%"]),
        ("search quote", &["Vik O'Brien"]),
        ("type COUPLE", &["Asha Rao"]),
        ("used", &["Asha Rao"]),
        ("unused", &["Meena K_100%"]),
        ("void", &["Vik O'Brien"]),
        ("online", &["Asha Rao"]),
        ("residents", &["Zoya Iyer"]),
        ("residents all", &["Dev Rao", "Zoya Iyer"]),
        ("residents rao", &["Dev Rao"]),
        ("room b-2", &["Zoya Iyer"]),
    ];
    for (what, names) in want {
        let found = &got.iter().find(|(w, _)| w == what).unwrap().1;
        assert_eq!(found, &names.iter().map(|s| s.to_string()).collect::<Vec<_>>(), "{b:?} {what}");
    }
    let newest = &got.iter().find(|(w, _)| w == "limit 1").unwrap().1;
    assert_eq!(newest, &vec!["Meena K_100%".to_string()], "{b:?}: newest first");
}

/// The same data gives the same lists, in the same order, on both backends.
#[test]
fn both_backends_list_the_same_rows_in_the_same_order() {
    assert_eq!(answers(&Env::on(Backend::Sqlite)), answers(&Env::on(Backend::Postgres)));
}
