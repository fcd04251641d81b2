//! Support of the differential test (`tests/differential.rs`): the generated corpus,
//! the verifiers compared, and the DER glue rcgen lacks.

pub mod corpus;
pub mod der;
pub mod kinds;
pub mod peers;
