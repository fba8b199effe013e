//! The real binary in tmux, driven as a person would: sign in, issue a
//! couple pass, show its QR to the (replay) camera, type it as a wedge
//! scanner would, read the stats, quit. Each step checks the screen text.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_gatehouse");
const PASSWORD: &str = "gate-keeper-42";

struct Tmux {
    session: String,
}

impl Tmux {
    fn start(cmd: &str) -> Tmux {
        Tmux::start_sized(cmd, 100, 30)
    }

    fn start_sized(cmd: &str, w: u16, h: u16) -> Tmux {
        let ok = Command::new("tmux").arg("-V").output().map(|o| o.status.success()).unwrap_or(false);
        assert!(ok, "tmux is needed for this test: run ./dev test, which installs it");
        // One session per test, and tests run in parallel.
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let session = format!("gh-e2e-{}-{n}", std::process::id());
        let (w, h) = (w.to_string(), h.to_string());
        let st = Command::new("tmux").args(["new-session", "-d", "-s", &session, "-x", &w, "-y", &h, cmd]).status().unwrap();
        assert!(st.success(), "tmux new-session failed");
        Tmux { session }
    }

    fn keys(&self, keys: &[&str]) {
        let st = Command::new("tmux").args(["send-keys", "-t", &self.session]).args(keys).status().unwrap();
        assert!(st.success());
    }

    /// Type text literally, as fast as tmux sends it: a scanner's burst.
    fn type_literal(&self, text: &str) {
        let st = Command::new("tmux").args(["send-keys", "-t", &self.session, "-l", text]).status().unwrap();
        assert!(st.success());
    }

    /// A scanner's read: the code in a burst, then Enter.
    fn scan(&self, code: &str) {
        self.type_literal(code);
        self.keys(&["Enter"]);
    }

    /// Type text as a person does, a key at a time: a burst of eight or
    /// more keys would be taken for a scanner.
    fn type_slowly(&self, text: &str) {
        for c in text.chars() {
            self.type_literal(&c.to_string());
            std::thread::sleep(Duration::from_millis(80));
        }
    }

    /// Wait until a line holding `with` passes `ok`; the screen when it does.
    fn wait_line(&self, with: &str, ok: impl Fn(&str) -> bool, step: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let s = self.screen();
            if s.lines().any(|l| l.contains(with) && ok(l)) {
                return s;
            }
            if Instant::now() > deadline {
                panic!("step {step}: no line with {with:?} as wanted; the screen was:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn screen(&self) -> String {
        let o = Command::new("tmux").args(["capture-pane", "-p", "-t", &self.session]).output().unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// Wait until the screen shows `text`, or fail with the screen.
    fn wait_for(&self, text: &str, step: &str) -> String {
        self.wait_all(&[text], step)
    }

    /// Wait until one capture shows every one of `texts`: a capture can
    /// catch a frame half drawn, so the facts of a step are checked together.
    fn wait_all(&self, texts: &[&str], step: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let s = self.screen();
            if texts.iter().all(|t| s.contains(t)) {
                return s;
            }
            if Instant::now() > deadline {
                panic!("step {step}: {texts:?} did not all appear; the screen was:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn alive(&self) -> bool {
        Command::new("tmux").args(["has-session", "-t", &self.session]).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["kill-session", "-t", &self.session]).stderr(Stdio::null()).status();
    }
}

fn cli(data: &Path, args: &[&str]) -> String {
    // Signed in as the admin: listing passes shows their payloads.
    let o = Command::new(BIN)
        .arg("--data-dir")
        .arg(data)
        .args(["--user", "asha"])
        .args(args)
        .env("GATEHOUSE_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `gatehouse init` with the admin asha.
fn init(data: &Path) {
    use std::io::Write;
    let mut init = Command::new(BIN)
        .args(["init", "--data-dir"])
        .arg(data)
        .args(["--admin", "asha", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    init.stdin.take().unwrap().write_all(format!("{PASSWORD}\n").as_bytes()).unwrap();
    assert!(init.wait().unwrap().success());
}

#[test]
fn a_gate_session_in_tmux() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // The replay camera plays one frame file; it shows an empty scene until
    // the test swaps the pass's QR into that file (as if held up to the lens).
    let frames = dir.path().join("camera");
    std::fs::create_dir_all(&frames).unwrap();
    let frame = frames.join("frame.png");
    image::GrayImage::from_pixel(320, 180, image::Luma([200])).save(&frame).unwrap();
    init(&data);

    // 1. The console over the temporary database, with a replay camera.
    let cmd = format!("{BIN} --data-dir {} --camera replay:{}@10; echo CONSOLE-EXITED $?; sleep 30", data.display(), frames.display());
    let t = Tmux::start(&cmd);
    t.wait_for("sign in", "1 start");

    // 2. Sign in.
    t.type_literal("asha");
    t.keys(&["Enter"]);
    t.type_slowly(PASSWORD);
    t.keys(&["Enter"]);
    t.wait_for("asha (admin)", "2 sign in");
    t.wait_for("┌ Verdict", "2 scan screen");

    // 3. Issue a couple pass from the keyboard.
    t.keys(&["F3"]);
    t.wait_for("Issue a pass", "3 issue screen");
    t.keys(&["Up", "Right"]); // type: COUPLE
    t.wait_for("COUPLE · 2 persons", "3 couple");
    t.keys(&["Down"]);
    t.type_slowly("Asha Rao");
    t.keys(&["Down"]);
    t.type_slowly("9876543210");
    t.keys(&["Down"]);
    t.type_slowly("Ravi Rao");
    t.keys(&["Down"]);
    t.type_slowly("9876501234");
    t.keys(&["Down", "Down", "Down", "Enter"]); // payment CASH, slot, [Issue pass]
    t.wait_all(&["Pass issued", "Holder 2 Ravi Rao"], "3 issued");
    t.keys(&["s"]);
    let s = t.wait_for("saved ", "3 save PNG");
    let png = s.lines().find_map(|l| l.trim().strip_prefix("saved ")).unwrap().trim().to_string();

    // 4. Hold the pass up to the camera: its QR appears in the replay folder.
    t.keys(&["F2"]);
    t.wait_for("┌ Verdict", "4 scan screen");
    let tmp = dir.path().join("incoming.png");
    std::fs::copy(&png, &tmp).unwrap();
    std::fs::rename(&tmp, &frame).unwrap();
    // The read came from the camera ("cam" in the list of last scans).
    t.wait_all(&["ADMITTED ·", "Asha Rao & Ravi Rao", "cam ADMITTED"], "4 camera scan");

    // 5. Type the same payload as a wedge scanner would: a burst and Enter.
    let list = cli(&data, &["pass", "list", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&list).unwrap();
    let payload = v[0]["payload"].as_str().unwrap().to_string();
    t.type_literal(&payload);
    t.keys(&["Enter"]);
    // Typed as one fast burst, it counts as the USB scanner ("usb").
    t.wait_all(&["ALREADY_USED ·", "First used at", "usb ALREADY_USED"], "5 wedge scan");

    // 6. Stats: two people admitted (a couple pass counts 2).
    t.keys(&["F7"]);
    t.wait_all(&["Admitted   2 people", "Revenue INR 999.00"], "6 stats");

    // 6b. Users from the console: add an operator, disable and enable
    // them, give them a new password; the CLI sees each change.
    t.keys(&["F10"]);
    t.wait_all(&["Users (1)", "asha", "active"], "6b users");
    t.keys(&["a"]);
    t.wait_for("Add a user", "6b add form");
    t.type_slowly("ravi");
    t.keys(&["Enter"]);
    t.type_slowly("Ravi K");
    t.keys(&["Enter", "Enter"]); // role: operator
    t.type_slowly("ravi-pass-77");
    t.keys(&["Enter"]);
    t.type_slowly("ravi-pass-76");
    t.keys(&["Enter"]);
    t.wait_for("the two passwords differ", "6b passwords must match");
    t.type_slowly("ravi-pass-77");
    t.keys(&["Enter"]);
    t.wait_all(&["added ravi (operator)", "Users (2)"], "6b added");
    cli_as(&data, "ravi", "ravi-pass-77", &["stats"], None);
    t.keys(&["Down", "d"]);
    t.wait_for("Disable ravi (operator)?", "6b disable asks");
    t.keys(&["y"]);
    t.wait_line("ravi", |l| l.contains("disabled"), "6b disabled");
    let users: serde_json::Value = serde_json::from_str(&cli(&data, &["user", "list", "--json"])).unwrap();
    assert_eq!(users.as_array().unwrap().iter().find(|u| u["username"] == "ravi").unwrap()["disabled"], true, "{users}");
    t.keys(&["d"]);
    t.wait_for("Enable ravi (operator)", "6b enable asks");
    t.keys(&["y"]);
    t.wait_all(&["enabled ravi"], "6b enabled");
    t.keys(&["p"]);
    t.wait_for("New password for ravi", "6b new password");
    t.type_slowly("ravi-new-pass-1");
    t.keys(&["Enter"]);
    t.type_slowly("ravi-new-pass-1");
    t.keys(&["Enter"]);
    t.wait_for("new password set for ravi", "6b password set");
    cli_as(&data, "ravi", "ravi-new-pass-1", &["stats"], None);

    // 7. Quit: it asks first.
    t.keys(&["q"]);
    t.wait_for("Quit gatehouse?", "7 quit asks");
    t.keys(&["y"]);
    t.wait_for("CONSOLE-EXITED 0", "7 quit");
    assert!(t.alive());
    // The session's work is in the ledger and verifies.
    assert!(cli(&data, &["ledger", "verify"]).contains("OK"));
}

/// Run a signed-in CLI command with the password in the environment.
fn cli_as(data: &Path, user: &str, pw: &str, args: &[&str], stdin: Option<&str>) -> String {
    use std::io::Write;
    let mut c = Command::new(BIN);
    c.arg("--data-dir").arg(data).arg("--user").arg(user).env("GATEHOUSE_PASSWORD", pw).args(args);
    c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    if let Some(text) = stdin {
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn a_scanner_on_every_screen_a_manual_check_in_and_a_change_of_shift() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    init(&data);
    cli_as(&data, "asha", PASSWORD, &["user", "add", "omar", "--role", "operator", "--password-stdin"], Some("omar-pass-99\n"));
    // Verdicts stay 2 s, so the test sees one clear.
    let cfg = data.join("config.toml");
    let text = std::fs::read_to_string(&cfg).unwrap().replace("verdict_secs = 5.0", "verdict_secs = 2.0");
    std::fs::write(&cfg, text).unwrap();
    // Twelve single passes; names for the manual check-in.
    let names = [
        "Meera Iyer",
        "Zoya Khan",
        "Dev Patel",
        "Ravi Rao",
        "Asha Nair",
        "Kiran Das",
        "Omar Ali",
        "Lina Roy",
        "Tara Sen",
        "Vik Bose",
        "Nina Jha",
        "Ajay Pal",
    ];
    let mut csv = String::from("type,name,phone,payment\n");
    for (i, n) in names.iter().enumerate() {
        csv.push_str(&format!("SINGLE,{n},98765{i:05},CASH\n"));
    }
    let file = dir.path().join("passes.csv");
    std::fs::write(&file, csv).unwrap();
    cli_as(&data, "asha", PASSWORD, &["pass", "import", file.to_str().unwrap()], None);
    let list: serde_json::Value = serde_json::from_str(&cli(&data, &["pass", "list", "--json"])).unwrap();
    let passes: Vec<(String, String, String)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["holder_name"].as_str().unwrap().into(), p["id"].as_str().unwrap().into(), p["payload"].as_str().unwrap().into()))
        .collect();
    // A code with a Q in it, which a lower-case scanner types as `q`.
    let with_q = passes.iter().find(|p| p.2.contains('Q')).expect("one of twelve codes has a Q");
    let others: Vec<&(String, String, String)> = passes.iter().filter(|p| p.1 != with_q.1).collect();

    let cmd = format!("{BIN} --data-dir {}; echo CONSOLE-EXITED $?; sleep 30", data.display());
    let t = Tmux::start_sized(&cmd, 80, 24);
    t.wait_for("sign in", "1 start");
    // 1. A scan on the sign-in screen: refused with a word, never typed.
    t.type_literal(&others[0].2);
    t.keys(&["Enter"]);
    let s = t.wait_for("SIGN IN TO SCAN", "1 scan signed out");
    assert!(!s.contains("GH1-") && !s.contains(&others[0].2[4..12]), "the code was typed into a field:\n{s}");
    assert!(s.contains("▸ Username"), "the Enter moved on to the password:\n{s}");
    t.type_literal("asha");
    t.keys(&["Enter"]);
    t.type_slowly(PASSWORD);
    t.keys(&["Enter"]);
    t.wait_all(&["asha (admin)", "┌ Verdict"], "1 signed in");

    // 2. On Scan, a lower-case burst with q: the right verdict, still running.
    t.type_literal(&with_q.2.to_lowercase());
    t.keys(&["Enter"]);
    let s = t.wait_all(&["#1 ADMITTED", "usb ADMITTED"], "2 lower-case burst");
    assert!(!s.contains("Quit") && !s.contains("CONSOLE-EXITED"), "{s}");
    // 3. The verdict clears after its time: the neutral box again.
    t.wait_for("┌ Verdict", "3 verdict clears");

    // 3b. Codes from other systems, a URL and an 11-character one: a
    // verdict each, never keys (`/` would open manual check-in).
    for (n, code) in [(2, "https://example.com/t/12345"), (3, "HELLO-WORLD")] {
        t.type_literal(code);
        t.keys(&["Enter"]);
        let s = t.wait_all(&[&format!("#{n} MALFORMED"), "not a gatehouse pass"], code);
        assert!(!s.contains("Manual check-in") && !s.contains("Quit"), "{code} acted as keys:\n{s}");
    }

    // 4. A burst on Stats, Passes, Issue and with help open: scanned each time.
    let screens: [(&str, &str, &str); 4] =
        [("F7", "Scans per hour", "Stats"), ("F4", "shown", "Passes"), ("F3", "Issue a pass", "Issue"), ("F1", "Everywhere", "help")];
    for (i, (key, marker, name)) in screens.iter().enumerate() {
        t.keys(&[key]);
        t.wait_for(marker, name);
        let p = others[i];
        t.type_literal(&p.2);
        t.keys(&["Enter"]);
        let s = t.wait_for(&format!("scan #{}: ADMIT 1 · {}", i + 4, p.0), name);
        assert!(!s.contains("GH1-") && !s.contains("gh1-"), "{name}: the code was typed somewhere:\n{s}");
        if *name == "help" {
            t.keys(&["Escape"]);
        }
    }
    let stats: serde_json::Value = serde_json::from_str(&cli(&data, &["stats", "--json"])).unwrap();
    assert_eq!(stats["people_admitted"], 5, "{stats}");

    // 4b. A scan while on Passes: the row shows used, without `r`.
    let p = others[6];
    t.keys(&["F4"]);
    t.wait_line(&p.0, |l| l.contains("unused"), "4b passes before");
    t.type_literal(&p.2);
    t.keys(&["Enter"]);
    t.wait_for(&format!("scan #8: ADMIT 1 · {}", p.0), "4b scanned on Passes");
    t.wait_line(&p.0, |l| l.contains(" used") && !l.contains("unused"), "4b the row shows used");

    // 5. Sign out; the next operator signs in.
    t.keys(&["F2"]);
    t.keys(&["F8"]);
    t.wait_all(&["asha signed out", "not signed in"], "5 signed out");
    t.type_literal("omar");
    t.keys(&["Enter"]);
    t.type_slowly("omar-pass-99");
    t.keys(&["Enter"]);
    t.wait_all(&["omar (operator)", "Last 5 of 8 scans"], "5 omar signed in; the last scans stayed");

    // 6. Manual check-in by the short id on the ticket, then by name in any order.
    let by_id = others[4];
    t.keys(&["/"]);
    t.wait_for("Manual check-in", "6 check-in opens");
    t.type_slowly(&by_id.1[..8]);
    t.wait_for(&by_id.0, "6 found by short id");
    t.keys(&["Enter"]);
    t.wait_for(&format!("Check in {}", by_id.0), "6 confirm");
    t.keys(&["Enter"]);
    t.wait_all(&["#9 ADMITTED", "manual", "man ADMITTED"], "6 checked in by id");
    let by_name = others[5];
    let (first, last) = by_name.0.split_once(' ').unwrap();
    t.keys(&["/"]);
    t.wait_for("Manual check-in", "6 check-in opens again");
    t.type_slowly(&format!("{} {}", last.to_lowercase(), first.to_lowercase()));
    t.wait_for(&by_name.0, "6 found by name");
    t.keys(&["Enter", "Enter"]);
    t.wait_all(&["#10 ADMITTED", "manual"], "6 checked in by name");
    // 6b. A scan while the box is open with text typed: its verdict in
    // full above the box, which keeps the text.
    t.keys(&["/"]);
    t.wait_for("Manual check-in", "6b check-in opens");
    t.type_slowly("fat");
    t.wait_for("nothing found", "6b fat typed");
    let p = others[7];
    t.type_literal(&p.2);
    t.keys(&["Enter"]);
    t.wait_all(&["#11 ADMITTED", &p.0, "Manual check-in", "fat"], "6b scan under the box");
    t.keys(&["Escape"]);
    let ledger = cli(&data, &["ledger", "show", "--json", "--limit", "100"]);
    assert_eq!(ledger.matches("\\\"manual\\\":true").count() + ledger.matches("\"manual\":true").count(), 2, "{ledger}");

    // 7. Quit asks; then the session ends cleanly.
    t.keys(&["q"]);
    t.wait_for("Quit gatehouse?", "7 quit asks");
    t.keys(&["y"]);
    t.wait_for("CONSOLE-EXITED 0", "7 quit");
    assert!(cli(&data, &["ledger", "verify"]).contains("OK"));
}

/// Issue a pass through the binary as asha: its code.
fn issue(data: &Path, args: &[&str]) -> String {
    let mut all = vec!["pass", "issue", "--payment", "CASH", "--json"];
    all.extend_from_slice(args);
    let v: serde_json::Value = serde_json::from_str(&cli(data, &all)).unwrap();
    v["payload"].as_str().unwrap().to_string()
}

/// Issue #21 on the console at 80x24: a `both` gate, a venue of 3 and a
/// zone; `+ 1 Enter` admits one of a couple, `<` records an exit, and the
/// People box and Stats show inside/capacity, warned and then full.
#[test]
fn group_part_exit_and_capacity_at_a_both_gate() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    init(&data);
    let cfg = data.join("config.toml");
    let text = std::fs::read_to_string(&cfg).unwrap().replace("# direction = \"in\"", "direction = \"both\"");
    // The event is at +05:30: the console's times are too, whatever this computer's zone.
    let text = text.replace("utc_offset = \"\"", "utc_offset = \"+05:30\"");
    assert!(text.contains("utc_offset = \"+05:30\""));
    std::fs::write(&cfg, text.replace("verdict_secs = 5.0", "verdict_secs = 2.0")).unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(
        &rules,
        "[venue]\ncapacity = 3\n\n[[zone]]\nname = \"Hall\"\ngates = [\"Main Gate\"]\ncapacity = 3\n\n\
         [[pass_type]]\nname = \"SINGLE\"\npersons = 1\nprice = 549\nentry = \"reentry\"\n\n\
         [[pass_type]]\nname = \"COUPLE\"\npersons = 2\nprice = 999\nentry = \"reentry\"\n",
    )
    .unwrap();
    cli(&data, &["event", "rules", "set", rules.to_str().unwrap()]);
    let couple = issue(
        &data,
        &["--type", "COUPLE", "--name", "Ravi Kumar", "--phone", "9000000105", "--name2", "Meena Kumari", "--phone2", "9000000106"],
    );
    let zoya = issue(&data, &["--type", "SINGLE", "--name", "Zoya Khan", "--phone", "9000000107"]);
    let dev = issue(&data, &["--type", "SINGLE", "--name", "Dev Rao", "--phone", "9000000108"]);

    let cmd = format!("{BIN} --data-dir {}; echo CONSOLE-EXITED $?; sleep 30", data.display());
    let t = Tmux::start_sized(&cmd, 80, 24);
    t.wait_for("sign in", "start");
    t.type_slowly("asha");
    t.keys(&["Enter"]);
    t.type_slowly(PASSWORD);
    t.keys(&["Enter"]);
    t.wait_all(&["asha (admin)", "venue 0/3 · Hall 0/3"], "signed in; the capacity shows");

    // + 1 Enter: the next scan admits one of the couple, and says so.
    t.type_slowly("+1");
    t.keys(&["Enter"]);
    t.wait_for("NEXT SCAN: ADMIT 1 OF THE GROUP", "the mode on the Code box");
    t.scan(&couple);
    let ist = |d: i64| (chrono::Utc::now() + chrono::Duration::minutes(330 - d)).format("%H:%M").to_string();
    let (before, s) = (ist(1), t.wait_all(&["#1 ADMITTED", "1 of 2, 1 still to come", "venue 1/3", "┌ Code"], "one of two"));
    let title = s.lines().find(|l| l.contains("#1 ADMITTED")).unwrap_or_default();
    assert!(title.contains(&format!("· {before}")) || title.contains(&format!("· {}", ist(0))), "the event's time, +05:30:\n{s}");
    assert!(!s.contains("NEXT SCAN"), "the mode is spent by one scan:\n{s}");
    // The same code read again inside 3 s is one read: wait it out.
    std::thread::sleep(Duration::from_millis(3200));
    t.scan(&couple);
    t.wait_all(&["#2 ADMITTED", "2 of 2", "venue 2/3"], "the second of two");
    t.scan(&zoya);
    t.wait_all(&["#3 ADMITTED", "People · AT CAPACITY", "venue 3/3 · Hall 3/3"], "the venue full");
    t.scan(&dev);
    t.wait_all(&["#4 AT_CAPACITY", "the venue holds 3"], "the fourth refused");

    // < : the next scan is an exit; a burst is still a scan.
    t.type_slowly("<");
    t.wait_for("NEXT SCAN: EXIT", "exit mode");
    t.scan(&zoya);
    let s = t.wait_all(&["#5 EXITED", "Zoya Khan: 1 out", "venue 2/3", "┌ Code"], "an exit");
    assert!(!s.contains("DENY"), "an exit is no denial:\n{s}");
    std::thread::sleep(Duration::from_millis(3200));
    t.scan(&dev);
    t.wait_all(&["#6 ADMITTED", "venue 3/3"], "room again after the exit");

    t.keys(&["F7"]);
    t.wait_all(&["Inside now 3/3 AT CAPACITY", "Admitted   4 people (3 passes)"], "Stats: inside against the venue");
    t.wait_line("Zones", |l| l.contains("Hall") && l.contains("3/3"), "Stats: the zone");
    let stats: serde_json::Value = serde_json::from_str(&cli(&data, &["stats", "--json"])).unwrap();
    assert_eq!((stats["inside_now"].as_u64(), stats["venue_capacity"].as_u64()), (Some(3), Some(3)), "{stats}");
    t.keys(&["q"]);
    t.wait_for("Quit gatehouse?", "quit asks");
    t.keys(&["y"]);
    t.wait_for("CONSOLE-EXITED 0", "quit");
    assert!(cli(&data, &["ledger", "verify"]).contains("OK"));
}
