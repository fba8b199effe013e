//! One real PostgreSQL server per test binary, from Debian's `postgresql`
//! package: `initdb` in a temp dir, listening on a Unix socket there and on
//! a free loopback port (for tests that put a relay in front of it). Each
//! test gets its own database. The server is stopped when the binary exits,
//! pass or fail (an `atexit` hook; statics are never dropped).
//!
//! A server that cannot start fails the test with the reason: a PostgreSQL
//! test is never skipped (`./dev` installs the package).
//!
//! A second server, started only by the TLS tests (`tls_server`), has
//! `ssl=on` with a certificate for `localhost` signed by a CA made for the
//! run with the openssl tool; the first one offers no TLS at all.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

pub struct PgServer {
    pub dir: PathBuf,
    pub port: u16,
    bin: PathBuf,
    as_postgres: bool,
}

/// The password of the role `gate_pw`, which signs in over TCP with it.
pub const GATE_PASSWORD: &str = "gate-secret-7731";

static SERVER: OnceLock<Result<PgServer, String>> = OnceLock::new();
static TLS_SERVER: OnceLock<Result<TlsServer, String>> = OnceLock::new();
static NEXT_DB: AtomicU32 = AtomicU32::new(0);

/// The shared server, started on first use.
pub fn server() -> &'static PgServer {
    match SERVER.get_or_init(start) {
        Ok(s) => s,
        Err(e) => panic!("the PostgreSQL test server could not start: {e}\n(install Debian's postgresql package: ./dev setup)"),
    }
}

/// The TLS server and its CA files.
pub struct TlsServer {
    pub server: PgServer,
    /// The CA that signed the server's certificate (for `localhost` only).
    pub ca: PathBuf,
    /// A CA that signed nothing the server has.
    pub wrong_ca: PathBuf,
}

/// The TLS server, started on first use.
pub fn tls_server() -> &'static TlsServer {
    match TLS_SERVER.get_or_init(start_tls) {
        Ok(s) => s,
        Err(e) => panic!("the PostgreSQL TLS test server could not start: {e}\n(./dev setup installs postgresql and openssl)"),
    }
}

/// A fresh, empty database on the shared server; its URL reaches it
/// through the Unix socket.
pub fn fresh_db() -> String {
    server().fresh_db()
}

/// The database a URL from `fresh_db` names.
pub fn db_name(url: &str) -> String {
    let after = url.split_once("@/").map_or(url, |(_, rest)| rest);
    after.split('?').next().unwrap_or_default().to_string()
}

impl PgServer {
    /// A fresh, empty database on this server, through its Unix socket.
    pub fn fresh_db(&self) -> String {
        let name = format!("t_{}_{}", std::process::id(), NEXT_DB.fetch_add(1, Ordering::Relaxed));
        self.admin_sql(&format!("CREATE DATABASE {name}"));
        self.url(&name)
    }

    pub fn url(&self, db: &str) -> String {
        format!("postgresql://postgres@/{db}?host={}&port={}", self.dir.display(), self.port)
    }

    /// The same database over TCP on loopback, through `port` (a relay's).
    pub fn tcp_url(&self, db: &str, port: u16) -> String {
        format!("postgresql://postgres@127.0.0.1:{port}/{db}")
    }

    /// Run SQL as the superuser in `postgres`, or panic with the server's reason.
    pub fn admin_sql(&self, sql: &str) {
        self.sql_in("postgres", sql);
    }

    pub fn sql_in(&self, db: &str, sql: &str) {
        let mut c = self.client(db);
        if let Err(e) = c.batch_execute(sql) {
            panic!("{sql}: {e}");
        }
    }

    pub fn client(&self, db: &str) -> postgres::Client {
        let conn = format!("host={} port={} user=postgres dbname={db}", self.dir.display(), self.port);
        postgres::Client::connect(&conn, postgres::NoTls).unwrap_or_else(|e| panic!("connect to {db}: {e}"))
    }

    fn run(&self, tool: &str, args: &[&str]) -> Result<(), String> {
        let exe = self.bin.join(tool);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let out = cmd.args(args).output().map_err(|e| format!("{}: {e}", exe.display()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!("{tool} {}: {}{}", args.join(" "), String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
        }
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    fn stop(&self) {
        let _ = self.run("pg_ctl", &["stop", "-D", &self.data(), "-m", "immediate", "-w"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

extern "C" fn stop_at_exit() {
    if let Some(Ok(s)) = SERVER.get() {
        s.stop();
    }
    if let Some(Ok(s)) = TLS_SERVER.get() {
        s.server.stop();
    }
}

/// Newest `/usr/lib/postgresql/N/bin` holding initdb.
fn find_bin() -> Result<PathBuf, String> {
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .map_err(|e| format!("{}: {e}", root.display()))?
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, b)| b.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop().map(|(_, b)| b).ok_or_else(|| format!("no initdb under {}", root.display()))
}

fn start() -> Result<PgServer, String> {
    start_in("ghpg", "", |_| Ok(()))
}

/// The TLS server: certificates made with the openssl tool (a CA, a server
/// certificate for `localhost` signed by it, and an unrelated CA), in the
/// server's folder; the key is the server user's, mode 0600.
fn start_tls() -> Result<TlsServer, String> {
    let server = start_in("ghpgtls", "-c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key", |s| {
        let openssl = |args: &[&str]| -> Result<(), String> {
            let out = Command::new("openssl").args(args).current_dir(&s.dir).output().map_err(|e| format!("openssl: {e}"))?;
            if out.status.success() { Ok(()) } else { Err(format!("openssl {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr))) }
        };
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
        for (name, cn) in [("ca", "gatehouse test CA"), ("wrong-ca", "some other CA")] {
            let (key, crt, subj) = (format!("{name}.key"), format!("{name}.crt"), format!("/CN={cn}"));
            openssl(&[&["req", "-x509"][..], &ec, &["-keyout", &key, "-out", &crt, "-days", "2", "-subj", &subj]].concat())?;
        }
        openssl(&[&["req"][..], &ec, &["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"]].concat())?;
        std::fs::write(s.dir.join("san.cnf"), "subjectAltName=DNS:localhost\n").map_err(|e| e.to_string())?;
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "2",
            "-extfile",
            "san.cnf",
        ])?;
        // The server refuses a key others may read.
        for f in ["server.crt", "server.key"] {
            let (from, to) = (s.dir.join(f), s.dir.join("data").join(f));
            std::fs::copy(&from, &to).map_err(|e| format!("{}: {e}", to.display()))?;
            s.hand_over(&to)?;
        }
        std::fs::set_permissions(s.dir.join("data/server.key"), std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .map_err(|e| e.to_string())
    })?;
    let (ca, wrong_ca) = (server.dir.join("ca.crt"), server.dir.join("wrong-ca.crt"));
    Ok(TlsServer { server, ca, wrong_ca })
}

/// initdb and start a server in a temp dir named `prefix-PID`; `prepare`
/// runs after initdb (as the test's user, then files are handed to the
/// server's user); `opts` are extra server options.
fn start_in(prefix: &str, opts: &str, prepare: impl FnOnce(&PgServer) -> Result<(), String>) -> Result<PgServer, String> {
    let bin = find_bin()?;
    // Short path: the socket's name must fit in 107 bytes.
    let dir = std::env::temp_dir().join(format!("{prefix}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let as_postgres = unsafe { libc::geteuid() } == 0;
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
    let s = PgServer { dir, port, bin, as_postgres };
    s.hand_over(&s.dir)?;
    let data = s.data();
    s.run("initdb", &["-D", &data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"])?;
    // Sockets and the superuser over loopback are trusted; the role
    // `gate_pw` must give its password (scram), for the sign-in tests.
    let hba = "local all all trust\nhost all gate_pw 127.0.0.1/32 scram-sha-256\nhost all all 127.0.0.1/32 trust\n";
    std::fs::write(s.dir.join("data/pg_hba.conf"), hba).map_err(|e| e.to_string())?;
    prepare(&s)?;
    let opts = format!("-k {} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200 {opts}", s.dir.display());
    let log = s.dir.join("server.log").display().to_string();
    if let Err(e) = s.run("pg_ctl", &["start", "-D", &data, "-l", &log, "-w", "-t", "60", "-o", &opts]) {
        let tail = std::fs::read_to_string(&log).unwrap_or_default();
        s.stop();
        return Err(format!("{e}\n{tail}"));
    }
    AT_EXIT.call_once(|| unsafe {
        libc::atexit(stop_at_exit);
    });
    s.admin_sql(&format!("CREATE ROLE gate_pw LOGIN SUPERUSER PASSWORD '{GATE_PASSWORD}'"));
    Ok(s)
}

static AT_EXIT: std::sync::Once = std::sync::Once::new();

impl PgServer {
    /// Give a file to the server's user (when running as root).
    fn hand_over(&self, path: &Path) -> Result<(), String> {
        if !self.as_postgres {
            return Ok(());
        }
        // initdb refuses root: the server runs as the postgres user.
        let ids = |flag: &str| -> Result<u32, String> {
            let o = Command::new("id").args([flag, "postgres"]).output().map_err(|e| e.to_string())?;
            String::from_utf8_lossy(&o.stdout).trim().parse().map_err(|_| "no postgres user".to_string())
        };
        std::os::unix::fs::chown(path, Some(ids("-u")?), Some(ids("-g")?)).map_err(|e| format!("chown {}: {e}", path.display()))
    }
}
