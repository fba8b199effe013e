//! Manual check-in through the library, on each backend: found by
//! name in any word order, phone or the short id on the ticket, then the
//! same scan with the same verdicts, recorded as manual in the ledger.

#[macro_use]
mod common;

use common::*;
use gatehouse::Error;
use gatehouse::domain::pass::{self, Pass};
use gatehouse::domain::resident::ResidentRequest;
use gatehouse::domain::scan::Verdict;
use gatehouse::service::CandidateKind;

both_backends!(
    search_by_name_in_any_order_phone_and_short_id,
    scan_by_id_is_the_same_scan_recorded_as_manual,
    an_ambiguous_prefix_lists_the_candidates,
    a_name_checks_in_its_one_pass,
);

fn search_by_name_in_any_order_phone_and_short_id(b: Backend) {
    let env = Env::on(b);
    let mut g = env.open();
    let (p, _) = issue(&mut g, &couple("Asha Rao", "+91 98765 43210", "Ravi Kumar", "9876501234"));
    issue(&mut g, &single("Asha Khan", "9123456780"));
    g.add_resident(&admin(), &ResidentRequest { name: "Rao Dev".into(), room: "A-101".into(), ..Default::default() }).unwrap();

    let names = |g: &mut gatehouse::service::Gatehouse, q: &str| -> Vec<String> {
        let mut v: Vec<String> = g.find_for_checkin(q).unwrap().into_iter().map(|c| c.name).collect();
        v.sort();
        v
    };
    assert_eq!(names(&mut g, "rao asha"), vec!["Asha Rao & Ravi Kumar"]);
    assert_eq!(names(&mut g, "Kumar, Ravi"), vec!["Asha Rao & Ravi Kumar"]);
    assert_eq!(names(&mut g, "asha"), vec!["Asha Khan", "Asha Rao & Ravi Kumar"]);
    assert_eq!(names(&mut g, "rao"), vec!["Asha Rao & Ravi Kumar", "Rao Dev"], "passes and residents");
    assert_eq!(names(&mut g, "98765 43210"), vec!["Asha Rao & Ravi Kumar"]);
    assert_eq!(names(&mut g, &p.id[..8]), vec!["Asha Rao & Ravi Kumar"]);
    assert_eq!(names(&mut g, &p.id[..8].to_uppercase()), vec!["Asha Rao & Ravi Kumar"], "the short id in capitals");
    assert!(names(&mut g, "nobody here").is_empty());
    let c = g.resolve_checkin(&p.id[..8]).unwrap();
    assert_eq!((c.kind, c.id.as_str()), (CandidateKind::Pass, p.id.as_str()));
}

fn scan_by_id_is_the_same_scan_recorded_as_manual(b: Backend) {
    let env = Env::on(b);
    let mut g = env.open();
    let (p, _) = issue(&mut g, &couple("Asha Rao", "+91 98765 43210", "Ravi Rao", "9876501234"));
    let (q, _) = issue(&mut g, &single("Zoya Khan", "9123456780"));
    let op = operator();

    // By the full id: admitted, manual, with the reason in the ledger.
    let out = g.scan_manual(&p.id, Some("phone died"), &op, "North").unwrap();
    assert_eq!((out.verdict, out.manual), (Verdict::Admitted, true));
    let json = serde_json::to_value(&out).unwrap();
    assert_eq!(json["manual"], true);
    assert_eq!(json["verdict"], "ADMITTED");
    let blocks = g.ledger_blocks(0, 100).unwrap();
    let last = blocks.iter().max_by_key(|b| b.index).unwrap();
    let data: serde_json::Value = serde_json::from_str(&last.data).unwrap();
    assert_eq!((data["manual"].as_bool(), data["reason"].as_str(), last.operator.as_str()), (Some(true), Some("phone died"), "omar"));

    // By the short id again: the same verdict a second read of the code gives.
    let again = g.scan_manual(&p.id[..8], None, &op, "North").unwrap();
    assert_eq!(again.verdict, Verdict::AlreadyUsed);
    // A voided pass is refused the same way.
    g.void_pass(&admin(), &q.id, "refunded").unwrap();
    let v = g.scan_manual(&q.id[..6], None, &op, "North").unwrap();
    assert_eq!(v.verdict, Verdict::Voided);
    // A scan from the code is not manual.
    let code = g.pass_payload(&q);
    assert!(!g.scan(code.as_bytes(), &op, "North").unwrap().manual);
    assert!(serde_json::to_value(g.scan(code.as_bytes(), &op, "North").unwrap()).unwrap().get("manual").is_none());

    // Unknown and too short: clear errors, nothing recorded.
    let before = g.ledger_blocks(0, 1000).unwrap().len();
    assert!(matches!(g.scan_manual("ffffffff", None, &op, "North"), Err(Error::NotFound { .. })));
    assert!(matches!(g.scan_manual("ab", None, &op, "North"), Err(Error::NotFound { .. })));
    assert_eq!(g.ledger_blocks(0, 1000).unwrap().len(), before);
    assert!(g.verify_ledger(None, &mut |_| {}).unwrap().ok);
}

fn an_ambiguous_prefix_lists_the_candidates(b: Backend) {
    let env = Env::on(b);
    let mut g = env.open();
    let cfg = g.cfg.pass_rules();
    // Enough passes that two share their first four id characters.
    let items: Vec<pass::ValidPass> =
        (0..2000).map(|i| pass::validate(&single(&format!("Guest {i}"), &format!("9{i:09}")), &cfg).unwrap()).collect();
    let passes = g.insert_passes(&admin(), &items, false).unwrap();
    let mut seen = std::collections::HashMap::new();
    let prefix = passes.iter().find_map(|p| seen.insert(p.id[..4].to_string(), p.holder_name.clone()).map(|_| p.id[..4].to_string()));
    let prefix = prefix.expect("2000 random ids share a 4-character prefix");
    let err = g.scan_manual(&prefix, None, &operator(), "North").unwrap_err();
    let Error::Ambiguous { matches, .. } = &err else { panic!("{err}") };
    let holders: Vec<&Pass> = passes.iter().filter(|p| p.id.starts_with(&prefix)).collect();
    assert!(holders.len() >= 2);
    for p in holders {
        assert!(matches.contains(&p.holder_name), "{err} should name {}", p.holder_name);
    }
    assert!(err.to_string().contains(&prefix));
}

/// `scan --id` takes what the console's manual check-in takes: a name (in
/// any order) or a phone finds the one pass; several say who they are.
fn a_name_checks_in_its_one_pass(b: Backend) {
    let env = Env::on(b);
    let mut g = env.open();
    let (zoya, _) = issue(&mut g, &single("Zoya Iyer", "9123400001"));
    issue(&mut g, &single("Asha Khan", "9123400002"));
    issue(&mut g, &single("Asha Rao", "9123400003"));
    let out = g.scan_manual("zoya", None, &operator(), "North").unwrap();
    assert_eq!((out.verdict, out.pass.as_ref().map(|p| p.id.clone())), (Verdict::Admitted, Some(zoya.id.clone())));
    assert_eq!(g.scan_manual("iyer zoya", None, &operator(), "North").unwrap().verdict, Verdict::AlreadyUsed);
    assert_eq!(g.resolve_checkin("rao asha").unwrap().name, "Asha Rao");
    match g.resolve_checkin("asha") {
        Err(Error::Ambiguous { matches, .. }) => assert!(matches.contains("Asha Khan") && matches.contains("Asha Rao"), "{matches}"),
        other => panic!("two Ashas: {other:?}"),
    }
    assert!(matches!(g.resolve_checkin("nobody"), Err(Error::NotFound { .. })));
    assert!(matches!(g.resolve_checkin("ab"), Err(Error::NotFound { .. })));
}
