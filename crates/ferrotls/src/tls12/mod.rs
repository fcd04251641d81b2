//! TLS 1.2 (RFC 5246): PRF and key block ([`prf`]), cipher suites ([`suites`]).
//! The client and server state machines live beside them (`client.rs`, `server.rs`).

pub(crate) mod client;
pub mod prf;
pub(crate) mod server;
pub mod suites;

pub use suites::{Tls12CipherSuite, DEFAULT_TLS12_SUITES, LEGACY_TLS12_SUITES};

use std::sync::Arc;

use zeroize::Zeroize;

use crate::conn::output::Output;
use crate::crypto::{HashContext, RandomSource};
use crate::error::{CryptoError, Error};
use crate::exporter::ExporterSecret;
use crate::msgs::enums::SignatureScheme;
use crate::msgs::{HandshakeMessage12, HandshakePayload12};
use crate::record::protect12::{new_pair_from_key_block, Decrypter12, Encrypter12};
use prf::{MasterSecret, VerifyData, MAX_KEY_BLOCK_LEN};
use suites::SignatureAlgorithm;

/// What both sides of a TLS 1.2 handshake track (RFC 5246, 7.3): the suite, the
/// randoms, the transcript, and the negotiated EMS and encrypt-then-MAC.
#[derive(Debug)]
pub(crate) struct HandshakeCore {
    pub suite: &'static Tls12CipherSuite,
    pub client_random: [u8; 32],
    pub server_random: [u8; 32],
    pub transcript: HashContext,
    /// Every handshake message so far, kept only while a CertificateVerify may need
    /// them (RFC 5246, 7.4.8): a full handshake with client authentication.
    pub messages: Option<Vec<u8>>,
    pub ems: bool,
    pub etm: bool,
    /// Where our handshake messages are encoded, reused from one to the next.
    encode_buf: Vec<u8>,
}

/// Room for the handshake messages a CertificateVerify covers, client certificate
/// chain included, before the buffer has to grow.
const MESSAGES_CAPACITY: usize = 4096;

/// Room for our largest usual message (a Certificate chain grows it once).
const ENCODE_CAPACITY: usize = 256;

impl HandshakeCore {
    /// What the connection's keying material exporter derives from (RFC 5705).
    pub fn exporter(&self, master: &MasterSecret) -> ExporterSecret {
        ExporterSecret::tls12(
            self.suite.hash,
            master.as_bytes(),
            &self.client_random,
            &self.server_random,
            self.ems,
        )
    }

    /// The state after the hellos are chosen, with an empty transcript; `log_messages`
    /// keeps every message for a CertificateVerify.
    pub fn new(
        suite: &'static Tls12CipherSuite,
        client_random: [u8; 32],
        server_random: [u8; 32],
        ems: bool,
        etm: bool,
        log_messages: bool,
    ) -> Self {
        HandshakeCore {
            suite,
            client_random,
            server_random,
            transcript: HashContext::new(suite.hash),
            messages: log_messages.then(|| Vec::with_capacity(MESSAGES_CAPACITY)),
            ems,
            etm,
            encode_buf: Vec::with_capacity(ENCODE_CAPACITY),
        }
    }

    /// Adds a handshake message to the transcript hash and the message log.
    pub fn record(&mut self, raw: &[u8]) {
        self.transcript.update(raw);
        if let Some(m) = &mut self.messages {
            m.extend_from_slice(raw);
        }
    }

    /// Encodes, records and queues one of our handshake messages.
    pub fn send(&mut self, out: &mut Output<'_>, payload: HandshakePayload12) -> Result<(), Error> {
        let msg = HandshakeMessage12::new(payload);
        let mut raw = std::mem::take(&mut self.encode_buf);
        raw.clear();
        msg.encode(&mut raw);
        self.record(&raw);
        let sent = out.send_handshake12(&msg, &raw);
        self.encode_buf = raw;
        sent
    }

    /// Encodes a hello (shared with TLS 1.3's types) the way [`Self::send`] does.
    pub fn send_hello(
        &mut self,
        out: &mut Output<'_>,
        msg: &crate::msgs::HandshakeMessage,
    ) -> Result<(), Error> {
        let mut raw = std::mem::take(&mut self.encode_buf);
        raw.clear();
        msg.encode(&mut raw);
        self.record(&raw);
        let sent = out.send_handshake_raw(msg, &raw);
        self.encode_buf = raw;
        sent
    }

    /// master_secret, extended (RFC 7627, 4) when negotiated (RFC 5246, 8.1).
    pub fn master_secret(&self, pre_master: &[u8]) -> MasterSecret {
        if self.ems {
            MasterSecret::extended(
                self.suite.hash,
                pre_master,
                self.transcript.current().as_ref(),
            )
        } else {
            MasterSecret::from_pre_master(
                self.suite.hash,
                pre_master,
                &self.client_random,
                &self.server_random,
            )
        }
    }

    /// The key block and both record protectors, for our side (RFC 5246, 6.3). They
    /// are boxed at once: the states carry them until the ChangeCipherSpecs.
    pub fn keys(
        &self,
        master: &MasterSecret,
        is_client: bool,
        random: Arc<dyn RandomSource>,
    ) -> Result<(Box<Encrypter12>, Box<Decrypter12>), Error> {
        let len = self.suite.key_block_layout().total_len();
        let mut buf = [0u8; MAX_KEY_BLOCK_LEN];
        let block = buf.get_mut(..len).ok_or(CryptoError::BadKeyLength {
            algorithm: "TLS 1.2 key block",
            length: len,
        })?;
        master.key_block(&self.server_random, &self.client_random, block);
        let pair = new_pair_from_key_block(self.suite, block, is_client, self.etm);
        block.zeroize();
        let (enc, dec) = pair?;
        let mut enc = Box::new(enc);
        enc.set_random(random);
        Ok((enc, Box::new(dec)))
    }

    /// Finished.verify_data over the transcript so far (RFC 5246, 7.4.9).
    pub fn finished(&self, master: &MasterSecret, label: &[u8]) -> VerifyData {
        master.verify_data(label, self.transcript.current().as_ref())
    }
}

/// The signature schemes a TLS 1.2 client offers and accepts in ServerKeyExchange.
pub(crate) fn tls12_schemes() -> &'static [SignatureScheme] {
    &[
        SignatureScheme::ECDSA_NISTP256_SHA256,
        SignatureScheme::ECDSA_NISTP384_SHA384,
        SignatureScheme::ED25519,
        SignatureScheme::RSA_PSS_RSAE_SHA256,
        SignatureScheme::RSA_PSS_RSAE_SHA384,
        SignatureScheme::RSA_PSS_RSAE_SHA512,
        SignatureScheme::RSA_PKCS1_SHA256,
        SignatureScheme::RSA_PKCS1_SHA384,
        SignatureScheme::RSA_PKCS1_SHA512,
    ]
}

/// Whether `scheme` signs with the key type the suite names (RFC 5246, 7.4.3).
pub(crate) fn scheme_matches(scheme: SignatureScheme, sign: SignatureAlgorithm) -> bool {
    use SignatureScheme as S;
    match sign {
        SignatureAlgorithm::Ecdsa => matches!(
            scheme,
            S::ECDSA_NISTP256_SHA256 | S::ECDSA_NISTP384_SHA384 | S::ED25519
        ),
        SignatureAlgorithm::Rsa => matches!(
            scheme,
            S::RSA_PSS_RSAE_SHA256
                | S::RSA_PSS_RSAE_SHA384
                | S::RSA_PSS_RSAE_SHA512
                | S::RSA_PKCS1_SHA256
                | S::RSA_PKCS1_SHA384
                | S::RSA_PKCS1_SHA512
        ),
    }
}
