//! The benchmark's clock: CPU time of the calling thread, so that time the thread
//! spends descheduled (the machine is shared) does not count against either library.

use std::sync::OnceLock;
use std::time::Duration;

/// A point on the calling thread's CPU clock.
#[derive(Clone, Copy, Debug)]
pub struct CpuInstant(Duration);

impl CpuInstant {
    pub fn now() -> Self {
        // SAFETY: clock_gettime writes into the zeroed timespec we own.
        let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
        unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        CpuInstant(Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
    }

    /// CPU time used by this thread since `self`.
    pub fn elapsed(&self) -> Duration {
        Self::now().0.saturating_sub(self.0)
    }

    /// [`elapsed`](Self::elapsed) less the clock's own cost (see [`overhead`]): for
    /// timing short spans, such as one side's turn in a handshake (a few µs), where
    /// the two clock reads (a system call each) would otherwise add the same fixed
    /// time to both libraries and pull every ratio towards 1.
    pub fn elapsed_net(&self) -> Duration {
        self.elapsed().saturating_sub(overhead())
    }
}

/// What an empty span measures: `now()` then `elapsed()` with nothing between, the
/// median of 2,001 tries, measured once per process.
pub fn overhead() -> Duration {
    static OVERHEAD: OnceLock<Duration> = OnceLock::new();
    *OVERHEAD.get_or_init(|| {
        let mut spans: Vec<Duration> = (0..2001)
            .map(|_| {
                let t = CpuInstant::now();
                t.elapsed()
            })
            .collect();
        spans.sort();
        spans[spans.len() / 2]
    })
}
