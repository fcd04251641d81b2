//! Development certificates: a throwaway CA and a leaf it signs.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SignatureAlgorithm,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A leaf certificate chain (leaf, CA) with the leaf's key, and the CA certificate.
pub struct DevChain {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    pub ca: CertificateDer<'static>,
}

/// Which key type a development certificate gets.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum KeyType {
    /// ECDSA P-256.
    Ecdsa,
    /// RSA 2048.
    Rsa,
}

impl KeyType {
    fn algorithm(self) -> &'static SignatureAlgorithm {
        match self {
            KeyType::Ecdsa => &rcgen::PKCS_ECDSA_P256_SHA256,
            KeyType::Rsa => &rcgen::PKCS_RSA_SHA256,
        }
    }
}

fn err(e: rcgen::Error) -> String {
    format!("could not generate a development certificate: {e}")
}

/// Generates a CA and a leaf for `names` (DNS names or IP addresses).
pub fn generate(names: &[&str], key_type: KeyType) -> Result<DevChain, String> {
    let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(err)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "ferrotls development CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca_params.self_signed(&ca_key).map_err(err)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let leaf_key = match key_type {
        KeyType::Rsa => KeyPair::generate_rsa_for(key_type.algorithm(), rcgen::RsaKeySize::_2048),
        KeyType::Ecdsa => KeyPair::generate_for(key_type.algorithm()),
    }
    .map_err(err)?;
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .map_err(err)?;
    if let Some(first) = names.first() {
        params.distinguished_name.push(DnType::CommonName, *first);
    }
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    // RFC 5280, 4.2.1.1: strict path validation wants the authority key identifier.
    params.use_authority_key_identifier_extension = true;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let leaf = params.signed_by(&leaf_key, &issuer).map_err(err)?;

    Ok(DevChain {
        chain: vec![leaf.der().clone(), ca_cert.der().clone()],
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        ca: ca_cert.der().clone(),
    })
}
