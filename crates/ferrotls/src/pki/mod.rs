//! Certificate parsing glue and verification.
//!
//! [`Verifier`] builds a path from the end-entity certificate through the
//! intermediates given (in any order, possibly hostile) to a trust anchor and
//! validates it (RFC 5280, 6.1): signatures, validity, basicConstraints and path
//! length (and, as the Web PKI requires, no CA certificate as the end entity), key
//! and extended key usage, name constraints, critical extensions, distrust rules and
//! revocation (CRLs and stapled OCSP supplied by the caller). [`Policy`] adds the
//! CA/Browser Forum profile checks on request.
//! Every failure is a [`CertificateError`] sentence. [`PinnedCertVerifier`] trusts
//! exactly the configured certificates. The client never accepts an unverified chain.

use core::fmt::Debug;

use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

use crate::error::{CertificateError, Error};
use crate::msgs::enums::SignatureScheme;

mod anchors;
mod cert;
mod der;
mod distrust;
mod names;
mod path;
mod problems;
mod revocation;
mod search;
pub use crate::time;
mod verify;

pub use crate::error::{CertRole, RejectedPath};
pub use anchors::{DistrustRule, RootStore, TrustAnchor};
pub use distrust::SYMANTEC_DISTRUST_AFTER;
pub use path::{
    describe_certificate, ChainEntry, Policy, Purpose, Request, SubjectName, VerifiedPath,
};
pub use problems::Precedence;
pub use revocation::{crl_issuer, crls_from_bytes};
pub use verify::Verifier;

/// Proof that a server certificate chain was verified. Only verifiers create it, and
/// the client's handshake cannot advance to CertificateVerify without one.
#[derive(Debug)]
pub struct ServerCertVerified(());

impl ServerCertVerified {
    /// Called by a `ServerCertVerifier` implementation once it has verified a chain.
    pub fn assertion() -> Self {
        ServerCertVerified(())
    }
}

/// Decides whether a server's certificate chain is trusted for a server name.
pub trait ServerCertVerifier: Debug + Send + Sync {
    /// Verifies `end_entity` (with the `intermediates` the server sent) for `server_name`
    /// at time `now`. `ocsp` is the stapled OCSP response, empty if none.
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error>;

    /// Whether the handshake pauses for the verdict instead of calling
    /// `verify_server_cert` (`pause::Operation::VerifyServerCert`). No by
    /// default; `pause::DeferredServerCertVerifier` says yes.
    fn pauses(&self) -> bool {
        false
    }
}

/// Proof that a client certificate chain was verified. Only verifiers create it.
#[derive(Debug)]
pub struct ClientCertVerified(());

impl ClientCertVerified {
    /// Called by a `ClientCertVerifier` implementation once it has verified a chain.
    pub fn assertion() -> Self {
        ClientCertVerified(())
    }
}

/// Decides, on a server, whether a client's certificate chain is trusted
/// (RFC 8446, 4.4.2.4).
pub trait ClientCertVerifier: Debug + Send + Sync {
    /// Whether a client without a certificate is refused (certificate_required).
    fn client_auth_mandatory(&self) -> bool {
        true
    }

    /// Subjects (DER Names) of the acceptable CAs, for the certificate_authorities
    /// extension of CertificateRequest (RFC 8446, 4.2.4).
    fn root_hint_subjects(&self) -> Vec<Vec<u8>>;

    /// Verifies `end_entity` (with the `intermediates` the client sent) at `now`.
    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, Error>;

    /// Whether the handshake pauses for the verdict on a client's (non-empty) chain
    /// instead of calling `verify_client_cert`
    /// (`pause::Operation::VerifyClientCert`). No by default;
    /// `pause::DeferredClientCertVerifier` says yes.
    fn pauses(&self) -> bool {
        false
    }
}

/// Verifies client certificates for the clientAuth purpose against a trust store.
#[derive(Debug, Clone)]
pub struct ClientAuthVerifier {
    inner: Verifier,
    mandatory: bool,
}

impl ClientAuthVerifier {
    /// Client certificates are required and must chain to `verifier`'s roots.
    pub fn new(verifier: Verifier) -> Self {
        ClientAuthVerifier {
            inner: verifier,
            mandatory: true,
        }
    }

    /// Clients may connect without a certificate; those that send one are verified.
    pub fn optional(mut self) -> Self {
        self.mandatory = false;
        self
    }
}

impl ClientCertVerifier for ClientAuthVerifier {
    fn client_auth_mandatory(&self) -> bool {
        self.mandatory
    }

    fn root_hint_subjects(&self) -> Vec<Vec<u8>> {
        self.inner
            .roots()
            .anchors()
            .iter()
            .map(|a| a.subject.clone())
            .collect()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        let mut req = Request::new(
            end_entity.as_ref(),
            i64::try_from(now.as_secs()).unwrap_or(i64::MAX),
        );
        req.intermediates = intermediates.iter().map(|c| c.as_ref()).collect();
        req.purpose = Purpose::ClientAuth;
        req.tls_key_usage = true;
        self.inner.check(&req)?;
        Ok(ClientCertVerified::assertion())
    }
}

/// Trusts exactly the configured certificates (compared byte for byte with the
/// server's end-entity certificate), whatever name or validity they carry.
///
/// For development, tests and certificate pinning; the handshake still checks the
/// server's CertificateVerify signature and Finished.
#[derive(Debug, Clone)]
pub struct PinnedCertVerifier {
    certs: Vec<CertificateDer<'static>>,
}

impl PinnedCertVerifier {
    pub fn new(certs: Vec<CertificateDer<'static>>) -> Result<Self, Error> {
        if certs.is_empty() {
            return Err(crate::error::ConfigError::NoCertificates.into());
        }
        Ok(PinnedCertVerifier { certs })
    }
}

impl ServerCertVerifier for PinnedCertVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        if self.certs.iter().any(|c| c.as_ref() == end_entity.as_ref()) {
            return Ok(ServerCertVerified::assertion());
        }
        // RFC 5246, 7.2.2 and RFC 8446, 6.2: a certificate that does not parse is
        // corrupt (bad_certificate), not merely another one than the pinned.
        let subject = ParsedCert::parse(end_entity.as_ref())?.subject;
        Err(CertificateError::NotPinned { subject }.into())
    }
}

/// The SubjectPublicKeyInfo (whole DER) of a certificate, read with a minimal DER
/// walk: the handshake needs only this after the chain was verified.
pub fn spki_of(cert_der: &[u8]) -> Result<&[u8], CertificateError> {
    let bad = || CertificateError::BadEncoding {
        reason: "no SubjectPublicKeyInfo could be read from the certificate".into(),
    };
    let (tbs, _, _) = der::signed_parts(cert_der).ok_or_else(bad)?;
    // RFC 5280, 4.1: [0] version (optional), serialNumber, signature, issuer,
    // validity, subject, subjectPublicKeyInfo.
    let fields = der::items(tbs.content).ok_or_else(bad)?;
    let skip = usize::from(fields.first().is_some_and(|f| f.tag == 0xa0));
    fields
        .get(skip + 5)
        .filter(|f| f.tag == der::SEQUENCE)
        .map(|f| f.raw)
        .ok_or_else(bad)
}

/// A chain a verifier accepted, end-entity first, and the end-entity's
/// SubjectPublicKeyInfo for the CertificateVerify check: what a verification,
/// synchronous or answered after a pause, hands the next state.
pub(crate) fn chain_and_key(
    end_entity: CertificateDer<'static>,
    intermediates: Vec<CertificateDer<'static>>,
) -> Result<(Vec<CertificateDer<'static>>, Vec<u8>), CertificateError> {
    let spki = spki_of(end_entity.as_ref())?.to_vec();
    let mut chain = Vec::with_capacity(1 + intermediates.len());
    chain.push(end_entity);
    chain.extend(intermediates);
    Ok((chain, spki))
}

/// A server chain the verifier accepted, not yet proven by a CertificateVerify
/// (or a signed ServerKeyExchange).
#[derive(Debug)]
pub(crate) struct VerifiedServerChain {
    /// End-entity first: the peer's chain, for the connection to record.
    pub chain: Vec<CertificateDer<'static>>,
    /// The end-entity's SubjectPublicKeyInfo, to check the signature with.
    pub spki: Vec<u8>,
    pub verified: ServerCertVerified,
}

/// Verifies the server's chain for the handshake (either version): returns the
/// chain and the leaf's key, for CertificateVerify or ServerKeyExchange.
pub(crate) fn verify_server_chain(
    verifier: &dyn ServerCertVerifier,
    end_entity: CertificateDer<'static>,
    intermediates: Vec<CertificateDer<'static>>,
    server_name: &ServerName<'_>,
    ocsp: &[u8],
    now: UnixTime,
) -> Result<VerifiedServerChain, Error> {
    let verified =
        verifier.verify_server_cert(&end_entity, &intermediates, server_name, ocsp, now)?;
    let (chain, spki) = chain_and_key(end_entity, intermediates)?;
    Ok(VerifiedServerChain {
        chain,
        spki,
        verified,
    })
}

/// Verifies a client's chain on a server (RFC 8446, 4.4.2.4; RFC 5246, 7.4.6).
/// `Ok(None)` when the client sent no certificate and the verifier allows that;
/// otherwise the chain and the leaf's key. Without a verifier, a client
/// certificate was not asked for.
pub(crate) fn verify_client_chain(
    verifier: Option<&dyn ClientCertVerifier>,
    certs: impl IntoIterator<Item = CertificateDer<'static>>,
    now: UnixTime,
) -> Result<Option<CheckedClientChain>, Error> {
    let Some(verifier) = verifier else {
        return Err(crate::error::PeerMisbehaved::NoCertificate.into());
    };
    check_client_chain(verifier, certs, now)
}

/// A client chain the verifier accepted, not yet proven by a CertificateVerify.
#[derive(Debug)]
pub(crate) struct CheckedClientChain {
    /// End-entity first.
    pub chain: Vec<CertificateDer<'static>>,
    /// The end-entity's SubjectPublicKeyInfo, to check the CertificateVerify with.
    pub spki: Vec<u8>,
    pub verified: ClientCertVerified,
}

/// [`verify_client_chain`] without recording the chain as the peer's: for
/// post-handshake authentication, where it becomes the peer's only once the
/// CertificateVerify and Finished check out (RFC 8446, 4.6.2).
pub(crate) fn check_client_chain(
    verifier: &dyn ClientCertVerifier,
    certs: impl IntoIterator<Item = CertificateDer<'static>>,
    now: UnixTime,
) -> Result<Option<CheckedClientChain>, Error> {
    let mut certs = certs.into_iter();
    let Some(end_entity) = certs.next() else {
        if verifier.client_auth_mandatory() {
            return Err(crate::error::PeerMisbehaved::NoCertificate.into());
        }
        return Ok(None);
    };
    let intermediates: Vec<CertificateDer<'static>> = certs.collect();
    let verified = verifier.verify_client_cert(&end_entity, &intermediates, now)?;
    let (chain, spki) = chain_and_key(end_entity, intermediates)?;
    Ok(Some(CheckedClientChain {
        chain,
        spki,
        verified,
    }))
}

/// The few fields of a certificate the handshake itself needs.
#[derive(Debug, Clone)]
pub struct ParsedCert {
    /// The whole SubjectPublicKeyInfo, DER.
    pub spki: Vec<u8>,
    /// The subject as a readable string (e.g. "CN=localhost").
    pub subject: String,
    /// The issuer as a readable string.
    pub issuer: String,
    /// SAN dNSName entries, lowercased.
    pub dns_names: Vec<String>,
    /// SAN iPAddress entries, as text.
    pub ip_addresses: Vec<String>,
    /// notBefore and notAfter, seconds since the Unix epoch.
    pub not_before: i64,
    pub not_after: i64,
}

impl ParsedCert {
    pub fn parse(der: &[u8]) -> Result<Self, CertificateError> {
        let (rest, cert) =
            X509Certificate::from_der(der).map_err(|e| CertificateError::BadEncoding {
                reason: e.to_string(),
            })?;
        if !rest.is_empty() {
            return Err(CertificateError::BadEncoding {
                reason: format!("{} bytes follow the certificate", rest.len()),
            });
        }
        let mut dns_names = Vec::new();
        let mut ip_addresses = Vec::new();
        if let Ok(Some(san)) = cert.subject_alternative_name() {
            for name in &san.value.general_names {
                match name {
                    GeneralName::DNSName(d) => dns_names.push(d.to_ascii_lowercase()),
                    GeneralName::IPAddress(ip) => ip_addresses.push(ip_to_string(ip)),
                    _ => {}
                }
            }
        }
        Ok(ParsedCert {
            spki: cert.public_key().raw.to_vec(),
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            dns_names,
            ip_addresses,
            not_before: cert.validity().not_before.timestamp(),
            not_after: cert.validity().not_after.timestamp(),
        })
    }

    /// Whether a SAN dNSName covers `name` (wildcard only as the whole left-most label).
    pub fn covers_dns_name(&self, name: &str) -> bool {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        self.dns_names.iter().any(|pattern| {
            let pattern = pattern.trim_end_matches('.');
            match pattern.strip_prefix("*.") {
                Some(suffix) => name
                    .split_once('.')
                    .is_some_and(|(label, rest)| !label.is_empty() && rest == suffix),
                None => pattern == name,
            }
        })
    }
}

fn ip_to_string(ip: &[u8]) -> String {
    if let Ok(v4) = <[u8; 4]>::try_from(ip) {
        std::net::Ipv4Addr::from(v4).to_string()
    } else if let Ok(v6) = <[u8; 16]>::try_from(ip) {
        std::net::Ipv6Addr::from(v6).to_string()
    } else {
        format!("invalid({} bytes)", ip.len())
    }
}

/// The signature schemes we accept in a TLS 1.3 CertificateVerify.
pub fn tls13_verify_schemes() -> &'static [SignatureScheme] {
    crate::crypto::sign::tls13_verify_schemes()
}

#[cfg(test)]
mod spki_tests {
    use super::*;

    #[test]
    fn spki_of_matches_the_parsed_certificate() {
        for alg in [&rcgen::PKCS_ECDSA_P256_SHA256, &rcgen::PKCS_ED25519] {
            let (cert, _key) = crate::test_util::self_signed(alg, &["a.example"]);
            let der = cert.der().as_ref();
            assert_eq!(spki_of(der).unwrap(), ParsedCert::parse(der).unwrap().spki);
        }
        assert_eq!(
            spki_of(&[0x30, 0x00]).unwrap_err().to_string(),
            "peer's certificate could not be parsed: no SubjectPublicKeyInfo could be read from the certificate"
        );
    }
}
