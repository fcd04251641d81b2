use super::*;
use crate::record::MAX_RECORD_LEN;

fn record(typ: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![typ, 3, 3];
    out.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

fn drain(d: &mut Deframer) -> Vec<OpaqueRecord> {
    let mut got = Vec::new();
    while let Some(r) = d.next_record().unwrap() {
        got.push(r);
    }
    got
}

/// Three records of different types and sizes, including an empty one.
fn stream() -> (Vec<u8>, Vec<OpaqueRecord>) {
    let parts: [(u8, Vec<u8>); 4] = [
        (22, b"hello".to_vec()),
        (20, vec![1]),
        (23, Vec::new()),
        (21, vec![2, 40]),
    ];
    let mut bytes = Vec::new();
    let mut want = Vec::new();
    for (typ, payload) in parts {
        bytes.extend_from_slice(&record(typ, &payload));
        want.push(OpaqueRecord {
            typ: ContentType::from_wire(typ),
            version: ProtocolVersion::TLSv1_2,
            payload,
        });
    }
    (bytes, want)
}

#[test]
fn every_two_way_split_yields_the_same_records() {
    let (bytes, want) = stream();
    for split in 0..=bytes.len() {
        let (a, b) = bytes.split_at(split);
        let mut d = Deframer::new();
        assert_eq!(d.push(a), a.len());
        let mut got = drain(&mut d);
        assert_eq!(d.push(b), b.len());
        got.extend(drain(&mut d));
        assert_eq!(got, want, "split at {split}");
        assert_eq!(d.buffered_len(), 0);
    }
}

#[test]
fn every_three_way_split_yields_the_same_records() {
    let (bytes, want) = stream();
    for i in 0..=bytes.len() {
        for j in i..=bytes.len() {
            let mut d = Deframer::new();
            let mut got = Vec::new();
            for part in [&bytes[..i], &bytes[i..j], &bytes[j..]] {
                assert_eq!(d.push(part), part.len());
                got.extend(drain(&mut d));
            }
            assert_eq!(got, want, "split at {i}, {j}");
        }
    }
}

#[test]
fn byte_at_a_time() {
    let (bytes, want) = stream();
    let mut d = Deframer::new();
    let mut got = Vec::new();
    for b in &bytes {
        assert_eq!(d.push(std::slice::from_ref(b)), 1);
        got.extend(drain(&mut d));
    }
    assert_eq!(got, want);
}

#[test]
fn partial_record_stays_buffered() {
    let mut d = Deframer::new();
    assert_eq!(d.push(&[22, 3, 1, 0, 4, 1, 2]), 7);
    assert_eq!(d.next_record(), Ok(None));
    assert_eq!(d.buffered_len(), 7);
    assert_eq!(d.push(&[3, 4]), 2);
    let r = d.next_record().unwrap().unwrap();
    assert_eq!(r.version, ProtocolVersion::TLSv1_0);
    assert_eq!(r.payload, [1, 2, 3, 4]);
    assert_eq!(d.buffered_len(), 0);
}

#[test]
fn largest_ciphertext_is_accepted() {
    let rec = record(23, &vec![7; MAX_CIPHERTEXT_LEN]);
    let mut d = Deframer::new();
    assert_eq!(d.push(&rec), MAX_RECORD_LEN);
    assert_eq!(
        d.next_record().unwrap().unwrap().payload.len(),
        MAX_CIPHERTEXT_LEN
    );
}

#[test]
fn oversize_header_is_rejected_before_its_body_arrives() {
    let mut d = Deframer::new();
    assert_eq!(d.push(&[23, 3, 3, 0x41]), 4);
    assert_eq!(d.next_record(), Ok(None));
    assert_eq!(d.push(&[0x01]), 1);
    let err = d.next_record().unwrap_err();
    assert_eq!(
        err,
        RecordError::Overflow {
            length: MAX_CIPHERTEXT_LEN + 1,
            max: MAX_CIPHERTEXT_LEN
        }
    );
    assert_eq!(
        err.to_string(),
        "peer sent a record of 16641 bytes, more than the 16640 allowed"
    );
    // The error is sticky: the bad header is not consumed.
    assert_eq!(d.next_record(), Err(err));
}

#[test]
fn non_tls_major_version_is_rejected() {
    let mut d = Deframer::new();
    let _ = d.push(&[22, 0x7f, 0x12, 0, 1]);
    let err = d.next_record().unwrap_err();
    assert_eq!(
        err,
        RecordError::BadLegacyVersion {
            version: ProtocolVersion::Unknown(0x7f12)
        }
    );
    assert_eq!(
        err.to_string(),
        "peer sent a record with version unknown(0x7f12), which is not TLS"
    );
}

#[test]
fn any_minor_version_is_accepted() {
    let mut d = Deframer::new();
    let _ = d.push(&[21, 3, 0x99, 0, 2, 1, 0]);
    let r = d.next_record().unwrap().unwrap();
    assert_eq!(r.version, ProtocolVersion::Unknown(0x0399));
}

#[test]
fn unknown_and_heartbeat_types_are_rejected() {
    for (byte, text) in [
        (
            b'G',
            "peer sent a record of type unknown(0x47) where none is allowed",
        ),
        (
            0,
            "peer sent a record of type unknown(0x0) where none is allowed",
        ),
    ] {
        let mut d = Deframer::new();
        let _ = d.push(&[byte, 3, 3, 0, 0]);
        let err = d.next_record().unwrap_err();
        assert_eq!(
            err,
            RecordError::UnexpectedContentType {
                got: ContentType::from_wire(byte)
            }
        );
        assert_eq!(err.to_string(), text);
    }
}

#[test]
fn push_never_buffers_more_than_one_maximal_record() {
    let mut bytes = Vec::new();
    for _ in 0..3 {
        bytes.extend_from_slice(&record(23, &vec![1; MAX_CIPHERTEXT_LEN]));
    }
    let mut d = Deframer::new();
    let mut input = &bytes[..];
    let mut count = 0;
    while !input.is_empty() {
        let n = d.push(input);
        assert!(d.buffered_len() <= MAX_RECORD_LEN);
        input = &input[n..];
        while let Some(r) = d.next_record().unwrap() {
            assert_eq!(r.payload.len(), MAX_CIPHERTEXT_LEN);
            count += 1;
        }
    }
    assert_eq!(count, 3);
    assert!(d.buf.capacity() < 2 * MAX_RECORD_LEN);
}

/// A reader that returns at most `chunk` bytes per call.
struct Trickle<'a> {
    data: &'a [u8],
    chunk: usize,
}

impl io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.chunk).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[test]
fn read_from_fills_at_most_the_free_space() {
    let (mut bytes, mut want) = stream();
    let big = record(23, &vec![9; MAX_PLAINTEXT_LEN]);
    bytes.extend_from_slice(&big);
    bytes.extend_from_slice(&big);
    for _ in 0..2 {
        want.push(OpaqueRecord {
            typ: ContentType::ApplicationData,
            version: ProtocolVersion::TLSv1_2,
            payload: vec![9; MAX_PLAINTEXT_LEN],
        });
    }
    for chunk in [1, 7, 1000, usize::MAX] {
        let mut rd = Trickle {
            data: &bytes,
            chunk,
        };
        let mut d = Deframer::new();
        let mut got = Vec::new();
        while d.read_from(&mut rd).unwrap() > 0 {
            assert!(d.buffered_len() <= MAX_RECORD_LEN);
            got.extend(drain(&mut d));
        }
        assert_eq!(got, want, "chunk {chunk}");
    }
}

#[test]
fn read_from_refuses_when_a_full_record_waits() {
    let rec = record(23, &vec![0; MAX_CIPHERTEXT_LEN]);
    let mut d = Deframer::new();
    assert_eq!(d.free_space(), MAX_RECORD_LEN);
    let _ = d.push(&rec);
    assert_eq!(d.free_space(), 0);
    let err = d.read_from(&mut &b"more"[..]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "record buffer is full: call next_record before reading more"
    );
    assert!(d.next_record().unwrap().is_some());
    assert_eq!(d.read_from(&mut &b"more"[..]).unwrap(), 4);
}

/// A reader that hands out one record and remembers the buffer it was given.
struct Peek<'a> {
    data: &'a [u8],
    given: Option<(*const u8, usize, Vec<u8>)>,
}

impl io::Read for Peek<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.given = Some((buf.as_ptr(), buf.len(), buf[..4].to_vec()));
        let n = buf.len().min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[test]
fn reads_reuse_the_drained_buffer_without_zeroing_it() {
    let rec = record(22, b"first flight");
    let mut a = Deframer::new();
    let mut rd = Peek {
        data: &rec,
        given: None,
    };
    assert_eq!(a.read_from(&mut rd).unwrap(), rec.len());
    let (first, len, _) = rd.given.take().unwrap();
    assert_eq!(len, MAX_RECORD_LEN, "one read takes up to a whole record");
    assert_eq!(drain(&mut a).len(), 1);
    assert_eq!(a.buf.capacity(), 0, "a drained deframer holds no buffer");

    // The next read on this thread, by another connection, gets the same memory
    // as it was left: stale public record bytes, neither freed nor zeroed.
    let mut b = Deframer::new();
    let rec2 = record(23, b"second");
    let mut rd = Peek {
        data: &rec2,
        given: None,
    };
    assert_eq!(b.read_from(&mut rd).unwrap(), rec2.len());
    let (second, _, stale) = rd.given.take().unwrap();
    assert_eq!(second, first);
    assert_eq!(stale, rec[..4]);
    assert_eq!(drain(&mut b)[0].payload, b"second");

    // Pushed bytes are copied into the same memory too.
    assert_eq!(b.push(&rec), rec.len());
    assert_eq!(b.buf.pending().as_ptr(), first);
    assert_eq!(drain(&mut b)[0].payload, b"first flight");
}

#[test]
fn unprotected_record_over_2_14_is_overflow() {
    let record = OpaqueRecord {
        typ: ContentType::Handshake,
        version: ProtocolVersion::TLSv1_2,
        payload: vec![0; MAX_PLAINTEXT_LEN + 1],
    };
    let err = record.clone().into_plain().unwrap_err();
    assert_eq!(
        err.to_string(),
        "peer sent a record of 16385 bytes, more than the 16384 allowed"
    );
    let mut ok = record;
    ok.payload.pop();
    assert_eq!(ok.into_plain().unwrap().payload.len(), MAX_PLAINTEXT_LEN);
}

#[test]
fn encode_writes_header_and_payload() {
    let record = OpaqueRecord {
        typ: ContentType::Alert,
        version: ProtocolVersion::TLSv1_2,
        payload: vec![2, 40],
    };
    let mut out = vec![0xff];
    record.encode(&mut out);
    assert_eq!(out, [0xff, 21, 3, 3, 0, 2, 2, 40]);
}
