//! An enrolled gate's device key on disk: `device.key` in its data
//! directory, mode 0600, never in config or logs. It is the gate's own
//! signing key; the event's HMAC key file is never on an enrolled gate.

use std::path::{Path, PathBuf};

use crate::config::Paths;
use crate::domain::device::DeviceKey;
use crate::domain::keys::KeyRing;
use crate::error::{Error, Result};

const HEADER: &str = "# gatehouse device key of this gate (Ed25519 seed, hex). It signs this gate's ledger\n\
# blocks; it never leaves this laptop. Keep it secret (mode 0600).\n";

fn key_err(path: &Path, message: impl Into<String>) -> Error {
    Error::Key { path: path.to_path_buf(), message: message.into() }
}

pub fn path(paths: &Paths) -> PathBuf {
    paths.data_dir.join("device.key")
}

/// Make a new device key in a new 0600 file.
pub fn create(path: &Path) -> Result<DeviceKey> {
    let key = DeviceKey::generate().map_err(|e| key_err(path, format!("no randomness from the OS: {e}")))?;
    let text = zeroize::Zeroizing::new(format!("{HEADER}{}\n", crate::domain::ledger::to_hex(key.seed().as_ref())));
    crate::keyfile::create_secret(path, text.as_bytes())?;
    Ok(key)
}

pub fn load(path: &Path) -> Result<DeviceKey> {
    crate::keyfile::check_mode(path)?;
    let text = zeroize::Zeroizing::new(std::fs::read_to_string(path).map_err(|e| key_err(path, format!("cannot read: {e}")))?);
    let line = text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#')).ok_or_else(|| key_err(path, "holds no key"))?;
    let seed =
        zeroize::Zeroizing::new(crate::domain::ledger::from_hex(line).ok_or_else(|| key_err(path, "the key must be 64 hex digits"))?);
    Ok(DeviceKey::from_seed(&seed))
}

/// This station's key ring: the event key file where there is one, else an
/// enrolled gate's device key.
pub fn load_station(paths: &Paths) -> Result<KeyRing> {
    let device = path(paths);
    if !paths.key().exists() && device.exists() {
        return Ok(KeyRing::for_device(load(&device)?));
    }
    crate::keyfile::load(&paths.key())
}
