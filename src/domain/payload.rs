//! The QR payload: compact, versioned, signed text.
//!
//! `GH1-P-01-<ID>-<TAG>`: format version, kind (P pass, R resident), key id,
//! the UUID and a 128-bit HMAC-SHA256 tag, both in upper-case Crockford
//! base32. Only A-Z, 0-9 and `-`: QR alphanumeric mode, and nothing a
//! keyboard-wedge scanner on a non-US layout is known to mangle (no `+/=`).
//! 62 characters fit QR version 4 even at error correction Q.
//!
//! `GH2-P-E1-<ID>-<SIG>`: the same fields with a 64-byte Ed25519 signature
//! of `GH2 ‖ kind letter ‖ key id ‖ the UUID's 16 bytes` (22 bytes), which
//! anyone holding the event's public key can check (README, "Payload
//! format"). 139 characters: QR version 8 at Q.

use hmac::Mac;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::base32;
use super::issuing::{Issuer, SIG_LEN};
use super::keys::{KeyRing, valid_key_id};

/// HMAC-SHA256 codes.
pub const VERSION: &str = "GH1";
/// Ed25519 codes.
pub const VERSION_ED25519: &str = "GH2";
pub const MAX_LEN: usize = 512;
const TAG_LEN: usize = 16;

/// What vouches for a payload: a shared-key tag or a public-key signature.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seal {
    Hmac([u8; TAG_LEN]),
    Ed25519(Box<[u8; SIG_LEN]>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    Pass,
    Resident,
}

impl Kind {
    fn letter(self) -> char {
        match self {
            Kind::Pass => 'P',
            Kind::Resident => 'R',
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    pub kind: Kind,
    pub key_id: String,
    pub id: Uuid,
    seal: Seal,
}

/// Why a payload could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Malformed {
    #[error("empty payload")]
    Empty,
    #[error("payload longer than {MAX_LEN} bytes")]
    TooLong,
    #[error("not a gatehouse code")]
    NotOurs,
    #[error("unsupported payload version {0}")]
    Version(String),
    #[error("unknown kind {0:?}")]
    Kind(String),
    #[error("bad key id")]
    KeyId,
    #[error("bad id field")]
    Id,
    #[error("bad signature field")]
    Tag,
}

/// Why a well-formed payload is not ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Forged {
    #[error("unknown key id {0}")]
    UnknownKey(String),
    #[error("signature does not match")]
    BadTag,
}

/// The bytes an Ed25519 code signs: version, kind letter, key id, UUID.
pub fn signed_message(kind: Kind, key_id: &str, id: &Uuid) -> Vec<u8> {
    let mut m = Vec::with_capacity(22);
    m.extend_from_slice(VERSION_ED25519.as_bytes());
    m.push(kind.letter() as u8);
    m.extend_from_slice(key_id.as_bytes());
    m.extend_from_slice(id.as_bytes());
    m
}

/// Sign with issuing key `key_id` of an admin's session; None if the
/// session does not hold it.
pub fn encode_ed25519(issuer: &Issuer, key_id: &str, kind: Kind, id: &Uuid) -> Option<String> {
    let sig = issuer.sign(key_id, &signed_message(kind, key_id, id))?;
    Some(format!("{VERSION_ED25519}-{}-{key_id}-{}-{}", kind.letter(), base32::encode(id.as_bytes()), base32::encode(&sig)))
}

fn tag_input(mac: &mut super::keys::HmacSha256, kind: Kind, key_id: &str, id: &Uuid) {
    mac.update(VERSION.as_bytes());
    mac.update(&[kind.letter() as u8]);
    mac.update(key_id.as_bytes());
    mac.update(id.as_bytes());
}

/// Sign `id` with the ring's active key and return the payload text.
pub fn encode(keys: &KeyRing, kind: Kind, id: &Uuid) -> String {
    encode_with(keys, keys.active_id(), kind, id).unwrap_or_default()
}

/// Sign with a named key; None if the ring has no such key.
pub fn encode_with(keys: &KeyRing, key_id: &str, kind: Kind, id: &Uuid) -> Option<String> {
    let mut mac = keys.payload_mac(key_id)?;
    tag_input(&mut mac, kind, key_id, id);
    let full = mac.finalize().into_bytes();
    Some(format!("{VERSION}-{}-{key_id}-{}-{}", kind.letter(), base32::encode(id.as_bytes()), base32::encode(&full[..TAG_LEN])))
}

/// Parse without trusting anything. Never panics; rejects long input before
/// looking at it. Scanner noise around the code (CR, LF, Tab, spaces) and
/// lower case from a stuck Caps Lock are tolerated.
pub fn parse(raw: &[u8]) -> Result<Payload, Malformed> {
    if raw.len() > MAX_LEN {
        return Err(Malformed::TooLong);
    }
    let text = std::str::from_utf8(raw).map_err(|_| Malformed::NotOurs)?.trim();
    if text.is_empty() {
        return Err(Malformed::Empty);
    }
    let parts: Vec<&str> = text.split('-').collect();
    let [ver, kind, kid, id, tag] = parts.as_slice() else {
        // Compare bytes: a slice of `text` could fall inside a UTF-8 character.
        return Err(if text.as_bytes().get(..3).is_some_and(|b| b.eq_ignore_ascii_case(VERSION.as_bytes())) {
            Malformed::Id
        } else {
            Malformed::NotOurs
        });
    };
    let ed25519 = ver.eq_ignore_ascii_case(VERSION_ED25519);
    if !ed25519 && !ver.eq_ignore_ascii_case(VERSION) {
        if ver.len() == 3 && ver.as_bytes()[..2].eq_ignore_ascii_case(b"GH") {
            return Err(Malformed::Version(ver.to_ascii_uppercase()));
        }
        return Err(Malformed::NotOurs);
    }
    let kind = match kind.to_ascii_uppercase().as_str() {
        "P" => Kind::Pass,
        "R" => Kind::Resident,
        _ => return Err(Malformed::Kind(kind.chars().take(8).collect())),
    };
    let key_id = kid.to_ascii_uppercase();
    if !valid_key_id(&key_id) {
        return Err(Malformed::KeyId);
    }
    let id_bytes = base32::decode_exact(id, 16).ok_or(Malformed::Id)?;
    let id = Uuid::from_slice(&id_bytes).map_err(|_| Malformed::Id)?;
    let seal = if ed25519 {
        let bytes = base32::decode_exact(tag, SIG_LEN).ok_or(Malformed::Tag)?;
        let mut sig = Box::new([0u8; SIG_LEN]);
        sig.copy_from_slice(&bytes);
        Seal::Ed25519(sig)
    } else {
        let bytes = base32::decode_exact(tag, TAG_LEN).ok_or(Malformed::Tag)?;
        let mut t = [0u8; TAG_LEN];
        t.copy_from_slice(&bytes);
        Seal::Hmac(t)
    };
    Ok(Payload { kind, key_id, id, seal })
}

impl Payload {
    /// Check the tag in constant time (hmac's `verify_truncated_left`), or
    /// the Ed25519 signature with the issuing public key alone (strict). A
    /// GH1 code names an HMAC key and a GH2 code an issuing key; either
    /// naming the other kind is an unknown key.
    pub fn verify(&self, keys: &KeyRing) -> Result<(), Forged> {
        let unknown = || Forged::UnknownKey(self.key_id.clone());
        match &self.seal {
            Seal::Hmac(tag) => {
                let mut mac = keys.payload_mac(&self.key_id).ok_or_else(unknown)?;
                tag_input(&mut mac, self.kind, &self.key_id, &self.id);
                mac.verify_truncated_left(tag).map_err(|_| Forged::BadTag)
            }
            Seal::Ed25519(sig) => {
                let public = keys.issuing(&self.key_id).ok_or_else(unknown)?;
                let ok = public.verify(&signed_message(self.kind, &self.key_id, &self.id), sig);
                if ok { Ok(()) } else { Err(Forged::BadTag) }
            }
        }
    }

    /// A GH2 code: its key may be one another station added since this
    /// ring was loaded, worth a fresh look at the event's keys.
    pub fn is_ed25519(&self) -> bool {
        matches!(self.seal, Seal::Ed25519(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring() -> KeyRing {
        KeyRing::new(&[("01".into(), [7u8; 32]), ("02".into(), [9u8; 32])]).unwrap()
    }

    #[test]
    fn round_trip_and_alphabet() {
        let keys = ring();
        let id = Uuid::new_v4();
        let p = encode(&keys, Kind::Pass, &id);
        assert_eq!(p.len(), 62);
        assert!(p.bytes().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'-'));
        let parsed = parse(p.as_bytes()).unwrap();
        assert_eq!((parsed.kind, parsed.id, parsed.key_id.as_str()), (Kind::Pass, id, "02"));
        parsed.verify(&keys).unwrap();
        // Scanner suffixes and Caps Lock are tolerated.
        let noisy = format!("  {}\r\n", p.to_lowercase());
        parse(noisy.as_bytes()).unwrap().verify(&keys).unwrap();
    }

    #[test]
    fn old_key_still_verifies_after_rotation() {
        let old = KeyRing::new(&[("01".into(), [7u8; 32])]).unwrap();
        let id = Uuid::new_v4();
        let p = encode(&old, Kind::Resident, &id);
        parse(p.as_bytes()).unwrap().verify(&ring()).unwrap();
    }

    #[test]
    fn forged_and_malformed() {
        let keys = ring();
        let id = Uuid::new_v4();
        let p = encode(&keys, Kind::Pass, &id);
        // Changing the kind keeps the format but breaks the tag.
        let swapped = p.replacen("-P-", "-R-", 1);
        assert_eq!(parse(swapped.as_bytes()).unwrap().verify(&keys), Err(Forged::BadTag));
        let other_key = p.replacen("-02-", "-03-", 1);
        assert!(matches!(parse(other_key.as_bytes()).unwrap().verify(&keys), Err(Forged::UnknownKey(_))));
        let cases: [(&[u8], Malformed); 6] = [
            (b"", Malformed::Empty),
            (b"hello world", Malformed::NotOurs),
            (b"GH3-P-01-AAAA-BBBB", Malformed::Version("GH3".into())),
            (b"GH1-X-01-A-B", Malformed::Kind("X".into())),
            (b"GH1-P-0U-A-B", Malformed::KeyId),
            (&[0xff, 0xfe, 0x00], Malformed::NotOurs),
        ];
        for (raw, want) in cases {
            assert_eq!(parse(raw), Err(want), "{raw:?}");
        }
        assert_eq!(parse(&vec![b'A'; 513]), Err(Malformed::TooLong));
        // Found by cargo fuzz: multi-byte characters where the version sits.
        for s in ["aaé", "éé", "Gé-P-01-A-B", "\u{1a}\u{2b}\u{30a}"] {
            assert_eq!(parse(s.as_bytes()), Err(Malformed::NotOurs), "{s:?}");
        }
    }

    #[test]
    fn every_single_bit_flip_is_rejected() {
        let keys = ring();
        let p = encode(&keys, Kind::Pass, &Uuid::new_v4());
        let bytes = p.as_bytes();
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut b = bytes.to_vec();
                b[i] ^= 1 << bit;
                let ok = parse(&b).ok().filter(|pl| pl.verify(&keys).is_ok());
                // A flip that only changes letter case is the same code.
                if let Some(pl) = ok {
                    assert!(b.eq_ignore_ascii_case(bytes) || b[i] == b'\t' || b[i] == b' ', "accepted flip at {i}:{bit} -> {pl:?}");
                }
            }
        }
    }

    fn ed_ring() -> (KeyRing, Issuer) {
        let issuer = Issuer::new("E1", crate::domain::issuing::generate().unwrap());
        let mut keys = ring();
        keys.set_issuing(vec![issuer.public("E1").unwrap()]);
        (keys, issuer)
    }

    #[test]
    fn ed25519_round_trip_and_alphabet() {
        let (keys, issuer) = ed_ring();
        assert_eq!(keys.code_key(), "E1");
        let id = Uuid::new_v4();
        let p = encode_ed25519(&issuer, "E1", Kind::Pass, &id).unwrap();
        assert_eq!(p.len(), 139);
        assert!(p.starts_with("GH2-P-E1-"));
        assert!(p.bytes().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'-'));
        let parsed = parse(p.as_bytes()).unwrap();
        assert!(parsed.is_ed25519());
        parsed.verify(&keys).unwrap();
        parse(format!(" {}\r\n", p.to_lowercase()).as_bytes()).unwrap().verify(&keys).unwrap();
        // The public key alone verifies: a ring with no HMAC key of this id.
        let mut other = KeyRing::new(&[("01".into(), [1u8; 32])]).unwrap();
        other.set_issuing(vec![issuer.public("E1").unwrap()]);
        parse(p.as_bytes()).unwrap().verify(&other).unwrap();
        // HMAC codes keep verifying beside it.
        parse(encode(&keys, Kind::Pass, &id).as_bytes()).unwrap().verify(&keys).unwrap();
    }

    #[test]
    fn ed25519_forgeries() {
        let (keys, issuer) = ed_ring();
        let id = Uuid::new_v4();
        let p = encode_ed25519(&issuer, "E1", Kind::Pass, &id).unwrap();
        let as_resident = p.replacen("-P-", "-R-", 1);
        assert_eq!(parse(as_resident.as_bytes()).unwrap().verify(&keys), Err(Forged::BadTag));
        let other_id = encode_ed25519(&issuer, "E1", Kind::Pass, &Uuid::new_v4()).unwrap();
        let swapped = format!("{}{}", &p[..36], &other_id[36..]);
        assert_eq!(parse(swapped.as_bytes()).unwrap().verify(&keys), Err(Forged::BadTag));
        // A GH2 code naming an HMAC key, or a GH1 code naming the issuing key.
        assert!(matches!(parse(p.replacen("-E1-", "-02-", 1).as_bytes()).unwrap().verify(&keys), Err(Forged::UnknownKey(_))));
        let hmac = encode(&keys, Kind::Pass, &id).replacen("-02-", "-E1-", 1);
        assert!(matches!(parse(hmac.as_bytes()).unwrap().verify(&keys), Err(Forged::UnknownKey(_))));
        // Another key pair under the same id.
        let thief = Issuer::new("E1", crate::domain::issuing::generate().unwrap());
        let minted = encode_ed25519(&thief, "E1", Kind::Pass, &id).unwrap();
        assert_eq!(parse(minted.as_bytes()).unwrap().verify(&keys), Err(Forged::BadTag));
        // Every single-bit flip is refused or is the same code.
        let bytes = p.as_bytes();
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut b = bytes.to_vec();
                b[i] ^= 1 << bit;
                if parse(&b).ok().filter(|pl| pl.verify(&keys).is_ok()).is_some() {
                    assert!(b.eq_ignore_ascii_case(bytes) || b[i] == b'\t' || b[i] == b' ', "accepted flip at {i}:{bit}");
                }
            }
        }
    }
}
