//! Wire types only: enums, handshake messages, extensions, alerts.

pub mod enums;
