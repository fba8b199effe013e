//! Entry rules as event data (issue 21): set with `event rules set`, read
//! with `event rules show`, the same at every gate and in every replica,
//! and applied by the scan; on SQLite and on PostgreSQL, through the binary.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::relay::Relay;
use common::*;
use gatehouse::config::Config;
use gatehouse::service::offline::Gate;
use gatehouse::store::DbUrl;

fn run(dir: &Path, args: &[&str]) -> Output {
    let mut c = Command::new(bin());
    c.arg("--data-dir").arg(dir).args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    c.env_remove("PGPASSWORD").env_remove("GATEHOUSE_DATABASE_URL").env("PGPASSFILE", "/nonexistent");
    c.env("GATEHOUSE_PASSWORD", PASSWORD);
    let child = c.spawn().unwrap();
    let mut child = child;
    drop(child.stdin.take().map(|mut s| s.flush()));
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

/// An env with the admin asha and the operator omar.
fn event(backend: Backend) -> Env {
    let env = Env::on(backend);
    let mut g = env.open();
    with_admin(&mut g);
    g.add_user(Some(&admin()), "omar", "Omar", gatehouse::domain::user::Role::Operator, PASSWORD).unwrap();
    env
}

fn write_rules(env: &Env, name: &str, toml: &str) -> String {
    let p = env.dir.path().join(name);
    std::fs::write(&p, toml).unwrap();
    p.to_str().unwrap().to_string()
}

const RULES: &str = r#"
[venue]
capacity = 500

[[zone]]
name = "Hall"
gates = ["North", "South"]
capacity = 300

[[pass_type]]
name = "SINGLE"
persons = 1
price = 549
entry = "reentry"

[[pass_type]]
name = "COUPLE"
persons = 2
price = 999

[[pass_type]]
name = "VIP"
persons = 1
price = 2500
gates = ["VIP"]
attention = true
"#;

/// The seed before any are set; `rules set` by an admin replaces it with a
/// ledgered block; a bad file or an operator changes nothing; the new
/// types issue; the ledger verifies.
fn rules_are_set_shown_and_ledgered(b: Backend) {
    let env = event(b);
    let dir = env.data_dir();
    let seed = json(&run(dir, &["event", "rules", "show", "--json"]));
    assert_eq!(seed["source"], "seed", "{seed}");
    let types: Vec<(String, u64, u64, String)> = seed["rules"]["types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().into(),
                t["persons"].as_u64().unwrap(),
                t["price_cents"].as_u64().unwrap(),
                t["entry"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(types, [("SINGLE".into(), 1, 54900, "once".into()), ("COUPLE".into(), 2, 99900, "once".into())]);
    // VIP is not a type yet.
    let o = run(dir, &["--user", "asha", "pass", "issue", "--type", "VIP", "--name", "Vera", "--phone", "9000000009", "--payment", "CASH"]);
    assert!(!o.status.success() && text(&o).contains("unknown pass type"), "{}", text(&o));

    let file = write_rules(&env, "rules.toml", RULES);
    let o = run(dir, &["--user", "omar", "event", "rules", "set", &file]);
    assert!(!o.status.success() && text(&o).contains("only an admin"), "{}", text(&o));
    let bad = write_rules(&env, "bad.toml", &RULES.replace("entry = \"reentry\"", "entry = \"twice\""));
    let o = run(dir, &["--user", "asha", "event", "rules", "set", &bad]);
    assert!(!o.status.success() && text(&o).contains("twice"), "{}", text(&o));
    let bad = write_rules(&env, "bad2.toml", &RULES.replace("persons = 2", "persons = 0"));
    let o = run(dir, &["--user", "asha", "event", "rules", "set", &bad]);
    assert!(!o.status.success() && text(&o).contains("persons must be 1 to"), "{}", text(&o));
    assert_eq!(json(&run(dir, &["event", "rules", "show", "--json"]))["source"], "seed", "nothing stored");

    let o = run(dir, &["--user", "asha", "event", "rules", "set", &file]);
    assert!(o.status.success(), "{}", text(&o));
    let shown = json(&run(dir, &["event", "rules", "show", "--json"]));
    assert_eq!(shown["source"], "event");
    assert_eq!(shown["set_by"], "asha");
    assert_eq!(shown["rules"]["capacity"], 500);
    assert_eq!(shown["rules"]["zones"][0]["gates"], serde_json::json!(["North", "South"]));
    assert_eq!(shown["rules"]["types"][0]["entry"], "reentry");
    assert_eq!(shown["rules"]["types"][2]["gates"], serde_json::json!(["VIP"]));
    assert_eq!(shown["rules"]["types"][2]["attention"], true);
    let plain = text(&run(dir, &["event", "rules", "show"]));
    assert!(plain.contains("VIP") && plain.contains("reentry") && plain.contains("venue capacity 500"), "{plain}");
    // The same file again writes no second block.
    let blocks = env.raw_i64("SELECT COUNT(*) FROM ledger WHERE event = 'rules_set'");
    assert_eq!(blocks, 1);
    assert!(run(dir, &["--user", "asha", "event", "rules", "set", &file]).status.success());
    assert_eq!(env.raw_i64("SELECT COUNT(*) FROM ledger WHERE event = 'rules_set'"), 1);
    assert_eq!(env.raw_strings("SELECT digest FROM event_rules"), [shown["digest"].as_str().unwrap().to_string()]);

    let o = run(dir, &["--user", "asha", "pass", "issue", "--type", "VIP", "--name", "Vera", "--phone", "9000000009", "--payment", "CASH"]);
    assert!(o.status.success(), "{}", text(&o));
    let v = json(&run(dir, &["ledger", "verify", "--json"]));
    assert_eq!(v["ok"], true, "{v}");
}

/// `init` seeds the rules from an old `[[pass_type]]` in config.toml.
fn init_seeds_from_the_configs_pass_types(b: Backend) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("gate");
    std::fs::create_dir_all(&dir).unwrap();
    let url = match b {
        Backend::Sqlite => String::new(),
        Backend::Postgres => pg::fresh_db(),
    };
    let cfg = gatehouse::config::SAMPLE.replace("database = \"\"", &format!("database = {url:?}"));
    let cfg = cfg.replacen("name = \"SINGLE\"", "name = \"STANDARD\"", 1);
    assert!(cfg.contains("STANDARD"), "the sample names SINGLE");
    std::fs::write(dir.join("config.toml"), cfg).unwrap();
    let mut c = Command::new(bin());
    c.arg("--data-dir").arg(&dir).args(["init", "--admin", "asha", "--password-stdin"]);
    c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).env_remove("GATEHOUSE_DATABASE_URL");
    let mut child = c.spawn().unwrap();
    child.stdin.take().unwrap().write_all(format!("{PASSWORD}\n").as_bytes()).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let shown = json(&run(&dir, &["event", "rules", "show", "--json"]));
    assert_eq!(shown["source"], "event", "{shown}");
    assert_eq!(shown["rules"]["types"][0]["name"], "STANDARD");
    assert_eq!(shown["rules"]["types"][1]["name"], "COUPLE");
    // Changing the laptop's config later changes nothing: the event holds them.
    let cfg = std::fs::read_to_string(dir.join("config.toml")).unwrap().replace("STANDARD", "OTHER");
    std::fs::write(dir.join("config.toml"), cfg).unwrap();
    assert_eq!(json(&run(&dir, &["event", "rules", "show", "--json"]))["rules"]["types"][0]["name"], "STANDARD");
}

/// A gate on the env's database through `relay`, its replica in `dir`.
fn gate(env: &Env, relay: &Relay, dir: &Path, name: &str) -> Gate {
    let mut cfg = Config::load(&env.paths.config).unwrap();
    cfg.gate.name = name.into();
    let keys = gatehouse::keyfile::load(&env.paths.key()).unwrap();
    let url = DbUrl::parse(&pg::server().tcp_url(&env.pg_db(), relay.port)).unwrap();
    std::fs::create_dir_all(dir).unwrap();
    Gate::from_parts(cfg, keys, url, &dir.join("replica.sqlite"), env.clock.clone()).unwrap()
}

/// Rules changed at gate A reach gate B's replica with its next pull, and
/// B, cut off from the server, shows and scans by them; `rules show
/// --json` is the same at both.
#[test]
fn a_change_of_rules_reaches_every_replica_with_its_next_pull() {
    let env = event(Backend::Postgres);
    let relay = Relay::start(pg::server().port);
    let tmp = tempfile::tempdir().unwrap();
    let mut b = gate(&env, &relay, tmp.path(), "South");
    b.sync().unwrap();
    relay.refuse();
    assert_eq!(b.rules().unwrap().source, "seed");
    relay.restore();

    // Gate A (the env's own data directory) sets them through the binary.
    let file = write_rules(&env, "rules.toml", RULES);
    let o = run(env.data_dir(), &["--user", "asha", "event", "rules", "set", &file]);
    assert!(o.status.success(), "{}", text(&o));
    let at_a = json(&run(env.data_dir(), &["event", "rules", "show", "--json"]));

    let r = b.sync().unwrap();
    assert!(r.pulled && r.error.is_none(), "{r:?}");
    relay.refuse();
    let offline = serde_json::to_value(b.rules().unwrap()).unwrap();
    assert!(!b.is_online(), "decided from the replica");
    assert_eq!(offline, at_a, "the replica carries the event's rules");
    // Offline, B issues nothing but scans by the rules it carries: a VIP
    // type known only from the pull.
    drop(b);
    relay.restore();
}

// ---- Scans by the rules: each "Must show" scenario through the binary.

fn set_rules(env: &Env, toml: &str) {
    let file = write_rules(env, "scenario.toml", toml);
    let o = run(env.data_dir(), &["--user", "asha", "event", "rules", "set", &file]);
    assert!(o.status.success(), "{}", text(&o));
}

/// This gate's `[gate] direction`.
fn set_direction(env: &Env, direction: &str) {
    let cfg = std::fs::read_to_string(&env.paths.config).unwrap();
    let cfg = regex_free_set(&cfg.replace("# direction = \"in\"", "direction = \"in\""), "direction", &format!("{direction:?}"));
    assert!(cfg.contains(&format!("direction = {direction:?}")));
    std::fs::write(&env.paths.config, cfg).unwrap();
}

/// Issue a pass through the binary: its code.
fn issue_cli(env: &Env, pass_type: &str, name: &str, phone: &str, extra: &[&str]) -> String {
    let mut args =
        vec!["--user", "asha", "pass", "issue", "--type", pass_type, "--name", name, "--phone", phone, "--payment", "CASH", "--json"];
    args.extend_from_slice(extra);
    let o = run(env.data_dir(), &args);
    assert!(o.status.success(), "{}", text(&o));
    json(&o)["payload"].as_str().unwrap().to_string()
}

/// Scan through the binary as omar at `gate`: the verdict's JSON.
fn scan_cli(env: &Env, code: &str, gate: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["--user", "omar", "--gate", gate, "scan", "--payload", code, "--json"];
    args.extend_from_slice(extra);
    json(&run(env.data_dir(), &args))
}

fn inside_now(env: &Env) -> u64 {
    let st = json(&run(env.data_dir(), &["stats", "--json"]));
    st["inside_now"].as_u64().unwrap_or_else(|| panic!("{st}"))
}

fn verify_ok(env: &Env) {
    let v = json(&run(env.data_dir(), &["ledger", "verify", "--json"]));
    assert_eq!(v["ok"], true, "{v}");
}

const REENTRY: &str = "[[pass_type]]\nname = \"SINGLE\"\npersons = 1\nprice = 549\nentry = \"reentry\"\n";

/// reentry: ADMITTED, ALREADY_INSIDE, EXITED, ADMITTED; inside 1, 1, 0, 1.
fn reentry_admits_again_after_an_exit(b: Backend) {
    let env = event(b);
    set_direction(&env, "both");
    set_rules(&env, REENTRY);
    let code = issue_cli(&env, "SINGLE", "Asha Rao", "9000000001", &[]);
    let steps: [(&[&str], &str, u64); 5] = [
        (&[], "ADMITTED", 1),
        (&[], "ALREADY_INSIDE", 1),
        (&["--exit"], "EXITED", 0),
        (&["--exit"], "NOT_INSIDE", 0),
        (&[], "ADMITTED", 1),
    ];
    for (i, (extra, want, inside)) in steps.into_iter().enumerate() {
        let v = scan_cli(&env, &code, "North", extra);
        assert_eq!(v["verdict"], want, "step {i}: {v}");
        assert_eq!(inside_now(&env), inside, "step {i}");
    }
    let v = scan_cli(&env, &code, "North", &[]);
    assert!(v["reason"].as_str().unwrap().contains("North"), "ALREADY_INSIDE names where: {v}");
    verify_ok(&env);
}

/// An exit at an entry gate is refused with one clear line, nothing recorded.
fn an_exit_at_an_entry_gate_is_refused(b: Backend) {
    let env = event(b);
    set_rules(&env, REENTRY);
    let code = issue_cli(&env, "SINGLE", "Asha Rao", "9000000001", &[]);
    let blocks = env.raw_i64("SELECT COUNT(*) FROM ledger");
    let o = run(env.data_dir(), &["--user", "omar", "scan", "--payload", &code, "--exit"]);
    assert!(!o.status.success() && text(&o).contains("entry gate"), "{}", text(&o));
    assert_eq!(env.raw_i64("SELECT COUNT(*) FROM ledger"), blocks);
    // An out gate records every scan as an exit.
    set_direction(&env, "out");
    assert_eq!(scan_cli(&env, &code, "Exit", &[])["verdict"], "NOT_INSIDE");
}

/// daily over two days: ADMITTED then ALREADY_USED_TODAY (naming the time
/// and gate); a pass for another day NOT_TODAY.
fn daily_once_a_day_on_its_days(b: Backend) {
    let env = event(b);
    let today = chrono::Local::now().date_naive();
    let d = |n: i64| (today + chrono::Duration::days(n)).format("%Y-%m-%d").to_string();
    set_rules(
        &env,
        &format!(
            "[[pass_type]]\nname = \"FESTIVAL\"\npersons = 1\nprice = 1500\nentry = \"daily\"\ndays = [{:?}, {:?}]\n\n\
             [[pass_type]]\nname = \"YESTERDAY\"\npersons = 1\nprice = 500\nentry = \"daily\"\ndays = [{:?}]\n",
            d(0),
            d(1),
            d(-1)
        ),
    );
    let code = issue_cli(&env, "FESTIVAL", "Asha Rao", "9000000001", &[]);
    assert_eq!(scan_cli(&env, &code, "North", &[])["verdict"], "ADMITTED");
    let v = scan_cli(&env, &code, "South", &[]);
    assert_eq!(v["verdict"], "ALREADY_USED_TODAY", "{v}");
    let why = v["reason"].as_str().unwrap();
    assert!(why.contains("North") && why.contains(&d(0)), "names the time and gate: {why}");
    let other = issue_cli(&env, "YESTERDAY", "Ravi Rao", "9000000002", &[]);
    let v = scan_cli(&env, &other, "North", &[]);
    assert_eq!(v["verdict"], "NOT_TODAY", "{v}");
    verify_ok(&env);
}

/// Day 2 on the test clock: the same daily pass is admitted again, and on
/// a day past its days it is NOT_TODAY.
fn daily_on_the_test_clock_admits_again_on_day_two(b: Backend) {
    let env = event(b);
    let g = env.open();
    // The env's clock: 2026-11-21 18:30 UTC; the event keeps UTC.
    let mut cfg = g.cfg.clone();
    cfg.event.utc_offset = "+00:00".into();
    let mut g2 = gatehouse::service::Gatehouse::from_parts(cfg, g.keys().clone(), env.store(), env.clock.clone());
    let rules = gatehouse::service::parse_rules_file(
        "[[pass_type]]\nname = \"FESTIVAL\"\npersons = 1\nprice = 1500\nentry = \"daily\"\ndays = [\"2026-11-21\", \"2026-11-22\"]\n",
    )
    .unwrap();
    g2.set_rules(&admin(), rules).unwrap();
    let req = gatehouse::domain::pass::PassRequest { pass_type: "FESTIVAL".into(), ..single("Asha Rao", "9000000001") };
    let (_, code) = issue(&mut g2, &req);
    let scan = |g: &mut gatehouse::service::Gatehouse| g.scan(code.as_bytes(), &operator(), "North").unwrap().verdict.as_str();
    assert_eq!(scan(&mut g2), "ADMITTED");
    assert_eq!(scan(&mut g2), "ALREADY_USED_TODAY");
    env.clock.advance(chrono::Duration::days(1));
    assert_eq!(scan(&mut g2), "ADMITTED", "day 2");
    assert_eq!(scan(&mut g2), "ALREADY_USED_TODAY");
    env.clock.advance(chrono::Duration::days(1));
    assert_eq!(scan(&mut g2), "NOT_TODAY", "day 3 is not one of its days");
    drop(g);
    verify_ok(&env);
}

/// gates: WRONG_GATE at another gate, naming the gates that admit it.
fn a_pass_for_one_gate_is_wrong_at_another(b: Backend) {
    let env = event(b);
    set_rules(&env, "[[pass_type]]\nname = \"VIP\"\npersons = 1\nprice = 2500\ngates = [\"VIP\", \"Lounge\"]\n");
    let code = issue_cli(&env, "VIP", "Vera Rao", "9000000009", &[]);
    let v = scan_cli(&env, &code, "North", &[]);
    assert_eq!(v["verdict"], "WRONG_GATE", "{v}");
    assert!(v["reason"].as_str().unwrap().contains("VIP, Lounge"), "{v}");
    assert_eq!(scan_cli(&env, &code, "vip", &[])["verdict"], "ADMITTED");
    verify_ok(&env);
}

/// A resident card at an `in` gate records IN each time (no toggle), and at
/// an `out` gate records OUT.
fn a_resident_card_records_the_gates_direction(b: Backend) {
    let env = event(b);
    let mut g = env.open();
    let req = gatehouse::domain::resident::ResidentRequest { name: "Ravi Kumar".into(), room: "204".into(), ..Default::default() };
    let r = g.add_resident(&admin(), &req).unwrap();
    let code = g.resident_payload(&r);
    drop(g);
    set_direction(&env, "in");
    // Every read counts here: no repeat window.
    let cfg = std::fs::read_to_string(&env.paths.config).unwrap();
    let cfg = regex_free_set(&cfg, "resident_repeat_window_secs", "0");
    std::fs::write(&env.paths.config, cfg).unwrap();
    assert_eq!(scan_cli(&env, &code, "North", &[])["verdict"], "RESIDENT_IN");
    let v = scan_cli(&env, &code, "North", &[]);
    assert_eq!(v["verdict"], "RESIDENT_IN", "an entry gate never toggles: {v}");
    set_direction(&env, "out");
    let v = scan_cli(&env, &code, "North", &[]);
    assert_eq!(v["verdict"], "RESIDENT_OUT", "{v}");
    verify_ok(&env);
}

/// A COUPLE pass: `--persons 1` gives "1 of 2"; the next full scan admits
/// the one left; then ALREADY_USED.
fn a_group_arrives_apart(b: Backend) {
    let env = event(b);
    let code = issue_cli(&env, "COUPLE", "Asha Rao", "9000000001", &["--name2", "Ravi Rao", "--phone2", "9000000002"]);
    let v = scan_cli(&env, &code, "North", &["--persons", "1"]);
    assert_eq!(v["verdict"], "ADMITTED", "{v}");
    assert!(v["reason"].as_str().unwrap().ends_with("1 of 2, 1 still to come"), "{v}");
    assert_eq!((v["persons"]["this_scan"].as_u64(), v["persons"]["still_to_come"].as_u64()), (Some(1), Some(1)), "{v}");
    assert_eq!(inside_now(&env), 1);
    // The export carries who is still to come.
    let csv = env.dir.path().join("out.csv");
    let o = run(env.data_dir(), &["--user", "asha", "export", "passes", "--csv", csv.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let mut r = csv::Reader::from_path(&csv).unwrap();
    let head = r.headers().unwrap().clone();
    let row = r.records().next().unwrap().unwrap();
    let col = |name: &str| row.get(head.iter().position(|h| h == name).unwrap_or_else(|| panic!("{name}: {head:?}"))).unwrap().to_string();
    assert_eq!((col("inside"), col("persons_left")), ("1".to_string(), "1".to_string()));
    let v = scan_cli(&env, &code, "South", &[]);
    assert_eq!(v["verdict"], "ADMITTED", "{v}");
    assert!(v["reason"].as_str().unwrap().ends_with("2 of 2"), "{v}");
    assert_eq!(v["persons"]["this_scan"], 1, "{v}");
    assert_eq!(inside_now(&env), 2);
    assert_eq!(scan_cli(&env, &code, "South", &[])["verdict"], "ALREADY_USED");
    let st = json(&run(env.data_dir(), &["stats", "--json"]));
    assert_eq!((st["people_admitted"].as_u64(), st["passes_admitted"].as_u64()), (Some(2), Some(1)), "{st}");
    // --persons 0 is refused before anything is read.
    let o = run(env.data_dir(), &["--user", "omar", "scan", "--payload", &code, "--persons", "0"]);
    assert!(!o.status.success(), "{}", text(&o));
    verify_ok(&env);
}

/// A note given at issue or import, or a type's attention flag, comes back
/// with the verdict (JSON `note`, and a NOTE line in text).
fn a_note_is_shown_with_the_verdict(b: Backend) {
    let env = event(b);
    let code = issue_cli(&env, "SINGLE", "Asha Rao", "9000000001", &["--note", "wheelchair access"]);
    let v = scan_cli(&env, &code, "North", &[]);
    assert_eq!(v["note"], "wheelchair access", "{v}");
    let again = run(env.data_dir(), &["--user", "omar", "scan", "--payload", &code]);
    assert!(text(&again).contains("NOTE: wheelchair access"), "{}", text(&again));
    // A hidden character in a note is refused.
    let o = run(
        env.data_dir(),
        &[
            "--user",
            "asha",
            "pass",
            "issue",
            "--type",
            "SINGLE",
            "--name",
            "X Y",
            "--phone",
            "9000000005",
            "--payment",
            "CASH",
            "--note",
            "a\u{202e}b",
        ],
    );
    assert!(!o.status.success() && text(&o).contains("note"), "{}", text(&o));

    let csv = env.dir.path().join("in.csv");
    std::fs::write(&csv, "type,name,phone,payment,note\nSINGLE,Meena Rao,9000000003,CASH,CHECK ID\n").unwrap();
    let o = run(env.data_dir(), &["--user", "asha", "pass", "import", csv.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let list = json(&run(env.data_dir(), &["--user", "asha", "pass", "list", "--search", "Meena", "--json"]));
    let code = list[0]["payload"].as_str().unwrap_or_else(|| panic!("{list}")).to_string();
    assert_eq!(scan_cli(&env, &code, "North", &[])["note"], "CHECK ID");
    let out = env.dir.path().join("out.csv");
    let o = run(env.data_dir(), &["--user", "asha", "export", "passes", "--csv", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let text_out = std::fs::read_to_string(&out).unwrap();
    assert!(text_out.lines().next().unwrap().contains(",note,inside,persons_left") && text_out.contains("wheelchair access"), "{text_out}");

    set_rules(&env, "[[pass_type]]\nname = \"SINGLE\"\npersons = 1\nprice = 549\nattention = true\n");
    let code = issue_cli(&env, "SINGLE", "Dev Rao", "9000000004", &[]);
    let v = scan_cli(&env, &code, "North", &[]);
    assert!(v["note"].as_str().is_some_and(|n| n.contains("SINGLE")), "{v}");
    verify_ok(&env);
}

const CAP3: &str = "[venue]\ncapacity = 3\n\n[[zone]]\nname = \"Lounge\"\ngates = [\"Lounge\"]\ncapacity = 1\n\n\
                    [[pass_type]]\nname = \"SINGLE\"\npersons = 1\nprice = 549\n";

/// Capacity 3: three admitted (the third warned at 90%), the fourth
/// AT_CAPACITY; an exit, then the fourth ADMITTED. A zone's own cap counts
/// the people whose last entry was at its gates.
fn capacity_refuses_the_fourth_until_one_leaves(b: Backend) {
    let env = event(b);
    set_direction(&env, "both");
    set_rules(&env, CAP3);
    let codes: Vec<String> = (1..=4).map(|i| issue_cli(&env, "SINGLE", &format!("Guest {i}"), &format!("900000000{i}"), &[])).collect();
    assert_eq!(scan_cli(&env, &codes[0], "North", &[])["verdict"], "ADMITTED");
    let v = scan_cli(&env, &codes[1], "Lounge", &[]);
    assert_eq!(v["verdict"], "ADMITTED", "{v}");
    assert!(v["warning"].as_str().is_some_and(|w| w.contains("Lounge") && w.contains("1 of 1")), "{v}");
    let v = scan_cli(&env, &codes[2], "Lounge", &[]);
    assert_eq!(v["verdict"], "AT_CAPACITY", "the lounge holds one: {v}");
    assert!(v["reason"].as_str().unwrap().contains("zone Lounge holds 1"), "{v}");
    let v = scan_cli(&env, &codes[2], "North", &[]);
    assert_eq!(v["verdict"], "ADMITTED", "{v}");
    assert!(v["warning"].as_str().is_some_and(|w| w.contains("3 of 3")), "{v}");
    let v = scan_cli(&env, &codes[3], "North", &[]);
    assert_eq!(v["verdict"], "AT_CAPACITY", "{v}");
    assert!(v["reason"].as_str().unwrap().contains("the venue holds 3, 3 inside"), "{v}");
    assert_eq!(scan_cli(&env, &codes[0], "North", &["--exit"])["verdict"], "EXITED");
    assert_eq!(inside_now(&env), 2);
    assert_eq!(scan_cli(&env, &codes[3], "North", &[])["verdict"], "ADMITTED");
    assert_eq!(inside_now(&env), 3);
    let st = json(&run(env.data_dir(), &["stats", "--json"]));
    assert_eq!(st["by_zone"]["Lounge"], serde_json::json!({"inside": 1, "capacity": 1, "gates": ["Lounge"]}), "{st}");
    assert_eq!(st["venue_capacity"], 3, "{st}");
    verify_ok(&env);
}

/// Eight gate processes race for the last place: exactly one is admitted.
fn eight_processes_race_for_the_last_place(b: Backend) {
    let env = event(b);
    set_rules(&env, CAP3);
    let codes: Vec<String> = (0..10).map(|i| issue_cli(&env, "SINGLE", &format!("Guest {i}"), &format!("90000000{i:02}"), &[])).collect();
    assert_eq!(scan_cli(&env, &codes[8], "North", &[])["verdict"], "ADMITTED");
    assert_eq!(scan_cli(&env, &codes[9], "North", &[])["verdict"], "ADMITTED");
    // Each process signs in (bcrypt) and then waits on its standard input;
    // the codes are written to all of them at once, so the scans overlap.
    let mut children: Vec<_> = (0..8)
        .map(|i| {
            let mut c = Command::new(bin());
            c.arg("--data-dir").arg(env.data_dir()).args([
                "--user",
                "omar",
                "--gate",
                &format!("Gate{i}"),
                "scan",
                "--payload-file",
                "-",
                "--json",
            ]);
            c.env_remove("GATEHOUSE_DATABASE_URL").env("PGPASSFILE", "/nonexistent").env("GATEHOUSE_PASSWORD", PASSWORD);
            c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_secs(4));
    let inputs: Vec<_> = children.iter_mut().map(|c| c.stdin.take().unwrap()).collect();
    for (mut input, code) in inputs.into_iter().zip(&codes) {
        input.write_all(format!("{code}\n").as_bytes()).unwrap();
    }
    let verdicts: Vec<String> = children
        .into_iter()
        .map(|c| {
            let o = c.wait_with_output().unwrap();
            json(&o)["verdict"].as_str().unwrap_or_else(|| panic!("{}", text(&o))).to_string()
        })
        .collect();
    let admitted = verdicts.iter().filter(|v| *v == "ADMITTED").count();
    assert_eq!(admitted, 1, "{verdicts:?}");
    assert_eq!(verdicts.iter().filter(|v| *v == "AT_CAPACITY").count(), 7, "{verdicts:?}");
    assert_eq!(inside_now(&env), 3);
    verify_ok(&env);
}

/// `pass issue` as asha: its output, whatever it is.
fn issue_raw(env: &Env, pass_type: &str, name: &str, phone: &str, extra: &[&str]) -> Output {
    issue_as(env, "asha", pass_type, name, phone, extra)
}

fn issue_as(env: &Env, user: &str, pass_type: &str, name: &str, phone: &str, extra: &[&str]) -> Output {
    let mut args =
        vec!["--user", user, "pass", "issue", "--type", pass_type, "--name", name, "--phone", phone, "--payment", "CASH", "--json"];
    args.extend_from_slice(extra);
    run(env.data_dir(), &args)
}

/// One holder may hold a Day 1 and a Day 2 pass, and passes for two slots;
/// a second pass of one type and slot is refused, naming the first, unless
/// an admin says --allow-duplicate (issue and import). A voided pass is no
/// duplicate. The ledger verifies.
fn duplicates_are_per_holder_type_and_slot(b: Backend) {
    let env = event(b);
    let cfg = std::fs::read_to_string(&env.paths.config).unwrap();
    let cfg = cfg.replace(r#"slots = ["7:00 PM - 11:00 PM"]"#, r#"slots = ["7:00 PM - 11:00 PM", "Matinee"]"#);
    assert!(cfg.contains("Matinee"), "the sample has one slot");
    std::fs::write(&env.paths.config, cfg).unwrap();
    set_rules(
        &env,
        "[[pass_type]]\nname = \"DAY1\"\npersons = 1\nprice = 500\nentry = \"daily\"\ndays = [\"2026-12-24\"]\n\n\
         [[pass_type]]\nname = \"DAY2\"\npersons = 1\nprice = 500\nentry = \"daily\"\ndays = [\"2026-12-25\"]\n",
    );
    let first = json(&issue_raw(&env, "DAY1", "Asha Rao", "9000000001", &[]))["id"].as_str().unwrap().to_string();
    let o = issue_raw(&env, "DAY2", "Asha Rao", "9000000001", &[]);
    assert!(o.status.success(), "a Day 2 pass for a Day 1 holder: {}", text(&o));
    let o = issue_raw(&env, "DAY1", "Asha Rao", "9000000001", &["--slot", "Matinee"]);
    assert!(o.status.success(), "another slot: {}", text(&o));
    // The same holder, type and slot: refused, naming the pass held.
    let blocks = env.raw_i64("SELECT COUNT(*) FROM ledger");
    let o = issue_raw(&env, "day1", "  asha  RAO ", "90000 00001", &[]);
    let why = text(&o);
    assert!(!o.status.success(), "{why}");
    assert!(why.contains("already holds a DAY1 pass for 7:00 PM - 11:00 PM") && why.contains(&first), "{why}");
    assert!(why.contains("--allow-duplicate"), "says how: {why}");
    assert_eq!(env.raw_i64("SELECT COUNT(*) FROM ledger"), blocks, "nothing written");
    // One buyer's passes for friends, in the buyer's name: an admin allows it.
    let o = issue_as(&env, "omar", "DAY1", "Asha Rao", "9000000001", &["--allow-duplicate"]);
    assert!(!o.status.success() && text(&o).contains("admin"), "an operator may not: {}", text(&o));
    let second = json(&issue_raw(&env, "DAY1", "Asha Rao", "9000000001", &["--allow-duplicate"]))["id"].as_str().unwrap().to_string();
    assert_ne!(second, first);
    assert_eq!(env.raw_i64("SELECT COUNT(*) FROM passes WHERE pass_type = 'DAY1' AND slot = '7:00 PM - 11:00 PM'"), 2);
    // Void both: the holder may have one again without asking.
    for id in [&first, &second] {
        assert!(run(env.data_dir(), &["--user", "asha", "pass", "void", id, "--reason", "refund"]).status.success());
    }
    assert!(issue_raw(&env, "DAY1", "Asha Rao", "9000000001", &[]).status.success());

    // Import: a row for a holder who has the pass, and two rows for one
    // holder, are each named; --allow-duplicate imports them.
    let csv = env.dir.path().join("dup.csv");
    std::fs::write(
        &csv,
        "type,name,phone,payment\nDAY1,Asha Rao,9000000001,CASH\nDAY2,Ravi Rao,9000000002,CASH\nDAY2,Ravi Rao,9000000002,CASH\nDAY1,Ravi Rao,9000000002,CASH\n",
    )
    .unwrap();
    let csv = csv.to_str().unwrap();
    let o = run(env.data_dir(), &["--user", "asha", "pass", "import", csv]);
    let why = text(&o);
    assert!(!o.status.success(), "{why}");
    assert!(why.contains("line 2") && why.contains("already has a live DAY1 pass"), "{why}");
    assert!(why.contains("line 4") && why.contains("as line 3"), "{why}");
    assert!(!why.contains("line 5"), "Ravi's DAY1 is his first: {why}");
    let passes = env.raw_i64("SELECT COUNT(*) FROM passes");
    let o = run(env.data_dir(), &["--user", "asha", "pass", "import", csv, "--allow-duplicate"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(env.raw_i64("SELECT COUNT(*) FROM passes"), passes + 4);
    verify_ok(&env);
}

/// by_gate and by_slot count each admitted pass once, at the gate of its
/// admission as it stands, with the people let in so far: an unscan and a
/// second admission elsewhere, an exit and a re-entry, and half a couple.
/// by_day counts the day's admissions, their people and the exits.
fn stats_per_gate_slot_and_day_follow_the_rules(b: Backend) {
    let env = event(b);
    set_direction(&env, "both");
    set_rules(
        &env,
        "[[pass_type]]\nname = \"SINGLE\"\npersons = 1\nprice = 549\nentry = \"reentry\"\n\n\
         [[pass_type]]\nname = \"COUPLE\"\npersons = 2\nprice = 999\n",
    );
    let single = json(&issue_raw(&env, "SINGLE", "Asha Rao", "9000000001", &[]));
    let (single_id, single_code) = (single["id"].as_str().unwrap(), single["payload"].as_str().unwrap());
    let couple = issue_cli(&env, "COUPLE", "Ravi Rao", "9000000002", &["--name2", "Meena Rao", "--phone2", "9000000003"]);
    let stats = || json(&run(env.data_dir(), &["stats", "--json"]));
    let gates_add_up = |st: &serde_json::Value| {
        let sum = |key: &str| st[key].as_object().unwrap().values().map(|g| g["people"].as_u64().unwrap()).sum::<u64>();
        assert_eq!(sum("by_gate"), st["people_admitted"].as_u64().unwrap(), "the gates' people: {st}");
        assert_eq!(sum("by_slot"), st["people_admitted"].as_u64().unwrap(), "the slots' people: {st}");
    };
    assert_eq!(scan_cli(&env, single_code, "North", &[])["verdict"], "ADMITTED");
    let o = run(env.data_dir(), &["--user", "asha", "pass", "unscan", single_id, "--reason", "wrong pass scanned"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(scan_cli(&env, single_code, "South", &[])["verdict"], "ADMITTED");
    let st = stats();
    assert_eq!((st["passes_admitted"].as_u64(), st["people_admitted"].as_u64()), (Some(1), Some(1)), "{st}");
    assert_eq!(st["by_gate"]["South"]["people"], 1, "{st}");
    assert!(st["by_gate"]["North"]["people"].as_u64().unwrap_or(0) == 0, "the unscanned admission counts nowhere: {st}");
    gates_add_up(&st);
    // Half a couple: 1 person.
    let v = scan_cli(&env, &couple, "North", &["--persons", "1"]);
    assert_eq!(v["verdict"], "ADMITTED", "{v}");
    let st = stats();
    assert_eq!(st["by_gate"]["North"]["people"], 1, "one of the couple: {st}");
    assert_eq!(st["people_admitted"], 2, "{st}");
    gates_add_up(&st);
    // Out and in again at North: still one pass, one person, held at South.
    assert_eq!(scan_cli(&env, single_code, "North", &["--exit"])["verdict"], "EXITED");
    assert_eq!(scan_cli(&env, single_code, "North", &[])["verdict"], "ADMITTED");
    let st = stats();
    assert_eq!((st["passes_admitted"].as_u64(), st["people_admitted"].as_u64()), (Some(2), Some(2)), "{st}");
    assert_eq!((st["by_gate"]["South"]["people"].as_u64(), st["by_gate"]["North"]["people"].as_u64()), (Some(1), Some(1)), "{st}");
    gates_add_up(&st);
    assert_eq!(st["inside_now"], 2, "{st}");
    // The day's log: four admissions (the unscanned one was one), four people, one exit.
    let today = chrono::Local::now().date_naive().format("%Y-%m-%d").to_string();
    let day = &st["by_day"][&today];
    assert_eq!(day, &serde_json::json!({"admitted": 4, "people": 4, "exited": 1}), "{st}");
    let plain = text(&run(env.data_dir(), &["stats"]));
    assert!(plain.contains("by day") && plain.contains(&today), "{plain}");
    verify_ok(&env);
}

/// A pass's note is fixed by its issue block: a note changed, added or
/// taken away in the passes table behind gatehouse's back is named by
/// `ledger verify`, and a note as issued verifies.
fn a_note_changed_behind_gatehouses_back_is_caught(b: Backend) {
    let env = event(b);
    issue_cli(&env, "SINGLE", "Asha Rao", "9000000001", &["--note", "wheelchair access"]);
    issue_cli(&env, "SINGLE", "Ravi Rao", "9000000002", &[]);
    verify_ok(&env);
    let findings = |env: &Env| {
        let v = json(&run(env.data_dir(), &["ledger", "verify", "--json"]));
        assert_eq!(v["ok"], false, "{v}");
        v["audit"]["findings"].to_string()
    };
    // Changed: someone gives a guest the lounge.
    let change = "UPDATE passes SET note = 'VIP lounge' WHERE note IS NOT NULL";
    env.raw_sql(change, change);
    let f = findings(&env);
    assert!(f.contains("note") && f.contains("VIP lounge") && f.contains("wheelchair access"), "{f}");
    // Taken away, and added to a pass that had none.
    let swap = "UPDATE passes SET note = CASE WHEN note IS NULL THEN 'CHECK ID' ELSE NULL END";
    env.raw_sql(swap, swap);
    let f = findings(&env);
    assert!(f.contains("CHECK ID") && f.matches("\"note\"").count() >= 2, "both passes: {f}");
    // Put back as issued: clean again.
    let back = "UPDATE passes SET note = CASE WHEN note IS NULL THEN 'wheelchair access' ELSE NULL END";
    env.raw_sql(back, back);
    verify_ok(&env);
}

/// `export passes` writes each pass's note, who is inside and how many
/// may still come in by its rule; `pass import` of that file reads the
/// note back (a formula-looking one unguarded) into new, unused passes,
/// whose people all still come (their codes are new).
fn export_and_import_carry_the_note_and_persons_left(b: Backend) {
    let env = event(b);
    let couple =
        issue_cli(&env, "COUPLE", "Ravi Rao", "9000000002", &["--name2", "Meena Rao", "--phone2", "9000000003", "--note", "=CHECK ID"]);
    issue_cli(&env, "SINGLE", "Asha Rao", "9000000001", &["--note", "wheelchair access"]);
    assert_eq!(scan_cli(&env, &couple, "North", &["--persons", "1"])["verdict"], "ADMITTED");
    let out = env.dir.path().join("passes.csv");
    let o = run(env.data_dir(), &["--user", "asha", "export", "passes", "--csv", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let rows = |path: &Path| -> Vec<std::collections::HashMap<String, String>> {
        let mut r = csv::Reader::from_path(path).unwrap();
        let head = r.headers().unwrap().clone();
        r.records().map(|row| head.iter().zip(row.unwrap().iter()).map(|(h, v)| (h.to_string(), v.to_string())).collect()).collect()
    };
    let exported = rows(&out);
    let by_name = |rows: &[std::collections::HashMap<String, String>], name: &str| {
        rows.iter().find(|r| r["holder_name"] == name).unwrap_or_else(|| panic!("{name}: {rows:?}")).clone()
    };
    let c = by_name(&exported, "Ravi Rao");
    assert_eq!((c["note"].as_str(), c["inside"].as_str(), c["persons_left"].as_str()), ("'=CHECK ID", "1", "1"), "{c:?}");
    let s = by_name(&exported, "Asha Rao");
    assert_eq!((s["note"].as_str(), s["inside"].as_str(), s["persons_left"].as_str()), ("wheelchair access", "0", "1"), "{s:?}");
    // Imported again (the same holders, so an admin allows it): new passes with the notes.
    let o = run(env.data_dir(), &["--user", "asha", "pass", "import", out.to_str().unwrap()]);
    assert!(!o.status.success() && text(&o).contains("--allow-duplicate"), "{}", text(&o));
    let o = run(env.data_dir(), &["--user", "asha", "pass", "import", out.to_str().unwrap(), "--allow-duplicate"]);
    assert!(o.status.success(), "{}", text(&o));
    let again = env.dir.path().join("again.csv");
    assert!(run(env.data_dir(), &["--user", "asha", "export", "passes", "--csv", again.to_str().unwrap()]).status.success());
    let all = rows(&again);
    let copies: Vec<_> = all.iter().filter(|r| r["holder_name"] == "Ravi Rao" && r["status"] == "unused").collect();
    assert_eq!(copies.len(), 1, "{all:?}");
    assert_eq!((copies[0]["note"].as_str(), copies[0]["persons_left"].as_str()), ("'=CHECK ID", "2"), "{:?}", copies[0]);
    let list = json(&run(env.data_dir(), &["--user", "asha", "pass", "list", "--search", "Ravi", "--json"]));
    let notes: Vec<&str> = list.as_array().unwrap().iter().filter_map(|p| p["note"].as_str()).collect();
    assert_eq!(notes, ["=CHECK ID", "=CHECK ID"], "stored as given, guarded only in the file: {list}");
    verify_ok(&env);
}

/// Eight gates issue the same holder the same pass at once: exactly one is
/// issued, the others are told which pass the holder holds (no unique
/// index does this any more; the check and the insert are one step).
fn gates_racing_to_issue_one_holder_issue_once(b: Backend) {
    use std::sync::{Arc, Barrier};
    let env = event(b);
    const N: usize = 8;
    for round in 0..3 {
        let barrier = Arc::new(Barrier::new(N));
        let handles: Vec<_> = (0..N)
            .map(|_| {
                let barrier = barrier.clone();
                let mut g = env.open();
                std::thread::spawn(move || {
                    barrier.wait();
                    g.issue_pass(&admin(), &single(&format!("Racer {round}"), &format!("90000000{round:02}")))
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let issued: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert_eq!(issued.len(), 1, "round {round}: {results:?}");
        for r in &results {
            match r {
                Ok(_) => {}
                Err(gatehouse::Error::DuplicatePass { existing_id, .. }) => assert_eq!(existing_id, &issued[0].id, "round {round}"),
                Err(e) => panic!("round {round}: {e}"),
            }
        }
    }
    verify_ok(&env);
}

both_backends!(
    gates_racing_to_issue_one_holder_issue_once,
    export_and_import_carry_the_note_and_persons_left,
    a_note_changed_behind_gatehouses_back_is_caught,
    stats_per_gate_slot_and_day_follow_the_rules,
    duplicates_are_per_holder_type_and_slot,
    a_forged_exit_is_caught,
    capacity_refuses_the_fourth_until_one_leaves,
    eight_processes_race_for_the_last_place,
    a_group_arrives_apart,
    a_note_is_shown_with_the_verdict,
    rules_are_set_shown_and_ledgered,
    init_seeds_from_the_configs_pass_types,
    reentry_admits_again_after_an_exit,
    an_exit_at_an_entry_gate_is_refused,
    daily_once_a_day_on_its_days,
    daily_on_the_test_clock_admits_again_on_day_two,
    a_pass_for_one_gate_is_wrong_at_another,
    a_resident_card_records_the_gates_direction,
);

/// `key = value` set to `value` in a config's text.
fn regex_free_set(cfg: &str, key: &str, value: &str) -> String {
    cfg.lines()
        .map(|l| if l.trim_start().starts_with(&format!("{key} =")) { format!("{key} = {value}") } else { l.to_string() })
        .collect::<Vec<_>>()
        .join("\n")
}

fn run_in(args: &[&str], stdin: Option<&str>) -> Output {
    let mut c = Command::new(bin());
    c.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    c.env_remove("PGPASSWORD").env_remove("GATEHOUSE_DATABASE_URL").env("PGPASSFILE", "/nonexistent");
    c.env("GATEHOUSE_PASSWORD", PASSWORD);
    let mut child = c.spawn().unwrap();
    if let Some(t) = stdin {
        child.stdin.take().unwrap().write_all(t.as_bytes()).unwrap();
    }
    child.wait_with_output().unwrap()
}

/// Two gates offline each admit the same `reentry` pass with no exit
/// between: after both sync, exactly one conflict, naming both gates. An
/// offline exit and a later entry elsewhere are no conflict.
#[test]
fn offline_entries_of_a_reentry_pass_conflict_once() {
    let db = pg::db_name(&pg::fresh_db());
    let (ra, rb) = (Relay::start(pg::server().port), Relay::start(pg::server().port));
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let (url_a, url_b) = (pg::server().tcp_url(&db, ra.port), pg::server().tcp_url(&db, rb.port));
    let o = run_in(&["--data-dir", a, "--database", &url_a, "init", "--admin", "asha", "--password-stdin"], Some(&format!("{PASSWORD}\n")));
    assert!(o.status.success(), "{}", text(&o));
    let o = run_in(&["--data-dir", b, "--database", &url_b, "init", "--key-file", &format!("{a}/gatehouse.key")], None);
    assert!(o.status.success(), "{}", text(&o));
    for dir in [a, b] {
        let cfg = std::path::Path::new(dir).join("config.toml");
        let text = std::fs::read_to_string(&cfg).unwrap().replace("# direction = \"in\"", "direction = \"both\"");
        std::fs::write(&cfg, text).unwrap();
    }
    let rules = tmp.path().join("rules.toml");
    std::fs::write(&rules, REENTRY).unwrap();
    let o = run_in(&["--data-dir", a, "--user", "asha", "event", "rules", "set", rules.to_str().unwrap()], None);
    assert!(o.status.success(), "{}", text(&o));
    let issue = |name: &str, phone: &str| {
        let o = run_in(
            &[
                "--data-dir",
                a,
                "--user",
                "asha",
                "pass",
                "issue",
                "--type",
                "SINGLE",
                "--name",
                name,
                "--phone",
                phone,
                "--payment",
                "CASH",
                "--json",
            ],
            None,
        );
        json(&o)["payload"].as_str().unwrap_or_else(|| panic!("{}", text(&o))).to_string()
    };
    let (twice, apart) = (issue("Ravi Rao", "9876500001"), issue("Meena Rao", "9876500002"));
    for dir in [a, b] {
        let r = json(&run_in(&["--data-dir", dir, "sync", "--json"], None));
        assert_eq!(r["pulled"], true, "{r}");
    }
    let shown_a = json(&run_in(&["--data-dir", a, "event", "rules", "show", "--json"], None));
    ra.refuse();
    rb.refuse();
    // B, cut off, scans by the rules its replica carries: the same JSON.
    assert_eq!(json(&run_in(&["--data-dir", b, "event", "rules", "show", "--json"], None)), shown_a);
    let scan = |dir: &str, gate: &str, code: &str, extra: &[&str]| {
        let mut args = vec!["--data-dir", dir, "--user", "asha", "--gate", gate, "scan", "--payload", code, "--json"];
        args.extend_from_slice(extra);
        json(&run_in(&args, None))
    };
    for (dir, gate) in [(a, "Gate A"), (b, "Gate B")] {
        let v = scan(dir, gate, &twice, &[]);
        assert_eq!((v["verdict"].as_str(), v["offline"].as_bool()), (Some("ADMITTED"), Some(true)), "{v}");
    }
    // The other pass: in and out at A, then in at B, all offline.
    assert_eq!(scan(a, "Gate A", &apart, &[])["verdict"], "ADMITTED");
    assert_eq!(scan(a, "Gate A", &apart, &["--exit"])["verdict"], "EXITED");
    assert_eq!(scan(b, "Gate B", &apart, &[])["verdict"], "ADMITTED");
    ra.restore();
    rb.restore();
    for dir in [a, b] {
        let r = json(&run_in(&["--data-dir", dir, "sync", "--json"], None));
        assert_eq!((r["queued"].as_u64(), r["online"].as_bool()), (Some(0), Some(true)), "{r}");
    }
    let list = json(&run_in(&["--data-dir", a, "--user", "asha", "conflicts", "--json"], None));
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    let c = &list[0];
    assert_eq!((c["first"]["gate"].as_str(), c["second"]["gate"].as_str()), (Some("Gate A"), Some("Gate B")), "{c}");
    let st = json(&run_in(&["--data-dir", a, "stats", "--json"], None));
    assert_eq!(st["inside_now"], 2, "one of each pass inside: {st}");
    let v = json(&run_in(&["--data-dir", a, "ledger", "verify", "--json"], None));
    assert_eq!(v["ok"], true, "{v}");
}

/// `ledger verify` passes after entries and exits, and names a forged
/// EXITED: a scans row no block wrote, and the pass's count changed to match.
fn a_forged_exit_is_caught(b: Backend) {
    let env = event(b);
    set_direction(&env, "both");
    set_rules(&env, REENTRY);
    let code = issue_cli(&env, "SINGLE", "Asha Rao", "9000000001", &[]);
    assert_eq!(scan_cli(&env, &code, "North", &[])["verdict"], "ADMITTED");
    assert_eq!(scan_cli(&env, &code, "North", &["--exit"])["verdict"], "EXITED");
    assert_eq!(scan_cli(&env, &code, "North", &[])["verdict"], "ADMITTED");
    verify_ok(&env);
    // Someone lets a friend in on this pass: a made-up exit, and the pass
    // marked outside so the gate admits again.
    let forged_row = "INSERT INTO scans (at, operator, gate, verdict, subject, persons, repeated, block, reason)
         SELECT '2026-12-24T20:00:00.000000Z', 'omar', 'North', 'EXITED', id, 0, FALSE, 999, '' FROM passes";
    env.raw_sql(&forged_row.replace("FALSE", "0"), forged_row);
    env.raw_sql("UPDATE passes SET inside = 0", "UPDATE passes SET inside = 0");
    let v = json(&run(env.data_dir(), &["ledger", "verify", "--json"]));
    assert_eq!(v["ok"], false, "{v}");
    let findings = v["audit"]["findings"].to_string();
    assert!(findings.contains("inside"), "the pass's count: {findings}");
    let o = run(env.data_dir(), &["ledger", "verify"]);
    assert!(!o.status.success(), "{}", text(&o));
}

/// Two gates, A and B, on one fresh PostgreSQL database through relays that
/// can cut each off; both `both` gates, `rules` set at A, and both synced.
struct TwoGates {
    _tmp: tempfile::TempDir,
    ra: Relay,
    rb: Relay,
    a: String,
    b: String,
}

impl TwoGates {
    fn start(rules: &str) -> TwoGates {
        let db = pg::db_name(&pg::fresh_db());
        let (ra, rb) = (Relay::start(pg::server().port), Relay::start(pg::server().port));
        let tmp = tempfile::tempdir().unwrap();
        let (a, b) = (tmp.path().join("a").to_str().unwrap().to_string(), tmp.path().join("b").to_str().unwrap().to_string());
        let (url_a, url_b) = (pg::server().tcp_url(&db, ra.port), pg::server().tcp_url(&db, rb.port));
        let o = run_in(
            &["--data-dir", &a, "--database", &url_a, "init", "--admin", "asha", "--password-stdin"],
            Some(&format!("{PASSWORD}\n")),
        );
        assert!(o.status.success(), "{}", text(&o));
        let o = run_in(&["--data-dir", &b, "--database", &url_b, "init", "--key-file", &format!("{a}/gatehouse.key")], None);
        assert!(o.status.success(), "{}", text(&o));
        for dir in [&a, &b] {
            let cfg = Path::new(dir).join("config.toml");
            let text = std::fs::read_to_string(&cfg).unwrap().replace("# direction = \"in\"", "direction = \"both\"");
            std::fs::write(&cfg, text).unwrap();
        }
        let file = tmp.path().join("rules.toml");
        std::fs::write(&file, rules).unwrap();
        let o = run_in(&["--data-dir", &a, "--user", "asha", "event", "rules", "set", file.to_str().unwrap()], None);
        assert!(o.status.success(), "{}", text(&o));
        TwoGates { _tmp: tmp, ra, rb, a, b }
    }

    fn issue(&self, pass_type: &str, name: &str, phone: &str) -> String {
        let args = ["--data-dir", &self.a, "--user", "asha", "pass", "issue", "--type", pass_type, "--name", name, "--phone", phone];
        let o = run_in(&[&args[..], &["--payment", "CASH", "--json"]].concat(), None);
        json(&o)["payload"].as_str().unwrap_or_else(|| panic!("{}", text(&o))).to_string()
    }

    fn sync(&self) {
        for dir in [&self.a, &self.b] {
            let r = json(&run_in(&["--data-dir", dir, "sync", "--json"], None));
            assert_eq!((r["queued"].as_u64(), r["online"].as_bool()), (Some(0), Some(true)), "{r}");
        }
    }

    fn offline(&self, off: bool) {
        for r in [&self.ra, &self.rb] {
            if off { r.refuse() } else { r.restore() }
        }
    }

    /// Scan as asha at the gate of `dir`.
    fn scan(&self, at_b: bool, code: &str) -> serde_json::Value {
        let (dir, gate) = if at_b { (&self.b, "Gate B") } else { (&self.a, "Gate A") };
        json(&run_in(&["--data-dir", dir, "--user", "asha", "--gate", gate, "scan", "--payload", code, "--json"], None))
    }

    fn conflicts(&self, dir: &str) -> Vec<serde_json::Value> {
        let list = json(&run_in(&["--data-dir", dir, "--user", "asha", "conflicts", "--json"], None));
        list.as_array().unwrap_or_else(|| panic!("{list}")).clone()
    }
}

/// A `daily` pass entered at two gates offline on one day, and entries
/// made offline past the venue's capacity: each is found at upload,
/// ledgered as a conflict, listed at both gates (`conflicts`, text and
/// JSON), and the ledger verifies.
#[test]
fn offline_entries_of_a_daily_pass_and_past_capacity_conflict() {
    let g = TwoGates::start(
        "[venue]\ncapacity = 2\n\n[[pass_type]]\nname = \"FESTIVAL\"\npersons = 1\nprice = 1500\nentry = \"daily\"\n\n\
         [[pass_type]]\nname = \"SINGLE\"\npersons = 1\nprice = 549\n",
    );
    let festival = g.issue("FESTIVAL", "Ravi Rao", "9876500001");
    let singles: Vec<String> = (2..=3).map(|i| g.issue("SINGLE", &format!("Guest {i}"), &format!("987650000{i}"))).collect();
    g.sync();
    g.offline(true);
    for at_b in [false, true] {
        let v = g.scan(at_b, &festival);
        assert_eq!((v["verdict"].as_str(), v["offline"].as_bool()), (Some("ADMITTED"), Some(true)), "{v}");
    }
    // The festival pass is one inside at each gate's count; one more at
    // each makes three against a capacity of two.
    for (s, at_b) in singles.iter().zip([false, true]) {
        assert_eq!(g.scan(at_b, s)["verdict"], "ADMITTED");
    }
    g.offline(false);
    g.sync();
    let list = g.conflicts(&g.a);
    assert_eq!(g.conflicts(&g.b), list, "the same list at every gate");
    let daily: Vec<_> = list.iter().filter(|c| c["kind"] == "double_admission").collect();
    assert_eq!(daily.len(), 1, "{list:?}");
    let c = daily[0];
    assert_eq!((c["first"]["gate"].as_str(), c["second"]["gate"].as_str()), (Some("Gate A"), Some("Gate B")), "{c}");
    assert!(c["reason"].as_str().is_some_and(|r| r.contains("daily")), "{c}");
    let over: Vec<_> = list.iter().filter(|c| c["kind"] == "over_capacity").collect();
    assert_eq!(over.len(), 1, "the third person in: {list:?}");
    assert!(over[0]["reason"].as_str().is_some_and(|r| r.contains("the venue holds 2, 3 inside")), "{:?}", over[0]);
    let plain = text(&run_in(&["--data-dir", &g.a, "--user", "asha", "conflicts"], None));
    assert!(plain.contains("over_capacity") && plain.contains("why: a daily pass entered twice"), "{plain}");
    let st = json(&run_in(&["--data-dir", &g.a, "stats", "--json"], None));
    assert_eq!((st["inside_now"].as_u64(), st["conflicts"].as_u64()), (Some(3), Some(2)), "{st}");
    let v = json(&run_in(&["--data-dir", &g.a, "ledger", "verify", "--json"], None));
    assert_eq!(v["ok"], true, "{v}");
}
