//! Where memory goes: a counting global allocator (what Rust code allocates), glibc's
//! own accounting (`mallinfo2`: Rust's allocations *and* aws-lc's C `malloc`s, since
//! aws-lc does not call back into Rust's allocator), and the resident set size.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

/// The system allocator, counting the bytes currently allocated through it.
pub struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call forwards to `System` with the same arguments; the counter is
// the only addition and never influences what is returned.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            LIVE.fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
        }
        p
    }
}

/// Bytes currently allocated through Rust's global allocator.
pub fn rust_heap() -> isize {
    LIVE.load(Ordering::Relaxed)
}

/// Bytes glibc's malloc currently has handed out (arena chunks in use plus mmapped
/// blocks): Rust's allocations and aws-lc's C allocations alike. Includes malloc's
/// per-chunk headers, so it reads a little above the sum of requested sizes.
pub fn malloc_heap() -> isize {
    // SAFETY: mallinfo2 takes no arguments and returns a plain struct by value.
    let info = unsafe { libc::mallinfo2() };
    (info.uordblks + info.hblkhd) as isize
}

/// Resident set size of this process, from /proc/self/statm.
pub fn rss() -> isize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: isize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|f| f.parse().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as isize;
    pages * page
}

/// The three views of memory at one instant.
#[derive(Clone, Copy, Debug)]
pub struct Snapshot {
    pub rust: isize,
    pub malloc: isize,
    pub rss: isize,
}

impl Snapshot {
    pub fn now() -> Self {
        Snapshot {
            rust: rust_heap(),
            malloc: malloc_heap(),
            rss: rss(),
        }
    }

    /// Growth from `earlier` to `self`, divided by `n`.
    pub fn per(&self, earlier: &Snapshot, n: usize) -> [f64; 3] {
        let n = n.max(1) as f64;
        [
            (self.rust - earlier.rust) as f64 / n,
            (self.malloc - earlier.malloc) as f64 / n,
            (self.rss - earlier.rss) as f64 / n,
        ]
    }
}

/// Whether aws-lc's own allocations reach Rust's allocator: allocates aws-lc
/// objects (X25519 and ML-KEM private keys live on aws-lc's heap) and compares what
/// the counting allocator saw with what malloc saw. Returns (rust bytes, malloc bytes).
pub fn aws_lc_uses_rust_allocator() -> (isize, isize) {
    use aws_lc_rs::{agreement, kem};
    let mut keys = Vec::with_capacity(200);
    let mut kems = Vec::with_capacity(200);
    let before = Snapshot::now();
    for _ in 0..200 {
        if let Ok(k) = agreement::PrivateKey::generate(&agreement::X25519) {
            keys.push(k);
        }
        if let Ok(k) = kem::DecapsulationKey::generate(&kem::ML_KEM_768) {
            kems.push(k);
        }
    }
    let after = Snapshot::now();
    // The two Vecs were allocated before `before`, so only aws-lc's objects count.
    let out = (after.rust - before.rust, after.malloc - before.malloc);
    drop((keys, kems));
    out
}

/// Puts glibc's malloc in the state a long-running process reaches by itself: its
/// dynamic thresholds grow after the first large free, after which freed memory stays
/// in the heap instead of being returned to the kernel and faulted in again. Without
/// this the first rows measured would pay page faults that later rows do not (a
/// library that allocates per record, like rustls, pays them per megabyte).
pub fn settle_malloc() {
    // SAFETY: mallopt only changes malloc's tuning parameters.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 64 << 20);
    }
}
