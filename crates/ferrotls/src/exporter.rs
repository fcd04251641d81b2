//! Keying material exporters: TLS 1.3's (RFC 8446, 7.5) and TLS 1.2's (RFC 5705,
//! with RFC 7627, 5.4's rule that only an extended master secret may be exported).
//!
//! Both sides of a connection derive the same bytes from a label, an optional
//! context and a length, for protocols that bind themselves to the TLS session.

use crate::crypto::{hash, HashAlgorithm, Secret};
use crate::error::{ApiError, Error};
use crate::tls13::key_schedule::{derive_secret, hkdf_expand_label_into};

/// TLS 1.2 labels the protocol itself uses with the PRF (RFC 5246, 7.4.9, 6.3, 8.1;
/// RFC 7627, 4): exporting under them would hand out TLS's own keys.
const RESERVED_TLS12_LABELS: [&[u8]; 5] = [
    b"client finished",
    b"server finished",
    b"master secret",
    b"key expansion",
    b"extended master secret",
];

/// What a connection's exporter derives from, kept once the handshake has it.
#[derive(Debug)]
pub(crate) enum ExporterSecret {
    /// exporter_master_secret (RFC 8446, 7.1) and the suite's hash.
    Tls13 { hash: HashAlgorithm, secret: Secret },
    /// The master secret, the PRF hash and client_random + server_random.
    Tls12 {
        hash: HashAlgorithm,
        master: Secret,
        randoms: [u8; 64],
        /// Whether the master secret is an extended one (RFC 7627).
        extended: bool,
    },
}

impl ExporterSecret {
    pub fn tls12(
        hash: HashAlgorithm,
        master: &[u8],
        client_random: &[u8; 32],
        server_random: &[u8; 32],
        extended: bool,
    ) -> Self {
        let mut randoms = [0u8; 64];
        let (c, s) = randoms.split_at_mut(32);
        c.copy_from_slice(client_random);
        s.copy_from_slice(server_random);
        ExporterSecret::Tls12 {
            hash,
            master: Secret::from(master.to_vec()),
            randoms,
            extended,
        }
    }

    /// Fills `out` with keying material for `label` and `context`.
    pub fn export(
        &self,
        label: &[u8],
        context: Option<&[u8]>,
        out: &mut [u8],
    ) -> Result<(), Error> {
        let hash = match self {
            ExporterSecret::Tls13 { hash, .. } | ExporterSecret::Tls12 { hash, .. } => *hash,
        };
        // HKDF-Expand's limit (RFC 5869, 2.3), applied to both versions alike.
        let max = 255 * hash.output_len();
        if out.len() > max {
            return Err(ApiError::ExportTooLong {
                len: out.len(),
                max,
            }
            .into());
        }
        match self {
            ExporterSecret::Tls13 { hash, secret } => {
                // HkdfLabel: "tls13 " + label in an opaque<7..255>.
                if label.len() > 255 - b"tls13 ".len() {
                    return Err(ApiError::ExporterLabelTooLong { len: label.len() }.into());
                }
                // RFC 8446, 7.5: HKDF-Expand-Label(Derive-Secret(Secret, label, ""),
                // "exporter", Hash(context_value), key_length); no context hashes as "".
                let derived = derive_secret(*hash, secret.as_bytes(), label, &hash_of(*hash, b""));
                let context_hash = hash_of(*hash, context.unwrap_or_default());
                hkdf_expand_label_into(*hash, derived.as_bytes(), b"exporter", &context_hash, out);
                Ok(())
            }
            ExporterSecret::Tls12 {
                hash,
                master,
                randoms,
                extended,
            } => {
                if !extended {
                    return Err(ApiError::ExportWithoutExtendedMasterSecret.into());
                }
                if RESERVED_TLS12_LABELS.contains(&label) {
                    return Err(ApiError::ReservedExporterLabel {
                        label: String::from_utf8_lossy(label).into_owned(),
                    }
                    .into());
                }
                // RFC 5705, 4: client_random + server_random [+ context_length + context].
                let mut seed = randoms.to_vec();
                if let Some(context) = context {
                    let len = u16::try_from(context.len())
                        .map_err(|_| ApiError::ExporterContextTooLong { len: context.len() })?;
                    seed.extend_from_slice(&len.to_be_bytes());
                    seed.extend_from_slice(context);
                }
                let material =
                    crate::tls12::prf::prf(*hash, master.as_bytes(), label, &seed, out.len());
                out.copy_from_slice(material.as_bytes());
                Ok(())
            }
        }
    }
}

fn hash_of(alg: HashAlgorithm, data: &[u8]) -> Vec<u8> {
    hash(alg, data).as_ref().to_vec()
}
