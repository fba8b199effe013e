//! The key file: the HMAC key ring on disk, mode 0600, never in config or
//! logs. One line per key, oldest first: `ID HEX`. The last key signs.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use crate::domain::keys::{KEY_LEN, KeyRing, valid_key_id};
use crate::error::{Error, Result};

const HEADER: &str = "# gatehouse HMAC keys: one `ID HEX` line per key, oldest first; the last one signs.\n\
# Keep this file secret (mode 0600). Losing it makes every pass unverifiable.\n";

fn key_err(path: &Path, message: impl Into<String>) -> Error {
    Error::Key { path: path.to_path_buf(), message: message.into() }
}

/// Refuse a key file that group or others can read or write.
pub fn check_mode(path: &Path) -> Result<()> {
    let meta = std::fs::metadata(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            key_err(path, "missing; run `gatehouse init` to create one, or restore it from your backup")
        } else {
            key_err(path, format!("cannot read: {e}"))
        }
    })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(key_err(path, format!("is readable by group or others (mode {mode:04o}); run `chmod 600 {}`", path.display())));
    }
    Ok(())
}

pub fn load(path: &Path) -> Result<KeyRing> {
    check_mode(path)?;
    let text = std::fs::read_to_string(path).map_err(|e| key_err(path, format!("cannot read: {e}")))?;
    let keys = parse(&text).map_err(|m| key_err(path, m))?;
    KeyRing::new(&keys).ok_or_else(|| key_err(path, "holds no key"))
}

fn parse(text: &str) -> std::result::Result<Vec<(String, [u8; KEY_LEN])>, String> {
    let mut keys: Vec<(String, [u8; KEY_LEN])> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (id, hex) = line.split_once(char::is_whitespace).ok_or(format!("line {}: expected `ID HEX`", n + 1))?;
        if !valid_key_id(id) {
            // Never echo the field: with the fields swapped it is the key.
            return Err(format!("line {}: bad key id; expected `ID HEX` with a two-character id such as 01", n + 1));
        }
        let key = crate::domain::ledger::from_hex(hex.trim()).ok_or(format!("line {}: the key must be 64 hex digits (32 bytes)", n + 1))?;
        if keys.iter().any(|(k, _)| k == id) {
            return Err(format!("line {}: key id {id} appears twice", n + 1));
        }
        keys.push((id.to_string(), key));
    }
    Ok(keys)
}

fn line(id: &str, key: &[u8; KEY_LEN]) -> String {
    format!("{id} {}\n", crate::domain::ledger::to_hex(key))
}

/// Create a new key file with one random key, mode 0600 from the start.
pub fn create(path: &Path) -> Result<()> {
    let key = KeyRing::generate_key().map_err(|e| key_err(path, format!("no randomness from the OS: {e}")))?;
    create_secret(path, format!("{HEADER}{}", line("01", &key)).as_bytes())
}

/// Write a new secret file (a key file, a device key): mode 0600 from its
/// creation, never over an existing file, synced before it is used.
pub fn create_secret(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| key_err(path, format!("cannot create: {e}")))?;
    f.write_all(bytes).and_then(|_| f.sync_all()).map_err(|e| key_err(path, format!("cannot write: {e}")))?;
    // The umask cannot widen 0600, but an existing umask could narrow it; set it exactly.
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(|e| key_err(path, format!("cannot chmod: {e}")))
}

/// Add a new signing key; old keys stay so issued passes keep verifying.
pub fn rotate(path: &Path) -> Result<String> {
    check_mode(path)?;
    let text = std::fs::read_to_string(path).map_err(|e| key_err(path, format!("cannot read: {e}")))?;
    let keys = parse(&text).map_err(|m| key_err(path, m))?;
    let next = next_id(keys.iter().map(|(id, _)| id.as_str())).ok_or_else(|| key_err(path, "no key ids left"))?;
    let key = KeyRing::generate_key().map_err(|e| key_err(path, format!("no randomness from the OS: {e}")))?;
    let mut out = text;
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&line(&next, &key));
    // Write beside and rename, so a crash never leaves half a key file. A
    // `.new` left by an interrupted rotation was never renamed, so no code
    // was signed with its key: it goes, and the new file is made 0600 from
    // its creation (an old file would keep its old mode).
    let tmp = path.with_extension("key.new");
    match std::fs::remove_file(&tmp) {
        Ok(()) => tracing::warn!("removed {} left by an interrupted key rotation", tmp.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(key_err(&tmp, format!("a file from an interrupted rotation is in the way and cannot be removed: {e}"))),
    }
    {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| key_err(&tmp, format!("cannot create: {e}")))?;
        f.write_all(out.as_bytes()).and_then(|_| f.sync_all()).map_err(|e| key_err(&tmp, format!("cannot write: {e}")))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| key_err(path, format!("cannot replace: {e}")))?;
    Ok(next)
}

/// The next free HMAC id: `01` to `DZ`. Ids from `E` on are the event's
/// issuing keys' (`domain::issuing`), which live in the event database.
fn next_id<'a>(ids: impl Iterator<Item = &'a str>) -> Option<String> {
    const A: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let used: Vec<&str> = ids.collect();
    (1..A.len() * A.len())
        .map(|n| format!("{}{}", A[n / A.len()] as char, A[n % A.len()] as char))
        .filter(|id| !crate::domain::issuing::is_issuing_id(id))
        .find(|id| !used.contains(&id.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_rotate_load_and_modes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k");
        create(&p).unwrap();
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(load(&p).unwrap().active_id(), "01");
        assert_eq!(rotate(&p).unwrap(), "02");
        let ring = load(&p).unwrap();
        assert_eq!(ring.ids().collect::<Vec<_>>(), ["01", "02"]);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = load(&p).unwrap_err().to_string();
        assert!(e.contains("readable by group or others") && e.contains("0644"), "{e}");
        let e = load(&dir.path().join("none")).unwrap_err().to_string();
        assert!(e.contains("missing"), "{e}");
    }

    /// A stale, world-readable `.new` does not make the rotated key readable.
    #[test]
    fn rotate_over_a_stale_new_file_stays_private() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("gatehouse.key");
        create(&p).unwrap();
        let stale = dir.path().join("gatehouse.key.new");
        std::fs::write(&stale, "junk").unwrap();
        std::fs::set_permissions(&stale, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(rotate(&p).unwrap(), "02");
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        assert!(!stale.exists());
        assert_eq!(load(&p).unwrap().ids().count(), 2);
    }

    /// A line with its fields swapped: the error names the line, not the key.
    #[test]
    fn swapped_fields_do_not_show_the_key() {
        let k = "2b053aaf".repeat(8);
        let e = parse(&format!("{k} 01\n")).unwrap_err();
        assert!(e.contains("line 1") && !e.contains("2b053aaf"), "{e}");
    }

    #[test]
    fn bad_contents() {
        assert!(parse("01 abcd").is_err());
        assert!(parse("0U 00").is_err());
        let k = "00".repeat(32);
        assert!(parse(&format!("01 {k}\n01 {k}")).is_err());
        assert_eq!(parse(&format!("# c\n\n01 {k}\n")).unwrap().len(), 1);
    }
}
