//! Pure rules: no terminal, no SQL, no files. The CLI, the TUI and the tests
//! all reach these through `service`.

pub mod audit;
pub mod base32;
pub mod clock;
pub mod device;
pub mod events;
pub mod issuing;
pub mod keys;
pub mod keyslot;
pub mod ledger;
pub mod offline;
pub mod pass;
pub mod payload;
pub mod resident;
pub mod rules;
pub mod scan;
pub mod signers;
pub mod slot;
pub mod stats;
pub mod text;
pub mod user;
pub mod validate;
