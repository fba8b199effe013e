//! The HMAC key ring. Each key has a short id carried in every payload and
//! ledger block, so a new key can be added while old passes keep verifying.
//! Purpose-specific sub-keys keep payload tags and ledger signatures apart.
//! The ring also holds the event's Ed25519 issuing public keys (from the
//! event database), which verify codes but cannot sign them.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::device::{DeviceKey, DevicePublic};
use super::issuing::IssuingPublic;

pub type HmacSha256 = Hmac<Sha256>;

pub const KEY_LEN: usize = 32;

/// A key id: two characters of the payload alphabet.
pub fn valid_key_id(id: &str) -> bool {
    id.len() == 2 && id.bytes().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()) && !id.contains(['I', 'L', 'O', 'U'])
}

#[derive(Clone)]
struct Entry {
    id: String,
    payload_mac: HmacSha256,
    ledger_mac: HmacSha256,
}

/// Keys in the order they were added; the last one signs new material.
#[derive(Clone)]
pub struct KeyRing {
    entries: Vec<Entry>,
    /// Issuing public keys, oldest first; the last one signs new codes.
    issuing: Vec<IssuingPublic>,
    /// An enrolled gate's own device key: it signs this station's blocks.
    device: Option<std::sync::Arc<DeviceKey>>,
    /// Enrolled gates' public keys, as the gates table last gave them.
    gates: Vec<DevicePublic>,
}

impl std::fmt::Debug for KeyRing {
    // Never print key material, not even in a debug log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.entries.iter().map(|e| e.id.as_str()).collect();
        let issuing: Vec<&str> = self.issuing.iter().map(|k| k.key_id.as_str()).collect();
        let device = self.device.as_ref().map(|d| d.key_id());
        f.debug_struct("KeyRing").field("ids", &ids).field("issuing", &issuing).field("device", &device).finish()
    }
}

fn subkey(master: &[u8; KEY_LEN], purpose: &[u8]) -> HmacSha256 {
    let mut m = HmacSha256::new_from_slice(master).expect("HMAC takes any key length"); // ok: infallible for HMAC
    m.update(b"gatehouse/v1/");
    m.update(purpose);
    let derived = m.finalize().into_bytes();
    HmacSha256::new_from_slice(&derived).expect("HMAC takes any key length") // ok: infallible for HMAC
}

impl KeyRing {
    /// Build from (id, key) pairs, oldest first. Callers check ids are unique.
    pub fn new(keys: &[(String, [u8; KEY_LEN])]) -> Option<KeyRing> {
        if keys.is_empty() {
            return None;
        }
        let entries = keys
            .iter()
            .map(|(id, k)| Entry { id: id.clone(), payload_mac: subkey(k, b"payload"), ledger_mac: subkey(k, b"ledger") })
            .collect();
        Some(KeyRing { entries, issuing: Vec::new(), device: None, gates: Vec::new() })
    }

    /// An enrolled gate's ring: its device key and no HMAC key at all, so
    /// nothing on the gate can mint an HMAC code or seal a block as another.
    pub fn for_device(device: DeviceKey) -> KeyRing {
        KeyRing { entries: Vec::new(), issuing: Vec::new(), device: Some(std::sync::Arc::new(device)), gates: Vec::new() }
    }

    /// This key-file ring with a device key that signs its blocks (the
    /// benchmark's ledger of Ed25519 blocks; payloads stay HMAC).
    pub fn with_device(mut self, device: DeviceKey) -> KeyRing {
        self.device = Some(std::sync::Arc::new(device));
        self
    }

    pub fn device(&self) -> Option<&DeviceKey> {
        self.device.as_deref()
    }

    /// Whether this station holds an HMAC key file (else it is an enrolled
    /// gate that can check HMAC signatures of no block or code).
    pub fn has_hmac(&self) -> bool {
        !self.entries.is_empty()
    }

    /// Replace the enrolled gates' public keys (the gates table's rows).
    pub fn set_gates(&mut self, gates: Vec<DevicePublic>) {
        self.gates = gates;
    }

    /// The public key a device key id names: an enrolled gate's, or this
    /// station's own.
    pub fn gate_key(&self, key_id: &str) -> Option<DevicePublic> {
        self.gates.iter().find(|g| g.key_id == key_id).cloned().or_else(|| {
            let d = self.device.as_ref().filter(|d| d.key_id() == key_id)?;
            Some(DevicePublic::of(d, ""))
        })
    }

    pub fn generate_key() -> Result<[u8; KEY_LEN], getrandom::Error> {
        let mut k = [0u8; KEY_LEN];
        getrandom::fill(&mut k)?;
        Ok(k)
    }

    /// The key new HMAC material names: the newest HMAC key, or on an
    /// enrolled gate its device key (whose `ledger_mac` is its own).
    pub fn active_id(&self) -> &str {
        match (self.entries.last(), &self.device) {
            (Some(e), _) => &e.id,
            (None, Some(d)) => d.key_id(),
            (None, None) => "",
        }
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.id.as_str())
    }

    fn entry(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// A keyed MAC for payload tags, ready to `update`; None for an unknown id.
    pub fn payload_mac(&self, id: &str) -> Option<HmacSha256> {
        self.entry(id).map(|e| e.payload_mac.clone())
    }

    /// The ledger MAC of an HMAC key; for this gate's device key id, a MAC
    /// key of the device's own (it seals what only this gate reads back).
    pub fn ledger_mac(&self, id: &str) -> Option<HmacSha256> {
        if let Some(d) = self.device.as_ref().filter(|d| d.key_id() == id) {
            return HmacSha256::new_from_slice(d.local_mac_key().as_ref()).ok();
        }
        self.entry(id).map(|e| e.ledger_mac.clone())
    }

    /// The keyed MAC for fingerprints of personal data in blocks that name
    /// key `id`. An issuing key has no secret a gate holds, so its codes'
    /// fingerprints use the oldest HMAC key, which every key file keeps.
    pub fn fingerprint_mac(&self, id: &str) -> Option<HmacSha256> {
        match self.entry(id) {
            Some(e) => Some(e.ledger_mac.clone()),
            None if self.issuing(id).is_some() => self.entries.first().map(|e| e.ledger_mac.clone()),
            None => None,
        }
    }

    /// Replace the issuing public keys (oldest first). A key whose id an
    /// HMAC key has already is left out: an id names one key.
    pub fn set_issuing(&mut self, keys: Vec<IssuingPublic>) {
        self.issuing = keys.into_iter().filter(|k| self.entry(&k.key_id).is_none()).collect();
    }

    pub fn issuing(&self, id: &str) -> Option<&IssuingPublic> {
        self.issuing.iter().find(|k| k.key_id == id)
    }

    pub fn issuing_keys(&self) -> &[IssuingPublic] {
        &self.issuing
    }

    /// The key new codes are signed with: the newest issuing key once the
    /// event has one, else the active HMAC key.
    pub fn code_key(&self) -> &str {
        self.issuing.last().map_or_else(|| self.active_id(), |k| k.key_id.as_str())
    }
}
