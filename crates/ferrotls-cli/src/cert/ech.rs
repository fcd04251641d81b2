//! `ferrotls cert ech`: keys for Encrypted Client Hello (draft-ietf-tls-esni) and the
//! ECHConfigList that clients and the DNS HTTPS record carry.

use std::io::Write;
use std::path::{Path, PathBuf};

use ferrotls::crypto::Provider;
use ferrotls::ech::EchKeys;

use crate::common::base64;

#[derive(clap::Args)]
pub struct EchArgs {
    /// The client-facing server's name: sent in clear in the outer ClientHello, and
    /// the name clients authenticate when the server cannot decrypt their offer.
    #[arg(long, value_name = "NAME")]
    public_name: String,
    /// The configuration identifier (0-255) clients send; random by default.
    #[arg(long, value_name = "N")]
    config_id: Option<u8>,
    /// File to write the private key and its ECHConfig into.
    #[arg(long, value_name = "FILE", default_value = "ech.pem")]
    out: PathBuf,
    /// Replace an existing FILE (clients holding its configuration then fail ECH
    /// once, and retry with the new one).
    #[arg(long)]
    force: bool,
}

pub fn run(args: EchArgs) -> Result<(), String> {
    let provider = Provider::system();
    let config_id = match args.config_id {
        Some(id) => id,
        None => {
            let [id] = provider
                .random_array::<1>()
                .map_err(|e| format!("could not pick a random config_id: {e}"))?;
            id
        }
    };
    let keys = EchKeys::generate(&args.public_name, config_id, &provider)
        .map_err(|e| format!("could not make ECH keys: {e}"))?;
    write_new(&args.out, &keys.to_pem(), args.force)?;
    let config = keys.config();
    let list = base64(&keys.config_list());
    let out = args.out.display();
    println!(
        "Created ECH keys for the public name {}: config_id {}, {}.",
        config.public_name,
        config.config_id,
        config.describe_hpke()
    );
    println!("  {out}  the HPKE private key and its ECHConfig (mode 0600): for the server only");
    println!("ECHConfigList (base64):");
    println!("  {list}");
    println!("Use it:");
    println!("  server: ferrotls server --ech {out} --cert CERT --key KEY");
    println!("  client: ferrotls client HOST --ech-config {list}");
    println!(
        "  DNS:    publish it as the ech= parameter of each hidden name's HTTPS record: HOST. 300 IN HTTPS 1 . ech={list}"
    );
    println!(
        "The server also needs a certificate valid for {}: a client whose offer the server cannot decrypt checks it, then retries with the configuration the server sends.",
        config.public_name
    );
    Ok(())
}

/// Writes `text` (which holds a private key) to a file only its owner can read;
/// refuses to replace an existing file unless `force`.
fn write_new(path: &Path, text: &str, force: bool) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            format!(
                "{} already exists; a server may be using its keys. Pass --force to replace it, or --out to write another file",
                path.display()
            )
        } else {
            format!("cannot write {}: {e}", path.display())
        }
    })?;
    file.write_all(text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
