//! Hand-made ClientHellos over a plain TcpStream, and the server's answer read as
//! records: the ServerHello (or HelloRetryRequest), and for TLS 1.2 and below the
//! rest of the cleartext flight (Certificate, CertificateStatus, ServerKeyExchange,
//! ServerHelloDone), or an alert. Nothing is ever encrypted here and no application
//! data is sent: a probe stops where the server's first flight ends.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use ferrotls::codec::{Codec, Reader};
use ferrotls::crypto::kx::KeyExchange;
use ferrotls::msgs::enums::{
    AlertDescription, CipherSuite, ContentType, ECPointFormat, HandshakeType, HeartbeatMode,
    NamedGroup, ProtocolVersion, ServerNameType, SignatureScheme,
};
use ferrotls::msgs::{
    Certificate12, CertificateStatus, ClientExtension, ClientHello, HandshakeMessage12,
    HandshakePayload12, KeyShareEntry, ServerHello, ServerNameEntry,
};
use ferrotls::record::{write_plain_record, Deframer};

/// The longest one network operation may take.
pub const OP_TIMEOUT: Duration = Duration::from_secs(5);

/// Where and until when probes may run.
#[derive(Clone, Debug)]
pub struct Target {
    pub addr: SocketAddr,
    /// The name to send in SNI and to match certificates against.
    pub name: String,
    pub deadline: Instant,
}

impl Target {
    /// How long the next operation may take: 5 s, less near the deadline.
    pub fn op_timeout(&self) -> Option<Duration> {
        let left = self.deadline.checked_duration_since(Instant::now())?;
        (left > Duration::from_millis(50)).then(|| left.min(OP_TIMEOUT))
    }

    pub fn connect(&self) -> Result<TcpStream, Refusal> {
        let t = self.op_timeout().ok_or(Refusal::OutOfTime)?;
        let sock = TcpStream::connect_timeout(&self.addr, t)
            .map_err(|e| Refusal::Connect(e.to_string()))?;
        let _ = sock.set_nodelay(true);
        Ok(sock)
    }
}

/// A ClientHello to build.
#[derive(Clone, Debug)]
pub struct Hello {
    /// The version offered: legacy_version for SSL 3.0 to TLS 1.2, supported_versions
    /// for TLS 1.3.
    pub version: ProtocolVersion,
    pub suites: Vec<u16>,
    /// supported_groups; empty omits the extension.
    pub groups: Vec<NamedGroup>,
    /// TLS 1.3: groups to send a real key share for (others get HelloRetryRequest).
    pub key_shares: Vec<NamedGroup>,
    pub sni: Option<String>,
    pub alpn: Vec<Vec<u8>>,
    pub heartbeat: bool,
    pub status_request: bool,
    pub session_ticket: bool,
    /// Adds TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746, 3.3).
    pub reneg_scsv: bool,
    /// Adds TLS_FALLBACK_SCSV (RFC 7507).
    pub fallback_scsv: bool,
    /// Compression methods; `[0]` (null only) normally.
    pub compression: Vec<u8>,
    /// signature_algorithms (RFC 5246, 7.4.1.4.1); every scheme by default.
    pub sigalgs: Vec<SignatureScheme>,
}

impl Hello {
    /// A hello offering exactly `version` with every suite of that version.
    pub fn for_version(version: ProtocolVersion, sni: Option<String>) -> Self {
        let tls13 = version == ProtocolVersion::TLSv1_3;
        let suites = if tls13 {
            super::suites::TLS13.iter().map(|(c, _)| *c).collect()
        } else {
            super::suites::LEGACY.iter().map(|(c, _)| *c).collect()
        };
        Hello {
            version,
            suites,
            groups: if tls13 { tls13_groups() } else { ec_groups() },
            key_shares: if tls13 {
                vec![NamedGroup::X25519]
            } else {
                Vec::new()
            },
            sni,
            alpn: Vec::new(),
            heartbeat: false,
            status_request: !tls13,
            session_ticket: false,
            reneg_scsv: !tls13,
            fallback_scsv: false,
            compression: vec![0],
            sigalgs: signature_schemes(),
        }
    }

    /// The handshake message, header included.
    pub fn encode(&self) -> Vec<u8> {
        let tls13 = self.version == ProtocolVersion::TLSv1_3;
        let mut suites: Vec<CipherSuite> = self
            .suites
            .iter()
            .map(|c| CipherSuite::from_wire(*c))
            .collect();
        if self.reneg_scsv {
            suites.push(CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
        }
        if self.fallback_scsv {
            suites.push(CipherSuite::TLS_FALLBACK_SCSV);
        }
        let mut ext = Vec::new();
        // SSL 3.0 servers may not understand extensions at all.
        if self.version != ProtocolVersion::SSLv3 {
            if let Some(name) = &self.sni {
                ext.push(ClientExtension::ServerName(vec![ServerNameEntry {
                    name_type: ServerNameType::HostName,
                    name: name.as_bytes().to_vec(),
                }]));
            }
            if !self.groups.is_empty() {
                ext.push(ClientExtension::SupportedGroups(self.groups.clone()));
                ext.push(ClientExtension::EcPointFormats(vec![
                    ECPointFormat::Uncompressed,
                ]));
            }
            ext.push(ClientExtension::SignatureAlgorithms(self.sigalgs.clone()));
            if self.status_request {
                // CertificateStatusRequest: ocsp, no responder IDs, no extensions.
                ext.push(ClientExtension::StatusRequest(vec![1, 0, 0, 0, 0]));
            }
            if !self.alpn.is_empty() {
                ext.push(ClientExtension::Alpn(self.alpn.clone()));
            }
            if self.session_ticket {
                ext.push(ClientExtension::SessionTicket(Vec::new()));
            }
            if self.heartbeat {
                ext.push(ClientExtension::Heartbeat(HeartbeatMode::PeerAllowedToSend));
            }
            if !tls13 {
                ext.push(ClientExtension::ExtendedMasterSecret);
            }
            if tls13 {
                ext.push(ClientExtension::SupportedVersions(vec![
                    ProtocolVersion::TLSv1_3,
                ]));
                let shares = self
                    .key_shares
                    .iter()
                    .filter_map(|g| {
                        let kx = KeyExchange::start(*g).ok()?;
                        Some(KeyShareEntry {
                            group: *g,
                            payload: kx.public_share().to_vec(),
                        })
                    })
                    .collect();
                ext.push(ClientExtension::KeyShare(shares));
                ext.push(ClientExtension::PskKeyExchangeModes(vec![
                    ferrotls::msgs::enums::PskKeyExchangeMode::PskDheKe,
                ]));
            }
        }
        let random: [u8; 32] = ferrotls::crypto::provider::Provider::system()
            .random_array()
            .unwrap_or([7; 32]);
        let ch = ClientHello {
            legacy_version: if tls13 {
                ProtocolVersion::TLSv1_2
            } else {
                self.version
            },
            random,
            session_id: if tls13 { random.to_vec() } else { Vec::new() },
            cipher_suites: suites,
            compression_methods: self.compression.clone(),
            extensions: ext,
            empty_extensions_block: false,
        };
        HandshakeMessage12::new(HandshakePayload12::ClientHello(ch)).to_bytes()
    }
}

/// Every signature scheme, SHA-1 included, so old servers find theirs.
fn signature_schemes() -> Vec<SignatureScheme> {
    use SignatureScheme as S;
    vec![
        S::ECDSA_NISTP256_SHA256,
        S::ECDSA_NISTP384_SHA384,
        S::ECDSA_NISTP521_SHA512,
        S::ED25519,
        S::RSA_PSS_RSAE_SHA256,
        S::RSA_PSS_RSAE_SHA384,
        S::RSA_PSS_RSAE_SHA512,
        S::RSA_PKCS1_SHA256,
        S::RSA_PKCS1_SHA384,
        S::RSA_PKCS1_SHA512,
        S::RSA_PKCS1_SHA1,
        S::ECDSA_SHA1,
        SignatureScheme::Unknown(0x0402), // dsa_sha256
        SignatureScheme::Unknown(0x0202), // dsa_sha1
    ]
}

/// Groups offered to TLS 1.3 servers: every one with a code point in use.
pub fn tls13_groups() -> Vec<NamedGroup> {
    use NamedGroup as G;
    vec![
        G::X25519MLKEM768,
        G::X25519,
        G::secp256r1,
        G::secp384r1,
        G::secp521r1,
        G::X448,
        G::SecP256r1MLKEM768,
        G::SecP384r1MLKEM1024,
        G::FFDHE2048,
        G::FFDHE3072,
        G::FFDHE4096,
        G::FFDHE6144,
        G::FFDHE8192,
    ]
}

/// Groups offered to TLS 1.2 and older servers (ECDHE curves and RFC 7919 groups).
pub fn ec_groups() -> Vec<NamedGroup> {
    use NamedGroup as G;
    vec![
        G::X25519,
        G::secp256r1,
        G::secp384r1,
        G::secp521r1,
        G::X448,
        G::Unknown(0x0016), // secp256k1
        G::Unknown(0x0015), // secp224r1
        G::Unknown(0x001a), // brainpoolP256r1
        G::Unknown(0x001b), // brainpoolP384r1
        G::Unknown(0x001c), // brainpoolP512r1
        G::FFDHE2048,
        G::FFDHE3072,
        G::FFDHE4096,
    ]
}

/// A readable group name, including the legacy curves ferrotls does not name.
pub fn group_name(g: NamedGroup) -> String {
    match g.to_wire() {
        0x0015 => "secp224r1".into(),
        0x0016 => "secp256k1".into(),
        0x001a => "brainpoolP256r1".into(),
        0x001b => "brainpoolP384r1".into(),
        0x001c => "brainpoolP512r1".into(),
        _ => g.to_string(),
    }
}

/// Why a server did not accept a hello.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    Connect(String),
    Alert(AlertDescription),
    Closed,
    Timeout,
    /// The answer was not TLS, or a ServerHello we could not decode.
    Malformed(String),
    /// The overall time budget ran out before the probe started.
    OutOfTime,
}

impl Refusal {
    pub fn describe(&self) -> String {
        match self {
            Refusal::Connect(e) => format!("TCP connection failed: {e}"),
            Refusal::Alert(d) => format!("{d} alert"),
            Refusal::Closed => "connection closed".into(),
            Refusal::Timeout => "no answer in time".into(),
            Refusal::Malformed(e) => format!("not a TLS answer ({e})"),
            Refusal::OutOfTime => "not run: the time budget ran out".into(),
        }
    }
}

/// What the server sent in the clear after our hello.
#[derive(Clone, Debug)]
pub struct Flight {
    pub hello: ServerHello,
    /// The version the server chose.
    pub version: ProtocolVersion,
    /// TLS 1.2 and below: the certificate chain as sent.
    pub certs: Vec<Vec<u8>>,
    /// TLS 1.2 and below: the stapled OCSP response.
    pub ocsp: Option<Vec<u8>>,
    /// TLS 1.2 and below: the raw ServerKeyExchange body.
    pub ske: Option<Vec<u8>>,
    pub done: bool,
    /// A warning alert that came with the flight (e.g. unrecognized_name).
    pub warning: Option<AlertDescription>,
}

impl Flight {
    pub fn suite(&self) -> u16 {
        self.hello.cipher_suite.to_wire()
    }

    /// The ECDHE group of the ServerKeyExchange (RFC 8422, 5.4: curve_type 3).
    pub fn ske_group(&self) -> Option<NamedGroup> {
        match self.ske.as_deref()? {
            [3, hi, lo, ..] => Some(NamedGroup::from_wire(u16::from_be_bytes([*hi, *lo]))),
            _ => None,
        }
    }

    /// The DHE prime of the ServerKeyExchange without leading zero bytes
    /// (RFC 5246, 7.4.3: ServerDHParams).
    pub fn ske_dh_prime(&self) -> Option<&[u8]> {
        if !super::suites::traits(self.suite()).dhe {
            return None;
        }
        let mut r = Reader::new(self.ske.as_deref()?, "ServerKeyExchange");
        let p = r.vec_u16("dh_p").ok()?;
        let lead = p.iter().position(|b| *b != 0)?;
        p.get(lead..)
    }

    /// The size in bits of the DHE prime of the ServerKeyExchange.
    pub fn ske_dh_bits(&self) -> Option<usize> {
        let p = self.ske_dh_prime()?;
        let first = p.first()?;
        Some((p.len() - 1) * 8 + (8 - first.leading_zeros() as usize))
    }

    /// The signature scheme the server signed its TLS 1.2 ServerKeyExchange with
    /// (RFC 5246, 7.4.3: digitally-signed, led by SignatureAndHashAlgorithm), for
    /// ECDHE (RFC 8422, 5.4) and DHE suites.
    pub fn ske_signature(&self) -> Option<SignatureScheme> {
        if self.version != ProtocolVersion::TLSv1_2 {
            return None;
        }
        let t = super::suites::traits(self.suite());
        if t.anonymous || !t.forward_secret {
            return None;
        }
        let mut r = Reader::new(self.ske.as_deref()?, "ServerKeyExchange");
        if t.dhe {
            r.vec_u16("dh_p").ok()?;
            r.vec_u16("dh_g").ok()?;
            r.vec_u16("dh_Ys").ok()?;
        } else {
            // ECParameters: curve_type named_curve (3) and the group, then the point.
            if r.u8("curve_type").ok()? != 3 {
                return None;
            }
            r.u16("named_curve").ok()?;
            r.vec_u8("public").ok()?;
        }
        Some(SignatureScheme::from_wire(
            r.u16("signature_algorithm").ok()?,
        ))
    }
}

/// One cleartext conversation: the hello sent, records read back.
pub struct RawConn {
    pub sock: TcpStream,
    deframer: Deframer,
    target: Target,
}

impl RawConn {
    pub fn open(target: &Target) -> Result<Self, Refusal> {
        let mut deframer = Deframer::new();
        deframer.allow_tls12_records();
        Ok(RawConn {
            sock: target.connect()?,
            deframer,
            target: target.clone(),
        })
    }

    pub fn send_record(
        &mut self,
        typ: ContentType,
        version: ProtocolVersion,
        payload: &[u8],
    ) -> Result<(), Refusal> {
        let mut out = Vec::new();
        write_plain_record(typ, version, payload, &mut out);
        let t = self.target.op_timeout().ok_or(Refusal::OutOfTime)?;
        let _ = self.sock.set_write_timeout(Some(t));
        self.sock
            .write_all(&out)
            .map_err(|e| Refusal::Connect(e.to_string()))
    }

    /// The next record, waiting at most `wait` (and never past the deadline).
    pub fn next_record(&mut self, wait: Duration) -> Result<(ContentType, Vec<u8>), Refusal> {
        let until = Instant::now() + wait;
        loop {
            match self.deframer.next_record() {
                Ok(Some(rec)) => return Ok((rec.typ, rec.payload)),
                Ok(None) => {}
                Err(e) => return Err(Refusal::Malformed(e.to_string())),
            }
            let left = until
                .checked_duration_since(Instant::now())
                .ok_or(Refusal::Timeout)?;
            let t = self
                .target
                .op_timeout()
                .ok_or(Refusal::Timeout)?
                .min(left)
                .max(Duration::from_millis(1));
            let _ = self.sock.set_read_timeout(Some(t));
            match self.deframer.read_from(&mut self.sock) {
                Ok(0) => return Err(Refusal::Closed),
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return Err(Refusal::Timeout)
                }
                Err(_) => return Err(Refusal::Closed),
            }
        }
    }

    /// Sends `hello` and reads the server's cleartext answer.
    pub fn hello(&mut self, hello: &Hello) -> Result<Flight, Refusal> {
        let record_version = if hello.version == ProtocolVersion::SSLv3 {
            ProtocolVersion::SSLv3
        } else {
            ProtocolVersion::TLSv1_0
        };
        self.send_record(ContentType::Handshake, record_version, &hello.encode())?;
        self.read_flight()
    }

    fn read_flight(&mut self) -> Result<Flight, Refusal> {
        let mut hs: Vec<u8> = Vec::new();
        let mut flight: Option<Flight> = None;
        let mut warning = None;
        loop {
            let (typ, payload) = match self.next_record(OP_TIMEOUT) {
                Ok(r) => r,
                // A flight cut short after the ServerHello still tells the version.
                Err(e) => return flight.ok_or(e),
            };
            match typ {
                ContentType::Alert => {
                    let (level, desc) = match payload.as_slice() {
                        [l, d] => (*l, AlertDescription::from_wire(*d)),
                        _ => return Err(Refusal::Malformed("a malformed alert".into())),
                    };
                    if level == 1 && desc != AlertDescription::CloseNotify {
                        warning = Some(desc);
                        if let Some(f) = &mut flight {
                            f.warning = warning;
                        }
                        continue;
                    }
                    return match flight {
                        Some(f) if f.certs.is_empty() => Err(Refusal::Alert(desc)),
                        Some(f) => Ok(f),
                        None => Err(Refusal::Alert(desc)),
                    };
                }
                ContentType::Handshake => hs.extend_from_slice(&payload),
                // TLS 1.3: what follows the ServerHello is encrypted; we are done.
                _ if flight.is_some() => return flight.ok_or(Refusal::Closed),
                other => {
                    return Err(Refusal::Malformed(format!(
                        "a {other} record before the ServerHello"
                    )))
                }
            }
            while let Some((msg_type, body, used)) = split_message(&hs) {
                let body = body.to_vec();
                hs.drain(..used);
                match (HandshakeType::from_wire(msg_type), &mut flight) {
                    (HandshakeType::ServerHello, None) => {
                        let sh = ServerHello::read(&mut Reader::new(&body, "ServerHello"))
                            .map_err(|e| Refusal::Malformed(e.to_string()))?;
                        let version = sh.supported_version().unwrap_or(sh.legacy_version);
                        let hrr = sh.is_hello_retry_request();
                        let f = Flight {
                            hello: sh,
                            version,
                            certs: Vec::new(),
                            ocsp: None,
                            ske: None,
                            done: false,
                            warning,
                        };
                        if version == ProtocolVersion::TLSv1_3 || hrr {
                            return Ok(f);
                        }
                        flight = Some(f);
                    }
                    (HandshakeType::Certificate, Some(f)) => {
                        let c = Certificate12::read(&mut Reader::new(&body, "Certificate"))
                            .map_err(|e| Refusal::Malformed(e.to_string()))?;
                        f.certs = c.certs;
                    }
                    (HandshakeType::CertificateStatus, Some(f)) => {
                        if let Ok(s) =
                            CertificateStatus::read(&mut Reader::new(&body, "CertificateStatus"))
                        {
                            f.ocsp = Some(s.ocsp_response);
                        }
                    }
                    (HandshakeType::ServerKeyExchange, Some(f)) => f.ske = Some(body),
                    (HandshakeType::ServerHelloDone, Some(f)) => {
                        f.done = true;
                        return flight.ok_or(Refusal::Closed);
                    }
                    (HandshakeType::CertificateRequest, Some(_)) => {}
                    (t, _) => {
                        return flight.ok_or_else(|| {
                            Refusal::Malformed(format!(
                                "{} before the ServerHello",
                                t.message_name()
                            ))
                        })
                    }
                }
            }
        }
    }
}

/// Splits the first whole handshake message off `buf`: (type, body, bytes used).
fn split_message(buf: &[u8]) -> Option<(u8, &[u8], usize)> {
    let [t, a, b, c, rest @ ..] = buf else {
        return None;
    };
    let len = (usize::from(*a) << 16) | (usize::from(*b) << 8) | usize::from(*c);
    let body = rest.get(..len)?;
    Some((*t, body, 4 + len))
}

/// Opens a connection, sends `hello`, reads the answer, closes.
pub fn probe(target: &Target, hello: &Hello) -> Result<Flight, Refusal> {
    RawConn::open(target)?.hello(hello)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hellos_decode_back() {
        for v in [
            ProtocolVersion::SSLv3,
            ProtocolVersion::TLSv1_0,
            ProtocolVersion::TLSv1_2,
            ProtocolVersion::TLSv1_3,
        ] {
            let mut h = Hello::for_version(v, Some("example.com".into()));
            h.heartbeat = true;
            h.session_ticket = true;
            h.alpn = vec![b"h2".to_vec()];
            let bytes = h.encode();
            let msg = HandshakeMessage12::read_bytes(&bytes).unwrap();
            let HandshakePayload12::ClientHello(ch) = msg.payload else {
                panic!("not a ClientHello")
            };
            let last = ch.cipher_suites.last().map(|s| s.to_wire());
            let want = if v == ProtocolVersion::TLSv1_3 {
                0x1305
            } else {
                0x00ff
            };
            assert_eq!(last, Some(want));
            if v == ProtocolVersion::SSLv3 {
                assert!(ch.extensions.is_empty());
            } else {
                assert_eq!(ch.host_name(), Some(&b"example.com"[..]));
            }
        }
    }

    #[test]
    fn dh_prime_size() {
        let mut ske = vec![0x01, 0x01, 0x00];
        ske.extend(vec![0xff; 256]);
        let f = Flight {
            hello: ServerHello {
                legacy_version: ProtocolVersion::TLSv1_2,
                random: [0; 32],
                session_id: vec![],
                cipher_suite: CipherSuite::Unknown(0x009e),
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
        };
        // 0x0101 bytes with a leading zero: 256 significant bytes.
        assert_eq!(f.ske_dh_bits(), Some(2048));
    }
}
