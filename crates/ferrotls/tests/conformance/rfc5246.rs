//! RFC 5246 (TLS 1.2): Finished (7.4.9) and alerts (7.2.2).

use ferrotls::msgs::enums::{AlertDescription as A, ContentType, HandshakeType};

use crate::pair::{join_records, split_records, Hello12, Keys12, Pair, Side};
use crate::peer::{client, refused, server, TLS12};

rules! {
    rfc: "RFC 5246";

    /// RFC 5246, 7.4.9: `opaque verify_data[verify_data_length]`, 12 bytes for
    /// every suite ferrotls has; 7.2.2: decode_error is for "A message could not
    /// be decoded because some field was out of the specified range or the length
    /// of the message was incorrect", decrypt_error for a Finished that fails its
    /// check. A client Finished one byte short is the former.
    "7.4.9", "Finished of the wrong length is decode_error" =>
    fn finished_of_the_wrong_length_is_decode_error() {
        let mut p = Pair::new(client().versions(TLS12), server());
        p.transfer(Side::Client).map_err(|e| format!("ClientHello: {e}"))?;
        let flight = p.take(Side::Server);
        let hello = Hello12::of(&flight);
        p.deliver(Side::Client, &flight).map_err(|e| format!("server flight: {e}"))?;
        let keys = Keys12::from_log(&p.client_keys, &hello);
        let mut records = split_records(&p.take(Side::Client));
        let at = records
            .iter()
            .position(|r| r.typ == ContentType::ChangeCipherSpec)
            .ok_or("no ChangeCipherSpec from the client")?
            + 1;
        let mut fin = keys.open_at(Side::Client, &records[at], 0).ok_or("the Finished does not open")?;
        if fin.first() != Some(&HandshakeType::Finished.to_wire()) {
            return Err("the record after the CCS is not Finished".into());
        }
        fin.pop();
        fin[3] -= 1;
        let sealed = keys.seal_at(Side::Client, 0, ContentType::Handshake, &fin);
        records[at] = split_records(&sealed).remove(0);
        let outcome = p.deliver(Side::Server, &join_records(&records));
        refused(&mut p, Side::Server, outcome, A::DecodeError,
            "peer sent a malformed Finished: field verify_data at byte 4: length 11 where exactly 12 are needed")
    }
}
