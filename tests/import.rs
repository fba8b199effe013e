//! Bulk CSV import through the library: all rows or none, every problem
//! named by line and field, duplicates in the file and in the database,
//! CSV quoting, and a 10,000-row file.

#[macro_use]
mod common;

use common::*;
use gatehouse::domain::scan::Verdict;
use gatehouse::service::{Gatehouse, ImportError, RowProblem};
use gatehouse::store::{PassFilter, Table};

both_backends!(
    a_good_file_imports_every_row_with_its_ledger_block,
    one_bad_row_writes_nothing_and_names_the_row_and_field,
    every_problem_is_reported_with_the_core_messages,
    price_overrides_only_where_the_config_allows,
    quotes_commas_and_newlines_in_names,
    bad_headers_and_files_are_refused_whole,
    operators_cannot_import,
    ten_thousand_rows_import_in_one_transaction,
    cli_import_prints_the_batch_and_writes_cards,
);

const HEADER: &str = "type,name,phone,name2,phone2,payment,txn,slot,price\n";

fn counts(g: &mut Gatehouse) -> (u64, u64) {
    g.store().read(|db| Ok((db.count(Table::Passes)?, db.count(Table::Ledger)?))).unwrap()
}

fn import(g: &mut Gatehouse, csv: &str) -> Result<Vec<gatehouse::domain::pass::Pass>, ImportError> {
    g.import_passes(&admin(), csv.as_bytes())
}

fn problems(e: ImportError) -> Vec<RowProblem> {
    match e {
        ImportError::Rejected { problems, .. } => problems,
        other => panic!("expected a rejected import, got: {other}"),
    }
}

fn p(line: u64, field: &str, message: &str) -> RowProblem {
    RowProblem { line, field: field.into(), message: message.into() }
}

fn a_good_file_imports_every_row_with_its_ledger_block(b: Backend) {
    let env = Env::on(b);
    let mut g = env.open();
    let csv = format!(
        "{HEADER}\
         SINGLE,Asha Rao,+91 98765 43210,,,CASH,,,\n\
         couple,Ravi Kumar,9876501234,Meena Kumar,9876501235,online,UPI-4411,7:00 PM - 11:00 PM,\n\
         single, Omar  Shaikh ,98765-00001,,,cash,,,\n\
         ,,,,,,,,\n"
    );
    let passes = import(&mut g, &csv).unwrap();
    assert_eq!(passes.len(), 3, "the blank last row is skipped");
    assert_eq!(counts(&mut g), (3, 3));
    let r = g.verify_ledger(None, &mut |_| {}).unwrap();
    assert!(r.ok && r.blocks == 3, "{r:?}");

    let couple = &passes[1];
    assert_eq!((couple.pass_type.as_str(), couple.persons, couple.price_cents), ("COUPLE", 2, 99900));
    assert_eq!(couple.holder2_name.as_deref(), Some("Meena Kumar"));
    assert_eq!(couple.txn_ref.as_deref(), Some("UPI-4411"));
    assert_eq!((passes[2].holder_name.as_str(), passes[2].holder_phone.as_str()), ("Omar Shaikh", "9876500001"));
    let blocks = g.ledger_blocks(0, 10).unwrap();
    assert!(blocks.iter().all(|b| b.event == "pass_issue" && b.operator == "asha"));

    let code = g.pass_payload(couple);
    assert_eq!(g.scan(code.as_bytes(), &operator(), "Main Gate").unwrap().verdict, Verdict::Admitted);
}

fn one_bad_row_writes_nothing_and_names_the_row_and_field(b: Backend) {
    let env = Env::on(b);
    let mut g = env.open();
    issue(&mut g, &single("Already Here", "9000000001"));
    let before = counts(&mut g);
    let csv = format!(
        "{HEADER}\
         SINGLE,Asha Rao,9876543210,,,CASH,,,\n\
         SINGLE,Ravi Rao,9876543211,,,CASH,,,\n\
         SINGLE,Omar Shaikh,12345,,,CASH,,,\n\
         SINGLE,Meera Iyer,9876543213,,,CASH,,,\n"
    );
    let e = import(&mut g, &csv).unwrap_err();
    let text = e.to_string();
    assert_eq!(problems(e), vec![p(4, "phone", "must be 7 to 15 digits (got 5)")]);
    assert!(text.starts_with("1 of 4 rows are invalid; nothing was imported"), "{text}");
    assert!(text.contains("line 4, phone: must be 7 to 15 digits (got 5)"), "{text}");
    assert_eq!(counts(&mut g), before, "no pass and no ledger block was written");
    assert!(g.ledger_blocks(0, 10).unwrap().iter().all(|b| b.event != "pass_issue" || b.data.contains("Already Here")));
}

fn every_problem_is_reported_with_the_core_messages(b: Backend) {
    let env = Env::on(b);
    let mut g = env.open();
    let (existing, _) = issue(&mut g, &single("Already Here", "9000000001"));
    let before = counts(&mut g);
    let csv = format!(
        "{HEADER}\
         VIP,Asha Rao,9876543210,,,CASH,,,\n\
         SINGLE,Ravi Rao,9876543211,,,CASH,,,100\n\
         SINGLE,Omar Shaikh,9876543212,,,ONLINE,,noon,\n\
         SINGLE,Meera Iyer,9876543213,,,CASH,,,\n\
         single,  meera   IYER ,98765 43213,,,cash,,,\n\
         SINGLE,already here,9000000001,,,CASH,,,\n\
         SINGLE,Short Row,9876543216\n\
         COUPLE,Lone Person,9876543217,,,CASH,,,\n"
    );
    let got = problems(import(&mut g, &csv).unwrap_err());
    assert_eq!(
        got,
        vec![
            p(2, "type", "unknown pass type \"VIP\"; expected one of SINGLE, COUPLE"),
            p(3, "price", "price overrides are not allowed by the config (event.allow_price_override)"),
            p(4, "txn", "an ONLINE payment needs a transaction reference"),
            p(4, "slot", "unknown time slot \"noon\"; expected one of 7:00 PM - 11:00 PM"),
            p(6, "name", "the same holder, type and slot as line 5 (import with --allow-duplicate to issue it anyway)"),
            p(
                7,
                "name",
                &format!(
                    "this holder already has a live SINGLE pass for 7:00 PM - 11:00 PM: {} (import with --allow-duplicate to issue it anyway)",
                    existing.id
                ),
            ),
            p(8, "row", "has 3 fields but the header has 9"),
            p(9, "name2", "is required"),
            p(9, "phone2", "is required"),
        ]
    );
    assert_eq!(counts(&mut g), before);
}

fn price_overrides_only_where_the_config_allows(b: Backend) {
    let env = Env::on(b);
    let mut g = env.open();
    g.cfg.event.allow_price_override = true;
    let csv = format!("{HEADER}SINGLE,Asha Rao,9876543210,,,CASH,,,450.50\nSINGLE,Ravi Rao,9876543211,,,CASH,,,\n");
    let passes = import(&mut g, &csv).unwrap();
    assert_eq!((passes[0].price_cents, passes[1].price_cents), (45050, 54900));
    let bad = format!("{HEADER}SINGLE,Omar Shaikh,9876543212,,,CASH,,,cheap\n");
    assert_eq!(problems(import(&mut g, &bad).unwrap_err()), vec![p(2, "price", "\"cheap\" is not a price")]);
}

fn quotes_commas_and_newlines_in_names(b: Backend) {
    let env = Env::on(b);
    let mut g = env.open();
    // Columns in another order, a UTF-8 BOM and CRLF line ends, as
    // spreadsheets write them. Line 3's quoted name spans two lines, so the
    // row after it starts on line 5.
    let body = "\u{feff}Name,Phone,Type,Payment,Name2,Phone2,Txn\r\n\
                \"Rao, Asha \"\"Ash\"\"\",9876543210,SINGLE,CASH,,,\r\n\
                \"Kumar,  Ravi\",9876543211,COUPLE,ONLINE,\"Meena\r\n   Kumar\",9876543212,\"UPI, 77\"\r\n\
                Zoë Ñúñez,NOT A PHONE,SINGLE,CASH,,,\r\n";
    let got = problems(import(&mut g, body).unwrap_err());
    assert_eq!(got, vec![p(5, "phone", "must be 7 to 15 digits with an optional leading +")]);
    assert_eq!(counts(&mut g), (0, 0));

    let fixed = body.replace("NOT A PHONE", "9876543213");
    let passes = import(&mut g, &fixed).unwrap();
    assert_eq!(passes[0].holder_name, "Rao, Asha \"Ash\"");
    // Name validation folds runs of white space, newlines included, to one space.
    assert_eq!(passes[1].holder_name, "Kumar, Ravi");
    assert_eq!(passes[1].holder2_name.as_deref(), Some("Meena Kumar"));
    assert_eq!(passes[1].txn_ref.as_deref(), Some("UPI, 77"));
    assert_eq!(passes[2].holder_name, "Zoë Ñúñez");
    let stored = g.list_passes(&PassFilter { search: Some("meena".into()), ..Default::default() }).unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].holder2_name.as_deref(), Some("Meena Kumar"));
}

fn bad_headers_and_files_are_refused_whole(b: Backend) {
    let env = Env::on(b);
    let mut g = env.open();
    let cases = [
        ("name,phone,payment\nAsha,9876543210,CASH\n", "missing column type"),
        ("type,name,phone,payment,email\n", "unknown column \"email\""),
        ("type,name,phone,payment,phone\n", "column \"phone\" appears twice"),
        ("", "the file is empty"),
        (HEADER, "the file has a header but no passes"),
    ];
    for (csv, want) in cases {
        let e = import(&mut g, csv).unwrap_err();
        assert!(matches!(e, ImportError::Format(_)), "{csv:?}: {e:?}");
        assert!(e.to_string().contains(want), "{csv:?}: {e}");
    }
    let bytes = [HEADER.as_bytes(), b"SINGLE,Asha \xff Rao,9876543210,,,CASH,,,\n"].concat();
    let got = problems(g.import_passes(&admin(), &bytes[..]).unwrap_err());
    assert_eq!(got, vec![p(2, "name", "is not UTF-8 text; save the file as CSV UTF-8")]);
    assert_eq!(counts(&mut g), (0, 0));
}

fn operators_cannot_import(b: Backend) {
    let env = Env::on(b);
    let mut g = env.open();
    let csv = format!("{HEADER}SINGLE,Asha Rao,9876543210,,,CASH,,,\n");
    let e = g.import_passes(&operator(), csv.as_bytes()).unwrap_err();
    assert!(matches!(e, ImportError::Core(gatehouse::Error::Forbidden(_))), "{e:?}");
    assert_eq!(counts(&mut g), (0, 0));
}

fn ten_thousand_rows_import_in_one_transaction(b: Backend) {
    let env = Env::on(b);
    let mut g = env.open();
    let mut csv = String::from(HEADER);
    for i in 0..10_000 {
        if i % 4 == 0 {
            csv.push_str(&format!("COUPLE,\"Rao, Asha {i}\",9{i:09},Ravi {i},8{i:09},ONLINE,UPI-{i},,\n"));
        } else {
            csv.push_str(&format!("SINGLE,Guest {i},9{i:09},,,CASH,,,\n"));
        }
    }
    let file = env.dir.path().join("big.csv");
    std::fs::write(&file, &csv).unwrap();
    let passes = g.import_passes_file(&admin(), &file).unwrap();
    assert_eq!(passes.len(), 10_000);
    assert_eq!(counts(&mut g), (10_000, 10_000));
    assert_eq!(passes[9_996].holder_name, "Rao, Asha 9996");
    let r = g.verify_ledger(None, &mut |_| {}).unwrap();
    assert!(r.ok && r.blocks == 10_000, "{r:?}");

    // Importing the same file again finds every row already there.
    let again = problems(g.import_passes_file(&admin(), &file).unwrap_err());
    assert_eq!(again.len(), 10_000);
    assert_eq!(again[0].line, 2);
    assert_eq!(counts(&mut g), (10_000, 10_000));
}

/// The binary end to end: a rejected file, then an import that prints the
/// batch and writes cards, then retryable print failures.
fn cli_import_prints_the_batch_and_writes_cards(b: Backend) {
    use std::process::Command;
    let env = Env::on(b);
    {
        let mut g = env.open();
        with_admin(&mut g);
    }
    let run = |args: &[&str]| {
        let out = Command::new(bin())
            .arg("--data-dir")
            .arg(env.data_dir())
            .args(["--user", "asha"])
            .args(args)
            .env("GATEHOUSE_PASSWORD", PASSWORD)
            .env_remove("GATEHOUSE_CONFIG")
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let dir = env.dir.path();
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, format!("{HEADER}SINGLE,Asha Rao,9876543210,,,CASH,,,\nSINGLE,Ravi,123,,,CASH,,,\n")).unwrap();
    let (code, _, err) = run(&["pass", "import", bad.to_str().unwrap()]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("1 of 2 rows are invalid; nothing was imported") && err.contains("line 3, phone: must be 7 to 15 digits"),
        "{err}"
    );

    // --print with no printer configured fails before anything is written.
    let good = dir.join("good.csv");
    std::fs::write(
        &good,
        format!("{HEADER}SINGLE,Asha Rao,9876543210,,,CASH,,,\nCOUPLE,Ravi Rao,9876543211,Meena Rao,9876543212,ONLINE,UPI-9,,\n"),
    )
    .unwrap();
    let (code, _, err) = run(&["pass", "import", good.to_str().unwrap(), "--print"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("no printer configured"), "{err}");
    assert_eq!(env.open().list_passes(&PassFilter::default()).unwrap().len(), 0);

    let out = dir.join("tickets.bin");
    let cards = dir.join("cards");
    let printer = format!("file:{}", out.display());
    let (code, stdout, err) =
        run(&["pass", "import", good.to_str().unwrap(), "--print", "--printer", &printer, "--cards", cards.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    assert!(stdout.contains("imported 2 passes") && stdout.contains("wrote 2 cards") && stdout.contains("printed 2 tickets"), "{stdout}");
    let passes = env.open().list_passes(&PassFilter::default()).unwrap();
    assert_eq!(passes.len(), 2);
    let ticket = std::fs::read(&out).unwrap();
    assert!(ticket.starts_with(b"\x1b@\x1ba\x01\x1dv0"), "raster is the default mode");
    for p in &passes {
        let img = gatehouse::decode::load_gray(&cards.join(format!("{}.png", p.id))).unwrap();
        assert_eq!(gatehouse::decode::decode_gray(&img), vec![env.open().pass_payload(p)]);
    }

    // A failed print changes nothing and says how to retry.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let id = &passes[0].id[..8];
    let (code, _, err) = run(&["print", id, "--printer", &format!("tcp:127.0.0.1:{port}")]);
    assert_eq!(code, Some(2));
    assert!(err.contains("connection refused") && err.contains(&format!("run `gatehouse print {id}` again")), "{err}");
    let (code, _, err) = run(&["print", id]);
    assert_eq!(code, Some(2));
    assert!(err.contains("no printer configured"), "{err}");
    let (code, stdout, err) = run(&["print", id, "--printer", &printer, "--mode", "native"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(stdout.contains(&format!("printed pass {id}")), "{stdout}");
    let card = dir.join("one.png");
    let (code, _, err) = run(&["pass", "card", id, "--png", card.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    assert!(card.is_file());
}
