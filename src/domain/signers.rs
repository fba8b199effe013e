//! Who may sign which block, as the chain itself says: a `gate_token`
//! block lets one gate enrol once; the `gate_enrol` block that spends it
//! carries the gate's device public key and is signed by it; from a
//! `gate_revoke` block on, that key signs nothing of this event. The chain
//! walk learns all three as it goes, so a key added to the gates table by
//! hand is still unknown to `ledger verify`.
//!
//! Device signatures are checked in batches (ed25519-dalek's batch
//! equation): a batch that fails is checked again one by one, strictly,
//! to name its first bad block.

use std::collections::HashMap;

use ed25519_dalek::{Signature, VerifyingKey};

use super::device::{DevicePublic, token_hash};
use super::events::{Event, GateEnrol};
use super::issuing::SIG_LEN;
use super::keys::KeyRing;
use super::ledger::{BlockRef, Hash, Problem};

/// Signatures checked together; large enough to halve the cost of each.
const BATCH: usize = 128;

/// A 64-byte signature from 128 hex digits.
pub fn parse_sig(hex: &str) -> Option<[u8; SIG_LEN]> {
    if hex.len() != 2 * SIG_LEN {
        return None;
    }
    let lo = super::ledger::from_hex(&hex[..64])?;
    let hi = super::ledger::from_hex(&hex[64..])?;
    let mut out = [0u8; SIG_LEN];
    out[..32].copy_from_slice(&lo);
    out[32..].copy_from_slice(&hi);
    Some(out)
}

struct Learned {
    gate: String,
    key: VerifyingKey,
    revoked: bool,
}

struct Token {
    gate: String,
    expires_at: String,
    used: bool,
}

struct Pending {
    index: u64,
    prev: Hash,
    hash: Hash,
    sig: Signature,
    key: VerifyingKey,
}

/// A failed batch: its first bad block's problem, index and previous hash.
type Failure = (Problem, u64, Hash);

#[derive(Default)]
pub(super) struct Signers {
    gates: HashMap<String, Learned>,
    tokens: HashMap<String, Token>,
    pending: Vec<Pending>,
    /// Threads checking full batches while the walk reads on; started with
    /// the first full batch, so a short chain starts none.
    pool: Option<Pool>,
    /// HMAC blocks this station could not check (it holds no key file).
    pub hmac_unchecked: u64,
}

/// Batch checkers: each takes the next batch from the queue and answers
/// with its first bad block, if any.
struct Pool {
    work: std::sync::mpsc::Sender<Vec<Pending>>,
    done: std::sync::mpsc::Receiver<Option<Failure>>,
    outstanding: usize,
}

impl Pool {
    fn start() -> Option<Pool> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(4);
        let (work, queue) = std::sync::mpsc::channel::<Vec<Pending>>();
        let (answer, done) = std::sync::mpsc::channel();
        let queue = std::sync::Arc::new(std::sync::Mutex::new(queue));
        for _ in 0..threads {
            let (queue, answer) = (queue.clone(), answer.clone());
            let spawned = std::thread::Builder::new().name("verify-sigs".into()).spawn(move || {
                loop {
                    let batch = match queue.lock() {
                        Ok(q) => q.recv(),
                        Err(_) => return,
                    };
                    let Ok(batch) = batch else { return };
                    if answer.send(check_batch(&batch)).is_err() {
                        return;
                    }
                }
            });
            // No thread: the batches are checked on the walk's own.
            spawned.ok()?;
        }
        Some(Pool { work, done, outstanding: 0 })
    }

    /// Every answer still to come, waited for: the earliest failure.
    fn wait_all(&mut self, mut first: Option<Failure>) -> Option<Failure> {
        while self.outstanding > 0 {
            let Ok(answer) = self.done.recv() else { break };
            self.outstanding -= 1;
            first = earliest(first, answer);
        }
        first
    }
}

fn earliest(a: Option<Failure>, b: Option<Failure>) -> Option<Failure> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if b.1 < a.1 { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// One batch: the batch equation, then (only if it fails) each signature
/// strictly, to name the first bad one.
fn check_batch(batch: &[Pending]) -> Option<Failure> {
    let msgs: Vec<&[u8]> = batch.iter().map(|p| p.hash.as_slice()).collect();
    let sigs: Vec<Signature> = batch.iter().map(|p| p.sig).collect();
    let keys: Vec<VerifyingKey> = batch.iter().map(|p| p.key).collect();
    if ed25519_dalek::verify_batch(&msgs, &sigs, &keys).is_ok() {
        return None;
    }
    batch
        .iter()
        .find(|p| p.key.verify_strict(&p.hash, &p.sig).is_err())
        .map(|p| (Problem::BadSignature { index: p.index }, p.index, p.prev))
}

impl Signers {
    /// Check block `b`'s device signature, or set it aside for the batch.
    pub fn check(&mut self, keys: &KeyRing, b: &BlockRef, prev: Hash, hash: Hash) -> Result<(), Problem> {
        let index = b.index;
        let sig = parse_sig(b.signature).ok_or(Problem::BadSignature { index })?;
        if b.event == "gate_enrol" {
            return self.enrol(b, &hash, &sig);
        }
        let key = match self.gates.get(b.key_id) {
            Some(g) if g.revoked => return Err(Problem::RevokedSigner { index, gate: g.gate.clone() }),
            Some(g) if g.gate != b.gate => return Err(Problem::WrongSigner { index, gate: b.gate.into(), signer: g.gate.clone() }),
            Some(g) => g.key,
            // This station's own key: its local chain of offline blocks,
            // which holds no enrolment.
            None => match keys.device().filter(|d| d.key_id() == b.key_id) {
                Some(d) => *DevicePublic::of(d, b.gate).verifying_key(),
                None => return Err(Problem::UnknownKey { index, key_id: b.key_id.to_string() }),
            },
        };
        self.pending.push(Pending { index, prev, hash, sig: Signature::from_bytes(&sig), key });
        Ok(())
    }

    /// A `gate_enrol` block signed by the key it enrols: checked now (its
    /// key is needed for the blocks after it), with the token it spends.
    fn enrol(&mut self, b: &BlockRef, hash: &Hash, sig: &[u8; SIG_LEN]) -> Result<(), Problem> {
        let index = b.index;
        let bad = |why: &str| Problem::Unenrolled { index, gate: b.gate.to_string(), why: why.to_string() };
        let Ok(Event::GateEnrol(GateEnrol { gate, key_id: Some(id), public: Some(public), token: Some(token) })) =
            Event::parse(b.event, b.data)
        else {
            return Err(bad("its data names no key and token"));
        };
        if gate != b.gate || id != b.key_id {
            return Err(bad("its data names another gate or key"));
        }
        let key = DevicePublic::from_hex(&id, &gate, &public).ok_or_else(|| bad("its public key is not a valid Ed25519 key"))?;
        if !key.verify(hash, sig) {
            return Err(Problem::BadSignature { index });
        }
        let t = self.tokens.get_mut(&token_hash(&token)).ok_or_else(|| bad("no earlier gate_token block made its token"))?;
        if t.used {
            return Err(bad("its token was used already"));
        }
        if t.gate != gate {
            return Err(bad("its token was made for another gate"));
        }
        if b.ts > t.expires_at.as_str() {
            return Err(bad("its token had expired"));
        }
        t.used = true;
        self.gates.insert(id.into_owned(), Learned { gate: gate.into_owned(), key: *key.verifying_key(), revoked: false });
        Ok(())
    }

    /// Learn a token or a revocation from a block whose seal held.
    pub fn observe(&mut self, b: &BlockRef) {
        if !b.event.starts_with("gate_") {
            return;
        }
        match Event::parse(b.event, b.data) {
            Ok(Event::GateToken(t)) => {
                let token = Token { gate: t.gate.into_owned(), expires_at: t.expires_at.into_owned(), used: false };
                self.tokens.insert(t.token_hash.into_owned(), token);
            }
            Ok(Event::GateRevoke(r)) => {
                for (id, g) in self.gates.iter_mut() {
                    if g.gate == r.gate && r.key_id.as_deref().is_none_or(|k| k == id) {
                        g.revoked = true;
                    }
                }
            }
            _ => {}
        }
    }

    pub fn batch_full(&self) -> bool {
        self.pending.len() >= BATCH
    }

    /// Hand the full batch to the checkers, and take any answers already
    /// in: a failure stops the walk (after every earlier batch answered).
    pub fn submit(&mut self) -> Result<(), Failure> {
        if self.pool.is_none() {
            self.pool = Pool::start();
        }
        let batch = std::mem::take(&mut self.pending);
        let Some(pool) = self.pool.as_mut() else { return check_batch(&batch).map_or(Ok(()), Err) };
        if let Err(e) = pool.work.send(batch) {
            return check_batch(&e.0).map_or(Ok(()), Err);
        }
        pool.outstanding += 1;
        let mut failed = None;
        while let Ok(answer) = pool.done.try_recv() {
            pool.outstanding -= 1;
            failed = earliest(failed, answer);
        }
        match failed {
            Some(f) => Err(pool.wait_all(Some(f.clone())).unwrap_or(f)),
            None => Ok(()),
        }
    }

    /// Check every signature still waiting: the earliest bad one, if any.
    pub fn flush(&mut self) -> Result<(), Failure> {
        let batch = std::mem::take(&mut self.pending);
        let here = if batch.is_empty() { None } else { check_batch(&batch) };
        let first = match self.pool.as_mut() {
            Some(pool) => pool.wait_all(here),
            None => here,
        };
        first.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::device::DeviceKey;
    use crate::domain::events::{GateRevoke, GateToken};
    use crate::domain::ledger::{StoredBlock, Verifier, VerifyReport, seal};

    /// A chain built block by block, each sealed by the ring given.
    #[derive(Default)]
    struct Chain(Vec<StoredBlock>);

    impl Chain {
        fn add(&mut self, keys: &KeyRing, gate: &str, event: &Event) -> u64 {
            let (name, data) = event.to_block().unwrap();
            let head = self.0.last().map(|b| (b.index, b.hash.as_str()));
            let s = seal(keys, head, ["2026-12-01T10:00:00Z", "asha", gate, name], &data).unwrap();
            let i = s.index;
            self.0.push(StoredBlock {
                index: i,
                ts: "2026-12-01T10:00:00Z".into(),
                operator: "asha".into(),
                gate: gate.into(),
                event: name.into(),
                data: s.data,
                prev_hash: s.prev_hash,
                hash: s.hash,
                key_id: s.key_id,
                signature: s.signature,
            });
            i
        }

        fn scan(&mut self, keys: &KeyRing, gate: &str) -> u64 {
            let data = serde_json::json!({"n": self.0.len()});
            let head = self.0.last().map(|b| (b.index, b.hash.as_str()));
            let s = seal(keys, head, ["2026-12-01T10:00:00Z", "omar", gate, "offline_event"], &data).unwrap();
            let i = s.index;
            self.0.push(StoredBlock {
                index: i,
                ts: "2026-12-01T10:00:00Z".into(),
                operator: "omar".into(),
                gate: gate.into(),
                event: "offline_event".into(),
                data: s.data,
                prev_hash: s.prev_hash,
                hash: s.hash,
                key_id: s.key_id,
                signature: s.signature,
            });
            i
        }

        fn verify(&self, keys: &KeyRing) -> VerifyReport {
            let mut v = Verifier::new(keys, None);
            for b in &self.0 {
                if let Err(p) = v.push(&b.as_ref(), &mut |_| true) {
                    return v.failed(p);
                }
            }
            v.finish()
        }
    }

    fn hmac() -> KeyRing {
        KeyRing::new(&[("01".into(), [3u8; 32])]).unwrap()
    }

    /// An event whose admin made a token for Gate B, and B enrolled with it.
    fn enrolled() -> (Chain, KeyRing, KeyRing) {
        let admin = hmac();
        let b = KeyRing::for_device(DeviceKey::from_seed(&[5u8; 32]));
        let d = b.device().unwrap();
        let mut c = Chain::default();
        let token = "GT-TESTTOKEN";
        c.add(
            &admin,
            "Gate A",
            &Event::GateToken(GateToken {
                gate: "Gate B".into(),
                token_hash: token_hash(token).into(),
                expires_at: "2026-12-01T10:30:00Z".into(),
            }),
        );
        let enrol = GateEnrol {
            gate: "Gate B".into(),
            key_id: Some(d.key_id().into()),
            public: Some(d.public_hex().into()),
            token: Some(token.into()),
        };
        c.add(&b, "Gate B", &Event::GateEnrol(enrol));
        (c, admin, b)
    }

    #[test]
    fn an_enrolled_gates_blocks_verify_in_batches_and_a_bad_one_is_named_first() {
        let (mut c, admin, b) = enrolled();
        for _ in 0..300 {
            c.scan(&b, "Gate B");
        }
        c.scan(&admin, "Gate A");
        let r = c.verify(&admin);
        assert!(r.ok && r.blocks == 303, "{r:?}");
        // A gate with no key file checks its peers' device signatures, and counts the HMAC blocks it cannot check.
        let r = c.verify(&b);
        assert!(r.ok && r.hmac_unchecked == 2, "{r:?}");

        // A bad signature inside a batch is named, before a later broken link.
        let mut bad = Chain(c.0.clone());
        let sig = &mut bad.0[150].signature;
        let flipped = if sig.starts_with('0') { "1" } else { "0" };
        sig.replace_range(0..1, flipped);
        bad.0[250].prev_hash = "00".repeat(32);
        let r = bad.verify(&admin);
        assert_eq!(r.problem, Some(Problem::BadSignature { index: 150 }), "{r:?}");
        assert_eq!(r.blocks, 150);
        // The same for a batch already handed to the checker threads.
        let mut early = Chain(c.0.clone());
        early.0[10].signature = early.0[11].signature.clone();
        early.0[290].prev_hash = "00".repeat(32);
        assert_eq!(early.verify(&admin).problem, Some(Problem::BadSignature { index: 10 }));
        early.0[290].prev_hash = c.0[290].prev_hash.clone();
        assert_eq!(early.verify(&admin).problem, Some(Problem::BadSignature { index: 10 }));
    }

    #[test]
    fn a_block_signed_as_another_gate_or_after_revocation_is_named() {
        let (c, admin, b) = enrolled();
        let mut other = Chain(c.0.clone());
        other.scan(&b, "Gate A");
        let r = other.verify(&admin);
        assert_eq!(r.problem, Some(Problem::WrongSigner { index: 2, gate: "Gate A".into(), signer: "Gate B".into() }));

        let mut revoked = Chain(c.0.clone());
        revoked.scan(&b, "Gate B");
        revoked.add(&admin, "Gate A", &Event::GateRevoke(GateRevoke { gate: "Gate B".into(), key_id: None }));
        let after = revoked.scan(&b, "Gate B");
        let r = revoked.verify(&admin);
        assert_eq!(r.problem, Some(Problem::RevokedSigner { index: after, gate: "Gate B".into() }));
    }

    #[test]
    fn an_enrolment_needs_an_unused_token_for_its_gate() {
        let (c, admin, _) = enrolled();
        // The same token spent again by another laptop.
        let thief = KeyRing::for_device(DeviceKey::from_seed(&[6u8; 32]));
        let d = thief.device().unwrap();
        let again = GateEnrol {
            gate: "Gate B".into(),
            key_id: Some(d.key_id().into()),
            public: Some(d.public_hex().into()),
            token: Some("GT-TESTTOKEN".into()),
        };
        let mut twice = Chain(c.0.clone());
        let i = twice.add(&thief, "Gate B", &Event::GateEnrol(again));
        assert!(
            matches!(twice.verify(&admin).problem, Some(Problem::Unenrolled { index, ref why, .. }) if index == i && why.contains("used already"))
        );

        // A key no enrolment names.
        let mut stranger = Chain(c.0.clone());
        let i = stranger.scan(&thief, "Gate Z");
        assert_eq!(stranger.verify(&admin).problem, Some(Problem::UnknownKey { index: i, key_id: d.key_id().into() }));
    }
}
