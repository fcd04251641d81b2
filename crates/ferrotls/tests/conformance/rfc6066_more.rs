//! RFC 6066, more rules: server_name syntax (3) and status_request answers (8).

use ferrotls::msgs::enums::{AlertDescription as A, ExtensionType};
use ferrotls::msgs::{ClientExtension, ServerExtension};

use crate::pair::Side;
use crate::peer::{
    before_hello_with, client, extension_body_offset, refused, send_hello, server, set_extension,
};
use crate::rfc5246_more::{client12, edit_first, server_flight_refused_with};

rules! {
    rfc: "RFC 6066";

    /// RFC 6066, 3: `ServerName server_name_list<1..2^16-1>`: an empty list is out
    /// of range (decode_error).
    "3", "empty server_name_list is decode_error" =>
    fn empty_server_name_list_is_decode_error() {
        let (mut p, mut ch) = before_hello_with(client(), server());
        let typ = ExtensionType::ServerName;
        set_extension(&mut ch, ClientExtension::Unknown { typ, data: vec![0, 0] });
        let at = extension_body_offset(&ch, typ) + 2;
        let outcome = send_hello(&mut p, &ch);
        refused(&mut p, Side::Server, outcome, A::DecodeError, &format!(
            "peer sent a malformed ClientHello: field server_name_list at byte {at}: must not be empty"))
    }

    /// RFC 6066, 3: `opaque HostName<1..2^16-1>`: an empty host_name is out of
    /// range.
    "3", "empty host_name is decode_error" =>
    fn empty_host_name_is_decode_error() {
        let (mut p, mut ch) = before_hello_with(client(), server());
        let typ = ExtensionType::ServerName;
        set_extension(&mut ch, ClientExtension::Unknown { typ, data: vec![0, 3, 0, 0, 0] });
        let at = extension_body_offset(&ch, typ) + 5;
        let outcome = send_hello(&mut p, &ch);
        refused(&mut p, Side::Server, outcome, A::DecodeError, &format!(
            "peer sent a malformed ClientHello: field host_name at byte {at}: must not be empty"))
    }

    /// RFC 6066, 8 with RFC 5246, 7.4.1.4: the server's empty status_request
    /// answers a request; a client that asked for no OCSP response aborts with
    /// unsupported_extension.
    "8", "unrequested status_request answer is unsupported_extension" =>
    fn unrequested_status_request_answer_is_unsupported_extension() {
        server_flight_refused_with(client12().request_ocsp(false),
            |r| edit_first(r, |sh| sh.extensions.push(ServerExtension::StatusRequestAck)),
            A::UnsupportedExtension, "peer's ServerHello contains the status_request extension, which was not requested")
    }
}
