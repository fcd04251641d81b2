//! A safe Heartbleed probe (CVE-2014-0160).
//!
//! After the server's cleartext flight we send one heartbeat request whose
//! payload_length claims 48 bytes more than the payload we send (our 16 bytes of
//! padding plus 32). A fixed server discards it (RFC 6520, 4) or sends an alert; a
//! vulnerable one echoes `payload_length` bytes, that is, our payload, our padding and
//! 32 bytes of its own memory. Only bytes beyond the payload we sent count as a
//! leak, so a server that merely answers heartbeats is never called vulnerable, and
//! at most 32 bytes of the server's memory are ever asked for.

use std::time::Duration;

use ferrotls::msgs::enums::{ContentType, ProtocolVersion};

use super::report::Finding;
use super::wire::{Hello, RawConn, Refusal, Target};

/// The payload we send: recognisable in a response.
pub const PROBE_PAYLOAD: &[u8] = b"ferrotls-hb-probe";
/// How many bytes past our record a vulnerable server returns.
const OVERREAD: usize = 32;
const PADDING: usize = 16;

/// What the probe concluded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The server did not negotiate the heartbeat extension.
    NotEnabled,
    /// It negotiated heartbeats and did not leak: how it handled the request.
    NotVulnerable(&'static str),
    /// It returned `leaked` bytes beyond the payload we sent.
    Vulnerable {
        claimed: usize,
        sent: usize,
        leaked: usize,
    },
    /// The answer made no sense.
    Inconclusive(String),
}

/// The heartbeat record we send: type request, the claimed length, payload, padding.
pub fn request_record(payload: &[u8]) -> (Vec<u8>, usize) {
    let claimed = payload.len() + PADDING + OVERREAD;
    let mut out = vec![1u8];
    out.extend_from_slice(&(claimed as u16).to_be_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&[0x42; PADDING]);
    (out, claimed)
}

/// Judges the server's answer to [`request_record`]: `answer` is the first record
/// received after the request (type and payload), or `None` if none came.
pub fn verdict(sent: &[u8], claimed: usize, answer: Option<(ContentType, &[u8])>) -> Verdict {
    match answer {
        None => Verdict::NotVulnerable("it ignored the malformed request, as RFC 6520 requires"),
        Some((ContentType::Alert, _)) => {
            Verdict::NotVulnerable("it refused the malformed request with an alert")
        }
        Some((ContentType::Heartbeat, body)) => match body {
            [2, hi, lo, rest @ ..] => {
                let len = usize::from(u16::from_be_bytes([*hi, *lo]));
                if len <= sent.len() {
                    Verdict::NotVulnerable("it answered with no more than the payload sent")
                } else if rest.len() < len {
                    Verdict::Inconclusive(format!(
                        "a heartbeat response claiming {len} bytes but carrying {}",
                        rest.len()
                    ))
                } else {
                    Verdict::Vulnerable {
                        claimed,
                        sent: sent.len(),
                        leaked: len - sent.len(),
                    }
                }
            }
            _ => Verdict::Inconclusive("a heartbeat record that is not a response".into()),
        },
        Some((other, _)) => Verdict::Inconclusive(format!("a {other} record")),
    }
}

/// Runs the probe at `version` (TLS 1.2 or below, one the server accepts).
pub fn probe(
    target: &Target,
    version: ProtocolVersion,
    sni: Option<String>,
) -> Result<Verdict, Refusal> {
    let mut hello = Hello::for_version(version, sni);
    hello.heartbeat = true;
    let mut conn = RawConn::open(target)?;
    let flight = conn.hello(&hello)?;
    if !flight
        .hello
        .has_extension(ferrotls::msgs::enums::ExtensionType::Heartbeat)
    {
        return Ok(Verdict::NotEnabled);
    }
    if !flight.done {
        return Ok(Verdict::Inconclusive(
            "the server's flight did not end with ServerHelloDone".into(),
        ));
    }
    let (record, claimed) = request_record(PROBE_PAYLOAD);
    conn.send_record(ContentType::Heartbeat, flight.version, &record)?;
    let answer = match conn.next_record(Duration::from_secs(3)) {
        Ok((typ, payload)) => Some((typ, payload)),
        Err(Refusal::Timeout | Refusal::Closed) => None,
        Err(e) => return Err(e),
    };
    Ok(verdict(
        PROBE_PAYLOAD,
        claimed,
        answer.as_ref().map(|(t, p)| (*t, p.as_slice())),
    ))
}

pub fn finding(v: &Verdict) -> Finding {
    match v {
        Verdict::NotEnabled => Finding::info(
            "heartbleed",
            "Not vulnerable to Heartbleed: the heartbeat extension is off",
        ),
        Verdict::NotVulnerable(how) => Finding::info(
            "heartbleed",
            "Not vulnerable to Heartbleed",
        )
        .evidence(format!(
            "the heartbeat extension is on; sent a request claiming more bytes than it carried: {how}"
        )),
        Verdict::Vulnerable {
            claimed,
            sent,
            leaked,
        } => Finding::error(
            "heartbleed",
            "The server is vulnerable to Heartbleed (CVE-2014-0160)",
        )
        .evidence(format!(
            "sent a heartbeat with {sent} bytes of payload claiming {claimed}; the server returned {} bytes, {leaked} more than the payload (its memory)",
            sent + leaked
        ))
        .fix("Upgrade OpenSSL (1.0.1g or later) or the TLS library and restart the server; then replace the private key and certificate, revoke the old certificate, and invalidate sessions and passwords, which may have leaked."),
        Verdict::Inconclusive(why) => Finding::warning(
            "heartbleed",
            "The Heartbleed probe was inconclusive",
        )
        .evidence(format!("the server sent {why}"))
        .fix("Check the server's TLS library version by hand."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_claims_more_than_it_carries() {
        let (rec, claimed) = request_record(b"abc");
        assert_eq!(claimed, 3 + 16 + 32);
        assert_eq!(&rec[..6], &[1, 0, 51, b'a', b'b', b'c']);
        assert_eq!(rec.len(), 3 + 3 + 16);
    }

    /// A response recorded from OpenSSL 1.0.1f: the payload, our padding and 32
    /// bytes of heap, then its own 16 bytes of padding.
    #[test]
    fn leaked_bytes_mean_vulnerable() {
        let (rec, claimed) = request_record(PROBE_PAYLOAD);
        let mut resp = vec![2u8];
        resp.extend_from_slice(&(claimed as u16).to_be_bytes());
        resp.extend_from_slice(&rec[3..]); // our payload and padding
        resp.extend_from_slice(b"\x00\x00\x01\x50GET /secret HTTP/1.1\r\nHost:"); // heap
        resp.truncate(3 + claimed);
        resp.extend_from_slice(&[0xaa; 16]);
        assert_eq!(
            verdict(
                PROBE_PAYLOAD,
                claimed,
                Some((ContentType::Heartbeat, &resp))
            ),
            Verdict::Vulnerable {
                claimed,
                sent: PROBE_PAYLOAD.len(),
                leaked: claimed - PROBE_PAYLOAD.len()
            }
        );
        assert_eq!(
            finding(&verdict(
                PROBE_PAYLOAD,
                claimed,
                Some((ContentType::Heartbeat, &resp))
            ))
            .title,
            "The server is vulnerable to Heartbleed (CVE-2014-0160)"
        );
    }

    #[test]
    fn an_exact_echo_is_not_a_leak() {
        let mut resp = vec![2u8, 0, PROBE_PAYLOAD.len() as u8];
        resp.extend_from_slice(PROBE_PAYLOAD);
        resp.extend_from_slice(&[0; 16]);
        assert_eq!(
            verdict(PROBE_PAYLOAD, 65, Some((ContentType::Heartbeat, &resp))),
            Verdict::NotVulnerable("it answered with no more than the payload sent")
        );
    }

    #[test]
    fn silence_and_alerts_are_not_leaks() {
        assert_eq!(
            verdict(PROBE_PAYLOAD, 65, None),
            Verdict::NotVulnerable("it ignored the malformed request, as RFC 6520 requires")
        );
        assert_eq!(
            verdict(PROBE_PAYLOAD, 65, Some((ContentType::Alert, &[2, 10]))),
            Verdict::NotVulnerable("it refused the malformed request with an alert")
        );
        let f = finding(&verdict(PROBE_PAYLOAD, 65, None));
        assert_eq!(f.title, "Not vulnerable to Heartbleed");
    }

    #[test]
    fn a_response_shorter_than_it_claims_is_inconclusive() {
        let resp = [2u8, 0, 65, 1, 2, 3];
        assert_eq!(
            verdict(PROBE_PAYLOAD, 65, Some((ContentType::Heartbeat, &resp))),
            Verdict::Inconclusive("a heartbeat response claiming 65 bytes but carrying 3".into())
        );
    }
}
