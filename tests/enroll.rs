//! Enrolled gates (issue 23), on a real PostgreSQL server through the
//! binary: gate B joins with a one-time token and no key file, signs its
//! own blocks, is listed with its last seen time (which stops when its link
//! is cut), holds no secret of the event, and once revoked uploads nothing
//! while `ledger verify` names any block its key signs afterwards.

mod common;

use common::gates::*;
use common::relay::Relay;
use common::*;

/// Gate A (key file, admin asha, an issuing key) and gate B enrolled by
/// token through a relay (so its link can be cut), with one pass issued
/// at A before B joined: its code.
struct Pair {
    _tmp: tempfile::TempDir,
    url: String,
    a: String,
    b: String,
    relay: Relay,
    code: String,
}

fn pair() -> Pair {
    let url = pg::fresh_db();
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a").display().to_string(), tmp.path().join("b").display().to_string());
    first_gate(&a, &url, "Gate A");
    let v = json_of(&as_asha(
        &a,
        &["pass", "issue", "--type", "SINGLE", "--name", "Early Guest", "--phone", "9800000001", "--payment", "CASH", "--json"],
    ));
    let code = v["payload"].as_str().unwrap().to_string();
    assert!(code.starts_with("GH2-"), "an Ed25519 code: {code}");
    let token = gate_token(&a, "Gate B", &[]);
    let relay = Relay::start(pg::server().port);
    let via_relay = pg::server().tcp_url(&pg::db_name(&url), relay.port);
    let o = gh(&["--data-dir", &b, "--database", &via_relay, "init", "--enroll", &token], None, &[]);
    let out = out_text(&o);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("enrolled as gate \"Gate B\"") && out.contains("replica filled: 1 passes"), "{out}");
    Pair { _tmp: tmp, url, a, b, relay, code }
}

fn scan_on(dir: &str, code: &str) -> serde_json::Value {
    json_of(&as_asha(dir, &["scan", "--payload", code, "--json"]))
}

#[test]
fn a_gate_enrols_by_token_and_its_last_seen_stops_when_its_link_is_cut() {
    let p = pair();
    let b = std::path::Path::new(&p.b);
    // No key file was copied: B holds its own device key, 0600, and its config names it.
    assert!(!b.join("gatehouse.key").exists());
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(b.join("device.key")).unwrap().permissions().mode() & 0o777, 0o600);
    let cfg = std::fs::read_to_string(b.join("config.toml")).unwrap();
    assert!(cfg.contains("name = \"Gate B\""), "{cfg}");
    // Nor a password file: the token carried B's own database role, whose
    // password B keeps in its own 0600 file that its URL names.
    assert_eq!(std::fs::metadata(b.join("db.pgpass")).unwrap().permissions().mode() & 0o777, 0o600);
    let toml: toml::Value = toml::from_str(&cfg).unwrap();
    let own_url = toml["storage"]["database"].as_str().unwrap_or_default();
    let role = own_url.strip_prefix("postgresql://").and_then(|u| u.split('@').next()).unwrap_or_default().to_string();
    assert!(role.starts_with("gh_gate_") && own_url.contains("passfile="), "{own_url}");
    let kept: bool = pg::server()
        .client(&pg::db_name(&p.url))
        .query_one("SELECT rolcanlogin AND rolvaliduntil = 'infinity' FROM pg_roles WHERE rolname = $1", &[&role])
        .unwrap()
        .get(0);
    assert!(kept, "B's role logs in, beyond its token's expiry");
    // It reaches the event's rows, but cannot become the event's own user.
    let s = pg::server();
    let conn = format!("host={} port={} user={role} dbname={}", s.dir.display(), s.port, pg::db_name(&p.url));
    let mut as_b = postgres::Client::connect(&conn, postgres::NoTls).unwrap();
    assert!(as_b.query_one("SELECT count(*) FROM passes", &[]).is_ok());
    assert!(as_b.batch_execute("SET ROLE postgres").is_err());
    assert!(as_b.batch_execute("CREATE ROLE gh_gate_backdoor LOGIN").is_err());

    let list = gate_list(&p.a, "120");
    let names: Vec<&str> = list.iter().map(|g| g.0.as_str()).collect();
    assert_eq!(names, ["Gate A", "Gate B"]);
    assert!(list.iter().all(|g| g.2 && !g.3), "both online, neither revoked: {list:?}");

    // B signs as Gate B: it may not record scans as another gate.
    let o = as_asha(&p.b, &["--gate", "Gate A", "scan", "--payload", &p.code]);
    assert!(!o.status.success() && out_text(&o).contains("enrolled as \"Gate B\""), "{}", out_text(&o));

    // B's sync is its heartbeat.
    let seen0 = list[1].1.clone().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert!(gh(&["--data-dir", &p.b, "sync"], None, &[]).status.success());
    let seen1 = gate_list(&p.a, "120")[1].1.clone().unwrap();
    assert!(seen1 > seen0, "{seen0} then {seen1}");

    // The link cut: B still scans (offline, from its replica, with public keys only)...
    p.relay.refuse();
    let v = scan_on(&p.b, &p.code);
    assert_eq!((v["verdict"].as_str(), v["offline"].as_bool(), v["gate"].as_str()), (Some("ADMITTED"), Some(true), Some("Gate B")), "{v}");
    // ...but its heartbeat stops, and after the window it is offline.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert!(!gh(&["--data-dir", &p.b, "sync"], None, &[]).status.success());
    assert!(gh(&["--data-dir", &p.a, "sync"], None, &[]).status.success());
    let list = gate_list(&p.a, "1");
    assert_eq!(list[1].1.as_deref(), Some(seen1.as_str()), "B's last seen stopped: {list:?}");
    assert_eq!((list[0].2, list[1].2), (true, false), "A online, B offline: {list:?}");

    // Back online, B uploads its queued scan, signed with its own key, and
    // the whole ledger verifies at A (HMAC blocks and B's device blocks).
    p.relay.restore();
    let r = json_of(&gh(&["--data-dir", &p.b, "sync", "--json"], None, &[]));
    assert_eq!((r["uploaded"].as_u64(), r["queued"].as_u64()), (Some(1), Some(0)), "{r}");
    let v = json_of(&gh(&["--data-dir", &p.a, "ledger", "verify", "--json"], None, &[]));
    assert_eq!(v["ok"], true, "{v}");
    // B, with no key file, checks every device signature and says which HMAC blocks it could not.
    let o = gh(&["--data-dir", &p.b, "ledger", "verify", "--json"], None, &[]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", out_text(&o)));
    assert_eq!(v["chain_ok"], true, "{v}");
    assert_eq!(v["ok"], true, "the audit says what it could not fingerprint, and finds nothing wrong: {v}");
    assert!(v["audit"]["not_covered"].to_string().contains("no event key file"), "{v}");
    assert!(v["hmac_unchecked"].as_u64().unwrap_or(0) > 0, "{v}");
    let db = pg::db_name(&p.url);
    let signers: Vec<String> = pg::server()
        .client(&db)
        .query("SELECT DISTINCT key_id FROM ledger WHERE gate = 'Gate B'", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(!signers.is_empty() && signers.iter().all(|k| k.starts_with("D-")), "B's blocks carry its device key: {signers:?}");
}

#[test]
fn a_used_an_expired_or_an_unknown_token_is_refused() {
    let p = pair();
    let tmp = tempfile::tempdir().unwrap();
    let dir = |n: &str| tmp.path().join(n).display().to_string();
    let enrol = |d: &str, token: &str| gh(&["--data-dir", d, "--database", &p.url, "init", "--enroll", token], None, &[]);

    // B's token again, for another laptop: used.
    let used =
        pg::server().client(&pg::db_name(&p.url)).query_one("SELECT count(*) FROM gate_tokens WHERE used_at IS NOT NULL", &[]).unwrap();
    assert_eq!(used.get::<_, i64>(0), 1);
    let token_c = gate_token(&p.a, "Gate C", &[]);
    assert!(enrol(&dir("c"), &token_c).status.success());
    let o = enrol(&dir("c2"), &token_c);
    assert!(!o.status.success() && out_text(&o).contains("was used already"), "{}", out_text(&o));
    // When, as a person reads it (with its offset), not the stored UTC stamp.
    assert!(!out_text(&o).contains("Z)"), "{}", out_text(&o));
    assert!(!tmp.path().join("c2/device.key").exists(), "a refused enrolment leaves no key behind");
    assert!(!tmp.path().join("c2/db.pgpass").exists(), "nor a password");

    // A token that outlived its lifetime (1 s here; 30 min for real).
    let token_d = gate_token(&p.a, "Gate D", &[("GATEHOUSE_TEST_TOKEN_SECS", "1")]);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let o = enrol(&dir("d"), &token_d);
    assert!(!o.status.success() && out_text(&o).contains("expired"), "{}", out_text(&o));
    assert!(!out_text(&o).contains("Z;"), "{}", out_text(&o));

    let o = enrol(&dir("e"), "GT-NOTATOKENATALLNOTATOKENATALL23");
    assert!(!o.status.success() && out_text(&o).contains("not known"), "{}", out_text(&o));

    // Only B and C joined.
    let names: Vec<String> = gate_list(&p.a, "120").into_iter().map(|g| g.0).collect();
    assert_eq!(names, ["Gate A", "Gate B", "Gate C"]);
}

#[test]
fn no_file_of_an_enrolled_gate_holds_the_issuing_seed_or_the_event_key() {
    let p = pair();
    assert!(gh(&["--data-dir", &p.b, "sync"], None, &[]).status.success());
    let sealed: String =
        pg::server().client(&pg::db_name(&p.url)).query_one("SELECT sealed FROM key_slots WHERE username = 'asha'", &[]).unwrap().get(0);
    let plain = gatehouse::domain::keyslot::unseal(&sealed, "asha", PASSWORD).unwrap();
    let seed = &plain[2..34];
    let (found, files) = files_holding(std::path::Path::new(&p.b), seed);
    assert!(found.is_empty(), "{found:?} hold the issuing seed");
    assert!(files >= 3, "looked at {files} files");
    // Nor the event's HMAC key, which would mint HMAC codes and forge any block.
    let key_file = std::fs::read_to_string(std::path::Path::new(&p.a).join("gatehouse.key")).unwrap();
    for line in key_file.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let hex = line.split_whitespace().nth(1).unwrap();
        let key: Vec<u8> = (0..32).map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap()).collect();
        let (found, _) = files_holding(std::path::Path::new(&p.b), &key);
        assert!(found.is_empty(), "{found:?} hold the event key");
    }
}

#[test]
fn a_revoked_gate_uploads_nothing_and_verify_names_its_later_blocks() {
    let p = pair();
    // A scan queued at B while its link is down.
    p.relay.refuse();
    assert_eq!(scan_on(&p.b, &p.code)["offline"], true);
    p.relay.restore();

    // A key-file gate shares the event key: revoking it would disown nothing, so it is refused.
    let o = as_asha(&p.a, &["gate", "revoke", "Gate A"]);
    assert!(!o.status.success() && out_text(&o).contains("key file"), "{}", out_text(&o));
    let o = as_asha(&p.a, &["gate", "revoke", "Gate B"]);
    assert!(o.status.success(), "{}", out_text(&o));
    let list = gate_list(&p.a, "120");
    assert_eq!((list[1].0.as_str(), list[1].2, list[1].3), ("Gate B", false, true), "{list:?}");

    // B's next upload is refused by the server itself (its role logs in no
    // more), and says why; its scan stays queued.
    let o = gh(&["--data-dir", &p.b, "sync", "--json"], None, &[]);
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", out_text(&o)));
    assert!(!o.status.success() && r["error"].as_str().unwrap_or_default().contains("not permitted to log in"), "{r}");
    assert_eq!(r["queued"], 1, "{r}");
    // And with the event's own credentials (a thief who has them too), the
    // upload is still refused: gatehouse checks the gate's revocation.
    let o = gh(&["--data-dir", &p.b, "--database", &p.url, "sync", "--json"], None, &[]);
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", out_text(&o)));
    assert!(!o.status.success() && r["error"].as_str().unwrap_or_default().contains("revoked"), "{r}");
    assert_eq!(r["queued"], 1, "{r}");
    let v = json_of(&gh(&["--data-dir", &p.a, "ledger", "verify", "--json"], None, &[]));
    assert_eq!(v["ok"], true, "nothing of B's landed after its revocation: {v}");

    // A thief with B's laptop writes a block with B's key straight into the
    // database: `ledger verify` names it.
    let device = gatehouse::devicefile::load(&std::path::Path::new(&p.b).join("device.key")).unwrap();
    let ring = gatehouse::domain::keys::KeyRing::for_device(device);
    let mut store = gatehouse::store::Store::open_url(&gatehouse::store::DbUrl::parse(&p.url).unwrap()).unwrap();
    let data = serde_json::json!({"id": "forged", "reason": "thief"});
    let forged = store
        .write(|db| {
            db.append_block(
                &ring,
                &gatehouse::store::NewBlock {
                    ts: "2026-12-04T00:00:00Z",
                    operator: "asha",
                    gate: "Gate B",
                    event: "pass_unscan",
                    data: &data,
                },
            )
        })
        .unwrap();
    let o = gh(&["--data-dir", &p.a, "ledger", "verify", "--json"], None, &[]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", out_text(&o)));
    assert!(!o.status.success(), "{v}");
    assert_eq!(v["problem"]["problem"], "revoked_signer", "{v}");
    assert_eq!((v["problem"]["index"].as_u64(), v["problem"]["gate"].as_str()), (Some(forged), Some("Gate B")), "{v}");
}
