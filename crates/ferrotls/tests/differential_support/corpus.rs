//! The generated corpus: chains of several shapes (two to five certificates, ordered,
//! unordered, redundant, cross-signed), each clean, with one rule broken, or with two,
//! in four encoding profiles (with and without key identifiers, critical and
//! non-critical basicConstraints in CAs), plus self-signed leaves of both kinds.
//!
//! Keys are generated once per run and shared by every certificate of the same role;
//! certificates are cached by their description, so a CA used by many cases is made
//! once. Every date is fixed and every case is verified at [`VERIFY_AT`].

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use rcgen::{
    date_time_ymd, CertificateParams, CustomExtension, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, GeneralSubtree, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose,
    NameConstraints, PublicKeyData, SerialNumber, SignatureAlgorithm,
};

use super::der;
pub use super::kinds::{Fault, Profile, Shape};

/// 2026-03-04T12:00:00Z, the time every case is verified at.
pub const VERIFY_AT: i64 = 1_772_625_600;

/// The name every leaf is issued for.
pub const HOST: &str = "www.example.com";

/// A certificate in both encodings.
#[derive(Debug)]
pub struct Cert {
    pub der: Vec<u8>,
    pub pem: String,
}

/// One chain to verify for `host` at [`VERIFY_AT`].
#[derive(Debug)]
pub struct Case {
    /// `shape/profile/faults`, e.g. `inter/noids/leaf-expired+weak-key`.
    pub name: String,
    pub roots: Vec<Arc<Cert>>,
    /// As the server would send them, in this order.
    pub inters: Vec<Arc<Cert>>,
    pub leaf: Arc<Cert>,
    pub host: &'static str,
    /// Whether the rules of issue 13's default policy accept it: no fault but the
    /// trailing dot, a path to a trust anchor, no CA certificate as the leaf.
    pub expect_accept: bool,
}

/// The key pool: one key per role, generated once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum K {
    Root,
    OldRoot,
    NewRoot,
    Stranger,
    Upper,
    /// The intermediate I and the CA below it: RSA, so they can sign with SHA-1.
    Inter,
    Below,
    Leaf,
    /// Signs where the issuer should have (a signature that does not verify).
    ImpostorRsa,
    ImpostorEc,
    /// RSA-1024, public half only (see [`WEAK_SPKI_PEM`]).
    Weak,
}

/// rcgen and aws-lc-rs make no RSA key under 2048 bits. This 1024-bit public key was
/// made once with `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 |
/// openssl pkey -pubout`; a leaf never signs, so its private half is not needed.
const WEAK_SPKI_PEM: &str = "\
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC9fuSJZw/ALzs7U4udMlAUUZwA
peEZn5jHQZ2A63qgVbWX3s8cS6IhiVPu2dBcnawmB2rWN16x8LOTqjYYuTipNiLm
dyd5rkjbjnkymrmRBKzTCVXaID9KRoFILglaCUsvrsaZptStAVXbKPQwmLmXzOVs
MP5Ah9KWmJ6kg5PPbQIDAQAB";

/// A public key rcgen can put in a certificate without holding its private half.
struct PublicOnly {
    key_bits: Vec<u8>,
}

impl PublicKeyData for PublicOnly {
    fn der_bytes(&self) -> &[u8] {
        &self.key_bits
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &rcgen::PKCS_RSA_SHA256
    }
}

fn base64_decode(text: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let digits: Vec<u8> = text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
        .map(val)
        .collect();
    let mut out = Vec::new();
    for chunk in digits.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, d)| acc | u32::from(*d) << (18 - 6 * i));
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}

/// Validity windows, as (year, month, day) pairs.
type Window = ((i32, u8, u8), (i32, u8, u8));
const ROOT_WINDOW: Window = ((2020, 1, 1), (2040, 1, 1));
const CA_WINDOW: Window = ((2021, 1, 1), (2036, 1, 1));
const LEAF_WINDOW: Window = ((2026, 1, 1), (2026, 6, 1));
const EXPIRED_LEAF: Window = ((2025, 12, 1), (2026, 3, 1));
const EXPIRED_CA: Window = ((2021, 1, 1), (2026, 2, 1));
const FUTURE: Window = ((2026, 4, 1), (2036, 1, 1));

/// basicConstraints as written (RFC 5280, 4.2.1.9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Bc {
    Absent,
    NotCa,
    Ca(Option<u8>),
}

/// keyUsage as written (RFC 5280, 4.2.1.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Ku {
    Absent,
    Leaf,
    Ca,
    CaWithoutCertSign,
    /// A CA certificate that is also used as a server's own.
    CaAndLeaf,
}

/// Everything that decides a certificate's content; also its cache key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Spec {
    cn: &'static str,
    key: K,
    window: Window,
    bc: Bc,
    ku: Ku,
    eku: Option<ExtendedKeyUsagePurpose>,
    san: Option<&'static str>,
    nc_permit: Option<&'static str>,
    sha1: bool,
    profile: Profile,
}

impl Spec {
    fn ca(cn: &'static str, key: K, window: Window, profile: Profile) -> Self {
        Spec {
            cn,
            key,
            window,
            bc: Bc::Ca(None),
            ku: Ku::Ca,
            eku: None,
            san: None,
            nc_permit: None,
            sha1: false,
            profile,
        }
    }

    fn leaf(profile: Profile) -> Self {
        Spec {
            cn: HOST,
            key: K::Leaf,
            window: LEAF_WINDOW,
            bc: Bc::Absent,
            ku: Ku::Leaf,
            eku: Some(ExtendedKeyUsagePurpose::ServerAuth),
            san: Some(HOST),
            nc_permit: None,
            sha1: false,
            profile,
        }
    }
}

/// Who signs: the name and key identifier the certificate names, and the key that
/// actually signs (another one for a bad signature). `None` signs itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct By {
    cn: &'static str,
    named_key: K,
    signing_key: K,
}

impl By {
    fn ca(spec: &Spec) -> Self {
        By {
            cn: spec.cn,
            named_key: spec.key,
            signing_key: spec.key,
        }
    }
}

/// Makes and caches certificates.
pub struct Factory {
    keys: HashMap<K, KeyPair>,
    weak: PublicOnly,
    cache: HashMap<(Spec, Option<By>), Arc<Cert>>,
    /// Where the RSA keys are written for `openssl dgst -sign` (SHA-1 signatures).
    dir: PathBuf,
    /// Whether `openssl` is there to make SHA-1 signatures; without it the SHA-1
    /// cases are left out.
    openssl: bool,
    /// openssl runs spent on SHA-1 signatures (they need one each).
    pub sha1_signatures: usize,
}

impl Factory {
    pub fn new(dir: &Path, openssl: bool) -> Self {
        let ec = || KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let rsa = || KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
        let keys = HashMap::from([
            (K::Root, ec()),
            (K::OldRoot, ec()),
            (K::NewRoot, ec()),
            (K::Stranger, ec()),
            (K::Upper, ec()),
            (K::Inter, rsa()),
            (K::Below, rsa()),
            (K::Leaf, ec()),
            (K::ImpostorRsa, rsa()),
            (K::ImpostorEc, ec()),
        ]);
        Factory {
            keys,
            weak: PublicOnly {
                key_bits: der::spki_key_bits(&base64_decode(WEAK_SPKI_PEM)),
            },
            cache: HashMap::new(),
            dir: dir.to_path_buf(),
            openssl,
            sha1_signatures: 0,
        }
    }

    /// How many distinct certificates were made.
    pub fn certificates(&self) -> usize {
        self.cache.len()
    }

    fn public_bits(&self, k: K) -> &[u8] {
        match k {
            K::Weak => self.weak.der_bytes(),
            k => self.keys[&k].der_bytes(),
        }
    }

    /// RFC 7093, 2 method 1 style: 160 bits of SHA-256 over the key.
    fn key_id(&self, k: K) -> Vec<u8> {
        let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, self.public_bits(k));
        d.as_ref()[..20].to_vec()
    }

    /// The certificate `spec` issued by `by` (self-signed when `None`).
    fn cert(&mut self, spec: &Spec, by: Option<By>) -> Arc<Cert> {
        let key = (spec.clone(), by);
        if let Some(c) = self.cache.get(&key) {
            return c.clone();
        }
        let cert = Arc::new(self.make(spec, by));
        self.cache.insert(key, cert.clone());
        cert
    }

    fn make(&mut self, spec: &Spec, by: Option<By>) -> Cert {
        let mut p =
            CertificateParams::new(spec.san.map(|s| vec![s.to_string()]).unwrap_or_default())
                .unwrap();
        p.distinguished_name = DistinguishedName::new();
        p.distinguished_name.push(DnType::CommonName, spec.cn);
        let ((y, m, d), (y2, m2, d2)) = spec.window;
        p.not_before = date_time_ymd(y, m, d);
        p.not_after = date_time_ymd(y2, m2, d2);
        // A distinct serial per distinct certificate (rcgen would derive it from the key).
        let digest = aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA256,
            format!("{spec:?}{by:?}").as_bytes(),
        );
        let mut serial = digest.as_ref()[..16].to_vec();
        serial[0] = (serial[0] & 0x7f) | 0x01;
        p.serial_number = Some(SerialNumber::from_slice(&serial));
        // basicConstraints and subjectKeyIdentifier are written here, not by rcgen
        // (which always writes both, basicConstraints critical), so each profile can
        // leave them out or mark them as it likes.
        p.is_ca = IsCa::NoCa;
        let bc = match spec.bc {
            Bc::Absent => None,
            Bc::NotCa => Some(der::encode(0x30, &[])),
            Bc::Ca(None) => Some(der::encode(0x30, &[0x01, 0x01, 0xff])),
            Bc::Ca(Some(n)) => Some(der::encode(0x30, &[0x01, 0x01, 0xff, 0x02, 0x01, n])),
        };
        if let Some(bc) = bc {
            let mut e = CustomExtension::from_oid_content(&[2, 5, 29, 19], bc);
            // A leaf's basicConstraints is critical as openssl writes it; a CA's follows the profile.
            e.set_criticality(spec.bc == Bc::NotCa || spec.profile.bc_critical);
            p.custom_extensions.push(e);
        }
        if spec.profile.key_ids {
            let ski = der::encode(0x04, &self.key_id(spec.key));
            p.custom_extensions
                .push(CustomExtension::from_oid_content(&[2, 5, 29, 14], ski));
        }
        p.key_usages = match spec.ku {
            Ku::Absent => vec![],
            Ku::Leaf => vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::KeyEncipherment,
            ],
            Ku::Ca => vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign],
            Ku::CaWithoutCertSign => {
                vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::CrlSign]
            }
            Ku::CaAndLeaf => vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::KeyCertSign,
            ],
        };
        p.extended_key_usages = spec.eku.iter().cloned().collect();
        if let Some(permit) = spec.nc_permit {
            p.name_constraints = Some(NameConstraints {
                permitted_subtrees: vec![GeneralSubtree::DnsName(permit.to_string())],
                excluded_subtrees: vec![],
            });
        }
        let by = by.unwrap_or(By::ca(spec));
        // Self-signed certificates carry no authorityKeyIdentifier unless the
        // profile writes key identifiers (then it repeats the subject's own).
        p.use_authority_key_identifier_extension = spec.profile.key_ids;
        let mut ip = CertificateParams::new(vec![]).unwrap();
        ip.distinguished_name = DistinguishedName::new();
        ip.distinguished_name.push(DnType::CommonName, by.cn);
        ip.key_identifier_method = KeyIdMethod::PreSpecified(self.key_id(by.named_key));
        let signer = &self.keys[&by.signing_key];
        let issuer = Issuer::new(ip, signer);
        let made = match spec.key {
            K::Weak => p.signed_by(&self.weak, &issuer),
            k => p.signed_by(&self.keys[&k], &issuer),
        }
        .unwrap();
        let der = made.der().to_vec();
        if spec.sha1 {
            return self.resign_sha1(&der, by.signing_key);
        }
        Cert {
            pem: made.pem(),
            der,
        }
    }

    /// The same certificate signed with sha1WithRSAEncryption by `signer`'s RSA key,
    /// through `openssl dgst -sha1 -sign` (aws-lc-rs signs no SHA-1).
    fn resign_sha1(&mut self, der: &[u8], signer: K) -> Cert {
        let key_path = self.dir.join(format!("{signer:?}.key"));
        if !key_path.exists() {
            std::fs::write(&key_path, self.keys[&signer].serialize_pem()).unwrap();
        }
        let tbs = der::tbs_as_sha1(der);
        let tbs_path = self.dir.join("sha1.tbs");
        let sig_path = self.dir.join("sha1.sig");
        std::fs::write(&tbs_path, &tbs).unwrap();
        let out = Command::new("openssl")
            .arg("dgst")
            .arg("-sha1")
            .arg("-sign")
            .arg(&key_path)
            .arg("-out")
            .arg(&sig_path)
            .arg(&tbs_path)
            .output()
            .expect("openssl runs (to sign with SHA-1)");
        assert!(
            out.status.success(),
            "openssl dgst -sha1 -sign failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.sha1_signatures += 1;
        let sig = std::fs::read(&sig_path).unwrap();
        let der = der::sha1_certificate(&tbs, &sig);
        Cert {
            pem: der::pem(&der),
            der,
        }
    }

    /// A chain of `shape` in `profile` with `faults` broken, or `None` where a fault
    /// does not apply to the shape.
    pub fn case(&mut self, shape: Shape, profile: Profile, faults: &[Fault]) -> Option<Case> {
        let has = |f| faults.contains(&f);
        if shape == Shape::Direct && faults.iter().any(|f| f.needs_intermediate()) {
            return None;
        }
        if has(Fault::Sha1) && !self.openssl {
            return None;
        }
        if let [a, b] = faults {
            if Fault::conflicts(*a, *b) {
                return None;
            }
        }
        let window_of = |expired: bool, future: bool, normal: Window| match (expired, future) {
            (true, _) => EXPIRED_CA,
            (_, true) => FUTURE,
            _ => normal,
        };
        let root_window = window_of(
            has(Fault::RootExpired),
            has(Fault::RootNotYetValid),
            ROOT_WINDOW,
        );

        // The top of the chain: the CA that issues U, I or the leaf, and the anchors.
        let (top, anchors, cross): (Spec, Vec<Arc<Cert>>, Option<Arc<Cert>>) = if shape.cross() {
            let trust_old = matches!(shape, Shape::CrossOld | Shape::ExpiredCrossOld);
            let new = Spec::ca(
                "Diff New Root",
                K::NewRoot,
                if trust_old { ROOT_WINDOW } else { root_window },
                profile,
            );
            let old = Spec::ca(
                "Diff Old Root",
                K::OldRoot,
                if trust_old { root_window } else { ROOT_WINDOW },
                profile,
            );
            let mut cross_spec = new.clone();
            cross_spec.window = match shape {
                Shape::ExpiredCrossOld | Shape::ExpiredCrossNew => EXPIRED_CA,
                _ => CA_WINDOW,
            };
            let cross = self.cert(&cross_spec, Some(By::ca(&old)));
            let anchor = if trust_old {
                self.cert(&old, None)
            } else {
                self.cert(&new, None)
            };
            (new, vec![anchor], Some(cross))
        } else {
            let root = Spec::ca("Diff Root", K::Root, root_window, profile);
            let anchor = self.cert(&root, None);
            (root, vec![anchor], None)
        };

        // U (deep shapes only), then I, then J (a CA I issues, when I's path length is
        // exceeded), each issued by the one above.
        let mut sent: Vec<Arc<Cert>> = Vec::new();
        let mut issuer = top.clone();
        let mut upper = None;
        if shape.deep() {
            let u = Spec::ca("Diff Upper CA", K::Upper, CA_WINDOW, profile);
            upper = Some(self.cert(&u, Some(By::ca(&issuer))));
            issuer = u;
        }
        let mut inter = None;
        let mut below = None;
        if shape != Shape::Direct {
            let mut i = Spec::ca(
                "Diff Intermediate CA",
                K::Inter,
                window_of(
                    has(Fault::InterExpired),
                    has(Fault::InterNotYetValid),
                    CA_WINDOW,
                ),
                profile,
            );
            // A server certificate used as a CA: no keyUsage either, so only
            // basicConstraints can refuse it.
            if has(Fault::InterNoBasicConstraints) {
                i.bc = Bc::Absent;
                i.ku = Ku::Absent;
            }
            if has(Fault::InterNotCa) {
                i.bc = Bc::NotCa;
                i.ku = Ku::Absent;
            }
            if has(Fault::PathLenExceeded) {
                i.bc = Bc::Ca(Some(0));
            }
            if has(Fault::NameConstraintViolated) {
                i.nc_permit = Some("example.org");
            }
            if has(Fault::InterEkuClientOnly) {
                i.eku = Some(ExtendedKeyUsagePurpose::ClientAuth);
            }
            if has(Fault::InterNoCertSign) {
                i.ku = Ku::CaWithoutCertSign;
            }
            inter = Some(self.cert(&i, Some(By::ca(&issuer))));
            issuer = i;
            if has(Fault::PathLenExceeded) {
                let j = Spec::ca("Diff Issuing CA", K::Below, CA_WINDOW, profile);
                below = Some(self.cert(&j, Some(By::ca(&issuer))));
                issuer = j;
            }
        }

        let mut leaf = Spec::leaf(profile);
        leaf.window = match (has(Fault::LeafExpired), has(Fault::LeafNotYetValid)) {
            (true, _) => EXPIRED_LEAF,
            (_, true) => ((2026, 4, 1), (2026, 9, 1)),
            _ => LEAF_WINDOW,
        };
        if has(Fault::CnOnly) {
            leaf.san = None;
        }
        if has(Fault::CaAsLeaf) {
            leaf.bc = Bc::Ca(None);
            leaf.ku = Ku::CaAndLeaf;
        }
        if has(Fault::LeafEkuClientOnly) {
            leaf.eku = Some(ExtendedKeyUsagePurpose::ClientAuth);
        }
        if has(Fault::WeakKey) {
            leaf.key = K::Weak;
        }
        leaf.sha1 = has(Fault::Sha1);
        let mut by = By::ca(&issuer);
        if has(Fault::BadSignature) {
            by.signing_key = match issuer.key {
                K::Inter | K::Below => K::ImpostorRsa,
                _ => K::ImpostorEc,
            };
        }
        let leaf = self.cert(&leaf, Some(by));

        // What the server sends.
        if let Some(j) = below {
            sent.push(j);
        }
        if let Some(i) = &inter {
            if !has(Fault::MissingInter) {
                sent.push(i.clone());
            }
        }
        if let Some(u) = upper {
            sent.push(u);
        }
        sent.extend(cross);
        match shape {
            Shape::DeepUnordered => sent.reverse(),
            Shape::Redundant => {
                let stranger = Spec::ca("Diff Stranger CA", K::Stranger, CA_WINDOW, profile);
                let stranger = self.cert(&stranger, None);
                let mut s = vec![stranger];
                s.extend(sent.iter().cloned());
                s.extend(anchors.iter().cloned());
                s.extend(sent.iter().cloned());
                sent = s;
            }
            _ => {}
        }
        let roots = if has(Fault::UnknownRoot) {
            let stranger = Spec::ca("Diff Stranger Root", K::Stranger, ROOT_WINDOW, profile);
            vec![self.cert(&stranger, None)]
        } else {
            anchors
        };
        let host = if has(Fault::WrongName) {
            "www.example.net"
        } else if has(Fault::TrailingDot) {
            "www.example.com."
        } else {
            HOST
        };
        let mut name = format!("{}/{}/", shape.name(), profile.name());
        if faults.is_empty() {
            name.push_str("clean");
        }
        for (n, f) in faults.iter().enumerate() {
            if n > 0 {
                name.push('+');
            }
            name.push_str(f.name());
        }
        Some(Case {
            name,
            roots,
            inters: sent,
            leaf,
            host,
            expect_accept: shape != Shape::ExpiredCrossOld
                && faults.iter().all(|f| *f == Fault::TrailingDot),
        })
    }

    /// Self-signed leaves: `ca` is the `openssl req -x509 -subj /CN=...` kind
    /// (cA=TRUE, no subjectAltName, no key or extended key usage); otherwise cA is
    /// absent and the name is in a subjectAltName. `trusted` puts the certificate
    /// itself in the trust store (a pinned self-signed server).
    pub fn self_signed(
        &mut self,
        ca: bool,
        profile: Profile,
        trusted: bool,
        expired: bool,
    ) -> Case {
        let mut spec = Spec::leaf(profile);
        if ca {
            spec.bc = Bc::Ca(None);
            spec.ku = Ku::Absent;
            spec.eku = None;
            spec.san = None;
        }
        if expired {
            spec.window = EXPIRED_LEAF;
        }
        let leaf = self.cert(&spec, None);
        let roots = if trusted {
            vec![leaf.clone()]
        } else {
            let root = Spec::ca("Diff Root", K::Root, ROOT_WINDOW, profile);
            vec![self.cert(&root, None)]
        };
        let mut name = format!(
            "{}/{}/{}",
            if ca {
                "selfsigned-ca"
            } else {
                "selfsigned-leaf"
            },
            profile.name(),
            if trusted { "trusted" } else { "untrusted" }
        );
        if expired {
            let _ = write!(name, "+leaf-expired");
        }
        Case {
            name,
            roots,
            inters: vec![],
            leaf,
            host: HOST,
            expect_accept: trusted && !expired && !ca,
        }
    }
}

/// The whole corpus: every shape clean in every profile; every fault alone on the
/// three-certificate chain in every profile and on every other shape in one profile;
/// every pair of faults (the name variant aside) in two profiles; self-signed leaves.
pub fn corpus(f: &mut Factory) -> Vec<Case> {
    let mut cases = Vec::new();
    for shape in Shape::ALL {
        for profile in Profile::ALL {
            cases.extend(f.case(shape, profile, &[]));
        }
    }
    for (n, fault) in Fault::ALL.iter().enumerate() {
        for profile in Profile::ALL {
            cases.extend(f.case(Shape::Inter, profile, &[*fault]));
        }
        for (s, shape) in Shape::ALL.iter().enumerate() {
            if *shape != Shape::Inter {
                cases.extend(f.case(*shape, Profile::ALL[(n + s) % 4], &[*fault]));
            }
        }
    }
    let paired: Vec<Fault> = Fault::ALL
        .into_iter()
        .filter(|f| *f != Fault::TrailingDot)
        .collect();
    for (n, a) in paired.iter().enumerate() {
        for b in &paired[n + 1..] {
            for profile in [Profile::new(true, true), Profile::new(false, false)] {
                cases.extend(f.case(Shape::Inter, profile, &[*a, *b]));
            }
        }
    }
    for ca in [true, false] {
        for profile in [Profile::new(true, true), Profile::new(false, true)] {
            for trusted in [false, true] {
                for expired in [false, true] {
                    cases.push(f.self_signed(ca, profile, trusted, expired));
                }
            }
        }
    }
    cases
}
