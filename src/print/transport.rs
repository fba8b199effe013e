//! Getting bytes to a printer: a file, a TCP socket (port 9100), a device
//! node, or CUPS in raw mode. Every failure becomes a `PrintError` that says
//! what to check; nothing here touches the database, so a failed print
//! changes nothing and can simply be tried again.

use std::fmt;
use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::PrintError;

/// Where tickets go, named by one string: `file:PATH`, `tcp:HOST:PORT`,
/// `dev:/dev/usb/lp0` or `cups:NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Append to a file (created if missing): for tests, or to print later
    /// with `cat FILE > /dev/usb/lp0`.
    File(PathBuf),
    /// A network printer's raw port, usually 9100.
    Tcp { host: String, port: u16 },
    /// A device node such as `/dev/usb/lp0`; never created.
    Device(PathBuf),
    /// A CUPS queue, through `lp -d NAME -o raw`.
    Cups(String),
}

pub const TARGET_FORMS: &str = "file:PATH, tcp:HOST:PORT, dev:/dev/usb/lp0 or cups:NAME";

impl FromStr for Target {
    type Err = PrintError;

    fn from_str(s: &str) -> Result<Target, PrintError> {
        let s = s.trim();
        let bad = |why: &str| PrintError::BadTarget { target: s.to_string(), reason: why.to_string() };
        let Some((kind, rest)) = s.split_once(':') else {
            return Err(bad("it has no kind"));
        };
        match kind.to_ascii_lowercase().as_str() {
            "file" if !rest.is_empty() => Ok(Target::File(PathBuf::from(rest))),
            "dev" if !rest.is_empty() => Ok(Target::Device(PathBuf::from(rest))),
            "cups" if !rest.is_empty() && !rest.starts_with('-') && !rest.contains(char::is_whitespace) => {
                Ok(Target::Cups(rest.to_string()))
            }
            "cups" => Err(bad("a CUPS queue name has no spaces and does not start with -")),
            "tcp" => {
                let (host, port) = rest.rsplit_once(':').ok_or_else(|| bad("it needs HOST:PORT, e.g. tcp:192.168.1.50:9100"))?;
                let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
                let port: u16 = port.parse().ok().filter(|p| *p != 0).ok_or_else(|| bad("the port must be a number from 1 to 65535"))?;
                if host.is_empty() {
                    return Err(bad("the host is empty"));
                }
                Ok(Target::Tcp { host: host.to_string(), port })
            }
            "file" | "dev" => Err(bad("the path is empty")),
            _ => Err(bad("unknown kind")),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::File(p) => write!(f, "file:{}", p.display()),
            Target::Tcp { host, port } if host.contains(':') => write!(f, "tcp:[{host}]:{port}"),
            Target::Tcp { host, port } => write!(f, "tcp:{host}:{port}"),
            Target::Device(p) => write!(f, "dev:{}", p.display()),
            Target::Cups(n) => write!(f, "cups:{n}"),
        }
    }
}

/// How long to wait for a printer. `write` is the longest the printer may
/// take to accept more data (it stalls when out of paper or offline).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Duration,
    pub write: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts { connect: Duration::from_secs(5), write: Duration::from_secs(10) }
    }
}

/// Send the bytes with the default timeouts.
pub fn send(target: &Target, bytes: &[u8]) -> Result<(), PrintError> {
    send_with(target, bytes, &Timeouts::default())
}

pub fn send_with(target: &Target, bytes: &[u8], t: &Timeouts) -> Result<(), PrintError> {
    match target {
        Target::File(p) => send_file(target, p, bytes),
        Target::Tcp { host, port } => send_tcp(target, host, *port, bytes, t),
        Target::Device(p) => send_device(target, p, bytes, t),
        Target::Cups(name) => send_cups(target, Path::new("lp"), name, bytes, t),
    }
}

/// An I/O error in words an admin can act on.
pub(crate) fn classify(target: &Target, e: io::Error, doing: &str, t: &Timeouts) -> PrintError {
    let name = target.to_string();
    match e.kind() {
        io::ErrorKind::NotFound => PrintError::NotFound {
            target: name,
            detail: match target {
                Target::Device(p) => format!("{} does not exist; is the printer plugged in and switched on?", p.display()),
                Target::File(p) => format!("the folder of {} does not exist", p.display()),
                Target::Cups(_) => "the `lp` command is not installed (install the cups-client package)".into(),
                Target::Tcp { host, .. } => format!("cannot find host {host}: {e}"),
            },
        },
        io::ErrorKind::PermissionDenied => PrintError::PermissionDenied {
            target: name,
            hint: match target {
                Target::Device(_) => "add this user to the lp group (sudo usermod -aG lp $USER) and log in again".into(),
                Target::File(p) => format!("check the permissions of {}", p.display()),
                _ => "check the permissions".into(),
            },
        },
        io::ErrorKind::ConnectionRefused => PrintError::Refused { target: name },
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
            let after = if doing == "connecting" { t.connect } else { t.write };
            PrintError::Timeout { target: name, doing: doing.to_string(), after }
        }
        io::ErrorKind::IsADirectory => PrintError::Failed { target: name, message: "that path is a directory, not a printer".into() },
        io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => {
            PrintError::Failed { target: name, message: format!("the printer closed the connection while {doing} ({e})") }
        }
        _ => PrintError::Failed { target: name, message: format!("error while {doing}: {e}") },
    }
}

fn send_file(target: &Target, path: &Path, bytes: &[u8]) -> Result<(), PrintError> {
    let t = Timeouts::default();
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).map_err(|e| classify(target, e, "opening", &t))?;
    f.write_all(bytes).and_then(|_| f.flush()).map_err(|e| classify(target, e, "writing", &t))
}

fn send_tcp(target: &Target, host: &str, port: u16, bytes: &[u8], t: &Timeouts) -> Result<(), PrintError> {
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| PrintError::NotFound { target: target.to_string(), detail: format!("cannot find host {host}: {e}") })?
        .collect();
    let mut last = None;
    let mut stream = None;
    for a in &addrs {
        match TcpStream::connect_timeout(a, t.connect) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let mut stream = match (stream, last) {
        (Some(s), _) => s,
        (None, Some(e)) => return Err(classify(target, e, "connecting", t)),
        (None, None) => {
            return Err(PrintError::NotFound { target: target.to_string(), detail: format!("host {host} has no address") });
        }
    };
    let io = |e| classify(target, e, "sending", t);
    stream.set_write_timeout(Some(t.write)).map_err(io)?;
    let _ = stream.set_nodelay(true);
    stream.write_all(bytes).map_err(io)?;
    stream.flush().map_err(io)?;
    // Tell the printer the job is complete; ignore a peer that already left.
    let _ = stream.shutdown(std::net::Shutdown::Write);
    Ok(())
}

/// A device node is written from a helper thread in chunks, so a printer
/// that stops taking data (offline, out of paper) gives a timeout instead
/// of hanging the gate. The thread is left blocked in the kernel then.
fn send_device(target: &Target, path: &Path, bytes: &[u8], t: &Timeouts) -> Result<(), PrintError> {
    const CHUNK: usize = 4096;
    let (tx, rx) = mpsc::channel::<io::Result<bool>>();
    let path = path.to_path_buf();
    let data = bytes.to_vec();
    std::thread::Builder::new()
        .name("gatehouse-print-dev".into())
        .spawn(move || {
            let mut f = match std::fs::OpenOptions::new().write(true).open(&path) {
                Ok(f) => f,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            };
            // Ok(false): opened, or one more chunk taken; Ok(true): done.
            if tx.send(Ok(false)).is_err() {
                return;
            }
            for chunk in data.chunks(CHUNK) {
                if let Err(e) = f.write_all(chunk) {
                    let _ = tx.send(Err(e));
                    return;
                }
                if tx.send(Ok(false)).is_err() {
                    return;
                }
            }
            let _ = tx.send(f.flush().map(|_| true));
        })
        .map_err(|e| PrintError::Failed { target: target.to_string(), message: format!("cannot start the print thread: {e}") })?;
    let mut opened = false;
    loop {
        let wait = if opened { t.write } else { t.connect.max(t.write) };
        match rx.recv_timeout(wait) {
            Ok(Ok(true)) => return Ok(()),
            Ok(Ok(false)) => opened = true,
            Ok(Err(e)) => return Err(classify(target, e, if opened { "writing" } else { "opening" }, t)),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                return Err(PrintError::Timeout { target: target.to_string(), doing: "writing".into(), after: wait });
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(PrintError::Failed { target: target.to_string(), message: "the print thread stopped".into() });
            }
        }
    }
}

/// `lp -d NAME -o raw`, the job on its standard input. `program` is `lp`
/// except in tests.
pub(crate) fn send_cups(target: &Target, program: &Path, name: &str, bytes: &[u8], t: &Timeouts) -> Result<(), PrintError> {
    let mut child = Command::new(program)
        .args(["-d", name, "-o", "raw"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| classify(target, e, "starting lp", t))?;
    // Feed lp from a thread, so an lp that stops reading cannot block us
    // past the deadline; dropping stdin at the end is the job's EOF.
    let writer = child.stdin.take().map(|mut stdin| {
        let data = bytes.to_vec();
        std::thread::spawn(move || stdin.write_all(&data))
    });
    let deadline = Instant::now() + t.connect + t.write;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(PrintError::Timeout { target: target.to_string(), doing: "waiting for lp".into(), after: t.connect + t.write });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(classify(target, e, "waiting for lp", t)),
        }
    };
    let mut err = String::new();
    if let Some(mut s) = child.stderr.take() {
        let _ = io::Read::read_to_string(&mut s, &mut err);
    }
    let err = err.trim();
    if !status.success() {
        let lower = err.to_lowercase();
        if lower.contains("does not exist") || lower.contains("not exist") || lower.contains("unknown printer") {
            return Err(PrintError::NotFound {
                target: target.to_string(),
                detail: format!("CUPS has no printer {name} ({err}); `lpstat -p` lists the printers"),
            });
        }
        let detail = if err.is_empty() { status.to_string() } else { err.to_string() };
        return Err(PrintError::Failed { target: target.to_string(), message: format!("lp failed: {detail}") });
    }
    if let Some(Ok(Err(e))) = writer.map(std::thread::JoinHandle::join) {
        return Err(classify(target, e, "sending to lp", t));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_and_print_back() {
        for s in ["file:/tmp/t.bin", "tcp:192.168.1.50:9100", "tcp:[::1]:9100", "dev:/dev/usb/lp0", "cups:ZJ-58"] {
            let t: Target = s.parse().unwrap();
            assert_eq!(t.to_string(), s);
        }
        assert_eq!("tcp:printer.local:9100".parse::<Target>().unwrap(), Target::Tcp { host: "printer.local".into(), port: 9100 });
        for bad in
            ["", "/dev/usb/lp0", "tcp:host", "tcp:host:0", "tcp:host:99999", "tcp::9100", "usb:lp0", "file:", "cups:-o x", "cups:a b"]
        {
            let e = bad.parse::<Target>().unwrap_err().to_string();
            assert!(e.contains("file:PATH, tcp:HOST:PORT"), "{bad}: {e}");
        }
    }

    #[test]
    fn permission_denied_on_a_device_names_the_lp_group() {
        let t = Target::Device("/dev/usb/lp0".into());
        let e = classify(&t, io::Error::from(io::ErrorKind::PermissionDenied), "opening", &Timeouts::default()).to_string();
        assert!(e.contains("permission denied") && e.contains("lp group") && e.contains("/dev/usb/lp0"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn cups_pipes_the_job_to_lp_raw() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("job.bin");
        let fake = dir.path().join("lp");
        std::fs::write(
            &fake,
            format!(
                "#!/bin/sh\n[ \"$1 $2 $3 $4\" = \"-d desk -o raw\" ] || {{ echo \"lp: The printer or class does not exist.\" >&2; exit 1; }}\ncat > {}\n",
                out.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        let t = Timeouts::default();
        send_cups(&Target::Cups("desk".into()), &fake, "desk", b"\x1b@hello", &t).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), b"\x1b@hello");
        let e = send_cups(&Target::Cups("nope".into()), &fake, "nope", b"x", &t).unwrap_err();
        assert!(matches!(e, PrintError::NotFound { .. }), "{e}");
        assert!(e.to_string().contains("CUPS has no printer nope"), "{e}");
        let e = send_cups(&Target::Cups("desk".into()), &dir.path().join("no-lp"), "desk", b"x", &t).unwrap_err();
        assert!(e.to_string().contains("cups-client"), "{e}");
    }
}
