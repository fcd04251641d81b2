//! Helpers shared by the integration tests: a throwaway certificate, configs, a
//! deterministic payload with its checksum, and a transport wrapper that counts polls.
#![allow(dead_code)] // each test binary uses a different subset of these helpers

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use ferrotls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use ferrotls::{ClientConfig, ServerConfig};
use ferrotls_tokio::{TlsAcceptor, TlsConnector};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// How long any single step of a test may take before it fails instead of hanging.
pub const STEP: Duration = Duration::from_secs(10);

/// A self-signed certificate for `localhost` and 127.0.0.1, with its key.
pub struct TestCert {
    pub leaf: CertificateDer<'static>,
    pub key: PrivateKeyDer<'static>,
    pub pem: String,
}

impl TestCert {
    pub fn new() -> Self {
        let ck = rcgen::generate_simple_self_signed(vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
        ])
        .expect("rcgen makes a certificate");
        TestCert {
            leaf: ck.cert.der().clone(),
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.signing_key.serialize_der())),
            pem: ck.cert.pem(),
        }
    }

    pub fn acceptor(&self) -> TlsAcceptor {
        let config = ServerConfig::builder()
            .cert(vec![self.leaf.clone()], &self.key)
            .and_then(|b| b.build())
            .expect("server config");
        TlsAcceptor::from(config)
    }

    /// A connector that trusts exactly this certificate.
    pub fn connector(&self) -> TlsConnector {
        TlsConnector::from(pinned_config(&self.leaf))
    }
}

pub fn pinned_config(leaf: &CertificateDer<'static>) -> Arc<ClientConfig> {
    ClientConfig::pinned(vec![leaf.clone()])
        .and_then(|b| b.build())
        .expect("client config")
}

pub fn localhost() -> ServerName<'static> {
    ServerName::try_from("localhost").expect("a valid DNS name")
}

/// A small deterministic generator (xorshift64*), so tests need no `rand`.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A value in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as usize
    }
}

/// `len` pseudo-random bytes from `seed`.
pub fn payload(seed: u64, len: usize) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    (0..len).map(|_| rng.next_u64() as u8).collect()
}

/// FNV-1a over `data`: a cheap checksum that notices lost, duplicated or reordered bytes.
pub fn checksum(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Poll counts of a [`Counted`] transport.
#[derive(Debug, Default)]
pub struct PollCounts {
    pub reads: AtomicUsize,
    pub writes: AtomicUsize,
    /// Bytes the stream took from the transport.
    pub bytes_read: AtomicUsize,
}

impl PollCounts {
    pub fn total(&self) -> usize {
        self.reads.load(Ordering::SeqCst) + self.writes.load(Ordering::SeqCst)
    }
}

/// A transport that counts how often it is polled, to show that a stalled peer makes
/// the stream wait rather than spin.
pub struct Counted<T> {
    pub inner: T,
    pub counts: Arc<PollCounts>,
}

impl<T: AsyncRead + Unpin> AsyncRead for Counted<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.counts.reads.fetch_add(1, Ordering::SeqCst);
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        let got = buf.filled().len() - before;
        self.counts.bytes_read.fetch_add(got, Ordering::SeqCst);
        result
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Counted<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.counts.writes.fetch_add(1, Ordering::SeqCst);
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A transport that hands over at most a few bytes per call and answers every other
/// call with `Pending` (waking itself), so every partial-read and partial-write path
/// of the stream runs.
pub struct Choppy<T> {
    pub inner: T,
    rng: Rng,
    max: usize,
}

impl<T> Choppy<T> {
    pub fn new(inner: T, seed: u64, max: usize) -> Self {
        Choppy {
            inner,
            rng: Rng::new(seed),
            max,
        }
    }

    /// Whether this call should be refused with a (self-woken) `Pending`.
    fn stall(&mut self, cx: &mut Context<'_>) -> bool {
        if self.rng.next_u64() & 1 == 0 {
            cx.waker().wake_by_ref();
            return true;
        }
        false
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Choppy<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.stall(cx) {
            return Poll::Pending;
        }
        let max = self.max;
        let want = self.rng.range(1, max).min(buf.remaining());
        let mut small = ReadBuf::new(buf.initialize_unfilled_to(want));
        let result = Pin::new(&mut self.inner).poll_read(cx, &mut small);
        let got = small.filled().len();
        buf.advance(got);
        result
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Choppy<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.stall(cx) {
            return Poll::Pending;
        }
        let max = self.max;
        let want = self.rng.range(1, max).min(buf.len());
        Pin::new(&mut self.inner).poll_write(cx, &buf[..want])
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
