//! The event issuing key: Ed25519 (RFC 8032). Codes signed with it verify
//! with its public key alone, so a gate that holds only public keys checks
//! every pass and mints none. The private seeds live in memory only, in a
//! signed-in admin's session (`Issuer`), unsealed from that admin's key
//! slot (`keyslot`).

use std::sync::Arc;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use zeroize::Zeroizing;

use super::keys::valid_key_id;

pub const SEED_LEN: usize = 32;
pub const PUBLIC_LEN: usize = 32;
pub const SIG_LEN: usize = 64;

/// An issuing key's id and public key: ledger data, shown by `key public`.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuingPublic {
    pub key_id: String,
    key: VerifyingKey,
}

impl std::fmt::Debug for IssuingPublic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IssuingPublic({} {})", self.key_id, self.to_hex())
    }
}

impl IssuingPublic {
    /// A stored public key: None for a bad id, bad hex, a point off the
    /// curve or a weak (small-order) key, which would accept forgeries.
    pub fn from_hex(key_id: &str, hex: &str) -> Option<IssuingPublic> {
        if !valid_key_id(key_id) {
            return None;
        }
        let bytes = super::ledger::from_hex(hex)?;
        let key = VerifyingKey::from_bytes(&bytes).ok().filter(|k| !k.is_weak())?;
        Some(IssuingPublic { key_id: key_id.to_string(), key })
    }

    pub fn bytes(&self) -> [u8; PUBLIC_LEN] {
        self.key.to_bytes()
    }

    pub fn to_hex(&self) -> String {
        super::ledger::to_hex(&self.key.to_bytes())
    }

    /// Strict verification: no malleable or small-order signatures.
    pub fn verify(&self, message: &[u8], sig: &[u8; SIG_LEN]) -> bool {
        self.key.verify_strict(message, &Signature::from_bytes(sig)).is_ok()
    }
}

/// Check many signatures by one key at once: ed25519-dalek's batch
/// equation, with random weights drawn from a transcript of the inputs,
/// about twice as fast per signature as one by one. False if any fails (a
/// caller then checks them one by one, strictly, to name the bad one).
pub fn verify_batch(public: &IssuingPublic, messages: &[&[u8]], sigs: &[[u8; SIG_LEN]]) -> bool {
    if messages.len() != sigs.len() {
        return false;
    }
    let sigs: Vec<Signature> = sigs.iter().map(Signature::from_bytes).collect();
    let keys = vec![public.key; sigs.len()];
    ed25519_dalek::verify_batch(messages, &sigs, &keys).is_ok()
}

/// The next free issuing key id: `E1`, `E2`, ... (then `F0`, ...). Key
/// files never hand out ids starting with E or later letters before
/// hundreds of rotations, and `keyfile` skips them outright.
pub fn next_key_id<'a>(taken: impl Iterator<Item = &'a str>) -> Option<String> {
    const A: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let used: Vec<&str> = taken.collect();
    let start = A.iter().position(|&c| c == b'E').unwrap_or(0) * A.len() + 1;
    (start..A.len() * A.len())
        .map(|n| format!("{}{}", A[n / A.len()] as char, A[n % A.len()] as char))
        .find(|id| !used.contains(&id.as_str()))
}

/// Whether an id is in the issuing keys' range (see `next_key_id`).
pub fn is_issuing_id(id: &str) -> bool {
    id.as_bytes().first().is_some_and(|c| *c >= b'E' && c.is_ascii_uppercase())
}

/// A fresh seed from the OS.
pub fn generate() -> Result<SigningKey, getrandom::Error> {
    let mut seed = Zeroizing::new([0u8; SEED_LEN]);
    getrandom::fill(seed.as_mut())?;
    Ok(SigningKey::from_bytes(&seed))
}

/// The issuing seeds an admin's session holds, oldest first: in memory
/// only (the keys zeroize on drop), never printed, never serialized.
#[derive(Clone)]
pub struct Issuer {
    keys: Arc<Vec<(String, SigningKey)>>,
}

impl std::fmt::Debug for Issuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("Issuer").field("ids", &ids).finish()
    }
}

/// Two sessions are the same when they hold the same key ids.
impl PartialEq for Issuer {
    fn eq(&self, other: &Issuer) -> bool {
        self.keys.iter().map(|(i, _)| i).eq(other.keys.iter().map(|(i, _)| i))
    }
}
impl Eq for Issuer {}

/// One slot entry: two id bytes, then the 32-byte seed.
const ENTRY: usize = 2 + SEED_LEN;

impl Issuer {
    pub fn new(id: &str, key: SigningKey) -> Issuer {
        Issuer { keys: Arc::new(vec![(id.to_string(), key)]) }
    }

    /// This session with one more key (replacing one of the same id).
    pub fn with(&self, id: &str, key: SigningKey) -> Issuer {
        let mut keys: Vec<(String, SigningKey)> = self.keys.iter().filter(|(i, _)| i != id).cloned().collect();
        keys.push((id.to_string(), key));
        Issuer { keys: Arc::new(keys) }
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|(i, _)| i.as_str())
    }

    pub fn holds(&self, id: &str) -> bool {
        self.keys.iter().any(|(i, _)| i == id)
    }

    pub fn public(&self, id: &str) -> Option<IssuingPublic> {
        self.keys.iter().find(|(i, _)| i == id).map(|(i, k)| IssuingPublic { key_id: i.clone(), key: k.verifying_key() })
    }

    /// Sign with key `id`; None when this session does not hold it.
    pub fn sign(&self, id: &str, message: &[u8]) -> Option<[u8; SIG_LEN]> {
        self.keys.iter().find(|(i, _)| i == id).map(|(_, k)| k.sign(message).to_bytes())
    }

    /// The bytes a key slot seals: `ID SEED` per key, no separators.
    pub fn to_plain(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(self.keys.len() * ENTRY));
        for (id, k) in self.keys.iter() {
            out.extend_from_slice(id.as_bytes());
            out.extend_from_slice(k.as_bytes());
        }
        out
    }

    /// Read back what `to_plain` wrote; None if it is not whole entries.
    pub fn from_plain(plain: &[u8]) -> Option<Issuer> {
        if plain.is_empty() || !plain.len().is_multiple_of(ENTRY) {
            return None;
        }
        let mut keys = Vec::with_capacity(plain.len() / ENTRY);
        for e in plain.chunks_exact(ENTRY) {
            let id = std::str::from_utf8(&e[..2]).ok().filter(|i| valid_key_id(i))?;
            let mut seed = Zeroizing::new([0u8; SEED_LEN]);
            seed.copy_from_slice(&e[2..]);
            keys.push((id.to_string(), SigningKey::from_bytes(&seed)));
        }
        Some(Issuer { keys: Arc::new(keys) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_plain_round_trip() {
        assert_eq!(next_key_id(["01", "02"].into_iter()).as_deref(), Some("E1"));
        assert_eq!(next_key_id(["E1", "E2"].into_iter()).as_deref(), Some("E3"));
        assert!(is_issuing_id("E1") && !is_issuing_id("01") && !is_issuing_id("0Z"));
        let a = Issuer::new("E1", generate().unwrap()).with("E2", generate().unwrap());
        let back = Issuer::from_plain(&a.to_plain()).unwrap();
        assert_eq!(back, a);
        assert_eq!(back.public("E2"), a.public("E2"));
        let sig = back.sign("E1", b"m").unwrap();
        assert!(a.public("E1").unwrap().verify(b"m", &sig));
        assert!(!a.public("E2").unwrap().verify(b"m", &sig));
        let msgs: Vec<Vec<u8>> = (0..10u8).map(|i| vec![i; 32]).collect();
        let mut sigs: Vec<[u8; SIG_LEN]> = msgs.iter().map(|m| a.sign("E1", m).unwrap()).collect();
        let refs: Vec<&[u8]> = msgs.iter().map(Vec::as_slice).collect();
        let e1 = a.public("E1").unwrap();
        assert!(verify_batch(&e1, &refs, &sigs));
        sigs[7][0] ^= 1;
        assert!(!verify_batch(&e1, &refs, &sigs));
        assert!(Issuer::from_plain(&[0u8; 33]).is_none());
        assert!(!format!("{a:?}").contains(&super::super::ledger::to_hex(&a.to_plain()[2..34])));
    }

    #[test]
    fn public_keys_are_checked() {
        let k = Issuer::new("E1", generate().unwrap()).public("E1").unwrap();
        assert_eq!(IssuingPublic::from_hex("E1", &k.to_hex()), Some(k.clone()));
        assert!(IssuingPublic::from_hex("EU", &k.to_hex()).is_none());
        // The identity point is a weak key: it would accept a forged signature.
        let identity = format!("01{}", "00".repeat(31));
        assert!(IssuingPublic::from_hex("E1", &identity).is_none());
    }
}
