//! RFC 7507 (TLS_FALLBACK_SCSV): the server's check (3).

use ferrotls::msgs::enums::{AlertDescription as A, CipherSuite};

use crate::pair::Side;
use crate::peer::{before_hello_with, client, refused, send_hello, server, TLS12};

rules! {
    rfc: "RFC 7507";

    /// RFC 7507, 3: "If TLS_FALLBACK_SCSV appears in ClientHello.cipher_suites and
    /// the highest protocol version supported by the server is higher than the
    /// version indicated by the client, the server MUST respond with a fatal
    /// inappropriate_fallback alert".
    "3", "TLS_FALLBACK_SCSV below the server's best version is inappropriate_fallback" =>
    fn fallback_scsv_is_inappropriate_fallback() {
        let (mut p, mut ch) = before_hello_with(client().versions(TLS12), server());
        ch.cipher_suites.push(CipherSuite::TLS_FALLBACK_SCSV);
        let outcome = send_hello(&mut p, &ch);
        refused(&mut p, Side::Server, outcome, A::InappropriateFallback,
            "the client retried with a lower version (TLS_FALLBACK_SCSV) although both sides support TLS 1.3: something interfered with the first attempt")
    }
}
