//! Keys that cannot mint (issue 23): an Ed25519 issuing key chosen with
//! `key rotate --ed25519`, codes that verify with `key public`'s key in an
//! independent implementation (ring), seeds only in admins' sealed slots,
//! and old HMAC passes still admitted. Every test on both backends, through
//! the binary as a person would run it.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::*;
use gatehouse::domain::keyslot;
use gatehouse::domain::payload::{self, Kind};

/// Run the binary on `env`'s data directory; slots sealed at the test cost,
/// chosen explicitly.
fn run(env: &Env, user: Option<(&str, &str)>, args: &[&str], stdin: Option<&str>) -> Output {
    let mut c = Command::new(bin());
    c.arg("--data-dir").arg(env.data_dir());
    if let Some((u, _)) = user {
        c.args(["--user", u]);
    }
    c.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    c.env_remove("PGPASSWORD").env_remove("GATEHOUSE_DATABASE_URL").env_remove("GATEHOUSE_PASSWORD").env("PGPASSFILE", "/nonexistent");
    c.env("GATEHOUSE_TEST_KDF", "cheap");
    if let Some((_, pw)) = user {
        c.env("GATEHOUSE_PASSWORD", pw);
    }
    let mut child = c.spawn().unwrap();
    if let Some(text) = stdin {
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn ok(o: Output) -> String {
    assert!(o.status.success(), "{}", text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(o: Output) -> serde_json::Value {
    let out = ok(o);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

const ASHA: (&str, &str) = ("asha", PASSWORD);
const OMAR: (&str, &str) = ("omar", "operator pw 42");

/// An event with admin asha and operator omar, and one HMAC pass issued
/// before the rotation: its payload.
fn event(backend: Backend) -> (Env, String) {
    let env = Env::on(backend);
    let mut g = env.open();
    with_admin(&mut g);
    let asha = g.authenticate("asha", PASSWORD).unwrap();
    g.add_user(Some(&asha), "omar", "Omar", gatehouse::domain::user::Role::Operator, OMAR.1).unwrap();
    let (_, old) = issue(&mut g, &single("Old Hmac", "9800000001"));
    assert!(old.starts_with("GH1-P-01-") && old.len() == 62, "{old}");
    (env, old)
}

fn issue_cli(env: &Env, user: (&str, &str), name: &str, phone: &str) -> Output {
    run(env, Some(user), &["pass", "issue", "--type", "SINGLE", "--name", name, "--phone", phone, "--payment", "CASH", "--json"], None)
}

fn scan(env: &Env, payload: &str) -> String {
    let o = run(env, Some(OMAR), &["scan", "--payload", payload, "--json"], None);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    v["verdict"].as_str().unwrap_or_default().to_string()
}

/// `key public --json`: the one issuing key's id and its 32 bytes.
fn public_key(env: &Env) -> (String, Vec<u8>) {
    let v = json(run(env, None, &["key", "public", "--json"], None));
    let keys = v.as_array().unwrap();
    let last = keys.last().unwrap_or_else(|| panic!("no issuing key: {v}"));
    assert_eq!(last["algorithm"], "ed25519");
    let hex = last["public_key"].as_str().unwrap();
    (last["key_id"].as_str().unwrap().to_string(), (0..64).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect())
}

/// Crockford base32, written here from the README's description rather
/// than taken from gatehouse, as a third party would.
fn base32_decode(s: &str) -> Vec<u8> {
    const A: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let (mut acc, mut bits, mut out) = (0u64, 0u32, Vec::new());
    for c in s.bytes() {
        acc = (acc << 5) | A.iter().position(|&a| a == c).unwrap() as u64;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// Check a GH2 code with ring's Ed25519, from the README's layout alone.
fn ring_verifies(code: &str, public: &[u8]) -> bool {
    let parts: Vec<&str> = code.split('-').collect();
    let [ver, kind, kid, id, sig] = parts.as_slice() else { return false };
    let mut msg = Vec::new();
    msg.extend_from_slice(ver.as_bytes());
    msg.extend_from_slice(kind.as_bytes());
    msg.extend_from_slice(kid.as_bytes());
    msg.extend_from_slice(&base32_decode(id));
    let key = ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, public);
    key.verify(&msg, &base32_decode(sig)).is_ok()
}

fn rotate(env: &Env) -> String {
    let out = ok(run(env, Some(ASHA), &["key", "rotate", "--ed25519"], None));
    assert!(out.contains("added issuing key E1"), "{out}");
    out
}

/// Rotate to Ed25519, issue, scan ADMITTED; the old HMAC pass is still
/// ADMITTED; `key public`'s key verifies the code in ring; an altered code,
/// and an HMAC code minted with the gate's key file for the new pass, are
/// FORGED.
fn ed25519_codes_verify_with_the_public_key_alone(backend: Backend) {
    let (env, old) = event(backend);
    let before = run(&env, None, &["key", "public"], None);
    assert!(!before.status.success() && text(&before).contains("no Ed25519 issuing key"), "{}", text(&before));
    rotate(&env);
    let (kid, public) = public_key(&env);
    assert_eq!(kid, "E1");

    let v = json(issue_cli(&env, ASHA, "New Signed", "9800000002"));
    let code = v["payload"].as_str().unwrap().to_string();
    assert!(code.starts_with("GH2-P-E1-"), "{code}");
    assert_eq!(code.len(), 139);
    assert!(code.bytes().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'-'), "{code}");
    assert!(ring_verifies(&code, &public), "ring refused {code}");

    // A forged signature: one character of it changed.
    let mut forged = code.clone().into_bytes();
    let last = forged.len() - 2;
    forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    assert!(!ring_verifies(&forged, &public));
    assert_eq!(scan(&env, &forged), "FORGED");
    // The key file every gate holds makes a perfect HMAC code for the new
    // pass id: refused, the pass was issued under E1.
    let id = uuid::Uuid::parse_str(v["id"].as_str().unwrap()).unwrap();
    let ring = gatehouse::keyfile::load(&env.paths.key()).unwrap();
    let minted = payload::encode_with(&ring, "01", Kind::Pass, &id).unwrap();
    payload::parse(minted.as_bytes()).unwrap().verify(&ring).unwrap();
    assert_eq!(scan(&env, &minted), "FORGED");

    assert_eq!(scan(&env, &code), "ADMITTED");
    assert_eq!(scan(&env, &code), "ALREADY_USED");
    assert_eq!(scan(&env, &old), "ADMITTED", "an HMAC pass from before the rotation");
    // The ledger still verifies, its audit included.
    let v = json(run(&env, None, &["ledger", "verify", "--json"], None));
    assert_eq!(v["ok"], true, "{v}");
}

/// Operators never hold an issuing key: they cannot issue, and their
/// listings carry no code; an admin added by an admin who holds the key
/// gets a slot, and a password change re-seals it.
fn only_admins_with_a_slot_issue(backend: Backend) {
    let (env, _) = event(backend);
    rotate(&env);
    let o = issue_cli(&env, OMAR, "Op Try", "9800000003");
    assert!(!o.status.success() && text(&o).contains("only an admin"), "{}", text(&o));
    // An operator's manual check-in needs no code.
    let v = json(issue_cli(&env, ASHA, "Walk In", "9800000004"));
    let id = v["id"].as_str().unwrap().to_string();
    let o = run(&env, Some(OMAR), &["scan", "--id", &id, "--reason", "phone died", "--json"], None);
    assert!(text(&o).contains("ADMITTED"), "{}", text(&o));

    ok(run(&env, Some(ASHA), &["user", "add", "bob", "--role", "admin", "--password-stdin"], Some("bob password 1\n")));
    let bob = ("bob", "bob password 1");
    let v = json(issue_cli(&env, bob, "Bobs Guest", "9800000005"));
    assert!(v["payload"].as_str().unwrap().starts_with("GH2-"), "{v}");
    ok(run(&env, Some(bob), &["user", "passwd", "bob", "--password-stdin"], Some("bob password 2\n")));
    let bob2 = ("bob", "bob password 2");
    assert!(issue_cli(&env, bob2, "Bobs Second", "9800000006").status.success());
    // An admin added by one who holds no key gets no slot, and is told why.
    ok(run(&env, Some(bob2), &["user", "add", "cara", "--role", "operator", "--password-stdin"], Some("cara password 1\n")));
    assert_eq!(env.raw_i64("SELECT COUNT(*) FROM key_slots WHERE username IN ('omar', 'cara')"), 0);
    let mut g = env.open();
    let asha = g.authenticate("asha", PASSWORD).unwrap();
    g.add_user(
        Some(&gatehouse::domain::user::Actor { issuer: None, ..asha }),
        "dev",
        "Dev",
        gatehouse::domain::user::Role::Admin,
        "dev password 1",
    )
    .unwrap();
    let o = issue_cli(&env, ("dev", "dev password 1"), "Devs Guest", "9800000007");
    assert!(!o.status.success() && text(&o).contains("holds no key slot"), "{}", text(&o));
}

/// No file under the data directory holds the seed, raw (any 32-byte
/// window) or as hex; the seed from asha's slot is `key public`'s key.
fn no_file_holds_the_seed(backend: Backend) {
    let (env, _) = event(backend);
    rotate(&env);
    let code = json(issue_cli(&env, ASHA, "Seed Check", "9800000008"))["payload"].as_str().unwrap().to_string();
    assert_eq!(scan(&env, &code), "ADMITTED");
    if backend == Backend::Postgres {
        ok(run(&env, None, &["sync"], None));
    }

    let sealed = env.raw_strings("SELECT sealed FROM key_slots WHERE username = 'asha'");
    assert_eq!(sealed.len(), 1);
    assert!(sealed[0].starts_with("ghslot1$m=256,t=1,p=1$"), "the test cost shows in the slot: {}", sealed[0]);
    let plain = keyslot::unseal(&sealed[0], "asha", PASSWORD).unwrap();
    let seed = &plain[2..34];
    assert_eq!(&plain[..2], b"E1");
    let pair = ring::signature::Ed25519KeyPair::from_seed_unchecked(seed).unwrap();
    use ring::signature::KeyPair;
    assert_eq!(pair.public_key().as_ref(), public_key(&env).1.as_slice());
    assert!(keyslot::unseal(&sealed[0], "omar", PASSWORD).is_err());

    let (found, files) = common::gates::files_holding(env.data_dir(), seed);
    assert!(found.is_empty(), "{found:?} hold the seed, raw or in hex");
    assert!(files >= 2, "looked at {files} files under {}", env.data_dir().display());
    if backend == Backend::Postgres {
        // The replica pulled the public key, and only that.
        let replica = rusqlite::Connection::open(env.data_dir().join("replica.sqlite")).unwrap();
        let n: i64 = replica.query_row("SELECT COUNT(*) FROM issuing_keys", [], |r| r.get(0)).unwrap();
        let slots: i64 = replica.query_row("SELECT COUNT(*) FROM key_slots", [], |r| r.get(0)).unwrap();
        assert_eq!((n, slots), (1, 0));
    }
}

/// A public key planted in `issuing_keys`, or one swapped for the
/// thief's, is reported by `ledger verify`: only a key_rotate block makes one.
fn ledger_verify_finds_a_planted_public_key(backend: Backend) {
    let (env, _) = event(backend);
    rotate(&env);
    let thief = gatehouse::domain::issuing::Issuer::new("E2", gatehouse::domain::issuing::generate().unwrap());
    let hex = thief.public("E2").unwrap().to_hex();
    let plant = format!("INSERT INTO issuing_keys (key_id, public_key, created_at, created_by) VALUES ('E2', '{hex}', 'x', 'asha')");
    env.raw_sql(&plant, &plant);
    let swap = format!("UPDATE issuing_keys SET public_key = '{hex}' WHERE key_id = 'E1'");
    env.raw_sql(&swap, &swap);
    let o = run(&env, None, &["ledger", "verify", "--json"], None);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    assert_eq!(v["ok"], false, "{v}");
    let findings = v["audit"]["findings"].as_array().unwrap();
    let has = |finding: &str, id: &str| findings.iter().any(|f| f["table"] == "issuing_keys" && f["finding"] == finding && f["id"] == id);
    assert!(has("unrecorded", "E2") && has("diverges", "E1"), "{v}");
}

both_backends!(
    ed25519_codes_verify_with_the_public_key_alone,
    only_admins_with_a_slot_issue,
    no_file_holds_the_seed,
    ledger_verify_finds_a_planted_public_key
);

/// A gate's replica pulls the public key at sync and, with the link cut,
/// admits an Ed25519 code from it alone and refuses a code minted with the
/// key file for another Ed25519 pass.
#[test]
fn an_offline_replica_verifies_ed25519_codes() {
    use common::relay::Relay;
    use gatehouse::domain::scan::Verdict;
    let env = Env::on(Backend::Postgres);
    let mut g = env.open();
    g.set_slot_cost(keyslot::KdfCost::TEST);
    with_admin(&mut g);
    let (asha, public) = g.new_issuing_key("asha", PASSWORD).unwrap();
    assert_eq!(public.key_id, "E1");
    let p1 = g.issue_pass(&asha, &single("Offline One", "9800000011")).unwrap();
    let p2 = g.issue_pass(&asha, &single("Offline Two", "9800000012")).unwrap();
    let code = g.pass_payload(&p1);
    assert!(code.starts_with("GH2-P-E1-"), "{code}");
    // The plain admin() actor holds no key: it cannot issue any more.
    let e = g.issue_pass(&admin(), &single("No Slot", "9800000013")).unwrap_err().to_string();
    assert!(e.contains("holds no key slot"), "{e}");

    let relay = Relay::start(pg::server().port);
    let cfg = gatehouse::config::Config::load(&env.paths.config).unwrap();
    let keys = gatehouse::keyfile::load(&env.paths.key()).unwrap();
    let url = gatehouse::store::DbUrl::parse(&pg::server().tcp_url(&env.pg_db(), relay.port)).unwrap();
    let dir = env.dir.path().join("gate-b");
    std::fs::create_dir_all(&dir).unwrap();
    let mut gate = gatehouse::service::Gate::from_parts(cfg, keys.clone(), url, &dir.join("replica.sqlite"), env.clock.clone()).unwrap();
    let r = gate.sync().unwrap();
    assert!(r.pulled, "{r:?}");
    relay.refuse();
    let out = gate.scan(code.as_bytes(), &operator(), "Gate B").unwrap();
    assert!(out.offline, "{out:?}");
    assert_eq!(out.outcome.verdict, Verdict::Admitted, "{}", out.outcome.reason);
    let id = uuid::Uuid::parse_str(&p2.id).unwrap();
    let minted = payload::encode_with(&keys, "01", Kind::Pass, &id).unwrap();
    let out = gate.scan(minted.as_bytes(), &operator(), "Gate B").unwrap();
    assert!(out.offline);
    assert_eq!(out.outcome.verdict, Verdict::Forged, "{}", out.outcome.reason);
}

/// `db copy` carries the issuing keys and slots: an Ed25519 event moved
/// from its SQLite file to PostgreSQL admits its GH2 codes there, and asha
/// still issues from her slot.
#[test]
fn db_copy_carries_the_issuing_keys() {
    let (env, _) = event(Backend::Sqlite);
    rotate(&env);
    let code = json(issue_cli(&env, ASHA, "Copied Guest", "9800000021"))["payload"].as_str().unwrap().to_string();
    let url = pg::fresh_db();
    let o = run(&env, Some(ASHA), &["db", "copy", "--to", &url], None);
    assert!(o.status.success(), "{}", text(&o));
    let on_pg = |args: &[&str], user: Option<(&str, &str)>| {
        let mut all = vec!["--database", url.as_str()];
        all.extend_from_slice(args);
        run(&env, user, &all, None)
    };
    let v = json(on_pg(&["key", "public", "--json"], None));
    assert_eq!(v[0]["key_id"], "E1", "{v}");
    let o = on_pg(&["scan", "--payload", &code, "--json"], Some(OMAR));
    assert!(text(&o).contains("ADMITTED"), "{}", text(&o));
    let o = on_pg(
        &["pass", "issue", "--type", "SINGLE", "--name", "After Copy", "--phone", "9800000022", "--payment", "CASH", "--json"],
        Some(ASHA),
    );
    assert!(text(&o).contains("GH2-P-E1-"), "{}", text(&o));
}
