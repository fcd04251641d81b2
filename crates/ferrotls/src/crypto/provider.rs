//! Randomness and the clock. Everything that reads either goes through a
//! [`Provider`], so tests can fix both and replay recorded transcripts.

use core::fmt;
use core::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use rustls_pki_types::UnixTime;
use zeroize::Zeroize;

use super::hash::{hmac, HashAlgorithm};
use crate::error::CryptoError;

/// A source of random bytes (client/server random, session IDs, tickets, padding).
pub trait RandomSource: Send + Sync + fmt::Debug {
    /// Fills `buf` entirely, or fails with `RandomFailed`.
    fn fill(&self, buf: &mut [u8]) -> Result<(), CryptoError>;
}

/// A source of the current time (certificate validity, ticket age).
pub trait TimeSource: Send + Sync + fmt::Debug {
    fn now(&self) -> UnixTime;
}

/// The randomness and clock a connection uses.
#[derive(Clone, Debug)]
pub struct Provider {
    pub random: Arc<dyn RandomSource>,
    pub time: Arc<dyn TimeSource>,
}

impl Provider {
    /// The operating system's CSPRNG (through aws-lc) and the system clock. Both are
    /// stateless, so every caller shares one pair: no allocation per call.
    pub fn system() -> Self {
        static SYSTEM: std::sync::OnceLock<Provider> = std::sync::OnceLock::new();
        SYSTEM
            .get_or_init(|| Self {
                random: Arc::new(SystemRandomSource),
                time: Arc::new(SystemTime),
            })
            .clone()
    }

    /// For tests and transcript replay: a deterministic random stream derived from
    /// `seed`, and a clock stuck at `now`. Never use outside tests.
    pub fn fixed(seed: u64, now: UnixTime) -> Self {
        Self {
            random: Arc::new(SeededRandom::new(seed)),
            time: Arc::new(FixedTime(now)),
        }
    }

    /// `N` random bytes.
    pub fn random_array<const N: usize>(&self) -> Result<[u8; N], CryptoError> {
        let mut out = [0u8; N];
        self.random.fill(&mut out)?;
        Ok(out)
    }

    /// The current time according to this provider's clock.
    pub fn now(&self) -> UnixTime {
        self.time.now()
    }
}

impl Default for Provider {
    fn default() -> Self {
        Self::system()
    }
}

/// aws-lc's system random generator.
#[derive(Debug)]
struct SystemRandomSource;

impl RandomSource for SystemRandomSource {
    fn fill(&self, buf: &mut [u8]) -> Result<(), CryptoError> {
        SystemRandom::new()
            .fill(buf)
            .map_err(|_| CryptoError::RandomFailed)
    }
}

#[derive(Debug)]
struct SystemTime;

impl TimeSource for SystemTime {
    fn now(&self) -> UnixTime {
        UnixTime::now()
    }
}

#[derive(Debug)]
struct FixedTime(UnixTime);

impl TimeSource for FixedTime {
    fn now(&self) -> UnixTime {
        self.0
    }
}

/// A deterministic DRBG: block i = HMAC-SHA256(key = "ferrotls fixed rng" || seed, i).
/// Each `fill` takes fresh blocks, so successive calls give different bytes; the
/// block counter is atomic, so it is safe (if not reproducible) across threads.
struct SeededRandom {
    key: [u8; 26],
    counter: AtomicU64,
}

impl SeededRandom {
    fn new(seed: u64) -> Self {
        let mut key = [0u8; 26];
        let label = b"ferrotls fixed rng";
        key[..label.len()].copy_from_slice(label);
        key[label.len()..].copy_from_slice(&seed.to_be_bytes());
        Self {
            key,
            counter: AtomicU64::new(0),
        }
    }
}

impl fmt::Debug for SeededRandom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SeededRandom(..)")
    }
}

impl Drop for SeededRandom {
    fn drop(&mut self) {
        self.key.zeroize();
    }
}

impl RandomSource for SeededRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), CryptoError> {
        for chunk in buf.chunks_mut(HashAlgorithm::Sha256.output_len()) {
            let i = self.counter.fetch_add(1, Ordering::Relaxed);
            let block = hmac(HashAlgorithm::Sha256, &self.key, &i.to_be_bytes());
            let take = chunk.len().min(block.as_ref().len());
            chunk[..take].copy_from_slice(&block.as_ref()[..take]);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::time::Duration;

    fn at(secs: u64) -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_secs(secs))
    }

    #[test]
    fn fixed_provider_is_deterministic() {
        let a = Provider::fixed(42, at(1_700_000_000));
        let b = Provider::fixed(42, at(1_700_000_000));
        let (a1, a2) = (
            a.random_array::<40>().unwrap(),
            a.random_array::<40>().unwrap(),
        );
        assert_eq!(a1, b.random_array::<40>().unwrap());
        assert_eq!(a2, b.random_array::<40>().unwrap());
        assert_ne!(a1, a2, "successive draws differ");
        assert_ne!(a1, Provider::fixed(43, at(0)).random_array::<40>().unwrap());
        assert_ne!(a1, [0u8; 40]);
        // A clone shares the stream rather than replaying it.
        let c = a.clone();
        assert_ne!(c.random_array::<40>().unwrap(), a1);
    }

    #[test]
    fn fixed_provider_stream_starts_with_hmac_of_counter_zero() {
        let p = Provider::fixed(1, at(0));
        let mut key = b"ferrotls fixed rng".to_vec();
        key.extend(1u64.to_be_bytes());
        let expected = hmac(HashAlgorithm::Sha256, &key, &0u64.to_be_bytes());
        assert_eq!(&p.random_array::<32>().unwrap()[..], expected.as_ref());
    }

    #[test]
    fn fixed_time_never_moves() {
        let p = Provider::fixed(0, at(1_234));
        assert_eq!(p.now(), at(1_234));
        assert_eq!(p.time.now().as_secs(), 1_234);
        assert_eq!(format!("{:?}", p.random), "SeededRandom(..)");
    }

    #[test]
    fn system_provider_gives_random_bytes_and_a_plausible_time() {
        let p = Provider::default();
        let (x, y) = (
            p.random_array::<32>().unwrap(),
            p.random_array::<32>().unwrap(),
        );
        assert_ne!(x, y);
        assert!(p.now().as_secs() > 1_600_000_000);
        let mut empty = [0u8; 0];
        p.random.fill(&mut empty).unwrap();
    }

    #[test]
    fn random_failed_display() {
        assert_eq!(
            CryptoError::RandomFailed.to_string(),
            "the system random source failed"
        );
        assert_eq!(
            crate::Error::from(CryptoError::RandomFailed).alert(),
            Some(crate::msgs::enums::AlertDescription::InternalError)
        );
    }
}
