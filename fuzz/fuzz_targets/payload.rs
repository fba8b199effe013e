//! Fuzz the QR payload parser.
//!
//! 1. `parse` must never panic on arbitrary bytes; whatever it accepts is
//!    handed to `verify` with a fixed key ring (which must not panic either).
//! 2. Round trip: for a kind and a UUID taken from the fuzz bytes,
//!    `parse(encode(keys, kind, uuid))` must succeed, give back the same
//!    fields and verify.
#![no_main]

use std::sync::OnceLock;

use gatehouse::domain::keys::KeyRing;
use gatehouse::domain::payload::{self, Kind};
use libfuzzer_sys::fuzz_target;
use uuid::Uuid;

fn ring() -> &'static KeyRing {
    static RING: OnceLock<KeyRing> = OnceLock::new();
    RING.get_or_init(|| KeyRing::new(&[("01".into(), [7u8; 32])]).expect("non-empty ring"))
}

fuzz_target!(|data: &[u8]| {
    let keys = ring();

    // Property 1: arbitrary input never panics.
    if let Ok(p) = payload::parse(data) {
        let _ = p.verify(keys);
    }

    // Property 2: anything we encode parses back and verifies.
    if let Some((&k, rest)) = data.split_first() {
        if let Ok(bytes) = <[u8; 16]>::try_from(rest.get(..16).unwrap_or(&[])) {
            let kind = if k & 1 == 0 { Kind::Pass } else { Kind::Resident };
            let id = Uuid::from_bytes(bytes);
            let text = payload::encode(keys, kind, &id);
            let parsed = payload::parse(text.as_bytes())
                .unwrap_or_else(|e| panic!("encoded payload {text:?} does not parse: {e}"));
            assert_eq!((parsed.kind, parsed.id, parsed.key_id.as_str()), (kind, id, "01"), "{text:?}");
            parsed.verify(keys).unwrap_or_else(|e| panic!("encoded payload {text:?} does not verify: {e}"));
        }
    }
});
