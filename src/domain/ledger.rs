//! The tamper-evident ledger: each block's hash covers its fields and the
//! previous block's hash; its signature proves who wrote it: an HMAC of the
//! hash with the event key file, or (an enrolled gate's block) an Ed25519
//! signature by the device key of the gate it names (`domain::signers`).
//! Verification walks the blocks in storage order and names the first one
//! that is edited, missing, reordered, badly signed or badly linked.

use hmac::Mac;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::device::is_device_id;
use super::keys::KeyRing;
use super::signers::Signers;

pub type Hash = [u8; 32];
pub const GENESIS: Hash = [0u8; 32];
const DOMAIN: &[u8] = b"gatehouse-ledger-v1";

/// The fields a block's hash covers, borrowed so that verification allocates
/// nothing per block.
#[derive(Debug, Clone, Copy)]
pub struct BlockFields<'a> {
    pub index: u64,
    pub ts: &'a str,
    pub operator: &'a str,
    pub gate: &'a str,
    pub event: &'a str,
    pub data: &'a str,
    pub prev_hash: &'a Hash,
    pub key_id: &'a str,
}

fn put(h: &mut Sha256, field: &[u8]) {
    h.update((field.len() as u64).to_be_bytes());
    h.update(field);
}

impl BlockFields<'_> {
    /// SHA-256 over a length-prefixed encoding: no two field lists share one.
    pub fn hash(&self) -> Hash {
        let mut h = Sha256::new();
        put(&mut h, DOMAIN);
        h.update(self.index.to_be_bytes());
        put(&mut h, self.ts.as_bytes());
        put(&mut h, self.operator.as_bytes());
        put(&mut h, self.gate.as_bytes());
        put(&mut h, self.event.as_bytes());
        put(&mut h, self.data.as_bytes());
        h.update(self.prev_hash);
        put(&mut h, self.key_id.as_bytes());
        h.finalize().into()
    }
}

pub fn sign(keys: &KeyRing, key_id: &str, hash: &Hash) -> Option<Hash> {
    let mut m = keys.ledger_mac(key_id)?;
    m.update(hash);
    Some(m.finalize().into_bytes().into())
}

/// Whether block `b` is what it says: its hash recomputed from its fields
/// and its signature made with a key of `keys` (for a device key: of the
/// gate the block names, not revoked). Its place in a chain is not checked
/// (an offline gate's block, read on its own at upload).
pub fn signed_by(keys: &KeyRing, b: &BlockRef) -> bool {
    seal_problem(keys, b).is_none()
}

/// What `signed_by` finds wrong with block `b`, to say why it is refused.
pub fn seal_problem(keys: &KeyRing, b: &BlockRef) -> Option<Problem> {
    let (_, hash) = match block_hash(b) {
        Ok(h) => h,
        Err(p) => return Some(p),
    };
    if is_device_id(b.key_id) {
        let Some(k) = keys.gate_key(b.key_id) else {
            return Some(Problem::UnknownKey { index: b.index, key_id: b.key_id.to_string() });
        };
        if !k.gate.is_empty() && k.gate != b.gate {
            return Some(Problem::WrongSigner { index: b.index, gate: b.gate.to_string(), signer: k.gate });
        }
        if k.revoked {
            return Some(Problem::RevokedSigner { index: b.index, gate: k.gate });
        }
        let ok = super::signers::parse_sig(b.signature).is_some_and(|s| k.verify(&hash, &s));
        return (!ok).then_some(Problem::BadSignature { index: b.index });
    }
    check_hmac(keys, b, &hash).err()
}

/// A block's previous hash and its hash, recomputed from its fields and
/// checked against the stored one.
fn block_hash(b: &BlockRef) -> Result<(Hash, Hash), Problem> {
    let index = b.index;
    let prev = from_hex(b.prev_hash).ok_or_else(|| Problem::Corrupt { index, what: "prev_hash is not 64 hex digits".into() })?;
    let hash = from_hex(b.hash).ok_or(Problem::Edited { index })?;
    let fields = BlockFields {
        index,
        ts: b.ts,
        operator: b.operator,
        gate: b.gate,
        event: b.event,
        data: b.data,
        prev_hash: &prev,
        key_id: b.key_id,
    };
    if fields.hash() != hash {
        return Err(Problem::Edited { index });
    }
    Ok((prev, hash))
}

/// An HMAC-signed block's signature, made with a key of the key file.
fn check_hmac(keys: &KeyRing, b: &BlockRef, hash: &Hash) -> Result<(), Problem> {
    let index = b.index;
    let sig = from_hex(b.signature).ok_or(Problem::BadSignature { index })?;
    let mut mac = keys.ledger_mac(b.key_id).ok_or_else(|| Problem::UnknownKey { index, key_id: b.key_id.to_string() })?;
    mac.update(hash);
    if mac.verify_slice(&sig).is_err() {
        return Err(Problem::BadSignature { index });
    }
    Ok(())
}

/// A new block sealed on the client: linked to the head, hashed and
/// signed with the active key; every field as it is stored.
#[derive(Debug, Clone)]
pub struct Sealed {
    pub index: u64,
    /// The block's data as canonical JSON.
    pub data: String,
    pub prev_hash: String,
    pub hash: String,
    pub key_id: String,
    pub signature: String,
}

/// Why a block could not be sealed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("ledger head block {0} is corrupt; run `gatehouse ledger verify`")]
    CorruptHead(u64),
    #[error("active key missing from key ring")]
    NoActiveKey,
    #[error("this gate was revoked (`gatehouse gate revoke`): it may write no more blocks for this event")]
    Revoked,
}

/// Seal the block after `head` (its index and hash as stored; None for the
/// first block). Both backends append what this returns.
pub fn seal(keys: &KeyRing, head: Option<(u64, &str)>, fields: [&str; 4], data: &serde_json::Value) -> Result<Sealed, SealError> {
    let [ts, operator, gate, event] = fields;
    let (index, prev) = match head {
        None => (0u64, GENESIS),
        Some((i, h)) => (i + 1, from_hex(h).ok_or(SealError::CorruptHead(i))?),
    };
    let data = data.to_string();
    // An enrolled gate signs with its device key; a key-file station with its active HMAC key.
    let device = keys.device();
    let key_id = device.map_or_else(|| keys.active_id(), |d| d.key_id());
    if device.is_some() && keys.gate_key(key_id).is_some_and(|k| k.revoked) {
        return Err(SealError::Revoked);
    }
    let hash = BlockFields { index, ts, operator, gate, event, data: &data, prev_hash: &prev, key_id }.hash();
    let signature = match device {
        Some(d) => to_hex(&d.sign(&hash)),
        None => to_hex(&sign(keys, key_id, &hash).ok_or(SealError::NoActiveKey)?),
    };
    Ok(Sealed { index, data, prev_hash: to_hex(&prev), hash: to_hex(&hash), key_id: key_id.to_string(), signature })
}

pub fn to_hex(h: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(h.len() * 2);
    for b in h {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}

pub fn from_hex(s: &str) -> Option<Hash> {
    let b = s.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let nib = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = (nib(b[2 * i])? << 4) | nib(b[2 * i + 1])?;
    }
    Some(out)
}

/// One block as read back from storage, before any check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredBlock {
    pub index: u64,
    pub ts: String,
    pub operator: String,
    pub gate: String,
    pub event: String,
    pub data: String,
    pub prev_hash: String,
    pub hash: String,
    pub key_id: String,
    pub signature: String,
}

/// A block borrowed from wherever it was read, so a walk over many blocks
/// allocates nothing per block.
#[derive(Debug, Clone, Copy)]
pub struct BlockRef<'a> {
    pub index: u64,
    pub ts: &'a str,
    pub operator: &'a str,
    pub gate: &'a str,
    pub event: &'a str,
    pub data: &'a str,
    pub prev_hash: &'a str,
    pub hash: &'a str,
    pub key_id: &'a str,
    pub signature: &'a str,
}

impl StoredBlock {
    pub fn as_ref(&self) -> BlockRef<'_> {
        BlockRef {
            index: self.index,
            ts: &self.ts,
            operator: &self.operator,
            gate: &self.gate,
            event: &self.event,
            data: &self.data,
            prev_hash: &self.prev_hash,
            hash: &self.hash,
            key_id: &self.key_id,
            signature: &self.signature,
        }
    }
}

impl BlockRef<'_> {
    pub fn to_stored(&self) -> StoredBlock {
        StoredBlock {
            index: self.index,
            ts: self.ts.to_owned(),
            operator: self.operator.to_owned(),
            gate: self.gate.to_owned(),
            event: self.event.to_owned(),
            data: self.data.to_owned(),
            prev_hash: self.prev_hash.to_owned(),
            hash: self.hash.to_owned(),
            key_id: self.key_id.to_owned(),
            signature: self.signature.to_owned(),
        }
    }
}

/// What is wrong with the first bad block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Problem {
    #[error("block {index} was edited: its contents no longer match its hash")]
    Edited { index: u64 },
    #[error("block {index} has a bad signature: it was not written by gatehouse with this key")]
    BadSignature { index: u64 },
    #[error("block {index} is signed with unknown key {key_id}")]
    UnknownKey { index: u64, key_id: String },
    #[error("block {index} names gate {gate:?} but is signed by the device key of gate {signer:?}")]
    WrongSigner { index: u64, gate: String, signer: String },
    #[error("block {index} is signed by gate {gate:?} after it was revoked")]
    RevokedSigner { index: u64, gate: String },
    #[error("block {index} enrols gate {gate:?} without a valid token: {why}")]
    Unenrolled { index: u64, gate: String, why: String },
    #[error("block {index} has a broken link: its prev_hash is not the hash of block {}", index.saturating_sub(1))]
    BrokenLink { index: u64 },
    #[error("block(s) {from}..={to} are missing")]
    Missing { from: u64, to: u64 },
    #[error("blocks are reordered: position {position} holds block {found}, expected block {expected}")]
    Reordered { position: u64, expected: u64, found: u64 },
    #[error("block {index} is unreadable: {what}")]
    Corrupt { index: u64, what: String },
    #[error("the ledger was truncated: recorded head is block {expected}, the chain ends at {}", last.map_or("nothing".to_string(), |l| l.to_string()))]
    Truncated { expected: u64, last: Option<u64> },
    #[error("block {index} does not match the recorded head: expected {expected}, found {found}")]
    HeadMismatch { index: u64, expected: String, found: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub ok: bool,
    pub blocks: u64,
    pub head_index: Option<u64>,
    pub head_hash: Option<String>,
    pub problem: Option<Problem>,
    /// HMAC-signed blocks whose signature this station cannot check (an
    /// enrolled gate holds no key file); their hashes and links were checked.
    #[serde(skip_serializing_if = "is_zero")]
    pub hmac_unchecked: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A head written down earlier: `INDEX:HASH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedHead {
    pub index: u64,
    pub hash: Hash,
}

impl std::str::FromStr for ExpectedHead {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (i, h) = s.trim().split_once(':').ok_or("expected INDEX:HASH")?;
        let index = i.parse().map_err(|_| format!("{i:?} is not a block index"))?;
        let hash = from_hex(h).ok_or("the hash must be 64 hex digits")?;
        Ok(ExpectedHead { index, hash })
    }
}

/// Walks blocks in storage order, one `push` per block.
pub struct Verifier<'k> {
    keys: &'k KeyRing,
    expected: u64,
    prev: Hash,
    /// Hash of the block at the expected head's index, once seen.
    seen_at_expected: Option<Hash>,
    expect_head: Option<ExpectedHead>,
    /// The gates' device keys as the chain enrols and revokes them, and
    /// their signatures waiting to be checked in a batch.
    signers: Signers,
}

impl<'k> Verifier<'k> {
    pub fn new(keys: &'k KeyRing, expect_head: Option<ExpectedHead>) -> Self {
        Verifier { keys, expected: 0, prev: GENESIS, seen_at_expected: None, expect_head, signers: Signers::default() }
    }

    /// Check the next block. `exists(i)` answers whether block `i` is stored
    /// anywhere, to tell a missing block from a reordered one. A device
    /// signature may be checked later, in a batch: a bad one is still the
    /// problem reported, before any found after it.
    pub fn push(&mut self, b: &BlockRef, exists: &mut dyn FnMut(u64) -> bool) -> Result<(), Problem> {
        match self.push_inner(b, exists) {
            Ok(()) => Ok(()),
            Err(p) => Err(self.earlier(p)),
        }
    }

    fn push_inner(&mut self, b: &BlockRef, exists: &mut dyn FnMut(u64) -> bool) -> Result<(), Problem> {
        let index = b.index;
        if index != self.expected {
            if index > self.expected && !exists(self.expected) {
                let mut to = self.expected;
                while to + 1 < index && !exists(to + 1) {
                    to += 1;
                }
                return Err(Problem::Missing { from: self.expected, to });
            }
            return Err(Problem::Reordered { position: self.expected, expected: self.expected, found: index });
        }
        let (prev, hash) = block_hash(b)?;
        if is_device_id(b.key_id) {
            self.signers.check(self.keys, b, prev, hash)?;
        } else if self.keys.has_hmac() {
            check_hmac(self.keys, b, &hash)?;
        } else {
            self.signers.hmac_unchecked += 1;
        }
        if prev != self.prev {
            return Err(Problem::BrokenLink { index });
        }
        self.signers.observe(b);
        if self.expect_head.as_ref().is_some_and(|h| h.index == index) {
            self.seen_at_expected = Some(hash);
        }
        self.prev = hash;
        self.expected += 1;
        if self.signers.batch_full()
            && let Err((p, index, prev)) = self.signers.submit()
        {
            self.expected = index;
            self.prev = prev;
            return Err(p);
        }
        Ok(())
    }

    /// Check the waiting signatures; on a bad one, the walk stops there.
    fn flush(&mut self) -> Result<(), Problem> {
        match self.signers.flush() {
            Ok(()) => Ok(()),
            Err((p, index, prev)) => {
                self.expected = index;
                self.prev = prev;
                Err(p)
            }
        }
    }

    /// `p`, unless a waiting signature before it is bad.
    fn earlier(&mut self, p: Problem) -> Problem {
        self.flush().err().unwrap_or(p)
    }

    /// After the last block: the report, including the truncation check.
    pub fn finish(mut self) -> VerifyReport {
        if let Err(p) = self.flush() {
            return self.failed(p);
        }
        let blocks = self.expected;
        let head_index = blocks.checked_sub(1);
        let head_hash = head_index.map(|_| to_hex(&self.prev));
        let problem = self.expect_head.as_ref().and_then(|h| match self.seen_at_expected {
            None => Some(Problem::Truncated { expected: h.index, last: head_index }),
            Some(found) if found != h.hash => {
                Some(Problem::HeadMismatch { index: h.index, expected: to_hex(&h.hash), found: to_hex(&found) })
            }
            Some(_) => None,
        });
        let hmac_unchecked = self.signers.hmac_unchecked;
        VerifyReport { ok: problem.is_none(), blocks, head_index, head_hash, problem, hmac_unchecked }
    }

    pub fn failed(self, problem: Problem) -> VerifyReport {
        let blocks = self.expected;
        VerifyReport {
            ok: false,
            blocks,
            head_index: blocks.checked_sub(1),
            head_hash: blocks.checked_sub(1).map(|_| to_hex(&self.prev)),
            problem: Some(problem),
            hmac_unchecked: self.signers.hmac_unchecked,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> KeyRing {
        KeyRing::new(&[("01".into(), [3u8; 32])]).unwrap()
    }

    fn chain(n: u64) -> Vec<StoredBlock> {
        let k = keys();
        let mut prev = GENESIS;
        (0..n)
            .map(|i| {
                let data = format!("{{\"n\":{i}}}");
                let f = BlockFields {
                    index: i,
                    ts: "2026-11-21T10:00:00Z",
                    operator: "asha",
                    gate: "Main",
                    event: "scan",
                    data: &data,
                    prev_hash: &prev,
                    key_id: "01",
                };
                let h = f.hash();
                let b = StoredBlock {
                    index: i,
                    ts: f.ts.into(),
                    operator: "asha".into(),
                    gate: "Main".into(),
                    event: "scan".into(),
                    data: data.clone(),
                    prev_hash: to_hex(&prev),
                    hash: to_hex(&h),
                    key_id: "01".into(),
                    signature: to_hex(&sign(&k, "01", &h).unwrap()),
                };
                prev = h;
                b
            })
            .collect()
    }

    fn run(blocks: &[StoredBlock], head: Option<ExpectedHead>) -> VerifyReport {
        let k = keys();
        let mut v = Verifier::new(&k, head);
        let present: Vec<u64> = blocks.iter().map(|b| b.index).collect();
        for b in blocks {
            if let Err(p) = v.push(&b.as_ref(), &mut |i| present.contains(&i)) {
                return v.failed(p);
            }
        }
        v.finish()
    }

    #[test]
    fn intact_chain_verifies() {
        let r = run(&chain(5), None);
        assert!(r.ok, "{r:?}");
        assert_eq!((r.blocks, r.head_index), (5, Some(4)));
    }

    #[test]
    fn each_tampering_is_named() {
        let base = chain(6);
        let mut edited = base.clone();
        edited[2].data = "{\"n\":99}".into();
        assert_eq!(run(&edited, None).problem, Some(Problem::Edited { index: 2 }));

        let mut missing = base.clone();
        missing.remove(3);
        assert_eq!(run(&missing, None).problem, Some(Problem::Missing { from: 3, to: 3 }));

        let mut reordered = base.clone();
        reordered.swap(1, 2);
        assert_eq!(run(&reordered, None).problem, Some(Problem::Reordered { position: 1, expected: 1, found: 2 }));

        // An attacker without the key can recompute the hash but not sign it.
        let mut resigned = base.clone();
        resigned[4].data = "{\"n\":0}".into();
        let prev = from_hex(&resigned[4].prev_hash).unwrap();
        let b = &resigned[4];
        let f = BlockFields {
            index: 4,
            ts: &b.ts,
            operator: &b.operator,
            gate: &b.gate,
            event: &b.event,
            data: &b.data,
            prev_hash: &prev,
            key_id: &b.key_id,
        };
        resigned[4].hash = to_hex(&f.hash());
        assert_eq!(run(&resigned, None).problem, Some(Problem::BadSignature { index: 4 }));

        let mut unknown = base.clone();
        unknown[0].key_id = "09".into();
        assert_eq!(run(&unknown, None).problem, Some(Problem::Edited { index: 0 }));

        let full = run(&base, None);
        let head: ExpectedHead = format!("5:{}", full.head_hash.clone().unwrap()).parse().unwrap();
        assert!(run(&base, Some(head.clone())).ok);
        let truncated = &base[..4];
        assert_eq!(run(truncated, Some(head)).problem, Some(Problem::Truncated { expected: 5, last: Some(3) }));
        let wrong: ExpectedHead = format!("2:{}", full.head_hash.unwrap()).parse().unwrap();
        assert!(matches!(run(&base, Some(wrong)).problem, Some(Problem::HeadMismatch { index: 2, .. })));
    }

    #[test]
    fn a_block_from_another_chain_breaks_the_link() {
        let mut a = chain(3);
        let b = {
            // Same key, different history: block 2 of a chain whose block 1 differs.
            let k = keys();
            let other_prev = [7u8; 32];
            let f =
                BlockFields { index: 2, ts: "t", operator: "o", gate: "g", event: "e", data: "{}", prev_hash: &other_prev, key_id: "01" };
            let h = f.hash();
            StoredBlock {
                index: 2,
                ts: "t".into(),
                operator: "o".into(),
                gate: "g".into(),
                event: "e".into(),
                data: "{}".into(),
                prev_hash: to_hex(&other_prev),
                hash: to_hex(&h),
                key_id: "01".into(),
                signature: to_hex(&sign(&k, "01", &h).unwrap()),
            }
        };
        a[2] = b;
        assert_eq!(run(&a, None).problem, Some(Problem::BrokenLink { index: 2 }));
    }
}
