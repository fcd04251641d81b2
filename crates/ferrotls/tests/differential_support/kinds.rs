//! What a corpus case is made of: the shape of its chain, the encoding profile of its
//! certificates, and the rules it breaks.

/// How the chain is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// root -> leaf.
    Direct,
    /// root -> I -> leaf.
    Inter,
    /// root -> U -> I -> leaf, sent I, U.
    Deep,
    /// root -> U -> I -> leaf, sent U, I (issuer before subject).
    DeepUnordered,
    /// root -> I -> leaf, sent with an unrelated CA, the root itself and I twice.
    Redundant,
    /// New root -> I -> leaf; Old root cross-signs New; only Old is trusted.
    CrossOld,
    /// The same chain, only New (self-signed) is trusted.
    CrossNew,
    /// As CrossOld with an expired cross-certificate: no path.
    ExpiredCrossOld,
    /// As CrossNew with an expired cross-certificate: the path to New stands.
    ExpiredCrossNew,
}

impl Shape {
    pub const ALL: [Shape; 9] = [
        Shape::Direct,
        Shape::Inter,
        Shape::Deep,
        Shape::DeepUnordered,
        Shape::Redundant,
        Shape::CrossOld,
        Shape::CrossNew,
        Shape::ExpiredCrossOld,
        Shape::ExpiredCrossNew,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Shape::Direct => "direct",
            Shape::Inter => "inter",
            Shape::Deep => "deep",
            Shape::DeepUnordered => "deep-unordered",
            Shape::Redundant => "redundant",
            Shape::CrossOld => "cross-old",
            Shape::CrossNew => "cross-new",
            Shape::ExpiredCrossOld => "xexp-old",
            Shape::ExpiredCrossNew => "xexp-new",
        }
    }

    pub fn cross(self) -> bool {
        matches!(
            self,
            Shape::CrossOld | Shape::CrossNew | Shape::ExpiredCrossOld | Shape::ExpiredCrossNew
        )
    }

    pub fn deep(self) -> bool {
        matches!(self, Shape::Deep | Shape::DeepUnordered)
    }
}

/// How every certificate of a case is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Profile {
    /// authorityKeyIdentifier in every issued certificate, subjectKeyIdentifier in
    /// every certificate (what `openssl req`/`openssl x509` write by default).
    pub key_ids: bool,
    /// basicConstraints marked critical in CA certificates (RFC 5280, 4.2.1.9 MUST).
    pub bc_critical: bool,
}

impl Profile {
    pub const ALL: [Profile; 4] = [
        Profile::new(true, true),
        Profile::new(false, true),
        Profile::new(true, false),
        Profile::new(false, false),
    ];

    pub const fn new(key_ids: bool, bc_critical: bool) -> Self {
        Profile {
            key_ids,
            bc_critical,
        }
    }

    pub fn name(self) -> &'static str {
        match (self.key_ids, self.bc_critical) {
            (true, true) => "ids",
            (false, true) => "noids",
            (true, false) => "ids-bcnc",
            (false, false) => "noids-bcnc",
        }
    }
}

/// One broken rule (or, for the name variants, one way of asking).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    LeafExpired,
    LeafNotYetValid,
    InterExpired,
    InterNotYetValid,
    RootExpired,
    RootNotYetValid,
    WrongName,
    /// The leaf names the host in its subject CN only, no subjectAltName.
    CnOnly,
    MissingInter,
    UnknownRoot,
    CaAsLeaf,
    InterNoBasicConstraints,
    InterNotCa,
    PathLenExceeded,
    NameConstraintViolated,
    LeafEkuClientOnly,
    InterEkuClientOnly,
    InterNoCertSign,
    BadSignature,
    WeakKey,
    Sha1,
    /// Asked for as `www.example.com.`, the absolute form of the name.
    TrailingDot,
}

impl Fault {
    pub const ALL: [Fault; 22] = [
        Fault::LeafExpired,
        Fault::LeafNotYetValid,
        Fault::InterExpired,
        Fault::InterNotYetValid,
        Fault::RootExpired,
        Fault::RootNotYetValid,
        Fault::WrongName,
        Fault::CnOnly,
        Fault::MissingInter,
        Fault::UnknownRoot,
        Fault::CaAsLeaf,
        Fault::InterNoBasicConstraints,
        Fault::InterNotCa,
        Fault::PathLenExceeded,
        Fault::NameConstraintViolated,
        Fault::LeafEkuClientOnly,
        Fault::InterEkuClientOnly,
        Fault::InterNoCertSign,
        Fault::BadSignature,
        Fault::WeakKey,
        Fault::Sha1,
        Fault::TrailingDot,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Fault::LeafExpired => "leaf-expired",
            Fault::LeafNotYetValid => "leaf-not-yet-valid",
            Fault::InterExpired => "inter-expired",
            Fault::InterNotYetValid => "inter-not-yet-valid",
            Fault::RootExpired => "root-expired",
            Fault::RootNotYetValid => "root-not-yet-valid",
            Fault::WrongName => "wrong-name",
            Fault::CnOnly => "leaf-cn-no-san",
            Fault::MissingInter => "missing-inter",
            Fault::UnknownRoot => "unknown-root",
            Fault::CaAsLeaf => "ca-as-leaf",
            Fault::InterNoBasicConstraints => "inter-no-bc",
            Fault::InterNotCa => "inter-not-ca",
            Fault::PathLenExceeded => "pathlen-exceeded",
            Fault::NameConstraintViolated => "nc-violated",
            Fault::LeafEkuClientOnly => "leaf-eku-client",
            Fault::InterEkuClientOnly => "inter-eku-client",
            Fault::InterNoCertSign => "inter-no-certsign",
            Fault::BadSignature => "bad-signature",
            Fault::WeakKey => "weak-key",
            Fault::Sha1 => "sha1-signature",
            Fault::TrailingDot => "name-trailing-dot",
        }
    }

    /// Faults of the intermediate I, which the two-certificate shape does not have.
    pub fn needs_intermediate(self) -> bool {
        matches!(
            self,
            Fault::InterExpired
                | Fault::InterNotYetValid
                | Fault::MissingInter
                | Fault::InterNoBasicConstraints
                | Fault::InterNotCa
                | Fault::PathLenExceeded
                | Fault::NameConstraintViolated
                | Fault::InterEkuClientOnly
                | Fault::InterNoCertSign
                // The leaf's issuer must hold an RSA key; the roots hold ECDSA keys.
                | Fault::Sha1
        )
    }

    /// Pairs that contradict each other (one certificate cannot be both).
    pub fn conflicts(a: Fault, b: Fault) -> bool {
        use Fault::*;
        let pair = |x, y| (a == x && b == y) || (a == y && b == x);
        pair(LeafExpired, LeafNotYetValid)
            || pair(InterExpired, InterNotYetValid)
            || pair(RootExpired, RootNotYetValid)
            || pair(InterNoBasicConstraints, InterNotCa)
            || pair(WrongName, TrailingDot)
    }
}
