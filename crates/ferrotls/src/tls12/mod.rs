//! TLS 1.2 (RFC 5246): PRF and key block ([`prf`]), cipher suites ([`suites`]).
//! The client and server state machines live beside them (`client.rs`, `server.rs`).

pub(crate) mod client;
pub mod prf;
pub(crate) mod server;
pub mod suites;

pub use suites::{Tls12CipherSuite, DEFAULT_TLS12_SUITES, LEGACY_TLS12_SUITES};

use std::sync::Arc;

use crate::conn::CommonState;
use crate::crypto::{HashContext, RandomSource, Secret};
use crate::error::Error;
use crate::msgs::{HandshakeMessage12, HandshakePayload12};
use crate::record::protect12::{new_pair_from_key_block, Decrypter12, Encrypter12};

/// What both sides of a TLS 1.2 handshake track (RFC 5246, 7.3): the suite, the
/// randoms, the transcript, and the negotiated EMS and encrypt-then-MAC.
#[derive(Debug)]
pub(crate) struct HandshakeCore {
    pub suite: &'static Tls12CipherSuite,
    pub client_random: [u8; 32],
    pub server_random: [u8; 32],
    pub transcript: HashContext,
    /// Every handshake message so far, for CertificateVerify (RFC 5246, 7.4.8).
    pub messages: Vec<u8>,
    pub ems: bool,
    pub etm: bool,
}

impl HandshakeCore {
    /// Adds a handshake message to the transcript hash and the message log.
    pub fn record(&mut self, raw: &[u8]) {
        self.transcript.update(raw);
        self.messages.extend_from_slice(raw);
    }

    /// Encodes, records and queues one of our handshake messages.
    pub fn send(
        &mut self,
        common: &mut CommonState,
        payload: HandshakePayload12,
    ) -> Result<(), Error> {
        let msg = HandshakeMessage12::new(payload);
        let raw = msg.to_bytes();
        self.record(&raw);
        common.send_handshake12(&msg, &raw)
    }

    /// master_secret, extended (RFC 7627, 4) when negotiated (RFC 5246, 8.1).
    pub fn master_secret(&self, pre_master: &[u8]) -> Secret {
        if self.ems {
            prf::extended_master_secret(
                self.suite.hash,
                pre_master,
                self.transcript.current().as_ref(),
            )
        } else {
            prf::master_secret(
                self.suite.hash,
                pre_master,
                &self.client_random,
                &self.server_random,
            )
        }
    }

    /// The key block and both record protectors, for our side (RFC 5246, 6.3).
    pub fn keys(
        &self,
        master: &Secret,
        is_client: bool,
        random: Arc<dyn RandomSource>,
    ) -> Result<(Encrypter12, Decrypter12), Error> {
        let len = self.suite.key_block_layout().total_len();
        let block = prf::key_block(
            self.suite.hash,
            master.as_bytes(),
            &self.server_random,
            &self.client_random,
            len,
        );
        let (mut enc, dec) =
            new_pair_from_key_block(self.suite, block.as_bytes(), is_client, self.etm)?;
        enc.set_random(random);
        Ok((enc, dec))
    }

    /// Finished.verify_data over the transcript so far (RFC 5246, 7.4.9).
    pub fn finished(&self, master: &Secret, label: &[u8]) -> Secret {
        prf::verify_data(
            self.suite.hash,
            master.as_bytes(),
            label,
            self.transcript.current().as_ref(),
        )
    }
}
