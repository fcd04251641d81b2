//! What testssl.sh and sslyze flag beyond plainly broken suites: CBC suites beside
//! AEAD ones, the client's suite order followed where weak suites are accepted,
//! SHA-1 or MD5 handshake signatures, shared DHE primes, and TLS 1.2 without the
//! extended master secret.

use ferrotls::msgs::enums::{ExtensionType, ProtocolVersion, SignatureScheme};

use super::dh_primes;
use super::probes::{vname, SuiteList};
use super::report::Finding;
use super::suites::{self, traits, Traits};
use super::wire::{self, Flight, Hello, Target};

/// An AEAD suite with ephemeral key exchange: what every current client picks.
fn strong(t: &Traits) -> bool {
    t.forward_secret && !t.anonymous && !t.cbc && !t.rc4 && !t.null_cipher
}

/// A suite that some finding already calls weak or obsolete.
fn weak(t: &Traits) -> bool {
    !t.forward_secret
        || t.anonymous
        || t.cbc
        || t.rc4
        || t.null_cipher
        || t.export
        || t.des
        || t.triple_des
}

/// CBC suites (MAC-then-encrypt: Lucky13 and the padding oracles after it) accepted
/// although AEAD ones are too, so that the CBC ones serve only clients that choose
/// them. (Only CBC and no AEAD is `suites.cbc-only`.)
pub fn cbc_beside_aead(lists: &[SuiteList]) -> Option<Finding> {
    let all = || {
        lists
            .iter()
            .flat_map(|l| l.accepted.iter().map(move |s| (l.version, *s)))
    };
    let cbc: Vec<(ProtocolVersion, u16)> = all().filter(|(_, s)| traits(*s).cbc).collect();
    let aead: Vec<(ProtocolVersion, u16)> = all()
        .filter(|(_, s)| {
            let t = traits(*s);
            !t.cbc && !t.rc4 && !t.null_cipher
        })
        .collect();
    let (_, first_aead) = aead.first()?;
    if cbc.is_empty() {
        return None;
    }
    let mut f = Finding::warning(
        "suites.cbc",
        "CBC cipher suites are accepted beside AEAD ones (Lucky13, padding oracles)",
    );
    for (v, s) in &cbc {
        f = f.evidence(format!("{} ({})", suites::name(*s), vname(*v)));
    }
    f = f.evidence(format!(
        "AEAD suites such as {} are accepted too: CBC serves only clients that ask for it, and each of those connections uses MAC-then-encrypt",
        suites::name(*first_aead)
    ));
    Some(f.fix("Accept only AEAD suites in TLS 1.2 (OpenSSL: -cipher 'ECDHE+AESGCM:ECDHE+CHACHA20'; nginx: ssl_ciphers with the same list): Mozilla's intermediate configuration has no CBC suite and still serves clients back to Firefox 27, Chrome 31, Android 4.4.2 and Safari 9."))
}

/// The server takes the client's first suite (the reverse-order probe got the
/// client's pick) although it accepts weak suites beside strong ones: a client that
/// lists a weak suite first gets it.
pub fn client_order(lists: &[SuiteList]) -> Vec<Finding> {
    let mut out = Vec::new();
    for l in lists {
        let (Some(false), Some(pick), Some(first)) =
            (l.server_order, l.reverse_pick, l.accepted.first())
        else {
            continue;
        };
        if l.version == ProtocolVersion::TLSv1_3 || !weak(&traits(pick)) {
            continue;
        }
        if !l.accepted.iter().any(|s| strong(&traits(*s))) {
            continue;
        }
        out.push(
            Finding::warning(
                "suites.client-order",
                format!(
                    "The server follows the client's cipher suite order ({}) although it accepts weak suites",
                    vname(l.version)
                ),
            )
            .evidence(format!(
                "offered strongest first, the server chose {}",
                suites::name(*first)
            ))
            .evidence(format!(
                "offered the same suites in reverse order, it chose {}",
                suites::name(pick)
            ))
            .fix("Make the server's order decide (OpenSSL: -serverpref or Options = ServerPreference; nginx: ssl_prefer_server_ciphers on; Apache: SSLHonorCipherOrder on), or remove the weak suites, after which the client's order does no harm."),
        );
    }
    out
}

/// Signature schemes that hash with SHA-1 or MD5 (RFC 5246, 7.4.1.4.1:
/// hash md5(1), sha1(2); signature rsa(1), dsa(2), ecdsa(3)).
const WEAK_SIGALGS: [(u16, &str); 6] = [
    (0x0201, "rsa_pkcs1_sha1"),
    (0x0203, "ecdsa_sha1"),
    (0x0202, "dsa_sha1"),
    (0x0101, "rsa_md5"),
    (0x0103, "ecdsa_md5"),
    (0x0102, "dsa_md5"),
];

fn sigalg_name(s: SignatureScheme) -> String {
    WEAK_SIGALGS
        .iter()
        .find(|(c, _)| *c == s.to_wire())
        .map(|(_, n)| n.to_string())
        .unwrap_or_else(|| s.to_string())
}

/// What the server did when a TLS 1.2 client offered only SHA-1 and MD5 schemes.
#[derive(Debug)]
pub struct WeakSigalgs {
    /// The weak schemes the server signed its ServerKeyExchange with, in order found.
    pub signed_with: Vec<SignatureScheme>,
    /// How the last probe ended (refused, or signed with something not offered).
    pub last: String,
}

/// TLS 1.2 hellos with the accepted ephemeral suites whose signature_algorithms
/// offer only SHA-1 and MD5 schemes: does the server sign with one? Each scheme it
/// uses is removed and the probe repeated. None when no ephemeral suite is accepted.
pub fn weak_sigalgs(target: &Target, list: &SuiteList, sni: Option<String>) -> Option<WeakSigalgs> {
    if list.version != ProtocolVersion::TLSv1_2 {
        return None;
    }
    let ephemeral: Vec<u16> = list
        .accepted
        .iter()
        .copied()
        .filter(|s| {
            let t = traits(*s);
            t.forward_secret && !t.anonymous
        })
        .collect();
    if ephemeral.is_empty() {
        return None;
    }
    let mut hello = Hello::for_version(ProtocolVersion::TLSv1_2, sni);
    hello.suites = ephemeral;
    let mut remaining: Vec<SignatureScheme> = WEAK_SIGALGS
        .iter()
        .map(|(c, _)| SignatureScheme::from_wire(*c))
        .collect();
    let mut signed_with = Vec::new();
    let last = loop {
        if remaining.is_empty() {
            break "every SHA-1 and MD5 scheme was used".to_string();
        }
        hello.sigalgs = remaining.clone();
        match wire::probe(target, &hello) {
            Ok(f) => match f.ske_signature() {
                Some(s) if remaining.contains(&s) => {
                    signed_with.push(s);
                    remaining.retain(|x| *x != s);
                }
                Some(s) => break format!("the server signed with {s}, which was not offered"),
                None => break "no signed ServerKeyExchange came back".to_string(),
            },
            Err(e) => break format!("refused: {}", e.describe()),
        }
    };
    Some(WeakSigalgs { signed_with, last })
}

pub fn sigalg_findings(w: &WeakSigalgs) -> Vec<Finding> {
    let offered = WEAK_SIGALGS
        .iter()
        .map(|(_, n)| *n)
        .collect::<Vec<_>>()
        .join(", ");
    let probe = format!("TLS 1.2 ClientHellos whose signature_algorithms offered only {offered}");
    let md5: Vec<String> = w
        .signed_with
        .iter()
        .filter(|s| s.to_wire() >> 8 == 1)
        .map(|s| sigalg_name(*s))
        .collect();
    let sha1: Vec<String> = w
        .signed_with
        .iter()
        .filter(|s| s.to_wire() >> 8 == 2)
        .map(|s| sigalg_name(*s))
        .collect();
    let mut out = Vec::new();
    if !md5.is_empty() {
        out.push(
            Finding::error(
                "sigalgs.md5",
                "The server signs its TLS 1.2 key exchange with MD5 when a client asks for it",
            )
            .evidence(probe.clone())
            .evidence(format!("the ServerKeyExchange was signed with {}", md5.join(", ")))
            .fix("Remove MD5 from the server's signature algorithms (OpenSSL: -sigalgs or SignatureAlgorithms without +MD5; any OpenSSL since 1.0.1s refuses it): MD5 collisions are cheap, and SLOTH (2016) turned them into attacks on TLS handshake signatures."),
        );
    }
    if !sha1.is_empty() {
        out.push(
            Finding::warning(
                "sigalgs.sha1",
                "The server signs its TLS 1.2 key exchange with SHA-1 when a client asks for it",
            )
            .evidence(probe.clone())
            .evidence(format!("the ServerKeyExchange was signed with {}", sha1.join(", ")))
            .fix("Remove SHA-1 from the server's signature algorithms (OpenSSL: keep security level 1 or more, which refuses SHA-1 signatures since 3.0, and no RSA+SHA1 or ECDSA+SHA1 in -sigalgs): SHA-1 chosen-prefix collisions cost little since 2020 (SHA-1 is a Shambles)."),
        );
    }
    if out.is_empty() {
        out.push(
            Finding::info(
                "sigalgs",
                "The server does not sign TLS 1.2 handshakes with SHA-1 or MD5",
            )
            .evidence(probe)
            .evidence(w.last.clone()),
        );
    }
    out
}

/// A TLS 1.2 (or older) hello offering only the DHE suites the server accepts, and
/// no RFC 7919 group, so the server uses the parameters it gives every such client.
pub fn dhe_flight(target: &Target, list: &SuiteList, sni: Option<String>) -> Option<Flight> {
    if list.version == ProtocolVersion::TLSv1_3 {
        return None;
    }
    let dhe: Vec<u16> = list
        .accepted
        .iter()
        .copied()
        .filter(|s| traits(*s).dhe)
        .collect();
    if dhe.is_empty() {
        return None;
    }
    let mut hello = Hello::for_version(list.version, sni);
    hello.suites = dhe;
    hello
        .groups
        .retain(|g| !(0x0100..=0x01ff).contains(&g.to_wire()));
    let probed = wire::probe(target, &hello)
        .ok()
        .filter(|f| f.ske_dh_prime().is_some());
    probed.or_else(|| {
        list.flights
            .iter()
            .find(|f| f.ske_dh_prime().is_some())
            .cloned()
    })
}

/// The DHE prime compared with the well-known ones. Returns the finding and whether
/// it already covers the prime's size (so that `dhe.weak` is not said twice).
pub fn dhe_prime_finding(flight: &Flight) -> Option<(Finding, bool)> {
    let p = flight.ske_dh_prime()?;
    let bits = flight.ske_dh_bits()?;
    let suite = suites::name(flight.suite());
    let Some(known) = dh_primes::lookup(p) else {
        return Some((
            Finding::info(
                "dhe.prime",
                format!("DHE uses a {bits}-bit prime of its own (not a well-known group)"),
            )
            .evidence(format!(
                "ServerKeyExchange of {suite} ({})",
                vname(flight.version)
            )),
            false,
        ));
    };
    let evidence = format!(
        "the ServerKeyExchange of {suite} ({}) carries the {bits}-bit prime of {}",
        vname(flight.version),
        known.name
    );
    Some(if bits < 2048 {
        (
            Finding::error(
                "dhe.common-prime",
                format!("DHE uses a well-known {bits}-bit prime ({}), open to Logjam's precomputation", known.name),
            )
            .evidence(evidence)
            .evidence("one number-field-sieve precomputation for a shared prime of this size breaks every key exchange with it; 1024-bit shared primes are within a state's reach")
            .fix("Use a 2048-bit or larger group (OpenSSL: -dhparam with `openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048`, nginx: ssl_dhparam), or drop DHE suites in favour of ECDHE."),
            true,
        )
    } else if !known.safe {
        (
            Finding::warning(
                "dhe.common-prime",
                format!("DHE uses the {}, which is not a safe prime", known.name),
            )
            .evidence(evidence)
            .evidence("its subgroup is small: a server that reuses its key and does not check the client's public value leaks it (CVE-2016-0701)")
            .fix("Use an RFC 7919 group instead (OpenSSL: -dhparam with `openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048`), or drop DHE suites in favour of ECDHE."),
            false,
        )
    } else {
        // RFC 7919, 1: shared, named groups of 2048 bits and more are the recommended
        // practice; a precomputation for them is far out of reach.
        (
            Finding::info(
                "dhe.common-prime",
                format!(
                    "DHE uses the well-known {}, large enough to share",
                    known.name
                ),
            )
            .evidence(evidence),
            false,
        )
    })
}

/// RFC 7627: the ServerHello of the best TLS 1.0 to 1.2 flight (every probe hello
/// offers extended_master_secret) either echoes it or not.
pub fn ems_finding(flight: &Flight) -> Option<Finding> {
    if flight.version == ProtocolVersion::SSLv3 || flight.version == ProtocolVersion::TLSv1_3 {
        return None;
    }
    Some(
        if flight
            .hello
            .has_extension(ExtensionType::ExtendedMasterSecret)
        {
            Finding::info(
                "tls12.ems",
                "The server negotiates the extended master secret (RFC 7627)",
            )
        } else {
            Finding::warning(
            "tls12.no-ems",
            format!("{} without the extended master secret (RFC 7627)", vname(flight.version)),
        )
        .evidence(format!(
            "the {} ClientHello offered extended_master_secret; the ServerHello did not echo it",
            vname(flight.version)
        ))
        .fix("Turn the extended master secret on (OpenSSL negotiates it since 1.1.0 unless Options = -ExtendedMasterSecret is set; otherwise upgrade the TLS library): without it one TLS 1.2 session can be spliced onto another (the triple handshake attack), exported keys are not bound to the connection, and clients that require it refuse the server.")
        },
    )
}

#[cfg(test)]
mod tests {
    use super::super::report::Severity;
    use super::*;
    use ferrotls::msgs::enums::CipherSuite;
    use ferrotls::msgs::ServerHello;

    fn flight(suite: u16, ske: Vec<u8>) -> Flight {
        Flight {
            hello: ServerHello {
                legacy_version: ProtocolVersion::TLSv1_2,
                random: [0; 32],
                session_id: vec![],
                cipher_suite: CipherSuite::from_wire(suite),
                compression_method: 0,
                extensions: vec![],
                empty_extensions_block: false,
            },
            version: ProtocolVersion::TLSv1_2,
            certs: vec![],
            ocsp: None,
            ske: Some(ske),
            done: true,
            warning: None,
        }
    }

    fn hex(h: &str) -> Vec<u8> {
        (0..h.len() / 2)
            .map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap())
            .collect()
    }

    /// ServerDHParams (p with a leading zero byte, g = 2, Ys) and a signature.
    fn dhe_ske(p: &[u8], scheme: u16) -> Vec<u8> {
        let mut v = Vec::new();
        let push16 = |v: &mut Vec<u8>, b: &[u8]| {
            v.extend((b.len() as u16).to_be_bytes());
            v.extend(b);
        };
        let mut padded = vec![0];
        padded.extend(p);
        push16(&mut v, &padded);
        push16(&mut v, &[2]);
        push16(&mut v, &[5; 32]);
        v.extend(scheme.to_be_bytes());
        push16(&mut v, &[9; 64]);
        v
    }

    #[test]
    fn signature_scheme_of_the_key_exchange() {
        // ECDHE: named_curve x25519, a 32-byte point, then ecdsa_sha1.
        let mut ske = vec![3, 0, 0x1d, 32];
        ske.extend([1; 32]);
        ske.extend([0x02, 0x03, 0, 2, 0xaa, 0xbb]);
        assert_eq!(
            flight(0xc02b, ske).ske_signature(),
            Some(SignatureScheme::ECDSA_SHA1)
        );
        let f = flight(0x009e, dhe_ske(&[0xc5; 128], 0x0101));
        assert_eq!(f.ske_signature(), Some(SignatureScheme::from_wire(0x0101)));
        assert_eq!(f.ske_dh_bits(), Some(1024));
        // Truncated: no scheme, no panic.
        assert_eq!(flight(0xc02f, vec![3, 0]).ske_signature(), None);
        // A static RSA suite has no signed key exchange.
        assert_eq!(flight(0x002f, vec![]).ske_signature(), None);
    }

    #[test]
    fn md5_and_sha1_signatures() {
        let w = WeakSigalgs {
            signed_with: vec![
                SignatureScheme::RSA_PKCS1_SHA1,
                SignatureScheme::from_wire(0x0101),
            ],
            last: "refused: handshake_failure alert".into(),
        };
        let f = sigalg_findings(&w);
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].id, "sigalgs.md5");
        assert_eq!(f[0].severity, Severity::Error);
        assert_eq!(
            f[0].title,
            "The server signs its TLS 1.2 key exchange with MD5 when a client asks for it"
        );
        assert_eq!(
            f[0].evidence[1],
            "the ServerKeyExchange was signed with rsa_md5"
        );
        assert_eq!(f[0].fix, "Remove MD5 from the server's signature algorithms (OpenSSL: -sigalgs or SignatureAlgorithms without +MD5; any OpenSSL since 1.0.1s refuses it): MD5 collisions are cheap, and SLOTH (2016) turned them into attacks on TLS handshake signatures.");
        assert_eq!(f[1].id, "sigalgs.sha1");
        assert_eq!(
            f[1].evidence[1],
            "the ServerKeyExchange was signed with rsa_pkcs1_sha1"
        );
    }

    #[test]
    fn rfc5114_2048_is_not_a_safe_prime() {
        let known = dh_primes::KNOWN
            .iter()
            .find(|k| k.name == "RFC 5114 2048-bit group (256-bit subgroup)")
            .unwrap();
        let f = flight(0x009e, dhe_ske(&hex(known.hex), 0x0401));
        let (f, covers) = dhe_prime_finding(&f).unwrap();
        assert!(!covers);
        assert_eq!(f.severity, Severity::Warning);
        assert_eq!(
            f.title,
            "DHE uses the RFC 5114 2048-bit group (256-bit subgroup), which is not a safe prime"
        );
        assert_eq!(f.evidence, [
            "the ServerKeyExchange of TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 (TLS 1.2) carries the 2048-bit prime of RFC 5114 2048-bit group (256-bit subgroup)",
            "its subgroup is small: a server that reuses its key and does not check the client's public value leaks it (CVE-2016-0701)",
        ]);
        assert_eq!(f.fix, "Use an RFC 7919 group instead (OpenSSL: -dhparam with `openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048`), or drop DHE suites in favour of ECDHE.");
        // RFC 2409's Oakley group 2, which OpenSSL cannot be given by name.
        let oakley2 = dh_primes::KNOWN
            .iter()
            .find(|k| k.name == "RFC 2409 Oakley group 2")
            .unwrap();
        let (f, covers) =
            dhe_prime_finding(&flight(0x0033, dhe_ske(&hex(oakley2.hex), 0x0401))).unwrap();
        assert!(covers);
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(f.title, "DHE uses a well-known 1024-bit prime (RFC 2409 Oakley group 2), open to Logjam's precomputation");
    }

    fn list(accepted: &[u16], reverse_pick: u16) -> SuiteList {
        SuiteList {
            version: ProtocolVersion::TLSv1_2,
            accepted: accepted.to_vec(),
            server_order: Some(Some(&reverse_pick) == accepted.first()),
            reverse_pick: Some(reverse_pick),
            flights: vec![],
        }
    }

    #[test]
    fn client_order_only_matters_with_weak_and_strong_suites() {
        // Two strong suites: following the client does no harm.
        assert!(client_order(&[list(&[0xc02f, 0xc030], 0xc030)]).is_empty());
        // Only weak suites: nothing better to prefer.
        assert!(client_order(&[list(&[0xc013, 0x002f], 0x002f)]).is_empty());
        // Server order: fine.
        assert!(client_order(&[list(&[0xc02f, 0x002f], 0xc02f)]).is_empty());
        let f = client_order(&[list(&[0xc02f, 0x002f], 0x002f)]);
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].evidence[1],
            "offered the same suites in reverse order, it chose TLS_RSA_WITH_AES_128_CBC_SHA"
        );
        // CBC with only CBC is suites.cbc-only's business, not this one's.
        assert!(cbc_beside_aead(&[list(&[0xc013, 0xc014], 0xc014)]).is_none());
        assert!(cbc_beside_aead(&[list(&[0xc02f, 0xc030], 0xc030)]).is_none());
    }

    #[test]
    fn ems_echo() {
        let mut f = flight(0xc02f, vec![]);
        let w = ems_finding(&f).unwrap();
        assert_eq!(w.id, "tls12.no-ems");
        assert_eq!(
            w.title,
            "TLS 1.2 without the extended master secret (RFC 7627)"
        );
        f.version = ProtocolVersion::SSLv3;
        assert!(ems_finding(&f).is_none());
    }
}
