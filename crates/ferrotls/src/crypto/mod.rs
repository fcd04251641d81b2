//! The single boundary to the crypto provider (aws-lc-rs).
//!
//! Nothing outside this module names aws-lc-rs: the rest of the crate sees hashes,
//! HMAC and HKDF ([`hash`](mod@hash)), record AEADs ([`aead`]), randomness and the clock
//! ([`provider`]), key exchange ([`kx`]) and signatures ([`sign`]), all through
//! types defined here. TLS 1.2 adds legacy CBC-HMAC ([`cbc`]), RSA key transport
//! ([`rsa_kx`]) and ECDHE in its RFC 8422 shape ([`tls12`]).

pub mod aead;
pub mod cbc;
pub mod hash;
pub mod hpke;
pub mod kx;
pub mod provider;
pub mod rsa_kx;
pub mod sign;
pub mod tls12;

pub use hash::{
    constant_time_eq, hash, hkdf_expand, hkdf_expand_into, hkdf_extract, hmac, tls12_prf, Digest,
    HashAlgorithm, HashContext, HashSecret, HmacKey, Secret,
};
pub use kx::{server_key_exchange, KeyExchange};
pub use provider::{Provider, RandomSource, TimeSource};
pub use sign::{verify_signature, KeyKind, SignatureError, SigningKey};
