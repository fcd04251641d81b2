//! The connection's three bulk buffers: protected records waiting to be sent,
//! received records waiting to be processed, and received plaintext waiting to be
//! read.
//!
//! All are written in place (records sealed straight from the caller's plaintext,
//! received bytes read straight from the socket, plaintext opened straight from the
//! received records), so their memory must be initialized before it is written, and
//! zeroing 16 KiB per record or per read would cost a pass over the data. Each
//! buffer therefore keeps its memory initialized, and when it drains, hands it to a
//! per-thread spare slot instead of freeing it: the next burst on this thread, on
//! this connection or another, reuses it without allocating or zeroing. Idle
//! connections hold no buffer at all; each thread keeps at most one spare of each
//! kind, of bounded size.
//!
//! Only committed bytes are ever readable. Room past them may hold stale bytes from
//! an earlier use, which are always overwritten before they are committed. A spare
//! plaintext buffer remembers which connection filled it and how far: when another
//! connection takes it, those bytes are wiped first, so one connection's plaintext
//! never sits in another connection's buffer (records, sent or received, are public
//! anyway: they are what crossed the wire).

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use zeroize::Zeroize;

/// Spare buffers smaller than this are not worth keeping.
const MIN_SPARE: usize = 16 * 1024;
/// The largest spare send buffer a thread keeps (room for a 1 MiB write, and more).
const MAX_SPARE_SEND: usize = 2 * 1024 * 1024;
/// The largest spare plaintext buffer a thread keeps.
const MAX_SPARE_RECEIVE: usize = 256 * 1024;
/// The largest spare received-record buffer a thread keeps (the deframer holds at
/// most one maximal TLS 1.2 record, 18 KiB).
const MAX_SPARE_RECORDS: usize = 64 * 1024;

/// A buffer kept for reuse: who filled it, and how many of its leading bytes they
/// may have written.
#[derive(Debug, Default)]
struct Kept {
    buf: Vec<u8>,
    owner: u64,
    dirty: usize,
}

thread_local! {
    static SPARE_SEND: Cell<Kept> = Cell::new(Kept::default());
    static SPARE_RECEIVE: Cell<Kept> = Cell::new(Kept::default());
    static SPARE_RECORDS: Cell<Kept> = Cell::new(Kept::default());
}

/// Owner ids for buffers; 0 is never handed out.
static NEXT_OWNER: AtomicU64 = AtomicU64::new(1);

/// Which per-thread spare slot a buffer comes from and goes back to.
#[derive(Clone, Copy, Debug)]
enum Spare {
    Send,
    Receive,
    Records,
}

impl Spare {
    fn slot(self) -> &'static std::thread::LocalKey<Cell<Kept>> {
        match self {
            Spare::Send => &SPARE_SEND,
            Spare::Receive => &SPARE_RECEIVE,
            Spare::Records => &SPARE_RECORDS,
        }
    }

    /// This thread's spare buffer, for `owner`. A plaintext spare another owner
    /// filled is wiped (as far as it was written) before it is handed over.
    fn take(self, owner: u64) -> Vec<u8> {
        let mut kept = self.slot().with(Cell::take);
        if matches!(self, Spare::Receive) && kept.owner != owner {
            let dirty = kept.dirty.min(kept.buf.len());
            if let Some(used) = kept.buf.get_mut(..dirty) {
                used.zeroize();
            }
        }
        kept.buf
    }

    /// Keeps `buf` (filled by `owner` up to `dirty`) as this thread's spare if it is
    /// worth keeping and larger than the spare already kept; otherwise it is freed.
    fn give(self, buf: Vec<u8>, owner: u64, dirty: usize) {
        let max = match self {
            Spare::Send => MAX_SPARE_SEND,
            Spare::Receive => MAX_SPARE_RECEIVE,
            Spare::Records => MAX_SPARE_RECORDS,
        };
        if !(MIN_SPARE..=max).contains(&buf.len()) {
            return;
        }
        self.slot().with(|slot| {
            let current = slot.take();
            slot.set(if buf.len() > current.buf.len() {
                Kept { buf, owner, dirty }
            } else {
                current
            });
        });
    }
}

/// A byte queue written at the back through initialized room and read at the front.
#[derive(Debug)]
struct Queue {
    /// `buf[start..end]` is committed; `buf[end..]` is initialized room.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    spare: Spare,
    /// This queue's connection, as spare buffers know it.
    owner: u64,
    /// How far into `buf` anything has been written since it was taken: the part a
    /// different owner must wipe before reusing it.
    dirty: usize,
}

impl Queue {
    fn new(spare: Spare) -> Self {
        Queue {
            buf: Vec::new(),
            start: 0,
            end: 0,
            spare,
            owner: NEXT_OWNER.fetch_add(1, Ordering::Relaxed),
            dirty: 0,
        }
    }

    fn committed(&self) -> &[u8] {
        self.buf.get(self.start..self.end).unwrap_or_default()
    }

    fn len(&self) -> usize {
        self.end - self.start
    }

    /// At least `n` bytes of room after the committed bytes.
    fn room(&mut self, n: usize) -> &mut [u8] {
        if self.buf.len() - self.end < n {
            if self.buf.is_empty() {
                self.buf = self.spare.take(self.owner);
                self.dirty = 0;
            }
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            let need = self.end + n;
            if self.buf.len() < need {
                // Zeroed once, as the buffer grows; reused after that. Received
                // records are bounded by one maximal record, so that buffer grows to
                // exactly what is asked.
                let grown = match self.spare {
                    Spare::Records => need,
                    Spare::Send | Spare::Receive => need.max(2 * self.buf.len()),
                };
                self.buf.resize(grown, 0);
            }
        }
        // The caller may write anywhere in the room, committed or not.
        self.dirty = self.buf.len();
        self.buf.get_mut(self.end..).unwrap_or_default()
    }

    /// Commits the first `n` bytes of the room.
    fn commit(&mut self, n: usize) {
        self.end = (self.end + n).min(self.buf.len());
    }

    /// Appends through `f`, which may only push onto the vector it is given. For
    /// small records (plaintext handshake records, change_cipher_spec): it does not
    /// take the spare, and drops the room's initialized length.
    fn append<R>(&mut self, f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
        self.buf.truncate(self.end);
        let r = f(&mut self.buf);
        self.end = self.buf.len();
        self.dirty = self.dirty.max(self.end);
        r
    }

    /// Appends `data`: copied into initialized room when there is enough (taking the
    /// spare if this queue holds no buffer), else appended to the committed bytes,
    /// growing by exactly what is given and zeroing nothing.
    fn extend(&mut self, data: &[u8]) {
        if self.buf.is_empty() {
            self.buf = self.spare.take(self.owner);
            self.dirty = 0;
        }
        if self.buf.len() - self.end < data.len() && self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        match self.buf.get_mut(self.end..self.end + data.len()) {
            Some(room) => {
                room.copy_from_slice(data);
                self.end += data.len();
            }
            None => {
                self.buf.truncate(self.end);
                self.buf.extend_from_slice(data);
                self.end = self.buf.len();
            }
        }
        self.dirty = self.dirty.max(self.end);
    }

    /// Drops `n` committed bytes from the front; a drained buffer goes to the spare slot.
    fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
        if self.start == self.end {
            self.release();
        }
    }

    /// Gives the buffer back if nothing is committed in it.
    fn release(&mut self) {
        if self.start == self.end {
            self.spare
                .give(std::mem::take(&mut self.buf), self.owner, self.dirty);
            self.start = 0;
            self.end = 0;
            self.dirty = 0;
        }
    }
}

/// Protected records waiting to be sent.
#[derive(Debug)]
pub struct SendBuffer(Queue);

impl Default for SendBuffer {
    fn default() -> Self {
        SendBuffer(Queue::new(Spare::Send))
    }
}

impl SendBuffer {
    /// The bytes not yet sent.
    pub fn pending(&self) -> &[u8] {
        self.0.committed()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.len() == 0
    }

    /// Room for at least `n` more bytes (initialized; it may hold stale bytes), to
    /// write records into; [`commit`](Self::commit) what was written.
    pub fn room(&mut self, n: usize) -> &mut [u8] {
        self.0.room(n)
    }

    /// Makes sure `n` more bytes fit without growing again.
    pub fn reserve(&mut self, n: usize) {
        self.0.room(n);
    }

    /// Marks the first `n` bytes of the room as pending.
    pub fn commit(&mut self, n: usize) {
        self.0.commit(n);
    }

    /// Appends through `f`, for records built by pushing onto a vector.
    pub fn append<R>(&mut self, f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
        self.0.append(f)
    }

    /// Marks `n` pending bytes as sent. Once all are, the buffer is given back.
    pub fn consume(&mut self, n: usize) {
        self.0.consume(n);
    }
}

/// Received bytes waiting to be framed into records (the deframer's buffer).
#[derive(Debug)]
pub struct RecordBuffer(Queue);

impl Default for RecordBuffer {
    fn default() -> Self {
        RecordBuffer(Queue::new(Spare::Records))
    }
}

impl RecordBuffer {
    /// The bytes received and not yet consumed.
    pub fn pending(&self) -> &[u8] {
        self.0.committed()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Room for at least `n` more bytes (initialized; it may hold stale bytes), to
    /// read into; [`commit`](Self::commit) what was read.
    pub fn room(&mut self, n: usize) -> &mut [u8] {
        self.0.room(n)
    }

    /// Marks the first `n` bytes of the room as received.
    pub fn commit(&mut self, n: usize) {
        self.0.commit(n);
    }

    /// Appends received bytes.
    pub fn push(&mut self, data: &[u8]) {
        self.0.extend(data);
    }

    /// Drops `n` received bytes from the front. Once none are left, the buffer is
    /// given back, so idle connections hold none.
    pub fn consume(&mut self, n: usize) {
        self.0.consume(n);
    }

    /// Gives the buffer back if nothing waits in it (after a read that returned
    /// nothing).
    pub fn release_if_empty(&mut self) {
        self.0.release();
    }

    /// Bytes of memory held.
    #[cfg(test)]
    pub fn capacity(&self) -> usize {
        self.0.buf.capacity()
    }
}

/// Received plaintext waiting to be read. Records are decrypted into its room, so
/// the plaintext is written once and copied once, into the reader's buffer.
#[derive(Debug)]
pub struct PlaintextBuffer(Queue);

impl Default for PlaintextBuffer {
    fn default() -> Self {
        PlaintextBuffer(Queue::new(Spare::Receive))
    }
}

impl PlaintextBuffer {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.len() == 0
    }

    /// Room for at least `n` more bytes, to decrypt a record into; only what is
    /// [`commit`](Self::commit)ted becomes readable.
    pub fn room(&mut self, n: usize) -> &mut [u8] {
        self.0.room(n)
    }

    /// Makes the first `n` bytes of the room readable.
    pub fn commit(&mut self, n: usize) {
        self.0.commit(n);
    }

    /// Appends plaintext that was decrypted elsewhere.
    pub fn push(&mut self, data: &[u8]) {
        self.0.extend(data);
    }

    /// Copies plaintext out; returns how much.
    pub fn read(&mut self, out: &mut [u8]) -> usize {
        let unread = self.0.committed();
        let n = out.len().min(unread.len());
        if let (Some(dst), Some(src)) = (out.get_mut(..n), unread.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.0.consume(n);
        n
    }

    /// Gives the buffer back if nothing waits in it (after a record that was not
    /// application data used the room), so a connection that receives no data
    /// holds none.
    pub fn release_if_empty(&mut self) {
        self.0.release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_buffer_queues_and_drains() {
        let mut b = SendBuffer::default();
        assert!(b.is_empty());
        b.append(|v| v.extend_from_slice(b"abc"));
        let room = b.room(4);
        room[..4].copy_from_slice(b"defg");
        b.commit(4);
        assert_eq!(b.pending(), b"abcdefg");
        b.consume(2);
        assert_eq!(b.pending(), b"cdefg");
        b.append(|v| v.push(b'h'));
        assert_eq!(b.pending(), b"cdefgh");
        b.consume(100);
        assert!(b.is_empty());
        assert_eq!(b.pending(), b"");
    }

    #[test]
    fn room_moves_unread_bytes_to_the_front_before_growing() {
        let mut b = PlaintextBuffer::default();
        let data: Vec<u8> = (0..100u8).collect();
        b.push(&data);
        let mut out = [0u8; 60];
        assert_eq!(b.read(&mut out), 60);
        assert_eq!(out[..], data[..60]);
        let cap = b.0.buf.len();
        // 60 bytes are free at the front: room for them comes from moving, not growing.
        assert!(b.room(cap - 40).len() >= cap - 40);
        assert_eq!(b.0.buf.len(), cap);
        assert_eq!(b.0.committed(), &data[60..]);
    }

    #[test]
    fn only_committed_plaintext_is_readable() {
        let mut b = PlaintextBuffer::default();
        b.room(10)[..10].copy_from_slice(b"0123456789");
        b.commit(4);
        let mut out = [0u8; 10];
        assert_eq!(b.read(&mut out), 4);
        assert_eq!(&out[..4], b"0123");
        assert_eq!(b.read(&mut out), 0);
        // Uncommitted room never becomes readable, even after reuse.
        b.room(10);
        assert_eq!(b.read(&mut out), 0);
        b.push(b"xy");
        assert_eq!(b.read(&mut out), 2);
        assert_eq!(&out[..2], b"xy");
    }

    #[test]
    fn drained_buffers_go_to_the_spare_slot_and_come_back() {
        let mut a = SendBuffer::default();
        a.reserve(100 * 1024);
        a.commit(10);
        let ptr = a.pending().as_ptr();
        a.consume(10);
        assert_eq!(a.0.buf.capacity(), 0, "a drained buffer is not held");
        // A new connection on this thread gets the spare, already initialized.
        let mut b = SendBuffer::default();
        assert!(b.room(50 * 1024).len() >= 50 * 1024);
        assert_eq!(b.room(1).as_ptr(), ptr);
        // Small buffers are simply freed.
        let mut c = PlaintextBuffer::default();
        c.push(b"small");
        let mut out = [0u8; 5];
        c.read(&mut out);
        assert_eq!(c.0.buf.capacity(), 0);
    }

    #[test]
    fn oversized_buffers_are_freed_not_kept() {
        let mut b = PlaintextBuffer::default();
        b.push(&vec![1u8; MAX_SPARE_RECEIVE + 1]);
        let mut out = vec![0u8; MAX_SPARE_RECEIVE + 1];
        assert_eq!(b.read(&mut out), MAX_SPARE_RECEIVE + 1);
        let spare = Spare::Receive.take(0);
        assert!(spare.len() <= MAX_SPARE_RECEIVE);
    }

    #[test]
    fn another_connections_plaintext_is_wiped_before_reuse() {
        // Start from an empty spare slot on this test's thread.
        drop(Spare::Receive.take(0));
        let secret = vec![0x5au8; 40 * 1024];
        let mut a = PlaintextBuffer::default();
        a.push(&secret);
        let mut out = vec![0u8; secret.len()];
        assert_eq!(a.read(&mut out), secret.len());
        // The same connection gets its own buffer back as it was (no wipe needed).
        let again = a.room(16).as_ptr();
        assert_eq!(a.0.buf.get(..4), Some(&[0x5a; 4][..]));
        a.release_if_empty();
        // Another connection gets the buffer with the old plaintext wiped.
        let mut b = PlaintextBuffer::default();
        let room = b.room(16 * 1024);
        assert_eq!(room.as_ptr(), again);
        assert!(b.0.buf.iter().all(|&x| x == 0), "stale plaintext was wiped");
    }
}
