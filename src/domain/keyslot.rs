//! Key slots: an admin's issuing seeds sealed under that admin's password,
//! one slot per admin, the way disk encryption keeps one slot per
//! passphrase. The key is argon2id(password, salt); the seal is
//! XChaCha20-Poly1305 with a random 24-byte nonce, bound to the username
//! (associated data), so a slot copied onto another account never opens.
//!
//! Stored as text: `ghslot1$m=65536,t=3,p=1$SALT$NONCE$SEALED` (hex).
//! The cost is in the slot, so a slot always opens with the cost it was
//! sealed with, and a cheaper test cost is visible in the row.

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use super::ledger::to_hex;

const TAG: &str = "ghslot1";
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 24;
const AAD: &[u8] = b"gatehouse key slot v1\0";

/// Argon2id's memory (KiB), passes and lanes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfCost {
    pub m_kib: u32,
    pub t: u32,
    pub p: u32,
}

impl KdfCost {
    /// RFC 9106's second recommended option's memory and passes (64 MiB,
    /// t=3), one lane: about a quarter second here, like bcrypt's cost 12.
    pub const STANDARD: KdfCost = KdfCost { m_kib: 64 * 1024, t: 3, p: 1 };
    /// For test suites only, chosen explicitly (GATEHOUSE_TEST_KDF=cheap);
    /// every slot sealed with it says so in its row.
    pub const TEST: KdfCost = KdfCost { m_kib: 256, t: 1, p: 1 };

    /// Bounds a stored slot must keep: a planted slot cannot make a
    /// sign-in allocate gigabytes or spin for minutes.
    fn sane(self) -> bool {
        (8..=1024 * 1024).contains(&self.m_kib) && (1..=16).contains(&self.t) && (1..=8).contains(&self.p)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlotError {
    /// The wrong password, or a slot altered or moved to another user.
    #[error("the key slot does not open with this password")]
    WrongPassword,
    #[error("the key slot is not in a format this gatehouse reads")]
    Format,
    #[error("no randomness from the OS")]
    Random,
}

fn derive(password: &str, salt: &[u8], cost: KdfCost) -> Result<Zeroizing<[u8; 32]>, SlotError> {
    let params = Params::new(cost.m_kib, cost.t, cost.p, Some(32)).map_err(|_| SlotError::Format)?;
    let mut key = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(password.as_bytes(), salt, key.as_mut())
        .map_err(|_| SlotError::Format)?;
    Ok(key)
}

fn aad(username: &str) -> Vec<u8> {
    [AAD, username.as_bytes()].concat()
}

/// Seal `plain` for `username` under `password`.
pub fn seal(plain: &[u8], username: &str, password: &str, cost: KdfCost) -> Result<String, SlotError> {
    let mut salt = [0u8; SALT_LEN];
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut salt).and_then(|_| getrandom::fill(&mut nonce)).map_err(|_| SlotError::Random)?;
    let key = derive(password, &salt, cost)?;
    let cipher = XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(key.as_slice()));
    let sealed = cipher.encrypt(XNonce::from_slice(&nonce), Payload { msg: plain, aad: &aad(username) }).map_err(|_| SlotError::Format)?;
    Ok(format!("{TAG}$m={},t={},p={}${}${}${}", cost.m_kib, cost.t, cost.p, to_hex(&salt), to_hex(&nonce), to_hex(&sealed)))
}

/// The cost a stored slot was sealed with.
pub fn cost_of(slot: &str) -> Option<KdfCost> {
    let mut parts = slot.split('$');
    if parts.next()? != TAG {
        return None;
    }
    let mut cost = KdfCost { m_kib: 0, t: 0, p: 0 };
    for kv in parts.next()?.split(',') {
        let (k, v) = kv.split_once('=')?;
        let v: u32 = v.parse().ok()?;
        match k {
            "m" => cost.m_kib = v,
            "t" => cost.t = v,
            "p" => cost.p = v,
            _ => return None,
        }
    }
    cost.sane().then_some(cost)
}

/// Open a slot; the plain bytes zeroize when dropped.
pub fn unseal(slot: &str, username: &str, password: &str) -> Result<Zeroizing<Vec<u8>>, SlotError> {
    let cost = cost_of(slot).ok_or(SlotError::Format)?;
    let parts: Vec<&str> = slot.split('$').collect();
    let [_, _, salt, nonce, sealed] = parts.as_slice() else { return Err(SlotError::Format) };
    let (salt, nonce, sealed) =
        (hex(salt).ok_or(SlotError::Format)?, hex(nonce).ok_or(SlotError::Format)?, hex(sealed).ok_or(SlotError::Format)?);
    if salt.len() != SALT_LEN || nonce.len() != NONCE_LEN {
        return Err(SlotError::Format);
    }
    let key = derive(password, &salt, cost)?;
    let cipher = XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(key.as_slice()));
    cipher
        .decrypt(XNonce::from_slice(&nonce), Payload { msg: &sealed, aad: &aad(username) })
        .map(Zeroizing::new)
        .map_err(|_| SlotError::WrongPassword)
}

fn hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || s.len() > 4096 {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| s.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open() {
        let plain = [7u8; 34];
        let slot = seal(&plain, "asha", "correct horse", KdfCost::TEST).unwrap();
        assert!(slot.starts_with("ghslot1$m=256,t=1,p=1$"), "{slot}");
        assert!(!slot.contains(&to_hex(&plain)));
        assert_eq!(&unseal(&slot, "asha", "correct horse").unwrap()[..], &plain);
        assert_eq!(unseal(&slot, "asha", "wrong horse"), Err(SlotError::WrongPassword));
        // Bound to the user: asha's slot under bob's name does not open.
        assert_eq!(unseal(&slot, "bob", "correct horse"), Err(SlotError::WrongPassword));
        // One flipped ciphertext digit.
        let mut bad = slot.clone().into_bytes();
        let last = bad.len() - 1;
        bad[last] = if bad[last] == b'0' { b'1' } else { b'0' };
        assert_eq!(unseal(std::str::from_utf8(&bad).unwrap(), "asha", "correct horse"), Err(SlotError::WrongPassword));
        // Two seals of the same seed differ (fresh salt and nonce).
        assert_ne!(seal(&plain, "asha", "correct horse", KdfCost::TEST).unwrap(), slot);
    }

    #[test]
    fn planted_costs_and_junk_are_refused() {
        let slot = seal(&[1u8; 34], "asha", "pw", KdfCost::TEST).unwrap();
        let huge = slot.replacen("m=256", "m=4000000000", 1);
        assert_eq!(unseal(&huge, "asha", "pw"), Err(SlotError::Format));
        for junk in ["", "ghslot1", "ghslot2$m=8,t=1,p=1$00$00$00", "ghslot1$m=256,t=1,p=1$zz$00$00"] {
            assert_eq!(unseal(junk, "asha", "pw"), Err(SlotError::Format), "{junk}");
        }
        assert_eq!(cost_of(&slot), Some(KdfCost::TEST));
    }
}
