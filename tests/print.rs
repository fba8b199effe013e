//! Printing as a printer sees it: tickets captured from a TCP socket or a
//! file, walked command by command, the raster rebuilt and its QR decoded
//! with the project's decoder; the native QR command checked byte by byte;
//! PNG cards decoded; and every transport failure's message.

mod common;

use std::io::Read;
use std::net::TcpListener;
use std::time::Duration;

use common::*;
use gatehouse::decode::decode_gray;
use gatehouse::domain::resident::ResidentRequest;
use gatehouse::domain::scan::Verdict;
use gatehouse::print::{self, PrintError, QrMode, Target, Timeouts};
use image::{GrayImage, Luma};

/// One ESC/POS command as the printer parses it.
#[derive(Debug, Clone, PartialEq)]
enum Cmd {
    Init,
    CodeTable(u8),
    Align(u8),
    Bold(u8),
    Size(u8),
    Lf,
    Feed(u8),
    Cut(u8),
    /// GS v 0: mode, width in bytes, rows, packed bits.
    Raster {
        m: u8,
        width_bytes: usize,
        rows: usize,
        data: Vec<u8>,
    },
    /// GS ( k: the two length bytes as sent, and the parameters.
    GsK {
        pl: u8,
        ph: u8,
        params: Vec<u8>,
    },
    Text(Vec<u8>),
}

/// Walk the byte stream; any byte sequence that is not a known command or
/// printable text fails the test with its offset.
fn walk(b: &[u8]) -> Vec<Cmd> {
    let mut out = Vec::new();
    let mut i = 0;
    let need = |i: usize, n: usize| assert!(i + n <= b.len(), "truncated command at offset {i}");
    while i < b.len() {
        match b[i] {
            0x1B => {
                need(i, 2);
                let (cmd, len) = match b[i + 1] {
                    b'@' => (Cmd::Init, 2),
                    b't' => (Cmd::CodeTable(b[i + 2]), 3),
                    b'a' => (Cmd::Align(b[i + 2]), 3),
                    b'E' => (Cmd::Bold(b[i + 2]), 3),
                    b'd' => (Cmd::Feed(b[i + 2]), 3),
                    other => panic!("unknown ESC {other:#04x} at offset {i}"),
                };
                need(i, len);
                out.push(cmd);
                i += len;
            }
            0x1D => {
                need(i, 3);
                match b[i + 1] {
                    b'!' => {
                        out.push(Cmd::Size(b[i + 2]));
                        i += 3;
                    }
                    b'V' => {
                        assert!(!matches!(b[i + 2], 65 | 66), "GS V with a feed argument is not expected");
                        out.push(Cmd::Cut(b[i + 2]));
                        i += 3;
                    }
                    b'v' => {
                        need(i, 8);
                        assert_eq!(b[i + 2], b'0', "GS v must be GS v 0 at offset {i}");
                        let m = b[i + 3];
                        let width_bytes = b[i + 4] as usize + 256 * b[i + 5] as usize;
                        let rows = b[i + 6] as usize + 256 * b[i + 7] as usize;
                        let n = width_bytes * rows;
                        need(i, 8 + n);
                        out.push(Cmd::Raster { m, width_bytes, rows, data: b[i + 8..i + 8 + n].to_vec() });
                        i += 8 + n;
                    }
                    b'(' => {
                        need(i, 5);
                        assert_eq!(b[i + 2], b'k', "only GS ( k is expected at offset {i}");
                        let (pl, ph) = (b[i + 3], b[i + 4]);
                        let n = pl as usize + 256 * ph as usize;
                        need(i, 5 + n);
                        out.push(Cmd::GsK { pl, ph, params: b[i + 5..i + 5 + n].to_vec() });
                        i += 5 + n;
                    }
                    other => panic!("unknown GS {other:#04x} at offset {i}"),
                }
            }
            0x0A => {
                out.push(Cmd::Lf);
                i += 1;
            }
            c if c >= 0x20 && c != 0x7F => {
                let start = i;
                while i < b.len() && b[i] >= 0x20 && b[i] != 0x7F {
                    i += 1;
                }
                out.push(Cmd::Text(b[start..i].to_vec()));
            }
            c => panic!("unexpected control byte {c:#04x} at offset {i}"),
        }
    }
    out
}

/// Stack every GS v 0 band into one greyscale picture (set bit = black).
fn rebuild_raster(cmds: &[Cmd]) -> GrayImage {
    let bands: Vec<(usize, usize, &Vec<u8>)> = cmds
        .iter()
        .filter_map(|c| match c {
            Cmd::Raster { m, width_bytes, rows, data } => {
                assert_eq!(*m, 0, "normal density");
                Some((*width_bytes, *rows, data))
            }
            _ => None,
        })
        .collect();
    assert!(!bands.is_empty(), "no GS v 0 in the stream");
    let wb = bands[0].0;
    assert!(bands.iter().all(|b| b.0 == wb), "bands of different widths");
    let height: usize = bands.iter().map(|b| b.1).sum();
    let bits: Vec<u8> = bands.iter().flat_map(|b| b.2.iter().copied()).collect();
    GrayImage::from_fn((wb * 8) as u32, height as u32, |x, y| {
        let byte = bits[y as usize * wb + x as usize / 8];
        Luma([if byte & (0x80 >> (x % 8)) != 0 { 0 } else { 255 }])
    })
}

/// A one-connection TCP printer on 127.0.0.1 that records what it gets.
fn capture_printer() -> (String, std::thread::JoinHandle<Vec<u8>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = format!("tcp:127.0.0.1:{}", l.local_addr().unwrap().port());
    let h = std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).unwrap();
        buf
    });
    (target, h)
}

#[test]
fn raster_ticket_over_tcp_is_walked_rebuilt_decoded_and_admitted() {
    let env = Env::new();
    let mut g = env.open();
    let (p, payload) = issue(&mut g, &couple("Asha Rao", "+91 98765 43210", "Ravi Rao", "9876501234"));

    for width in [384u32, 576] {
        let mut cfg = g.cfg.clone();
        cfg.printer.width_dots = width;
        let (target, printer) = capture_printer();
        if width == 576 {
            // The config's target and mode are the fallback.
            cfg.printer.target = target.clone();
            print::print_pass(&cfg.printing(), &p, None, &payload, None, None).unwrap();
        } else {
            print::print_pass(&cfg.printing(), &p, None, &payload, Some(&target), Some(QrMode::Raster)).unwrap();
        }
        let bytes = printer.join().unwrap();
        let cmds = walk(&bytes);

        assert_eq!(cmds.first(), Some(&Cmd::Init), "starts with ESC @");
        assert_eq!(cmds.get(1), Some(&Cmd::Align(1)));
        let n = cmds.len();
        assert_eq!(&cmds[n - 2..], &[Cmd::Feed(4), Cmd::Cut(1)], "feeds and cuts at the end");
        assert!(!cmds.iter().any(|c| matches!(c, Cmd::Text(_) | Cmd::GsK { .. })), "raster mode sends no text or native QR");
        let bands = cmds.iter().filter(|c| matches!(c, Cmd::Raster { .. })).count();
        assert!(bands >= 2, "a ticket this long is sent in bands: {bands}");

        let img = rebuild_raster(&cmds);
        assert_eq!(img.width(), width, "the raster spans the paper");
        assert_eq!(decode_gray(&img), vec![payload.clone()], "width {width}");
    }

    // What the printer printed admits, once.
    let out = g.scan(payload.as_bytes(), &operator(), "Main Gate").unwrap();
    assert_eq!(out.verdict, Verdict::Admitted);
    assert_eq!(out.pass.unwrap().id, p.id);
}

#[test]
fn native_gs_k_sequence_field_by_field() {
    let env = Env::new();
    let mut g = env.open();
    let (p, payload) = issue(&mut g, &single("Zoë Fernandes", "9876500001"));
    for (width, module) in [(384u32, 6u8), (576, 8)] {
        let mut cfg = g.cfg.clone();
        cfg.printer.width_dots = width;
        let cmds = walk(&print::render_pass_ticket(&cfg.printing(), &p, None, &payload, QrMode::Native).unwrap());

        let qr: Vec<(u8, u8, Vec<u8>)> = cmds
            .iter()
            .filter_map(|c| match c {
                Cmd::GsK { pl, ph, params } => Some((*pl, *ph, params.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(qr.len(), 5, "model, size, EC, store, print: {qr:?}");
        // Function 165: cn 49, fn 65, n1 50 = model 2, n2 0.
        assert_eq!(qr[0], (4, 0, vec![49, 65, 50, 0]));
        // Function 167: module size in dots.
        assert_eq!(qr[1], (3, 0, vec![49, 67, module]));
        // Function 169: error correction level Q ('2' = 50).
        assert_eq!(qr[2], (3, 0, vec![49, 69, 50]));
        // Function 180: store; pL + pH * 256 = data length + 3; m = 48.
        let (pl, ph, store) = &qr[3];
        assert_eq!(*pl as usize + 256 * *ph as usize, payload.len() + 3);
        assert_eq!(&store[..3], &[49, 80, 48]);
        assert_eq!(&store[3..], payload.as_bytes());
        // Function 181: print the symbol; m = 48.
        assert_eq!(qr[4], (3, 0, vec![49, 81, 48]));

        // The five commands are consecutive, then a line feed.
        let at = cmds.iter().position(|c| matches!(c, Cmd::GsK { .. })).unwrap();
        assert!(cmds[at..at + 5].iter().all(|c| matches!(c, Cmd::GsK { .. })));
        assert_eq!(cmds[at + 5], Cmd::Lf);

        // The text around it: event name in double size and bold, PC437
        // for the holder's name, the short id and the footer.
        assert_eq!(&cmds[..3], &[Cmd::Init, Cmd::CodeTable(0), Cmd::Align(1)]);
        let texts: Vec<Vec<u8>> = cmds.iter().filter_map(|c| if let Cmd::Text(t) = c { Some(t.clone()) } else { None }).collect();
        let title = cmds.iter().position(|c| *c == Cmd::Text(b"Gatehouse Event".to_vec())).expect("event name");
        assert!(cmds[..title].contains(&Cmd::Size(0x11)) && cmds[..title].contains(&Cmd::Bold(1)));
        assert!(texts.contains(&b"SINGLE \xFA 1 person".to_vec()), "{texts:?}");
        assert!(texts.contains(&b"Zo\x89 Fernandes".to_vec()), "ë is 0x89 in PC437");
        assert!(texts.contains(&format!("ID {}", &p.id[..8]).into_bytes()));
        assert!(texts.contains(&b"Slot: 7:00 PM - 11:00 PM".to_vec()));
        assert!(texts.contains(&b"Price: INR 549.00".to_vec()));
        assert!(texts.iter().any(|t| t.starts_with(b"Keep this ticket.")));
        assert_eq!(cmds.last(), Some(&Cmd::Cut(1)));
    }
}

/// The ticket names its pass type's rule, in the printer's own text
/// (native) and in the raster; `pass card` and `print` through the binary
/// read the rule from the event's rules.
#[test]
fn the_ticket_names_the_rule() {
    let env = Env::new();
    let mut g = env.open();
    with_admin(&mut g);
    let rules = gatehouse::service::parse_rules_file(
        "[[pass_type]]\nname = \"FESTIVAL\"\npersons = 2\nprice = 1500\nentry = \"reentry\"\n\
         days = [\"2026-12-24\", \"2026-12-25\", \"2026-12-26\"]\n",
    )
    .unwrap();
    g.set_rules(&admin(), rules).unwrap();
    let req =
        gatehouse::domain::pass::PassRequest { pass_type: "FESTIVAL".into(), ..couple("Asha Rao", "9876500001", "Ravi Rao", "9876500002") };
    let (p, payload) = issue(&mut g, &req);
    let rule = g.pass_rule(&p).unwrap().expect("the event names the type");
    let cmds = walk(&print::render_pass_ticket(&g.cfg.printing(), &p, Some(&rule), &payload, QrMode::Native).unwrap());
    let texts: Vec<Vec<u8>> = cmds.iter().filter_map(|c| if let Cmd::Text(t) = c { Some(t.clone()) } else { None }).collect();
    assert!(texts.contains(&b"FESTIVAL \xFA 2 persons".to_vec()), "{texts:?}");
    // Wrapped to the paper's 30 columns, as the printer prints it.
    let lines = |cmds: &[Cmd]| -> String {
        let t: Vec<String> =
            cmds.iter().filter_map(|c| if let Cmd::Text(t) = c { Some(String::from_utf8_lossy(t).into_owned()) } else { None }).collect();
        t.join("\n")
    };
    assert!(lines(&cmds).contains("valid 24-26 Dec, re-entry\nallowed"), "{}", lines(&cmds));
    // Without the rule (the rules no longer name the type) the line is left out.
    let cmds = walk(&print::render_pass_ticket(&g.cfg.printing(), &p, None, &payload, QrMode::Native).unwrap());
    assert!(!cmds.iter().any(|c| matches!(c, Cmd::Text(t) if t.starts_with(b"valid"))));
    // The raster ticket is taller by the rule's line and still decodes.
    let with = walk(&print::render_pass_ticket(&g.cfg.printing(), &p, Some(&rule), &payload, QrMode::Raster).unwrap());
    let without = walk(&print::render_pass_ticket(&g.cfg.printing(), &p, None, &payload, QrMode::Raster).unwrap());
    let (a, b) = (rebuild_raster(&with), rebuild_raster(&without));
    assert!(a.height() > b.height(), "{} vs {}", a.height(), b.height());
    assert_eq!(decode_gray(&a), vec![payload.clone()]);
    // Through the binary: `print` to a file reads the rule from the event.
    let file = env.dir.path().join("ticket.bin");
    let cfg = std::fs::read_to_string(&env.paths.config).unwrap().replace("qr_mode = \"raster\"", "qr_mode = \"native\"");
    std::fs::write(&env.paths.config, cfg).unwrap();
    let o = std::process::Command::new(bin())
        .arg("--data-dir")
        .arg(env.data_dir())
        .args(["--user", "asha", "print", &p.id[..8], "--printer", &format!("file:{}", file.display()), "--mode", "native"])
        .env("GATEHOUSE_PASSWORD", PASSWORD)
        .env_remove("GATEHOUSE_DATABASE_URL")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let printed = walk(&std::fs::read(&file).unwrap());
    assert!(lines(&printed).contains("valid 24-26 Dec, re-entry\nallowed"), "{}", lines(&printed));
}

/// A GH2 (Ed25519) code is 139 characters, QR version 8: the raster
/// ticket draws it with modules of at least 4 dots (0.5 mm at 203 dpi) on
/// 58 mm and 80 mm paper, and the project's decoder reads it back from the
/// bytes the printer gets.
#[test]
fn a_gh2_code_prints_with_readable_modules_on_both_papers() {
    use gatehouse::domain::issuing::{Issuer, generate};
    use gatehouse::domain::payload::{Kind, encode_ed25519};
    let env = Env::new();
    let mut g = env.open();
    let (p, _) = issue(&mut g, &single("Asha Rao", "9876500001"));
    let issuer = Issuer::new("E1", generate().unwrap());
    let code = encode_ed25519(&issuer, "E1", Kind::Pass, &uuid::Uuid::parse_str(&p.id).unwrap()).unwrap();
    assert_eq!(code.len(), 139);
    let qr = gatehouse::qr::encode(&code).unwrap();
    assert_eq!(gatehouse::qr::version_number(&qr), 8);
    let modules = qr.width() as u32;
    assert_eq!(modules, 49);
    for width in [384u32, 576] {
        let mut cfg = g.cfg.clone();
        cfg.printer.width_dots = width;
        let cmds = walk(&print::render_pass_ticket(&cfg.printing(), &p, None, &code, QrMode::Raster).unwrap());
        let img = rebuild_raster(&cmds);
        assert_eq!(img.width(), width);
        assert_eq!(decode_gray(&img), vec![code.clone()], "width {width}");
        // The top row of the symbol: the two upper finder patterns, dark
        // runs of 7 modules whose starts are 42 modules apart.
        let runs = |y: u32| {
            let mut out: Vec<(u32, u32)> = Vec::new();
            for x in 0..width {
                if img.get_pixel(x, y).0[0] >= 128 {
                    continue;
                }
                match out.last_mut() {
                    Some((start, len)) if *start + *len == x => *len += 1,
                    _ => out.push((x, 1)),
                }
            }
            out
        };
        let module = (0..img.height())
            .find_map(|y| {
                let r = runs(y);
                r.iter().find_map(|&(a, len)| {
                    (len >= 7 && len % 7 == 0 && r.iter().any(|&(b, l2)| l2 == len && b == a + 6 * len)).then_some(len / 7)
                })
            })
            .unwrap_or_else(|| panic!("{width}: no finder patterns found"));
        assert!(module >= 4, "{width}: {module} dots a module");
        assert!((modules + 8) * module <= width, "{width}: the symbol and its quiet zone fit the paper");
    }
}

#[test]
fn png_cards_decode_to_the_same_payload() {
    let env = Env::new();
    let mut g = env.open();
    let (p, payload) = issue(&mut g, &couple("Asha Rao", "+91 98765 43210", "Ravi Rao", "9876501234"));
    let file = env.dir.path().join("card.png");
    print::pass_card_png(&g.cfg.printing(), &p, None, &payload, &file).unwrap();
    let img = gatehouse::decode::load_gray(&file).unwrap();
    assert_eq!(img.width(), 384 * print::CARD_SCALE + 2 * print::CARD_BORDER);
    assert_eq!(decode_gray(&img), vec![payload.clone()]);

    let r = g
        .add_resident(&admin(), &ResidentRequest { name: "Meera Iyer".into(), room: "12B".into(), floor: "3".into(), ..Default::default() })
        .unwrap();
    let rp = g.resident_payload(&r);
    let file = env.dir.path().join("resident.png");
    print::resident_card_png(&g.cfg.printing(), &r, &rp, &file).unwrap();
    assert_eq!(decode_gray(&gatehouse::decode::load_gray(&file).unwrap()), vec![rp.clone()]);
    assert_eq!(g.scan(rp.as_bytes(), &operator(), "Main Gate").unwrap().verdict, Verdict::ResidentIn);
}

#[test]
fn resident_ticket_to_a_file_in_both_modes() {
    let env = Env::new();
    let mut g = env.open();
    let r = g
        .add_resident(&admin(), &ResidentRequest { name: "Meera Iyer".into(), room: "12B".into(), floor: "3".into(), ..Default::default() })
        .unwrap();
    let payload = g.resident_payload(&r);
    let file = env.dir.path().join("out.bin");
    let target = format!("file:{}", file.display());
    print::print_resident(&g.cfg.printing(), &r, &payload, Some(&target), Some(QrMode::Raster)).unwrap();
    let cmds = walk(&std::fs::read(&file).unwrap());
    assert_eq!(decode_gray(&rebuild_raster(&cmds)), vec![payload.clone()]);

    // A file target appends, so a batch lands in one file.
    print::print_resident(&g.cfg.printing(), &r, &payload, Some(&target), Some(QrMode::Native)).unwrap();
    let cmds = walk(&std::fs::read(&file).unwrap());
    assert_eq!(cmds.iter().filter(|c| **c == Cmd::Init).count(), 2);
    let texts: Vec<&[u8]> = cmds.iter().filter_map(|c| if let Cmd::Text(t) = c { Some(t.as_slice()) } else { None }).collect();
    for want in [&b"RESIDENT CARD"[..], b"Meera Iyer", b"Room 12B \xFA Floor 3"] {
        assert!(texts.contains(&want), "{:?}", String::from_utf8_lossy(want));
    }
    let stored = cmds.iter().find_map(|c| match c {
        Cmd::GsK { params, .. } if params[..2] == [49, 80] => Some(params[3..].to_vec()),
        _ => None,
    });
    assert_eq!(stored, Some(payload.into_bytes()));
}

#[test]
fn voided_passes_and_inactive_residents_are_not_printed() {
    let env = Env::new();
    let mut g = env.open();
    let (p, payload) = issue(&mut g, &single("Asha Rao", "9876543210"));
    let p = g.void_pass(&admin(), &p.id, "refunded").unwrap();
    let e = print::render_pass_ticket(&g.cfg.printing(), &p, None, &payload, QrMode::Raster).unwrap_err();
    assert!(matches!(e, PrintError::NotPrintable(_)) && e.to_string().contains("voided"), "{e}");
    assert!(print::pass_card_png(&g.cfg.printing(), &p, None, &payload, &env.dir.path().join("x.png")).is_err());

    let r = g.add_resident(&admin(), &ResidentRequest { name: "Meera Iyer".into(), room: "12B".into(), ..Default::default() }).unwrap();
    let r = g.deactivate_resident(&admin(), &r.id, "moved out").unwrap();
    let e = print::render_resident_ticket(&g.cfg.printing(), &r, "x", QrMode::Native).unwrap_err();
    assert!(e.to_string().contains("deactivated"), "{e}");
}

#[test]
fn no_printer_configured_and_bad_names_are_clear() {
    let env = Env::new();
    let mut g = env.open();
    let (p, payload) = issue(&mut g, &single("Asha Rao", "9876543210"));
    assert!(g.cfg.printer.target.is_empty());
    let e = print::print_pass(&g.cfg.printing(), &p, None, &payload, None, None).unwrap_err();
    assert!(matches!(e, PrintError::NoPrinter), "{e}");
    assert!(e.to_string().contains("printer.target") && e.to_string().contains("--printer"), "{e}");

    let e = print::print_pass(&g.cfg.printing(), &p, None, &payload, Some("usb:lp0"), None).unwrap_err();
    assert!(e.to_string().contains("tcp:HOST:PORT"), "{e}");
    let e = "dots".parse::<QrMode>().unwrap_err();
    assert!(e.to_string().contains("raster or native"), "{e}");
    assert_eq!("NATIVE".parse::<QrMode>().unwrap(), QrMode::Native);
}

#[test]
fn refused_port_is_a_clear_error() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    }; // dropped: nothing listens there now
    let t: Target = format!("tcp:127.0.0.1:{port}").parse().unwrap();
    let e = print::send(&t, b"\x1b@").unwrap_err();
    assert!(matches!(e, PrintError::Refused { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("connection refused") && msg.contains(&format!("127.0.0.1:{port}")) && msg.contains("9100"), "{msg}");
}

#[test]
fn unwritable_device_paths_are_clear_errors() {
    let bytes = b"\x1b@hello\n";
    // No such device (the folder does not exist either).
    let e = print::send(&"dev:/nonexistent/dir/lp0".parse().unwrap(), bytes).unwrap_err();
    assert!(matches!(e, PrintError::NotFound { .. }), "{e:?}");
    assert!(e.to_string().contains("/nonexistent/dir/lp0 does not exist; is the printer plugged in"), "{e}");

    // A directory is not a printer, for root too.
    let e = print::send(&"dev:/proc".parse().unwrap(), bytes).unwrap_err();
    assert!(e.to_string().contains("printer dev:/proc: that path is a directory, not a printer"), "{e}");

    // A kernel file that refuses writes, even from root.
    let e = print::send(&"dev:/proc/version".parse().unwrap(), bytes).unwrap_err();
    assert!(matches!(e, PrintError::Failed { .. }), "{e:?}");
    assert!(e.to_string().contains("printer dev:/proc/version: error while writing"), "{e}");

    // A read-only sysfs file: permission denied even for root, with the lp hint.
    if std::path::Path::new("/sys/kernel/notes").exists() {
        let e = print::send(&"dev:/sys/kernel/notes".parse().unwrap(), bytes).unwrap_err();
        assert!(matches!(e, PrintError::PermissionDenied { .. }), "{e:?}");
        assert!(e.to_string().contains("permission denied; add this user to the lp group"), "{e}");
    }

    // A file target in a folder that does not exist.
    let e = print::send(&"file:/nonexistent/dir/ticket.bin".parse().unwrap(), bytes).unwrap_err();
    assert!(e.to_string().contains("the folder of /nonexistent/dir/ticket.bin does not exist"), "{e}");
}

#[test]
fn a_printer_that_never_reads_times_out() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let (release, held) = std::sync::mpsc::channel::<()>();
    let h = std::thread::spawn(move || {
        let (s, _) = l.accept().unwrap();
        // Hold the connection open without reading until the test is done.
        let _ = held.recv_timeout(Duration::from_secs(30));
        drop(s);
    });
    // A raster far larger than the socket buffers (a few MB on loopback).
    let mut e = print::escpos::Escpos::new();
    e.init().raster(&print::Bitmap::new(576, 600_000));
    let big = e.into_bytes();
    assert!(big.len() > 40_000_000);

    let t: Target = format!("tcp:127.0.0.1:{port}").parse().unwrap();
    let timeouts = Timeouts { connect: Duration::from_secs(2), write: Duration::from_millis(200) };
    let err = print::send_with(&t, &big, &timeouts).unwrap_err();
    release.send(()).unwrap();
    h.join().unwrap();
    assert!(matches!(err, PrintError::Timeout { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("timed out after 200 ms while sending") && msg.contains("has paper"), "{msg}");
}

#[cfg(unix)]
#[test]
fn a_device_that_stops_taking_data_times_out() {
    // A FIFO stands in for /dev/usb/lp0 with a printer that went offline:
    // the reader opens it and never reads, so writes stop at the pipe's size.
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("lp0");
    let ok = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(ok.success());
    let (release, held) = std::sync::mpsc::channel::<()>();
    let path = fifo.clone();
    let h = std::thread::spawn(move || {
        let f = std::fs::File::open(&path).unwrap();
        let _ = held.recv_timeout(Duration::from_secs(30));
        drop(f);
    });
    let t = Target::Device(fifo.clone());
    let timeouts = Timeouts { connect: Duration::from_secs(5), write: Duration::from_millis(200) };
    let err = print::send_with(&t, &vec![0u8; 1 << 20], &timeouts).unwrap_err();
    release.send(()).unwrap();
    h.join().unwrap();
    assert!(matches!(err, PrintError::Timeout { .. }), "{err:?}");
    assert!(err.to_string().contains("timed out after 200 ms while writing"), "{err}");
}

#[test]
fn a_bad_printer_target_in_the_config_is_refused_at_load() {
    let path = std::path::Path::new("config.toml");
    let ok = gatehouse::config::Config::parse("[printer]\ntarget = \"tcp:192.168.1.50:9100\"\nwidth_dots = 576\n", path).unwrap();
    assert_eq!(ok.printer.target.parse::<Target>().unwrap(), Target::Tcp { host: "192.168.1.50".into(), port: 9100 });
    let e = gatehouse::config::Config::parse("[printer]\ntarget = \"192.168.1.50\"\n", path).unwrap_err().to_string();
    assert!(e.contains("printer.target") && e.contains("tcp:HOST:PORT"), "{e}");
}
