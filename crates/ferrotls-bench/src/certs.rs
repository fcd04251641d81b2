//! The certificates every row uses: a root, an intermediate and a leaf for
//! "localhost", all ECDSA P-256 in one chain and all RSA-2048 in the other.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SignatureAlgorithm,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The name in the leaf and the one every client connects to.
pub const SERVER_NAME: &str = "localhost";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    EcdsaP256,
    Rsa2048,
}

impl KeyType {
    pub fn label(self) -> &'static str {
        match self {
            KeyType::EcdsaP256 => "ECDSA P-256",
            KeyType::Rsa2048 => "RSA-2048",
        }
    }

    fn alg(self) -> &'static SignatureAlgorithm {
        match self {
            KeyType::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            KeyType::Rsa2048 => &rcgen::PKCS_RSA_SHA256,
        }
    }
}

/// A three-certificate chain and the leaf's key.
pub struct Chain {
    pub key_type: KeyType,
    pub root: CertificateDer<'static>,
    pub intermediate: CertificateDer<'static>,
    pub leaf: CertificateDer<'static>,
    pub leaf_key_pkcs8: Vec<u8>,
    pub leaf_key_pem: String,
    pub intermediate_pem: String,
    pub leaf_pem: String,
}

impl Chain {
    /// What a server sends: leaf, then intermediate.
    pub fn served(&self) -> Vec<CertificateDer<'static>> {
        vec![self.leaf.clone(), self.intermediate.clone()]
    }

    pub fn key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.leaf_key_pkcs8.clone()))
    }
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name.push(DnType::CommonName, cn);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p.use_authority_key_identifier_extension = true;
    p
}

/// Generates a chain (RSA key generation takes a moment).
pub fn chain(key_type: KeyType) -> Chain {
    let alg = key_type.alg();
    let root_key = KeyPair::generate_for(alg).expect("root key");
    let root_params = ca_params(&format!("ferrotls-bench root {}", key_type.label()));
    let root = root_params
        .self_signed(&root_key)
        .expect("root certificate");
    let root_issuer = Issuer::new(root_params, root_key);

    let inter_key = KeyPair::generate_for(alg).expect("intermediate key");
    let inter_params = ca_params(&format!("ferrotls-bench intermediate {}", key_type.label()));
    let inter = inter_params
        .signed_by(&inter_key, &root_issuer)
        .expect("intermediate certificate");
    let inter_issuer = Issuer::new(inter_params, inter_key);

    let leaf_key = KeyPair::generate_for(alg).expect("leaf key");
    let mut leaf_params =
        CertificateParams::new(vec![SERVER_NAME.to_string()]).expect("leaf params");
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, SERVER_NAME);
    leaf_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf_params.use_authority_key_identifier_extension = true;
    let leaf = leaf_params
        .signed_by(&leaf_key, &inter_issuer)
        .expect("leaf certificate");

    Chain {
        key_type,
        intermediate_pem: inter.pem(),
        leaf_pem: leaf.pem(),
        root: root.der().clone(),
        intermediate: inter.der().clone(),
        leaf: leaf.der().clone(),
        leaf_key_pkcs8: leaf_key.serialize_der(),
        leaf_key_pem: leaf_key.serialize_pem(),
    }
}
