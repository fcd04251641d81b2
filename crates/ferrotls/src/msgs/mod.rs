//! Wire types only: enums, handshake messages, extensions, alerts.

pub mod alert;
pub mod enums;
pub mod extensions;
pub mod handshake;
pub mod tls12;
mod vecs;

#[cfg(test)]
mod rfc8448;

pub use alert::AlertMessage;
pub use enums::*;
pub use extensions::{
    CertReqExtension, CertificateExtension, ClientExtension, KeyShareEntry,
    NewSessionTicketExtension, OfferedPsks, PskIdentity, ServerExtContext, ServerExtension,
    ServerNameEntry,
};
pub use handshake::{
    Certificate13, CertificateEntry, CertificateRequest13, CertificateVerify, ClientHello,
    EncryptedExtensions, Finished, HandshakeMessage, HandshakePayload, KeyUpdate,
    NewSessionTicket13, ServerHello, DOWNGRADE_TLS11, DOWNGRADE_TLS12, HELLO_RETRY_REQUEST_RANDOM,
};
pub use tls12::{
    Certificate12, CertificateRequest12, CertificateStatus, ClientKeyExchange, HandshakeMessage12,
    HandshakePayload12, HeartbeatDiscard, HeartbeatMessage, HeartbeatMessageType, HeartbeatRead,
    NewSessionTicket12, ServerKeyExchangeEcdhe,
};
