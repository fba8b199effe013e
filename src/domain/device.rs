//! A gate's own device key (Ed25519): made on the gate when it enrols,
//! never leaving it. The gate signs its ledger blocks with it (over the
//! block hash); its public half is in the ledger's `gate_enrol` block and
//! the gates table, so any station checks a block against the gate it names.
//! A stolen gate can then forge blocks only as itself, and `gate revoke`
//! disowns them from the revocation on.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::issuing::{PUBLIC_LEN, SEED_LEN, SIG_LEN};

/// Block key ids of device keys start with this; HMAC ids are two
/// characters, so the two can never be confused.
const PREFIX: &str = "D-";

/// The key id a device key's blocks carry: `D-` and 16 hex digits of the
/// public key's SHA-256.
pub fn key_id_of(public: &[u8; PUBLIC_LEN]) -> String {
    let h = Sha256::digest(public);
    format!("{PREFIX}{}", &super::ledger::to_hex(&h)[..16])
}

pub fn is_device_id(id: &str) -> bool {
    id.starts_with(PREFIX)
}

/// This gate's signing key: in memory and in its own 0600 file only.
pub struct DeviceKey {
    key_id: String,
    key: SigningKey,
}

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DeviceKey({})", self.key_id)
    }
}

impl DeviceKey {
    pub fn generate() -> Result<DeviceKey, getrandom::Error> {
        let mut seed = Zeroizing::new([0u8; SEED_LEN]);
        getrandom::fill(seed.as_mut())?;
        Ok(DeviceKey::from_seed(&seed))
    }

    pub fn from_seed(seed: &[u8; SEED_LEN]) -> DeviceKey {
        let key = SigningKey::from_bytes(seed);
        DeviceKey { key_id: key_id_of(&key.verifying_key().to_bytes()), key }
    }

    /// The seed, for the device key file only.
    pub fn seed(&self) -> Zeroizing<[u8; SEED_LEN]> {
        Zeroizing::new(self.key.to_bytes())
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    pub fn public(&self) -> [u8; PUBLIC_LEN] {
        self.key.verifying_key().to_bytes()
    }

    pub fn public_hex(&self) -> String {
        super::ledger::to_hex(&self.public())
    }

    pub fn sign(&self, message: &[u8]) -> [u8; SIG_LEN] {
        self.key.sign(message).to_bytes()
    }

    /// A MAC key of this device's own (account seals on its replica),
    /// derived so that it is never the signing seed itself.
    pub fn local_mac_key(&self) -> Zeroizing<[u8; 32]> {
        let mut h = Sha256::new();
        h.update(b"gatehouse/device/local-mac/v1");
        h.update(self.key.to_bytes());
        Zeroizing::new(h.finalize().into())
    }
}

/// An enrolled gate's public key, as the ledger and the gates table hold it.
#[derive(Clone, PartialEq, Eq)]
pub struct DevicePublic {
    pub key_id: String,
    pub gate: String,
    key: VerifyingKey,
    /// Revoked: blocks it signs are no longer this event's.
    pub revoked: bool,
}

impl std::fmt::Debug for DevicePublic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DevicePublic({} {:?}{})", self.key_id, self.gate, if self.revoked { " revoked" } else { "" })
    }
}

impl DevicePublic {
    /// None for bad hex, a point off the curve, a weak key, or a key id
    /// that is not this key's.
    pub fn from_hex(key_id: &str, gate: &str, hex: &str) -> Option<DevicePublic> {
        let bytes = super::ledger::from_hex(hex)?;
        let key = VerifyingKey::from_bytes(&bytes).ok().filter(|k| !k.is_weak())?;
        (key_id_of(&bytes) == key_id).then(|| DevicePublic { key_id: key_id.to_string(), gate: gate.to_string(), key, revoked: false })
    }

    pub fn of(d: &DeviceKey, gate: &str) -> DevicePublic {
        DevicePublic { key_id: d.key_id.clone(), gate: gate.to_string(), key: d.key.verifying_key(), revoked: false }
    }

    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.key
    }

    /// Strict verification, as for issuing keys.
    pub fn verify(&self, message: &[u8], sig: &[u8; SIG_LEN]) -> bool {
        self.key.verify_strict(message, &Signature::from_bytes(sig)).is_ok()
    }
}

/// A one-time enrolment token's stored form: SHA-256 hex of its text, so
/// the database never holds a token that still works.
pub fn token_hash(token: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"gatehouse/enrol-token/v1\0");
    h.update(token.trim().as_bytes());
    super::ledger::to_hex(&h.finalize())
}

/// A fresh token: `GT-` and 32 base32 characters (160 bits), easy to read
/// out and to type; `GR-` when it also carries the gate's own database
/// role (`db_credential`).
pub fn new_token(with_role: bool) -> Result<String, getrandom::Error> {
    let mut b = [0u8; 20];
    getrandom::fill(&mut b)?;
    Ok(format!("{}-{}", if with_role { "GR" } else { "GT" }, super::base32::encode(&b)))
}

/// The database role a `GR-` token carries, and its password: both derived
/// from the token, so the token is all the new gate needs, and the database
/// keeps only the server's own verifier of the password.
pub fn db_credential(token: &str) -> Option<(String, Zeroizing<String>)> {
    let token = token.trim();
    if !token.starts_with("GR-") {
        return None;
    }
    let derive = |purpose: &[u8]| {
        let mut h = Sha256::new();
        h.update(purpose);
        h.update(token.as_bytes());
        super::ledger::to_hex(&h.finalize())
    };
    let role = format!("gh_gate_{}", &derive(b"gatehouse/gate-db-role/v1\0")[..16]);
    Some((role, Zeroizing::new(derive(b"gatehouse/gate-db-password/v1\0"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_key_signs_what_its_public_half_verifies() {
        let d = DeviceKey::from_seed(&[9u8; 32]);
        let p = DevicePublic::from_hex(d.key_id(), "Gate B", &d.public_hex()).unwrap();
        let sig = d.sign(b"block hash");
        assert!(p.verify(b"block hash", &sig));
        assert!(!p.verify(b"another hash", &sig));
        assert!(is_device_id(d.key_id()) && !is_device_id("01"));
        // An id that is not the key's is refused.
        assert!(DevicePublic::from_hex("D-0000000000000000", "Gate B", &d.public_hex()).is_none());
    }

    #[test]
    fn tokens_are_stored_hashed() {
        let t = new_token(false).unwrap();
        assert!(t.starts_with("GT-") && t.len() == 35, "{t}");
        assert!(db_credential(&t).is_none());
        let r = new_token(true).unwrap();
        let (role, pw) = db_credential(&r).unwrap();
        assert!(role.starts_with("gh_gate_") && role.len() == 24 && pw.len() == 64);
        assert_ne!(db_credential(&new_token(true).unwrap()).unwrap().0, role);
        assert_eq!(token_hash(&t), token_hash(&format!(" {t}\n")));
        assert_ne!(token_hash(&t), token_hash("GT-other"));
    }
}
