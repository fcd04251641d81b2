//! TLS failures surface as `io::Error`s of kind `InvalidData` that wrap
//! `ferrotls::Error`, after our alert has reached the peer.

mod common;

use std::io;

use common::{localhost, pinned_config, TestCert, STEP};
use ferrotls::error::CertificateError;
use ferrotls::msgs::enums::AlertDescription;
use ferrotls_tokio::TlsConnector;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::timeout;

/// The `ferrotls::Error` inside an `InvalidData` error.
fn tls_error(e: &io::Error) -> &ferrotls::Error {
    assert_eq!(e.kind(), io::ErrorKind::InvalidData, "{e:?}");
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<ferrotls::Error>())
        .unwrap_or_else(|| panic!("{e:?} does not wrap a ferrotls::Error"))
}

#[tokio::test]
async fn a_client_pinned_to_another_certificate_fails_and_the_server_gets_its_alert() {
    let server_cert = TestCert::new();
    let other = TestCert::new();
    let (c, s) = tokio::io::duplex(64);
    let acceptor = server_cert.acceptor();
    let server = tokio::spawn(async move { acceptor.accept(s).await });

    let connector = TlsConnector::from(pinned_config(&other.leaf));
    let err = timeout(STEP, connector.connect(localhost(), c))
        .await
        .expect("timed out")
        .expect_err("untrusted certificate");
    assert!(
        matches!(
            tls_error(&err),
            ferrotls::Error::Certificate(CertificateError::NotPinned { .. })
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "certificate for CN=rcgen self signed cert is not one of the certificates this client was configured to trust"
    );

    let err = timeout(STEP, server)
        .await
        .expect("timed out")
        .expect("server task")
        .expect_err("the client refused us");
    assert_eq!(
        tls_error(&err),
        &ferrotls::Error::AlertReceived(AlertDescription::UnknownCa)
    );
    assert_eq!(
        err.to_string(),
        "peer sent a fatal unknown_ca alert; the connection is closed (the peer does not trust the issuer of our certificate)"
    );
}

#[tokio::test]
async fn a_corrupted_record_fails_the_reader_for_good_and_alerts_the_writer() {
    let cert = TestCert::new();
    let (c, s) = tokio::io::duplex(4096);
    let acceptor = cert.acceptor();
    let server = tokio::spawn(async move { acceptor.accept(s).await.expect("accept") });
    let mut client = cert
        .connector()
        .connect(localhost(), c)
        .await
        .expect("connect");
    let mut server = server.await.expect("server task");

    // An application_data record whose ciphertext is not ours.
    let mut forged = vec![23, 3, 3, 0, 40];
    forged.extend_from_slice(&[0x5a; 40]);
    client
        .get_mut()
        .0
        .write_all(&forged)
        .await
        .expect("raw write");

    let mut buf = [0u8; 16];
    let err = timeout(STEP, server.read(&mut buf))
        .await
        .expect("timed out")
        .expect_err("forged record");
    let first = tls_error(&err).clone();
    assert_eq!(
        err.to_string(),
        "record 0 from the peer failed decryption: it was altered in transit or the peers derived different keys"
    );
    // Every later call fails the same way.
    let again = server.read(&mut buf).await.expect_err("still failed");
    assert_eq!(tls_error(&again), &first);
    let on_write = server.write(b"x").await.expect_err("write after failure");
    assert_eq!(tls_error(&on_write), &first);

    // Our alert went out before the error was returned.
    let err = timeout(STEP, client.read(&mut buf))
        .await
        .expect("timed out")
        .expect_err("alert");
    assert_eq!(
        tls_error(&err),
        &ferrotls::Error::AlertReceived(AlertDescription::BadRecordMac)
    );
    assert_eq!(
        err.to_string(),
        "peer sent a fatal bad_record_mac alert; the connection is closed (a signature, Finished or record did not verify on the peer's side)"
    );
}
