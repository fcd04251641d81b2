//! Encrypted Client Hello (draft-ietf-tls-esni): whether the server supports it,
//! whether it tolerates a GREASE offer, and whether the retry configurations it
//! hands out work.
//!
//! ```text
//! offer ECH with fresh keys, public name = host (the server cannot know them)
//!   rejected, retry configurations -> read each -> connect again with them: accepted?
//!   rejected, none                 -> ECH is off
//!   handshake fails                -> intolerant (if a plain TLS 1.3 handshake works)
//! handshake with a GREASE encrypted_client_hello extension -> must work like a plain one
//! ```
//!
//! At most three connections, all through `session`: the certificate is recorded and
//! accepted there, also for the public name a rejection authenticates (section 6.1.6).

use ferrotls::conn::EchStatus;
use ferrotls::crypto::Provider;
use ferrotls::ech::{self, EchConfig, EchError, EchKeys};
use ferrotls::msgs::enums::ProtocolVersion;

use super::report::Finding;
use super::session;
use super::wire::Target;

/// The config_id of the made-up configuration; any value works, as its key is fresh.
const PROBE_CONFIG_ID: u8 = 0xe5;

/// What the probe saw, judged later against a plain TLS 1.3 handshake.
pub enum Outcome {
    /// The server name is an IP address: ECH configurations belong to DNS names.
    NotDns {
        name: String,
    },
    Ran(Observed),
}

pub struct Observed {
    name: String,
    offer: Offer,
    /// The GREASE handshake: `Err` holds the failure.
    grease: Result<(), Failure>,
}

/// A failed handshake and whether the time budget was gone by then.
struct Failure {
    text: String,
    out_of_time: bool,
}

/// What became of the offer with a configuration the server cannot know.
enum Offer {
    /// No offer could be built here (the host name is no valid public name).
    Setup(String),
    /// Rejected without retry configurations: ECH is off, or unknown to the server.
    NoRetry,
    /// Rejected with retry configurations, which are then checked.
    Retry(RetryCheck),
    /// The retry configurations were not a well-formed ECHConfigList, which fails
    /// the handshake (section 6.1.6: decode_error).
    Malformed(String),
    /// The handshake failed otherwise.
    Failed(Failure),
    /// The handshake completed without a rejection: impossible for a server without
    /// the key, so something between us and it is wrong.
    Completed(EchStatus),
}

/// The server's retry configurations, one by one, and a connection made with them.
struct RetryCheck {
    /// As received, for the report.
    list: Vec<u8>,
    /// Each configuration in the list's order: usable, or why it is passed over.
    configs: Vec<Result<EchConfig, String>>,
    /// The connection with the list: `None` if nothing in it is usable.
    second: Option<Second>,
}

enum Second {
    Accepted,
    /// The handshake used the outer ClientHello again.
    Rejected(String),
    Failed(Failure),
}

/// Runs the probe: up to three connections, the offer and GREASE in parallel.
pub fn probe(target: &Target, name_is_dns: bool) -> Outcome {
    if !name_is_dns {
        return Outcome::NotDns {
            name: target.name.clone(),
        };
    }
    let (offer, grease) = std::thread::scope(|s| {
        let grease = s.spawn(|| grease_handshake(target));
        let offer = offer_unknown(target);
        let grease = grease.join().unwrap_or_else(|_| {
            Err(Failure {
                text: "the probe panicked".into(),
                out_of_time: false,
            })
        });
        (offer, grease)
    });
    Outcome::Ran(Observed {
        name: target.name.clone(),
        offer,
        grease,
    })
}

fn options(target: &Target) -> session::Options {
    let mut opts = session::Options::new(target, &[ProtocolVersion::TLSv1_3]);
    opts.tickets = false;
    opts
}

fn failure(target: &Target, text: String) -> Failure {
    Failure {
        text,
        out_of_time: target.op_timeout().is_none(),
    }
}

fn grease_handshake(target: &Target) -> Result<(), Failure> {
    let mut opts = options(target);
    opts.ech_grease = true;
    match session::handshake(target, &opts) {
        Ok(c) => {
            c.close();
            Ok(())
        }
        Err(f) => Err(failure(target, f.text)),
    }
}

fn offer_unknown(target: &Target) -> Offer {
    let keys = match EchKeys::generate(&target.name, PROBE_CONFIG_ID, &Provider::system()) {
        Ok(k) => k,
        Err(e) => return Offer::Setup(e.to_string()),
    };
    let mut opts = options(target);
    opts.ech_config_list = Some(keys.config_list());
    let f = match session::handshake(target, &opts) {
        Ok(c) => {
            let status = c.conn.negotiated().ech;
            c.close();
            return Offer::Completed(status);
        }
        Err(f) => f,
    };
    match f.tls.as_deref() {
        Some(ferrotls::Error::Ech(EchError::Rejected { retry_configs, .. })) => match retry_configs
        {
            None => Offer::NoRetry,
            Some(list) => Offer::Retry(check_retry(target, list.clone())),
        },
        Some(ferrotls::Error::Ech(e @ EchError::MalformedConfigList(_))) => {
            Offer::Malformed(e.to_string())
        }
        _ => Offer::Failed(failure(target, f.text)),
    }
}

/// Reads each configuration of the list on its own (so that every one passed over
/// says why), then connects with the whole list as a client that got it would.
fn check_retry(target: &Target, list: Vec<u8>) -> RetryCheck {
    let configs: Vec<Result<EchConfig, String>> = match entries(&list) {
        Some(e) => e.into_iter().map(read_one).collect(),
        None => vec![Err("the list's length does not match its contents".into())],
    };
    let second = configs.iter().any(Result::is_ok).then(|| {
        let mut opts = options(target);
        opts.ech_config_list = Some(list.clone());
        match session::handshake(target, &opts) {
            Ok(c) => {
                let status = c.conn.negotiated().ech;
                c.close();
                if status == EchStatus::Accepted {
                    Second::Accepted
                } else {
                    Second::Rejected(format!("the handshake completed, but ECH was {status:?}"))
                }
            }
            Err(f) => match f.tls.as_deref() {
                Some(ferrotls::Error::Ech(e @ EchError::Rejected { .. })) => {
                    Second::Rejected(e.to_string())
                }
                _ => Second::Failed(failure(target, f.text)),
            },
        }
    });
    RetryCheck {
        list,
        configs,
        second,
    }
}

/// The ECHConfigs of an ECHConfigList (section 4), each with its version and length,
/// unparsed; `None` if the framing is wrong.
fn entries(list: &[u8]) -> Option<Vec<&[u8]>> {
    let len = usize::from(u16::from_be_bytes([*list.first()?, *list.get(1)?]));
    let mut rest = list.get(2..)?;
    if rest.len() != len {
        return None;
    }
    let mut out = Vec::new();
    while !rest.is_empty() {
        let n = usize::from(u16::from_be_bytes([*rest.get(2)?, *rest.get(3)?]));
        let (one, tail) = rest.split_at_checked(n.checked_add(4)?)?;
        out.push(one);
        rest = tail;
    }
    Some(out)
}

/// One ECHConfig, read as a list of one: usable, or why the library passes it over.
fn read_one(config: &[u8]) -> Result<EchConfig, String> {
    let len = u16::try_from(config.len()).map_err(|_| "it is too long".to_string())?;
    let list = [&len.to_be_bytes()[..], config].concat();
    match ech::parse_config_list(&list) {
        Ok(v) => v
            .into_iter()
            .next()
            .ok_or_else(|| "it could not be read".to_string()),
        Err(EchError::NoUsableConfig { skipped }) => Err(skipped
            .first()
            .map(|s| s.reason.to_string())
            .unwrap_or_else(|| "it cannot be used".into())),
        Err(e) => Err(e.to_string()),
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The findings. `plain13`: a TLS 1.3 handshake without ECH worked, so a failure
/// with ECH is the extension's fault.
pub fn findings(outcome: &Outcome, plain13: bool) -> Vec<Finding> {
    let o = match outcome {
        Outcome::NotDns { name } => {
            return vec![Finding::info(
                "ech",
                format!(
                    "Encrypted Client Hello was not tested: ECH needs a DNS name, and {name} is an IP address"
                ),
            )
            .evidence("clients find ECH configurations in a host name's DNS HTTPS record; give one with --servername")]
        }
        Outcome::Ran(o) => o,
    };
    let name = &o.name;
    let made_up = format!("an offer with a configuration made up for {name}");
    let untestable = |f: &Failure| f.out_of_time || !plain13;
    let grease_ok = "a handshake with a GREASE encrypted_client_hello extension succeeds";
    let mut out = Vec::new();
    let mut not_tested: Vec<String> = Vec::new();
    match &o.offer {
        Offer::Setup(e) => {
            not_tested.push(format!("no ECH configuration can be made for {name}: {e}"))
        }
        Offer::Completed(status) => not_tested.push(format!(
            "{made_up} completed with ECH {status:?}, which a server without its key cannot do: something on the path answers for the server"
        )),
        Offer::Failed(f) if untestable(f) => {
            not_tested.push(format!("offering ECH: {}", f.text))
        }
        Offer::Failed(f) => out.push(
            Finding::warning(
                "ech.intolerant",
                "The server or a middlebox breaks handshakes that offer Encrypted Client Hello",
            )
            .evidence(format!("{made_up}: {}", f.text))
            .evidence("the same handshake without the encrypted_client_hello extension succeeds")
            .fix("A server without ECH must ignore the encrypted_client_hello extension (0xfe0d) and complete the handshake (RFC 8446, 4.1.2: unknown extensions are ignored): update the server's TLS library, or the firewall or load balancer in front of it. Until then clients that offer ECH cannot connect."),
        ),
        Offer::NoRetry => {
            let mut f = Finding::info(
                "ech.absent",
                "The server does not support Encrypted Client Hello",
            )
            .evidence(format!(
                "{made_up} was rejected without retry configurations"
            ));
            if o.grease.is_ok() {
                f = f.evidence(grease_ok);
            }
            out.push(f);
        }
        Offer::Malformed(e) => out.push(unusable(&made_up).evidence(e.clone())),
        Offer::Retry(check) => out.extend(retry_findings(name, &made_up, check, o.grease.is_ok())),
    }
    match &o.grease {
        Ok(()) => {}
        Err(f) if untestable(f) => not_tested.push(format!("with GREASE ECH: {}", f.text)),
        Err(f) => out.push(
            Finding::warning(
                "ech.grease-intolerant",
                "Handshakes with a GREASE encrypted_client_hello extension fail",
            )
            .evidence(format!("with a GREASE encrypted_client_hello extension: {}", f.text))
            .evidence("the same handshake without it succeeds")
            .evidence("Chrome and Firefox send GREASE ECH by default, so they cannot connect")
            .fix("Update the server's TLS library, or the firewall or load balancer in front of it, so that it ignores the unknown encrypted_client_hello extension (0xfe0d) as RFC 8446, 4.1.2 requires."),
        ),
    }
    if !not_tested.is_empty() {
        let mut f = Finding::info("ech", "Encrypted Client Hello could not be tested");
        if !plain13 {
            f = f.evidence("a TLS 1.3 handshake without ECH fails too");
        }
        for e in not_tested {
            f = f.evidence(e);
        }
        out.push(f);
    }
    out
}

fn unusable(made_up: &str) -> Finding {
    Finding::warning(
        "ech.retry-configs-unusable",
        "The server's ECH retry configurations cannot be used",
    )
    .evidence(format!("{made_up} was rejected with retry configurations"))
    .fix("Serve (and publish in DNS) ECH configurations of version 0xfe0d with the X25519 KEM and HKDF-SHA256 with AES-128-GCM, which ECH clients implement; a client whose offer is rejected cannot retry with anything else.")
}

fn retry_findings(name: &str, made_up: &str, check: &RetryCheck, grease_ok: bool) -> Vec<Finding> {
    let usable: Vec<&EchConfig> = check
        .configs
        .iter()
        .filter_map(|c| c.as_ref().ok())
        .collect();
    let skipped: Vec<String> = check
        .configs
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            c.as_ref()
                .err()
                .map(|why| format!("configuration {} {why}", i + 1))
        })
        .collect();
    if usable.is_empty() {
        let mut f = unusable(made_up);
        for s in skipped {
            f = f.evidence(s);
        }
        return vec![f];
    }
    let mut names: Vec<&str> = Vec::new();
    for c in &usable {
        if !names.contains(&c.public_name.as_str()) {
            names.push(&c.public_name);
        }
    }
    let Some(first) = usable.first() else {
        return Vec::new();
    };
    let mut f = Finding::info(
        "ech.supported",
        format!(
            "The server supports Encrypted Client Hello: {}, public name {}",
            plural(usable.len(), "configuration"),
            names.join(", ")
        ),
    )
    .evidence(format!(
        "{made_up} was rejected with {} to retry with",
        plural(check.configs.len(), "configuration")
    ));
    for c in &usable {
        f = f.evidence(format!(
            "config_id {}: public name {}, {}",
            c.config_id,
            c.public_name,
            c.describe_hpke()
        ));
    }
    for s in &skipped {
        f = f.evidence(format!("{s}; clients pass it over"));
    }
    for n in &names {
        f = f.evidence(if *n == name {
            format!("the public name {n} is the host name itself")
        } else {
            format!("the public name {n} differs from {name}: {name} is reached behind a shared client-facing name, which is normal for shared deployments (CDNs, hosting)")
        });
    }
    f = f.evidence(format!(
        "clients learn the configurations from the ech= parameter of the DNS HTTPS record for {name}; the server's list (base64): {}",
        crate::common::base64(&check.list)
    ));
    let mut out = Vec::new();
    match &check.second {
        Some(Second::Accepted) => {
            f = f.evidence(format!(
                "an ECH handshake with config_id {} from that list was accepted",
                first.config_id
            ))
        }
        Some(Second::Rejected(e)) => out.push(
            Finding::error(
                "ech.retry-configs-stale",
                "The server rejects ECH offers made with its own retry configurations",
            )
            .evidence(format!("connecting again with config_id {}: {e}", first.config_id))
            .fix(format!("The server hands out configurations it cannot decrypt, so clients that use ECH fail even after retrying: the keys are inconsistent across the deployment (servers answering for {name} with different ECH keys, or a configuration sent without its private key). Give every server the private keys of all configurations it sends or DNS publishes.")),
        ),
        Some(Second::Failed(e)) if e.out_of_time => {
            f = f.evidence(format!(
                "an ECH handshake with config_id {} was not completed: {}",
                first.config_id, e.text
            ))
        }
        Some(Second::Failed(e)) => out.push(
            Finding::error(
                "ech.retry-failed",
                "An ECH handshake with the server's own configuration fails",
            )
            .evidence(format!("connecting with config_id {}: {}", first.config_id, e.text))
            .fix("Check the server's ECH setup: it sends configurations, but a handshake that uses them does not complete, so clients that use ECH cannot connect."),
        ),
        None => {}
    }
    if grease_ok {
        f = f.evidence("a handshake with a GREASE encrypted_client_hello extension succeeds");
    }
    out.insert(0, f);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(public_name: &str, config_id: u8) -> EchKeys {
        EchKeys::generate(public_name, config_id, &Provider::system()).unwrap()
    }

    /// An ECHConfig with the X448 KEM (0x0021), which ferrotls does not implement.
    fn x448_config(config_id: u8) -> Vec<u8> {
        config(config_id, 0x0021, 56, 0x0001)
    }

    fn config(config_id: u8, kem: u16, key_len: u8, kdf: u16) -> Vec<u8> {
        let mut body = vec![config_id];
        body.extend(kem.to_be_bytes());
        body.extend([0, key_len]);
        body.extend(vec![4; usize::from(key_len)]);
        body.extend([0, 4]);
        body.extend(kdf.to_be_bytes());
        body.extend([0, 1, 0, 13]);
        body.extend(b"cover.example");
        body.extend([0, 0]);
        let mut out = vec![0xfe, 0x0d];
        out.extend((body.len() as u16).to_be_bytes());
        out.extend(body);
        out
    }

    fn list(configs: &[&[u8]]) -> Vec<u8> {
        let all = configs.concat();
        [&(all.len() as u16).to_be_bytes()[..], &all].concat()
    }

    fn ran(offer: Offer, grease: Result<(), Failure>) -> Outcome {
        Outcome::Ran(Observed {
            name: "www.example".into(),
            offer,
            grease,
        })
    }

    fn failed(text: &str, out_of_time: bool) -> Failure {
        Failure {
            text: text.into(),
            out_of_time,
        }
    }

    fn texts(f: &Finding) -> (&'static str, String, String, String) {
        (f.id, f.title.clone(), f.evidence.join("\n"), f.fix.clone())
    }

    #[test]
    fn reads_each_configuration_of_a_list() {
        let good = keys("cover.example", 3);
        let bad = x448_config(4);
        let l = list(&[good.config().encoded(), &bad]);
        let e = entries(&l).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(read_one(e[0]).unwrap(), *good.config());
        assert_eq!(
            read_one(e[1]).unwrap_err(),
            "(config_id 4) uses HPKE KEM 0x0021, which ferrotls does not support"
        );
        assert_eq!(entries(&l[..l.len() - 1]), None);
        assert_eq!(entries(&[0, 5, 0xfe, 0x0d, 0, 9, 1]), None);
        assert_eq!(
            good.config().describe_hpke(),
            "HPKE X25519 with HKDF-SHA256 and AES-128-GCM, AES-256-GCM, ChaCha20Poly1305"
        );
        let p256 = read_one(&config(5, 0x0010, 65, 0x0002)).unwrap();
        assert_eq!(
            p256.describe_hpke(),
            "HPKE P-256 with HKDF-SHA384 and AES-128-GCM"
        );
    }

    #[test]
    fn shared_public_name_and_a_skipped_configuration() {
        let good = keys("cover.example", 3);
        let bad = x448_config(4);
        let l = list(&[&bad, good.config().encoded()]);
        let check = RetryCheck {
            configs: entries(&l).unwrap().into_iter().map(read_one).collect(),
            list: l.clone(),
            second: Some(Second::Accepted),
        };
        let f = findings(&ran(Offer::Retry(check), Ok(())), true);
        assert_eq!(f.len(), 1);
        assert_eq!(
            texts(&f[0]),
            (
                "ech.supported",
                "The server supports Encrypted Client Hello: 1 configuration, public name cover.example".into(),
                format!(
                    "an offer with a configuration made up for www.example was rejected with 2 configurations to retry with\n\
                     config_id 3: public name cover.example, HPKE X25519 with HKDF-SHA256 and AES-128-GCM, AES-256-GCM, ChaCha20Poly1305\n\
                     configuration 1 (config_id 4) uses HPKE KEM 0x0021, which ferrotls does not support; clients pass it over\n\
                     the public name cover.example differs from www.example: www.example is reached behind a shared client-facing name, which is normal for shared deployments (CDNs, hosting)\n\
                     clients learn the configurations from the ech= parameter of the DNS HTTPS record for www.example; the server's list (base64): {}\n\
                     an ECH handshake with config_id 3 from that list was accepted\n\
                     a handshake with a GREASE encrypted_client_hello extension succeeds",
                    crate::common::base64(&l)
                ),
                String::new()
            )
        );
    }

    const UNUSABLE_FIX: &str = "Serve (and publish in DNS) ECH configurations of version 0xfe0d with the X25519 KEM and HKDF-SHA256 with AES-128-GCM, which ECH clients implement; a client whose offer is rejected cannot retry with anything else.";

    #[test]
    fn unusable_retry_configurations() {
        let l = list(&[&x448_config(4)]);
        let check = RetryCheck {
            configs: entries(&l).unwrap().into_iter().map(read_one).collect(),
            list: l,
            second: None,
        };
        let f = findings(&ran(Offer::Retry(check), Ok(())), true);
        assert_eq!(
            f.iter().map(texts).collect::<Vec<_>>(),
            [(
                "ech.retry-configs-unusable",
                "The server's ECH retry configurations cannot be used".into(),
                "an offer with a configuration made up for www.example was rejected with retry configurations\n\
                 configuration 1 (config_id 4) uses HPKE KEM 0x0021, which ferrotls does not support".into(),
                UNUSABLE_FIX.into()
            )]
        );
        let e = ech::parse_config_list(&[0, 2, 0xfe])
            .unwrap_err()
            .to_string();
        let f = findings(&ran(Offer::Malformed(e.clone()), Ok(())), true);
        assert_eq!(
            f.iter().map(texts).collect::<Vec<_>>(),
            [(
                "ech.retry-configs-unusable",
                "The server's ECH retry configurations cannot be used".into(),
                format!("an offer with a configuration made up for www.example was rejected with retry configurations\n{e}"),
                UNUSABLE_FIX.into()
            )]
        );
    }

    #[test]
    fn handshake_with_the_retry_configuration_fails() {
        let good = keys("www.example", 9);
        let check = |second| RetryCheck {
            configs: vec![Ok(good.config().clone())],
            list: good.config_list(),
            second: Some(second),
        };
        let f = findings(
            &ran(
                Offer::Retry(check(Second::Failed(failed(
                    "received fatal alert: internal_error",
                    false,
                )))),
                Ok(()),
            ),
            true,
        );
        assert_eq!(f.len(), 2);
        assert_eq!(
            texts(&f[1]),
            (
                "ech.retry-failed",
                "An ECH handshake with the server's own configuration fails".into(),
                "connecting with config_id 9: received fatal alert: internal_error".into(),
                "Check the server's ECH setup: it sends configurations, but a handshake that uses them does not complete, so clients that use ECH cannot connect.".into()
            )
        );
        assert!(f[0]
            .evidence
            .contains(&"the public name www.example is the host name itself".to_string()));
        let f = findings(
            &ran(
                Offer::Retry(check(Second::Failed(failed(
                    "the time budget ran out",
                    true,
                )))),
                Ok(()),
            ),
            true,
        );
        assert_eq!(f.len(), 1);
        assert!(f[0].evidence.contains(
            &"an ECH handshake with config_id 9 was not completed: the time budget ran out"
                .to_string()
        ));
    }

    #[test]
    fn not_tested() {
        let f = findings(
            &ran(
                Offer::Failed(failed("connection reset", false)),
                Err(failed("connection reset", false)),
            ),
            false,
        );
        assert_eq!(
            f.iter().map(texts).collect::<Vec<_>>(),
            [(
                "ech",
                "Encrypted Client Hello could not be tested".into(),
                "a TLS 1.3 handshake without ECH fails too\noffering ECH: connection reset\nwith GREASE ECH: connection reset".into(),
                String::new()
            )]
        );
        let e = EchKeys::generate("bad_name.example", 1, &Provider::system())
            .unwrap_err()
            .to_string();
        let f = findings(&ran(Offer::Setup(e.clone()), Ok(())), true);
        assert_eq!(
            texts(&f[0]),
            (
                "ech",
                "Encrypted Client Hello could not be tested".into(),
                format!("no ECH configuration can be made for www.example: {e}"),
                String::new()
            )
        );
        let f = findings(&ran(Offer::Completed(EchStatus::Accepted), Ok(())), true);
        assert_eq!(
            f[0].evidence,
            ["an offer with a configuration made up for www.example completed with ECH Accepted, which a server without its key cannot do: something on the path answers for the server"]
        );
        let f = findings(
            &ran(Offer::NoRetry, Err(failed("the time budget ran out", true))),
            true,
        );
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].evidence, ["an offer with a configuration made up for www.example was rejected without retry configurations"]);
        assert_eq!(f[1].evidence, ["with GREASE ECH: the time budget ran out"]);
    }
}
