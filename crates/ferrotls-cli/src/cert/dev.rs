//! The development certificate `ferrotls server --dev` serves: a leaf for localhost
//! from the development CA of `ferrotls cert`.

use std::path::PathBuf;
use std::time::Duration;

use super::mint::{self, Ca, LeafRequest};

fn dev_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("FERROTLS_DEV_DIR") {
        return PathBuf::from(d);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| ".".into());
    home.join(".local/share/ferrotls")
}

/// The development certificate for localhost: the CA of `ferrotls cert` in the dev
/// directory (created on first use) and a leaf it issues, reissued when it is missing,
/// from another CA, or has under 30 days left.
pub fn dev_cert() -> Result<(PathBuf, PathBuf), String> {
    let dir = dev_dir();
    let (ca, created) = Ca::load_or_create(&dir)?;
    if created {
        eprintln!("Created a development CA in {}.", dir.display());
    }
    let (chain, key) = (dir.join("localhost.pem"), dir.join("localhost.key"));
    let current = key.exists()
        && ferrotls::pem::load_certs(&chain)
            .is_ok_and(|c| mint::still_good(&c, &ca, Duration::from_secs(30 * 86_400)));
    if !current {
        let names = ["localhost", "127.0.0.1", "::1"].map(String::from);
        ca.issue(&LeafRequest::server(&names))?
            .save(&dir, "localhost")?;
        eprintln!(
            "Issued {} for localhost, 127.0.0.1 and ::1.",
            chain.display()
        );
    }
    let leaf = ferrotls::pem::load_certs(&chain).map_err(|e| e.to_string())?;
    eprintln!("Using the development certificate for localhost. To trust its CA:");
    eprint!(
        "{}",
        super::trust_help(
            &dir.join(mint::CA_CERT_FILE),
            leaf.first().map(|c| c.as_ref())
        )
    );
    Ok((chain, key))
}
