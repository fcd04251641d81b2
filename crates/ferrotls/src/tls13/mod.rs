//! TLS 1.3: key schedule, client and server state machines.

pub mod key_schedule;
pub mod suites;

pub(crate) mod client;
mod secrets;
pub(crate) mod server;

pub(crate) use secrets::{application_secrets, send_finished};

use crate::crypto::{hash, sign, Digest, HashAlgorithm, HashContext};
use crate::error::{Error, PeerMisbehaved};
use crate::msgs::CertificateVerify;
use crate::proof::{check_signature, SignatureChecked};

/// The running transcript hash of a TLS 1.3 handshake (RFC 8446, 4.4.1).
#[derive(Debug, Clone)]
pub(crate) struct Transcript {
    hash: HashContext,
}

impl Transcript {
    pub fn new(alg: HashAlgorithm) -> Self {
        Transcript {
            hash: HashContext::new(alg),
        }
    }

    /// A transcript that starts after HelloRetryRequest: ClientHello1 is replaced by
    /// the synthetic message_hash message (RFC 8446, 4.4.1).
    pub fn after_hello_retry(alg: HashAlgorithm, client_hello1: &[u8]) -> Self {
        let mut t = Transcript::new(alg);
        let ch1_hash = hash(alg, client_hello1);
        t.add(&key_schedule::message_hash_prefix(ch1_hash.as_ref()));
        t
    }

    pub fn add(&mut self, message: &[u8]) {
        self.hash.update(message);
    }

    pub fn current(&self) -> Digest {
        self.hash.current()
    }

    /// The hash of the whole transcript, when nothing more will be added.
    pub fn finish(self) -> Digest {
        self.hash.finish()
    }

    /// The hash this transcript is kept with.
    pub fn algorithm(&self) -> HashAlgorithm {
        self.hash.algorithm()
    }
}

/// The content a CertificateVerify signs (RFC 8446, 4.4.3).
pub(crate) fn certificate_verify_message(server: bool, transcript_hash: &[u8]) -> Vec<u8> {
    let context: &[u8] = if server {
        b"TLS 1.3, server CertificateVerify"
    } else {
        b"TLS 1.3, client CertificateVerify"
    };
    let mut m = vec![0x20u8; 64];
    m.extend_from_slice(context);
    m.push(0);
    m.extend_from_slice(transcript_hash);
    m
}

/// RFC 8446, 4.4.3: checks the peer's CertificateVerify `cv` over `transcript`
/// (through the peer's Certificate) with `spki`, the key of the chain `chain`
/// proves verified; `from_server` picks the context string. The scheme must be
/// one we offered.
pub(crate) fn check_certificate_verify<T>(
    chain: T,
    from_server: bool,
    transcript: &Transcript,
    spki: &[u8],
    cv: &CertificateVerify,
) -> Result<SignatureChecked<T>, Error> {
    if !sign::tls13_verify_schemes().contains(&cv.scheme) {
        return Err(PeerMisbehaved::SelectedUnoffered {
            what: "signature scheme",
            value: cv.scheme.to_string(),
        }
        .into());
    }
    let message = certificate_verify_message(from_server, transcript.current().as_ref());
    check_signature(
        chain,
        cv.scheme,
        spki,
        &message,
        &cv.signature,
        PeerMisbehaved::BadCertificateVerify { scheme: cv.scheme },
    )
}
