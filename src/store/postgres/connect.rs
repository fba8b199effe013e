//! Naming and reaching the server: a libpq-form URL (`postgresql://USER@HOST:PORT/DB`,
//! `?host=/socket/dir`), the password from `PGPASSWORD` or a pgpass file
//! of mode 0600, never from the URL. The text kept for messages holds no
//! password, so neither `Debug` nor an error can leak one.

use std::fmt;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::Duration;

use tokio_postgres::NoTls;
use tokio_postgres::config::Host;

use super::conn::Conn;
use super::tls::{self, SslMode, Tls};
use crate::error::{Error, Result};

/// How long connecting may take before "server down" is reported.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct DbUrl {
    /// The URL as given (it never holds a password).
    text: String,
    config: tokio_postgres::Config,
    tls: Tls,
}

pub fn is_postgres_url(s: &str) -> bool {
    s.starts_with("postgresql://") || s.starts_with("postgres://")
}

impl fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DbUrl").field("url", &self.text).field("password", &self.config.get_password().map(|_| "<redacted>")).finish()
    }
}

impl fmt::Display for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl DbUrl {
    /// Parse a URL and find its password. A password inside the URL is
    /// refused: URLs end up in config files, shell history and `ps`.
    pub fn parse(url: &str) -> Result<DbUrl> {
        if !is_postgres_url(url) {
            return Err(Error::DatabaseUrl(format!("{}: not a postgresql:// URL", redact(url))));
        }
        // The client library knows neither verify-* nor sslrootcert: they
        // are taken out here and become the TLS connector.
        let split = tls::split(url);
        let mut config: tokio_postgres::Config =
            split.url.parse().map_err(|e| Error::DatabaseUrl(format!("bad database URL {}: {e}", redact(url))))?;
        if config.get_password().is_some() {
            return Err(Error::DatabaseUrl(format!(
                "the database URL {} holds a password; remove it and set PGPASSWORD or use a pgpass file (mode 0600)",
                redact(url)
            )));
        }
        if config.get_dbname().is_none() {
            return Err(Error::DatabaseUrl(format!("the database URL {url} names no database (postgresql://USER@HOST/DB)")));
        }
        if config.get_user().is_none() {
            config.user(std::env::var("PGUSER").ok().filter(|u| !u.is_empty()).unwrap_or_else(os_user));
        }
        // A password file the URL names is this connection's own (an
        // enrolled gate's role): it comes before the environment's.
        let named = split.passfile.as_ref().map(PathBuf::from);
        if let Some(pw) = named.as_ref().map(|f| pgpass_lookup(&config, Some(f))).transpose()?.flatten() {
            config.password(pw);
        } else if let Some(pw) = std::env::var("PGPASSWORD").ok().filter(|p| !p.is_empty()) {
            config.password(pw);
        } else if let Some(pw) = pgpass_lookup(&config, None)? {
            config.password(pw);
        }
        let unix_only = config.get_hosts().iter().all(|h| matches!(h, Host::Unix(_)));
        let tls = Tls::new(split.sslmode.as_deref(), split.sslrootcert.as_deref(), unix_only)?;
        config.connect_timeout(CONNECT_TIMEOUT).application_name("gatehouse").ssl_mode(tls.mode.client_mode());
        Ok(DbUrl { text: url.to_string(), config, tls })
    }

    pub(super) fn connect(&self) -> Result<Conn> {
        let rt = Conn::runtime().map_err(|e| Error::Internal(format!("cannot start the PostgreSQL client's runtime: {e}")))?;
        let res = match &self.tls.connector {
            Some(c) if self.tls.mode != SslMode::Disable => Conn::open(rt, self.config.connect(c.clone())),
            _ => Conn::open(rt, self.config.connect(NoTls)),
        };
        res.map_err(|e| self.connect_error(e))
    }

    /// A connection of the `postgres` crate, for the migrations
    /// (`schema::migrate`), which are written against it.
    pub(super) fn connect_blocking(&self) -> Result<postgres::Client> {
        let config = postgres::Config::from(self.config.clone());
        let res = match &self.tls.connector {
            Some(c) if self.tls.mode != SslMode::Disable => config.connect(c.clone()),
            _ => config.connect(NoTls),
        };
        res.map_err(|e| self.connect_error(e))
    }

    fn connect_error(&self, e: tokio_postgres::Error) -> Error {
        if let Some(why) = self.tls.explain(&e) {
            return Error::unreachable(format!("cannot reach {}: {why}", self.text));
        }
        // Whatever fails while connecting, short of the server's own answer
        // (a refused sign-in, no such database), means it cannot be reached:
        // a refused socket, a timeout, a TLS handshake.
        if e.as_db_error().is_some() {
            return Error::from(e);
        }
        Error::unreachable(format!("cannot reach {}: {e}", self.text))
    }

    /// The TLS mode in force (`disable` for a Unix socket).
    pub fn ssl_mode(&self) -> SslMode {
        self.tls.mode
    }

    pub fn dbname(&self) -> &str {
        self.config.get_dbname().unwrap_or_default()
    }

    /// Which database this names, whatever the spelling: hosts (the
    /// loopback names as one), ports and database, without user or TLS
    /// settings. Two URLs with one identity reach the same database.
    pub fn identity(&self) -> String {
        let hosts: Vec<String> = self
            .config
            .get_hosts()
            .iter()
            .map(|h| match h {
                Host::Tcp(name) if matches!(name.as_str(), "localhost" | "127.0.0.1" | "::1" | "[::1]") => "loopback".to_string(),
                Host::Tcp(name) => name.to_ascii_lowercase(),
                Host::Unix(dir) => dir.display().to_string(),
            })
            .collect();
        let ports: Vec<String> = self.config.get_ports().iter().map(u16::to_string).collect();
        format!("{}:{}/{}", hosts.join(","), ports.join(","), self.dbname())
    }
}

/// Where a URL's server listens (its first host), for a relay in front of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Tcp(String, u16),
    /// The Unix socket file itself (`DIR/.s.PGSQL.PORT`).
    Unix(PathBuf),
}

impl DbUrl {
    pub fn endpoint(&self) -> Option<Endpoint> {
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        match self.config.get_hosts().first()? {
            Host::Tcp(h) => Some(Endpoint::Tcp(h.clone(), port)),
            Host::Unix(dir) => Some(Endpoint::Unix(dir.join(format!(".s.PGSQL.{port}")))),
        }
    }

    /// The same database, user and password reached at `host:port` instead
    /// (a relay on this machine), without TLS.
    pub fn through(&self, host: &str, port: u16) -> Result<DbUrl> {
        let mut config = tokio_postgres::Config::new();
        config.host(host).port(port).dbname(self.dbname()).connect_timeout(CONNECT_TIMEOUT).application_name("gatehouse");
        if let Some(u) = self.config.get_user() {
            config.user(u);
        }
        if let Some(pw) = self.config.get_password() {
            config.password(pw);
        }
        let tls = Tls::new(Some("disable"), None, false)?;
        config.ssl_mode(tls.mode.client_mode());
        let text = format!("postgresql://{}@{host}:{port}/{}?sslmode=disable", self.config.get_user().unwrap_or_default(), self.dbname());
        Ok(DbUrl { text, config, tls })
    }
}

fn os_user() -> String {
    std::env::var("USER").ok().filter(|u| !u.is_empty()).unwrap_or_else(|| "postgres".into())
}

/// Whether a URL carries a password (in its authority or as `password=`).
pub fn url_has_password(url: &str) -> bool {
    redact(url) != url || url.contains("password=")
}

/// `postgresql://user:secret@host` → `postgresql://user:***@host`.
pub fn redact(url: &str) -> String {
    let Some(start) = url.find("://").map(|i| i + 3) else { return url.to_string() };
    let authority_end = url[start..].find(['/', '?']).map_or(url.len(), |i| start + i);
    let Some(at) = url[start..authority_end].rfind('@').map(|i| start + i) else { return url.to_string() };
    match url[start..at].find(':') {
        Some(c) => format!("{}:***{}", &url[..start + c], &url[at..]),
        None => url.to_string(),
    }
}

/// `url` for a gate's own role: its user replaced by `role`, and
/// `passfile=` naming the gate's password file (no password in the URL).
pub fn role_url(url: &str, role: &str, passfile: &std::path::Path) -> Result<String> {
    let rest = url
        .strip_prefix("postgresql://")
        .or_else(|| url.strip_prefix("postgres://"))
        .ok_or_else(|| Error::DatabaseUrl(format!("{}: not a postgresql:// URL", redact(url))))?;
    // The authority ends at the first '/' or '?'; a user comes before its '@'.
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let host = rest[..end].rsplit_once('@').map_or(&rest[..end], |(_, h)| h);
    let file: String = passfile
        .display()
        .to_string()
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let tail = &rest[end..];
    let sep = if tail.contains('?') { '&' } else { '?' };
    Ok(format!("postgresql://{role}@{host}{tail}{sep}passfile={file}"))
}

/// The password for this connection from `PGPASSFILE` or `~/.pgpass`, in
/// libpq's format (`host:port:db:user:password`, `*` matches anything). A
/// file others may read is refused, as libpq does.
fn pgpass_lookup(config: &tokio_postgres::Config, named: Option<&PathBuf>) -> Result<Option<String>> {
    let path = match (named, std::env::var_os("PGPASSFILE")) {
        (Some(p), _) => p.clone(),
        (None, Some(p)) => PathBuf::from(p),
        (None, None) => match std::env::var_os("HOME") {
            Some(h) => PathBuf::from(h).join(".pgpass"),
            None => return Ok(None),
        },
    };
    let Ok(meta) = std::fs::metadata(&path) else { return Ok(None) };
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(Error::DatabaseUrl(format!(
            "password file {} has mode {mode:04o}; others could read it: run `chmod 600 {}`",
            path.display(),
            path.display()
        )));
    }
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(format!("cannot read password file {}", path.display()), e))?;
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        // libpq matches a socket connection against "localhost".
        _ => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432).to_string();
    let want = [host.as_str(), port.as_str(), config.get_dbname().unwrap_or_default(), config.get_user().unwrap_or_default()];
    for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
        let fields = split_pgpass(line);
        if fields.len() == 5 && fields[..4].iter().zip(want).all(|(f, w)| f == "*" || f == w) {
            return Ok(Some(fields[4].clone()));
        }
    }
    Ok(None)
}

/// Split on `:`, honouring `\:` and `\\`.
fn split_pgpass(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.last_mut().into_iter().for_each(|s| s.extend(chars.next())),
            ':' if out.len() < 5 => out.push(String::new()),
            c => out.last_mut().into_iter().for_each(|s| s.push(c)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_the_password_only() {
        assert_eq!(redact("postgresql://gate:s3cret@db.example:5432/ev"), "postgresql://gate:***@db.example:5432/ev");
        assert_eq!(redact("postgresql://gate@db/ev?host=/run/pg"), "postgresql://gate@db/ev?host=/run/pg");
    }

    #[test]
    fn a_password_in_the_url_is_refused_without_echoing_it() {
        let e = DbUrl::parse("postgresql://gate:s3cret@localhost/ev").unwrap_err().to_string();
        assert!(e.contains("PGPASSWORD") && !e.contains("s3cret"), "{e}");
    }

    #[test]
    fn a_gates_own_url_names_its_role_and_password_file() {
        let f = std::path::Path::new("/srv/gate b/db.pgpass");
        let u = role_url("postgresql://postgres@db.example:5433/ev?sslmode=require", "gh_gate_1", f).unwrap();
        assert_eq!(u, "postgresql://gh_gate_1@db.example:5433/ev?sslmode=require&passfile=/srv/gate%20b/db.pgpass");
        let u = role_url("postgres://db.example/ev", "gh_gate_1", f).unwrap();
        assert_eq!(u, "postgresql://gh_gate_1@db.example/ev?passfile=/srv/gate%20b/db.pgpass");
        // The password file is read from the URL, never put in the client's own options.
        let split = super::tls::split(&u);
        assert_eq!(split.passfile.as_deref(), Some("/srv/gate b/db.pgpass"));
        assert!(!split.url.contains("passfile"));
    }

    #[test]
    fn pgpass_fields_unescape() {
        assert_eq!(split_pgpass(r"h:5432:db:u:pa\:ss:word"), vec!["h", "5432", "db", "u", "pa:ss:word"]);
    }
}
