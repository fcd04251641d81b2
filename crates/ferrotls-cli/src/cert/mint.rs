//! A local certificate authority and the certificates it issues (like mkcert): used by
//! `ferrotls cert`, `ferrotls server --dev` and `ferrotls demo`, so there is one way
//! of making certificates.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rcgen::{
    BasicConstraints, CertificateParams, CidrSubnet, DnType, ExtendedKeyUsagePurpose,
    GeneralSubtree, IsCa, Issuer, KeyPair, KeyUsagePurpose, NameConstraints, SanType, SerialNumber,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::legacy;
use crate::common::pem_encode;

/// File names of the CA in its directory.
pub const CA_CERT_FILE: &str = "ferrotls-ca.pem";
pub const CA_KEY_FILE: &str = "ferrotls-ca.key";

const DAY: u64 = 86_400;

/// Which key type an issued certificate gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum KeyType {
    /// ECDSA P-256.
    Ecdsa,
    /// RSA 2048.
    Rsa,
}

/// Ways to make a certificate that verifiers must reject, for practice and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Broken {
    /// notAfter 30 days in the past.
    Expired,
    /// notBefore 30 days in the future.
    NotYetValid,
    /// The SANs name wrong-name.invalid; the subject CN still names the host (and is ignored).
    WrongName,
    /// Signed by its own key instead of the CA.
    SelfSigned,
    /// A 1024-bit RSA key.
    #[value(name = "weak-rsa-1024")]
    WeakRsa1024,
    /// Signed by the CA with ecdsa-with-SHA1.
    Sha1,
    /// The extendedKeyUsage lacks the purpose (serverAuth; clientAuth with --client).
    MissingEku,
    /// A CA certificate (cA=TRUE, keyCertSign) used as the end-entity certificate.
    CaAsLeaf,
    /// Signed by an intermediate CA (itself signed by the CA) that NAME-no-intermediate.pem
    /// leaves out, as a misconfigured server does; the intermediate is written to
    /// NAME-no-intermediate-intermediate.pem. Needs a CA made with `cert ca --path-len 1`.
    NoIntermediate,
}

impl Broken {
    /// The value as typed on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Broken::Expired => "expired",
            Broken::NotYetValid => "not-yet-valid",
            Broken::WrongName => "wrong-name",
            Broken::SelfSigned => "self-signed",
            Broken::WeakRsa1024 => "weak-rsa-1024",
            Broken::Sha1 => "sha1",
            Broken::MissingEku => "missing-eku",
            Broken::CaAsLeaf => "ca-as-leaf",
            Broken::NoIntermediate => "no-intermediate",
        }
    }

    /// What is wrong with the certificate, as a sentence fragment.
    pub fn what(self, client: bool) -> &'static str {
        match (self, client) {
            (Broken::Expired, _) => "it expired 30 days ago",
            (Broken::NotYetValid, _) => "it becomes valid only in 30 days",
            (Broken::WrongName, _) => {
                "its subjectAltName names only wrong-name.invalid (the subject CN names the host, and verifiers ignore it)"
            }
            (Broken::SelfSigned, _) => "it is signed by its own key, not by the CA",
            (Broken::WeakRsa1024, _) => "its key is 1024-bit RSA",
            (Broken::Sha1, _) => "the CA signed it with ecdsa-with-SHA1",
            (Broken::MissingEku, false) => {
                "its extendedKeyUsage allows only clientAuth, not serverAuth"
            }
            (Broken::MissingEku, true) => {
                "its extendedKeyUsage allows only serverAuth, not clientAuth"
            }
            (Broken::CaAsLeaf, _) => {
                "it is a CA certificate (basicConstraints cA=TRUE, keyCertSign) used as an end-entity certificate"
            }
            (Broken::NoIntermediate, _) => {
                "it is signed by an intermediate CA, and its file leaves that intermediate out (as a misconfigured server does)"
            }
        }
    }
}

fn err(e: rcgen::Error) -> String {
    format!("could not make the certificate: {e}")
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn datetime(secs: u64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(secs as i64)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// A random positive serial number of 16 bytes (RFC 5280, 4.1.2.2; CA/B BR 7.1: at
/// least 64 random bits).
fn random_serial() -> Result<SerialNumber, String> {
    let mut bytes = legacy::random_bytes(16)?;
    bytes[0] = bytes[0] & 0x7f | 0x01;
    Ok(SerialNumber::from_slice(&bytes))
}

/// `user@host`, to tell one machine's development CA from another's (as mkcert does).
fn user_at_host() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "user".into());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into());
    format!("{user}@{host}")
}

/// Options for a new CA.
#[derive(Clone, Debug)]
pub struct CaOptions {
    pub days: u32,
    /// Permitted subtrees: DNS names (`example.test`) or CIDR blocks (`10.0.0.0/8`).
    pub name_constraints: Vec<String>,
    /// How many intermediate CAs may stand below the CA (pathLenConstraint); 0, the
    /// default, lets it issue end-entity certificates only.
    pub path_len: u8,
}

impl Default for CaOptions {
    fn default() -> Self {
        CaOptions {
            days: 3650,
            name_constraints: Vec::new(),
            path_len: 0,
        }
    }
}

fn name_constraint(text: &str) -> Result<GeneralSubtree, String> {
    if let Some((addr, prefix)) = text.split_once('/') {
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("name constraint {text}: {addr} is not an IP address"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix: u8 = prefix.parse().ok().filter(|p| *p <= max).ok_or_else(|| {
            format!("name constraint {text}: the prefix length must be 0 to {max}")
        })?;
        return Ok(GeneralSubtree::IpAddress(CidrSubnet::from_addr_prefix(
            addr, prefix,
        )));
    }
    if text.parse::<IpAddr>().is_ok() {
        return Err(format!(
            "name constraint {text}: give an IP range as a CIDR block, like {text}/32"
        ));
    }
    check_dns_name(text.trim_start_matches('.'))
        .map_err(|e| format!("name constraint {text}: {e}"))?;
    Ok(GeneralSubtree::DnsName(text.to_string()))
}

/// A CA: its certificate and the issuer (name, key identifier, key) that signs with it.
pub struct Ca {
    pub cert: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    /// A new ECDSA P-256 CA, by default allowed to issue end-entity certificates only
    /// (pathLen 0).
    pub fn generate(opts: &CaOptions) -> Result<Ca, String> {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(err)?;
        let mut params = CertificateParams::default();
        let who = user_at_host();
        params
            .distinguished_name
            .push(DnType::OrganizationName, "ferrotls development CA");
        params
            .distinguished_name
            .push(DnType::OrganizationalUnitName, who.as_str());
        params
            .distinguished_name
            .push(DnType::CommonName, format!("ferrotls {who}"));
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(opts.path_len));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let now = now_secs();
        params.not_before = datetime(now - 3600);
        params.not_after = datetime(now + u64::from(opts.days) * DAY);
        params.serial_number = Some(random_serial()?);
        if !opts.name_constraints.is_empty() {
            params.name_constraints = Some(NameConstraints {
                permitted_subtrees: opts
                    .name_constraints
                    .iter()
                    .map(|n| name_constraint(n))
                    .collect::<Result<_, _>>()?,
                excluded_subtrees: Vec::new(),
            });
        }
        let cert = params.self_signed(&key).map_err(err)?;
        Ok(Ca {
            cert: cert.der().clone(),
            issuer: Issuer::new(params, key),
        })
    }

    /// Loads `ferrotls-ca.pem` and `ferrotls-ca.key` from `dir`.
    pub fn load(dir: &Path) -> Result<Ca, String> {
        let (cert_path, key_path) = (dir.join(CA_CERT_FILE), dir.join(CA_KEY_FILE));
        if !cert_path.exists() || !key_path.exists() {
            return Err(format!(
                "no CA in {}: {CA_CERT_FILE} and {CA_KEY_FILE} are not both there. Create one with `ferrotls cert ca --out {}`",
                dir.display(),
                dir.display()
            ));
        }
        let cert = ferrotls::pem::load_certs(&cert_path)
            .map_err(|e| e.to_string())?
            .into_iter()
            .next()
            .ok_or_else(|| format!("{} holds no certificate", cert_path.display()))?;
        let key_pem = std::fs::read_to_string(&key_path)
            .map_err(|e| format!("cannot read {}: {e}", key_path.display()))?;
        let key = KeyPair::from_pem(&key_pem).map_err(|e| {
            format!(
                "{} is not a private key ferrotls can sign with: {e}",
                key_path.display()
            )
        })?;
        let spki = x509_parser::parse_x509_certificate(cert.as_ref())
            .map(|(_, c)| c.public_key().raw.to_vec())
            .map_err(|e| format!("{} does not parse: {e}", cert_path.display()))?;
        if rcgen::PublicKeyData::subject_public_key_info(&key) != spki {
            return Err(format!(
                "{} is not the private key of {}",
                key_path.display(),
                cert_path.display()
            ));
        }
        let issuer = Issuer::from_ca_cert_der(&cert, key)
            .map_err(|e| format!("{} cannot be used as a CA: {e}", cert_path.display()))?;
        Ok(Ca { cert, issuer })
    }

    /// Loads the CA in `dir`, or creates (and saves) one there. The flag says whether
    /// it was created.
    pub fn load_or_create(dir: &Path) -> Result<(Ca, bool), String> {
        if dir.join(CA_CERT_FILE).exists() || dir.join(CA_KEY_FILE).exists() {
            return Ok((Ca::load(dir)?, false));
        }
        let ca = Ca::generate(&CaOptions::default())?;
        ca.save(dir)?;
        Ok((ca, true))
    }

    /// Writes `ferrotls-ca.pem` and `ferrotls-ca.key` (mode 0600) into `dir`.
    pub fn save(&self, dir: &Path) -> Result<(PathBuf, PathBuf), String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let (cert_path, key_path) = (dir.join(CA_CERT_FILE), dir.join(CA_KEY_FILE));
        write_file(
            &cert_path,
            &pem_encode("CERTIFICATE", self.cert.as_ref()),
            false,
        )?;
        write_file(
            &key_path,
            &pem_encode("PRIVATE KEY", &self.issuer.key().serialize_der()),
            true,
        )?;
        Ok((cert_path, key_path))
    }

    /// Issues an end-entity certificate for `req.names`.
    pub fn issue(&self, req: &LeafRequest<'_>) -> Result<Leaf, String> {
        if req.names.is_empty() {
            return Err("give at least one name (DNS name or IP address) to issue for".into());
        }
        let sans = req
            .names
            .iter()
            .map(|n| san(n, req.client))
            .collect::<Result<Vec<_>, _>>()?;
        let broken = req.broken;
        // --broken no-intermediate: the leaf is signed by a fresh intermediate CA.
        let intermediate = if broken == Some(Broken::NoIntermediate) {
            Some(self.intermediate(req.days)?)
        } else {
            None
        };
        let signer = intermediate.as_ref().map_or(&self.issuer, |(_, i)| i);
        let mut params = CertificateParams::default();
        params.subject_alt_names = if broken == Some(Broken::WrongName) {
            vec![SanType::DnsName(
                "wrong-name.invalid".try_into().map_err(err)?,
            )]
        } else {
            sans
        };
        params
            .distinguished_name
            .push(DnType::OrganizationName, "ferrotls development certificate");
        params
            .distinguished_name
            .push(DnType::CommonName, req.names[0].as_str());
        params.serial_number = Some(random_serial()?);
        let days = u64::from(req.days.max(1)) * DAY;
        let now = now_secs();
        let (not_before, not_after) = match broken {
            Some(Broken::Expired) => ((now - 30 * DAY).saturating_sub(days), now - 30 * DAY),
            // An hour past 30 days, so that checks in the next hour still say "30
            // days" (durations are stated in whole units, rounded down).
            Some(Broken::NotYetValid) => (now + 30 * DAY + 3600, now + 30 * DAY + 3600 + days),
            _ => (now - 3600, now + days),
        };
        params.not_before = datetime(not_before);
        params.not_after = datetime(not_after);
        let rsa = req.key == KeyType::Rsa || broken == Some(Broken::WeakRsa1024);
        // RFC 5280, 4.2.1.3; RSA keys may also encrypt the TLS 1.2 premaster secret.
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        if rsa {
            params.key_usages.push(KeyUsagePurpose::KeyEncipherment);
        }
        // ExplicitNoCa writes basicConstraints cA=FALSE and the subjectKeyIdentifier.
        params.is_ca = IsCa::ExplicitNoCa;
        if broken == Some(Broken::CaAsLeaf) {
            params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
            params.key_usages.push(KeyUsagePurpose::KeyCertSign);
            params.key_usages.push(KeyUsagePurpose::CrlSign);
        }
        let (wanted, other) = if req.client {
            (
                ExtendedKeyUsagePurpose::ClientAuth,
                ExtendedKeyUsagePurpose::ServerAuth,
            )
        } else {
            (
                ExtendedKeyUsagePurpose::ServerAuth,
                ExtendedKeyUsagePurpose::ClientAuth,
            )
        };
        params.extended_key_usages = vec![if broken == Some(Broken::MissingEku) {
            other
        } else {
            wanted
        }];
        // RFC 5280, 4.2.1.1: strict path validation wants the authority key identifier.
        params.use_authority_key_identifier_extension = broken != Some(Broken::SelfSigned);

        let (der, key) = if broken == Some(Broken::WeakRsa1024) {
            let weak = legacy::generate_rsa(1024)?;
            let cert = params
                .signed_by(&legacy::RsaPublicKey(weak.public_pkcs1), &self.issuer)
                .map_err(err)?;
            (cert.der().to_vec(), weak.private_pkcs8)
        } else {
            let key = match rsa {
                true => {
                    KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
                }
                false => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256),
            }
            .map_err(err)?;
            let cert = if broken == Some(Broken::SelfSigned) {
                params.self_signed(&key)
            } else {
                params.signed_by(&key, signer)
            }
            .map_err(err)?;
            (cert.der().to_vec(), key.serialize_der())
        };
        let der = if broken == Some(Broken::Sha1) {
            let scalar = legacy::p256_private_scalar(&self.issuer.key().serialize_der())
                .ok_or("--broken sha1 needs an ECDSA P-256 CA key")?;
            legacy::resign_with_sha1(&der, &scalar)?
        } else {
            der
        };
        let mut chain = vec![CertificateDer::from(der)];
        if broken != Some(Broken::SelfSigned) && intermediate.is_none() {
            chain.push(self.cert.clone());
        }
        Ok(Leaf {
            chain,
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)),
            intermediate: intermediate.map(|(cert, _)| cert),
        })
    }

    /// The pathLenConstraint of the CA certificate (None: unlimited or unreadable).
    fn path_len(&self) -> Option<u32> {
        let (_, cert) = x509_parser::parse_x509_certificate(self.cert.as_ref()).ok()?;
        let bc = cert.basic_constraints().ok()??;
        bc.value.path_len_constraint
    }

    /// A new intermediate CA (ECDSA P-256, pathLen 0) signed by this CA, valid for
    /// `days` plus a day; its certificate and the issuer that signs with it.
    fn intermediate(
        &self,
        days: u32,
    ) -> Result<(CertificateDer<'static>, Issuer<'static, KeyPair>), String> {
        if self.path_len() == Some(0) {
            return Err(
                "--broken no-intermediate needs a CA that may sign an intermediate CA, but this CA has pathLen 0 (it may issue end-entity certificates only). Create one that allows an intermediate: ferrotls cert ca --out DIR --path-len 1, then pass --ca-dir DIR"
                    .into(),
            );
        }
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(err)?;
        let mut params = CertificateParams::default();
        let who = user_at_host();
        params
            .distinguished_name
            .push(DnType::OrganizationName, "ferrotls development CA");
        params
            .distinguished_name
            .push(DnType::OrganizationalUnitName, who.as_str());
        params
            .distinguished_name
            .push(DnType::CommonName, format!("ferrotls intermediate {who}"));
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let now = now_secs();
        params.not_before = datetime(now - 3600);
        params.not_after = datetime(now + (u64::from(days.max(1)) + 1) * DAY);
        params.serial_number = Some(random_serial()?);
        params.use_authority_key_identifier_extension = true;
        let cert = params.signed_by(&key, &self.issuer).map_err(err)?;
        Ok((cert.der().clone(), Issuer::new(params, key)))
    }
}

/// What to issue.
#[derive(Clone, Debug)]
pub struct LeafRequest<'a> {
    pub names: &'a [String],
    pub days: u32,
    pub key: KeyType,
    /// A client certificate (clientAuth) instead of a server certificate (serverAuth).
    pub client: bool,
    pub broken: Option<Broken>,
}

impl<'a> LeafRequest<'a> {
    pub fn server(names: &'a [String]) -> Self {
        LeafRequest {
            names,
            days: 825,
            key: KeyType::Ecdsa,
            client: false,
            broken: None,
        }
    }
}

/// An issued certificate: the chain (leaf first, then the CA unless self-signed) and
/// the leaf's private key.
pub struct Leaf {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    /// For `--broken no-intermediate`: the intermediate CA that signed the leaf and
    /// that `chain` leaves out.
    pub intermediate: Option<CertificateDer<'static>>,
}

impl Leaf {
    /// Writes `STEM.pem` (the chain) and `STEM.key` (mode 0600) into `dir`.
    pub fn save(&self, dir: &Path, stem: &str) -> Result<(PathBuf, PathBuf), String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let (cert_path, key_path) = (
            dir.join(format!("{stem}.pem")),
            dir.join(format!("{stem}.key")),
        );
        let chain: String = self
            .chain
            .iter()
            .map(|c| pem_encode("CERTIFICATE", c.as_ref()))
            .collect();
        write_file(&cert_path, &chain, false)?;
        write_file(
            &key_path,
            &pem_encode("PRIVATE KEY", self.key.secret_der()),
            true,
        )?;
        Ok((cert_path, key_path))
    }

    /// Writes the left-out intermediate (if any) to `STEM-intermediate.pem` in `dir`.
    pub fn save_intermediate(&self, dir: &Path, stem: &str) -> Result<Option<PathBuf>, String> {
        let Some(cert) = &self.intermediate else {
            return Ok(None);
        };
        let path = dir.join(format!("{stem}-intermediate.pem"));
        write_file(&path, &pem_encode("CERTIFICATE", cert.as_ref()), false)?;
        Ok(Some(path))
    }
}

/// The file name stem for a certificate of `first_name`, as mkcert makes it:
/// `*.example.test` becomes `_wildcard.example.test`, colons become underscores.
pub fn file_stem(first_name: &str) -> String {
    first_name
        .replace('*', "_wildcard")
        .replace([':', '/', '\\'], "_")
}

fn write_file(path: &Path, text: &str, secret: bool) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let _ = secret;
    let mut file = options
        .open(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    std::io::Write::write_all(&mut file, text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// RFC 1034 host name syntax (with `_` tolerated) and an optional leading `*.` label.
pub fn check_dns_name(name: &str) -> Result<(), String> {
    let body = name.strip_prefix("*.").unwrap_or(name);
    if body.is_empty() || body.len() > 253 {
        return Err(format!("{name} is not a DNS name (1 to 253 characters)"));
    }
    for label in body.trim_end_matches('.').split('.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok {
            return Err(format!(
                "{name} is neither a DNS name nor an IP address (label {label:?} is not letters, digits and inner hyphens)"
            ));
        }
    }
    Ok(())
}

fn san(name: &str, client: bool) -> Result<SanType, String> {
    if let Ok(ip) = name.parse::<IpAddr>() {
        return Ok(SanType::IpAddress(ip));
    }
    if client && name.contains('@') {
        return Ok(SanType::Rfc822Name(name.try_into().map_err(err)?));
    }
    check_dns_name(name)?;
    Ok(SanType::DnsName(
        name.to_ascii_lowercase().try_into().map_err(err)?,
    ))
}

/// Whether `chain` is a current certificate from `ca`: issued by it (the chain's
/// second certificate is the CA) and valid for at least `margin` more.
pub fn still_good(chain: &[CertificateDer<'_>], ca: &Ca, margin: Duration) -> bool {
    let Some(leaf) = chain.first() else {
        return false;
    };
    if chain.get(1).map(|c| c.as_ref()) != Some(ca.cert.as_ref()) {
        return false;
    }
    match x509_parser::parse_x509_certificate(leaf.as_ref()) {
        Ok((_, c)) => {
            let not_after = c.validity().not_after.timestamp();
            not_after > (now_secs() + margin.as_secs()) as i64
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names_are_checked() {
        assert!(check_dns_name("localhost").is_ok());
        assert!(check_dns_name("*.example.test").is_ok());
        assert_eq!(
            check_dns_name("exa mple.test").unwrap_err(),
            "exa mple.test is neither a DNS name nor an IP address (label \"exa mple\" is not letters, digits and inner hyphens)"
        );
    }

    #[test]
    fn file_stems_follow_mkcert() {
        assert_eq!(file_stem("*.example.test"), "_wildcard.example.test");
        assert_eq!(file_stem("::1"), "__1");
    }

    #[test]
    fn name_constraints_parse() {
        assert!(matches!(
            name_constraint("10.0.0.0/8").unwrap(),
            GeneralSubtree::IpAddress(_)
        ));
        assert_eq!(
            name_constraint("10.0.0.1").unwrap_err(),
            "name constraint 10.0.0.1: give an IP range as a CIDR block, like 10.0.0.1/32"
        );
        assert_eq!(
            name_constraint("10.0.0.0/33").unwrap_err(),
            "name constraint 10.0.0.0/33: the prefix length must be 0 to 32"
        );
    }
}
