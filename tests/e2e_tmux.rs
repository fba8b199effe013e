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
        let ok = Command::new("tmux").arg("-V").output().map(|o| o.status.success()).unwrap_or(false);
        assert!(ok, "tmux is needed for this test: run ./dev test, which installs it");
        let session = format!("gh-e2e-{}", std::process::id());
        let st = Command::new("tmux").args(["new-session", "-d", "-s", &session, "-x", "100", "-y", "30", cmd]).status().unwrap();
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
    let mut init = Command::new(BIN)
        .args(["init", "--data-dir"])
        .arg(&data)
        .args(["--admin", "asha", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    init.stdin.take().unwrap().write_all(format!("{PASSWORD}\n").as_bytes()).unwrap();
    assert!(init.wait().unwrap().success());

    // 1. The console over the temporary database, with a replay camera.
    let cmd = format!("{BIN} --data-dir {} --camera replay:{}@10; echo CONSOLE-EXITED $?; sleep 30", data.display(), frames.display());
    let t = Tmux::start(&cmd);
    t.wait_for("sign in", "1 start");

    // 2. Sign in.
    t.type_literal("asha");
    t.keys(&["Enter"]);
    t.type_literal(PASSWORD);
    t.keys(&["Enter"]);
    t.wait_for("asha (admin)", "2 sign in");
    t.wait_for("┌ Verdict", "2 scan screen");

    // 3. Issue a couple pass from the keyboard.
    t.keys(&["F3"]);
    t.wait_for("Issue a pass", "3 issue screen");
    t.keys(&["Up", "Right"]); // type: COUPLE
    t.wait_for("COUPLE · 2 persons", "3 couple");
    t.keys(&["Down"]);
    t.type_literal("Asha Rao");
    t.keys(&["Down"]);
    t.type_literal("9876543210");
    t.keys(&["Down"]);
    t.type_literal("Ravi Rao");
    t.keys(&["Down"]);
    t.type_literal("9876501234");
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

    // 7. Quit: it asks first.
    t.keys(&["q"]);
    t.wait_for("Quit gatehouse?", "7 quit asks");
    t.keys(&["y"]);
    t.wait_for("CONSOLE-EXITED 0", "7 quit");
    assert!(t.alive());
    // The session's work is in the ledger and verifies.
    assert!(cli(&data, &["ledger", "verify"]).contains("OK"));
}
