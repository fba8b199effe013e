//! TLS to the server, as libpq names it: `sslmode=disable|prefer|require|
//! verify-ca|verify-full` and `sslrootcert=FILE` in the URL. The client
//! library understands only the first three modes and no CA file, so both
//! are taken out of the URL here and become a rustls configuration:
//!
//! - `disable`: plain text; `prefer` (the default): TLS when the server
//!   offers it, plain otherwise; `require`: TLS or no connection. Neither
//!   checks the certificate, as in libpq.
//! - `verify-ca`: the certificate must chain to the CA file; `verify-full`:
//!   and name the host of the URL.
//! - The CA file is `sslrootcert=`, else `~/.postgresql/root.crt` (libpq's
//!   default); `sslrootcert=system` is the system's trust store. As in libpq,
//!   `require` with a CA file present checks the chain like `verify-ca`.
//!
//! A Unix socket never uses TLS (the server does not offer it there).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(s: &str) -> Option<SslMode> {
        Some(match s {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    /// What the client library is told: it only knows whether TLS is off,
    /// optional or required; the checks are the connector's.
    pub fn client_mode(self) -> postgres::config::SslMode {
        match self {
            SslMode::Disable => postgres::config::SslMode::Disable,
            SslMode::Prefer => postgres::config::SslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => postgres::config::SslMode::Require,
        }
    }
}

/// The TLS settings of one URL, with the connector built once.
#[derive(Clone)]
pub struct Tls {
    pub mode: SslMode,
    /// The CA file the chain is checked against (None: not checked).
    pub ca: Option<PathBuf>,
    pub connector: Option<MakeRustlsConnect>,
}

/// The URL without `sslmode`, `sslrootcert` and `passfile`, and their values.
pub struct Split {
    pub url: String,
    pub sslmode: Option<String>,
    pub sslrootcert: Option<String>,
    /// libpq's `passfile`: the password file for this URL (an enrolled
    /// gate's own, in its data directory).
    pub passfile: Option<String>,
}

/// Take `sslmode=`, `sslrootcert=` and `passfile=` out of the URL's query.
pub fn split(url: &str) -> Split {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, q),
        None => return Split { url: url.to_string(), sslmode: None, sslrootcert: None, passfile: None },
    };
    let (mut sslmode, mut sslrootcert, mut passfile, mut keep) = (None, None, None, Vec::new());
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("sslmode", v)) => sslmode = Some(percent_decode(v)),
            Some(("sslrootcert", v)) => sslrootcert = Some(percent_decode(v)),
            Some(("passfile", v)) => passfile = Some(percent_decode(v)),
            _ => keep.push(pair),
        }
    }
    let url = if keep.is_empty() { base.to_string() } else { format!("{base}?{}", keep.join("&")) };
    Split { url, sslmode, sslrootcert, passfile }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (b[i], b.get(i + 1).copied().and_then(hex), b.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The system trust store: `SSL_CERT_FILE`, else the usual bundle paths.
fn system_bundle() -> Result<PathBuf> {
    let candidates = std::env::var_os("SSL_CERT_FILE").map(PathBuf::from).into_iter().chain(
        ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"].into_iter().map(PathBuf::from),
    );
    for p in candidates {
        if p.is_file() {
            return Ok(p);
        }
    }
    Err(Error::DatabaseUrl("sslrootcert=system: no system CA bundle found (set SSL_CERT_FILE)".into()))
}

fn home_root_cert() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".postgresql/root.crt"))
}

impl Tls {
    /// Settle the mode and the CA file, and build the connector. Every
    /// problem is one line naming the setting to change.
    pub fn new(sslmode: Option<&str>, sslrootcert: Option<&str>, unix_socket_only: bool) -> Result<Tls> {
        let system = sslrootcert == Some("system");
        let mode = match sslmode {
            Some(m) => SslMode::parse(m).ok_or_else(|| {
                Error::DatabaseUrl(format!("sslmode={m} in the database URL: use disable, prefer, require, verify-ca or verify-full"))
            })?,
            // As libpq: the system store is only worth using to check names.
            None if system => SslMode::VerifyFull,
            None => SslMode::Prefer,
        };
        if unix_socket_only || mode == SslMode::Disable {
            return Ok(Tls { mode: if unix_socket_only { SslMode::Disable } else { mode }, ca: None, connector: None });
        }
        let ca = match sslrootcert {
            Some(_) if system => Some(system_bundle()?),
            Some(path) => Some(PathBuf::from(path)),
            None => home_root_cert().filter(|p| p.is_file()),
        };
        // libpq: `require` with a CA file checks the chain as verify-ca does.
        let checks = match mode {
            SslMode::Require if ca.is_some() => SslMode::VerifyCa,
            SslMode::Require | SslMode::Prefer => SslMode::Prefer,
            m => m,
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier: Arc<dyn ServerCertVerifier> = match (checks, &ca) {
            (SslMode::VerifyCa | SslMode::VerifyFull, Some(ca)) => {
                let full = WebPkiServerVerifier::builder_with_provider(Arc::new(roots(ca, mode)?), provider.clone())
                    .build()
                    .map_err(|e| Error::DatabaseUrl(format!("CA file {}: {e}", ca.display())))?;
                if checks == SslMode::VerifyFull {
                    full as Arc<dyn ServerCertVerifier>
                } else {
                    Arc::new(Lenient { chain: Some(full), algorithms: provider.signature_verification_algorithms })
                }
            }
            (SslMode::VerifyCa | SslMode::VerifyFull, None) => {
                return Err(Error::DatabaseUrl(format!(
                    "sslmode={} needs a CA file: add sslrootcert=/path/to/ca.crt to the database URL (there is no ~/.postgresql/root.crt)",
                    mode.as_str()
                )));
            }
            _ => Arc::new(Lenient { chain: None, algorithms: provider.signature_verification_algorithms }),
        };
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::DatabaseUrl(format!("TLS set-up: {e}")))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        Ok(Tls { mode, ca: if checks == SslMode::Prefer { None } else { ca }, connector: Some(MakeRustlsConnect::new(config)) })
    }

    /// A handshake failure as one line a person can act on.
    pub fn explain(&self, err: &postgres::Error) -> Option<String> {
        let mut chain = err.to_string();
        let mut next = std::error::Error::source(err);
        while let Some(e) = next {
            chain.push_str(&format!(": {e}"));
            next = e.source();
        }
        if chain.contains("server does not support TLS") {
            return Some(format!(
                "the server does not offer TLS, but sslmode={} requires it (turn on ssl in postgresql.conf, or use sslmode=prefer)",
                self.mode.as_str()
            ));
        }
        let ca = self.ca.as_deref().map_or_else(|| "?".into(), |p| p.display().to_string());
        let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(err);
        while let Some(e) = source {
            let found = e.downcast_ref::<rustls::Error>().or_else(|| {
                e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()).and_then(|inner| inner.downcast_ref::<rustls::Error>())
            });
            if let Some(rustls::Error::InvalidCertificate(c)) = found {
                return Some(match c {
                    CertificateError::UnknownIssuer => {
                        format!("the server's TLS certificate is not signed by the CA in {ca} (sslmode={})", self.mode.as_str())
                    }
                    CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                        format!("the server's TLS certificate does not name this host ({c}); sslmode=verify-full checks it")
                    }
                    CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                        format!("the server's TLS certificate has expired ({c})")
                    }
                    other => format!("the server's TLS certificate was refused: {other}"),
                });
            }
            if let Some(other) = found {
                return Some(format!("TLS handshake failed: {other}"));
            }
            source = e.source();
        }
        None
    }
}

/// The certificates of a PEM file, or one line saying what is wrong with it.
fn roots(path: &Path, mode: SslMode) -> Result<RootCertStore> {
    let bad = |why: String| Error::DatabaseUrl(format!("CA file {} (for sslmode={}): {why}", path.display(), mode.as_str()));
    let text = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(&text).collect::<std::result::Result<_, _>>().map_err(|e| bad(format!("not PEM: {e}")))?;
    let mut store = RootCertStore::empty();
    let (added, _ignored) = store.add_parsable_certificates(certs);
    if added == 0 {
        return Err(bad("holds no usable certificate".into()));
    }
    Ok(store)
}

/// The modes that check less than verify-full. With `chain`
/// (`verify-ca`): the chain must lead to the CA, the name is not checked.
/// Without (`prefer` and `require` without a CA): encrypted, the
/// certificate not checked (libpq's meaning). Either way the handshake's
/// signatures are checked with the provider's algorithms.
#[derive(Debug)]
struct Lenient {
    chain: Option<Arc<WebPkiServerVerifier>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Lenient {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else { return Ok(ServerCertVerified::assertion()) };
        // The name is checked last, after the chain: failing only there
        // means the chain is good.
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(rustls::Error::InvalidCertificate(CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. })) => {
                Ok(ServerCertVerified::assertion())
            }
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_parameters_come_out_of_the_url() {
        let s = split("postgresql://gate@db:5432/ev?sslmode=verify-full&application_name=x&sslrootcert=%2Fetc%2Fca%20one.crt");
        assert_eq!(s.url, "postgresql://gate@db:5432/ev?application_name=x");
        assert_eq!(s.sslmode.as_deref(), Some("verify-full"));
        assert_eq!(s.sslrootcert.as_deref(), Some("/etc/ca one.crt"));
        let s = split("postgresql://gate@db/ev?sslmode=require");
        assert_eq!((s.url.as_str(), s.sslmode.as_deref()), ("postgresql://gate@db/ev", Some("require")));
    }

    #[test]
    fn modes_and_ca_files_are_checked_before_connecting() {
        let e = Tls::new(Some("verify-everything"), None, false).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("verify-ca or verify-full"), "{e}");
        let e = Tls::new(Some("verify-full"), Some("/nonexistent/ca.crt"), false).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.starts_with("CA file /nonexistent/ca.crt (for sslmode=verify-full)"), "{e}");
        // A Unix socket never uses TLS, whatever the URL says.
        assert_eq!(Tls::new(Some("require"), None, true).map(|t| t.mode).ok(), Some(SslMode::Disable));
        assert!(Tls::new(Some("require"), None, false).is_ok_and(|t| t.connector.is_some() && t.ca.is_none()));
    }
}
