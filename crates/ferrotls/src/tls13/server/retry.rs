//! RFC 8446, 4.1.2: what a second ClientHello, after HelloRetryRequest, may change.

use crate::error::{Error, ExtensionChange, PeerMisbehaved};
use crate::msgs::enums::ExtensionType;
use crate::msgs::{ClientExtension, ClientHello};

/// Checks that `second` is `first` "without modification, except as follows":
/// the key share replaced, early_data removed, a cookie included (this server
/// sends none), pre_shared_key updated or dropped, padding added, removed or
/// resized. The ECH extension may change too: a client re-encrypts its offer
/// (draft-ietf-tls-esni, 6.1.5), and an accepted offer's inner ClientHellos are the
/// ones compared here. Anything else is illegal_parameter. One pass over each list.
pub(super) fn check_unchanged(first: &ClientHello, second: &ClientHello) -> Result<(), Error> {
    let bad = |reason| Err(PeerMisbehaved::BadSecondClientHello { reason }.into());
    if second.legacy_version != first.legacy_version {
        return bad("its legacy_version changed");
    }
    if second.random != first.random {
        return bad("its random changed");
    }
    if second.cipher_suites != first.cipher_suites {
        return bad("its cipher_suites changed");
    }
    if second.compression_methods != first.compression_methods {
        return bad("its legacy_compression_methods changed");
    }
    // RFC 8446, 4.2.10: "early data is not permitted after a HelloRetryRequest".
    if second.early_data() {
        return bad("it offers early data, which a HelloRetryRequest rules out");
    }
    let psk_kept = second.has_extension(ExtensionType::PreSharedKey);
    let compared = |ext: &&ClientExtension| match ext.ext_type() {
        ExtensionType::Padding | ExtensionType::EarlyData => false,
        ExtensionType::PreSharedKey => psk_kept,
        _ => true,
    };
    let mut before = first.extensions.iter().filter(compared);
    let mut after = second.extensions.iter().filter(compared);
    let change = |extension, change| -> Result<(), Error> {
        Err(PeerMisbehaved::SecondHelloExtension { extension, change }.into())
    };
    loop {
        match (before.next(), after.next()) {
            (None, None) => return Ok(()),
            (Some(a), None) => return change(a.ext_type(), ExtensionChange::Removed),
            (None, Some(b)) => return change(b.ext_type(), ExtensionChange::Added),
            (Some(a), Some(b)) if a.ext_type() == b.ext_type() => {
                if a != b && !may_change(a.ext_type()) {
                    return change(a.ext_type(), ExtensionChange::Changed);
                }
            }
            // The first difference decides; looking the two types up costs one
            // more pass, once.
            (Some(a), Some(b)) => {
                let (a, b) = (a.ext_type(), b.ext_type());
                return if !second.has_extension(a) {
                    change(a, ExtensionChange::Removed)
                } else if !first.has_extension(b) {
                    change(b, ExtensionChange::Added)
                } else {
                    change(a, ExtensionChange::Moved)
                };
            }
        }
    }
}

/// Extensions whose contents the second ClientHello may change (RFC 8446, 4.1.2).
fn may_change(typ: ExtensionType) -> bool {
    matches!(
        typ,
        ExtensionType::KeyShare | ExtensionType::PreSharedKey | ExtensionType::EncryptedClientHello
    )
}
