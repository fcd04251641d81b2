//! `ferrotls cert`: a local CA, certificates it issues (good or deliberately broken),
//! and a readable decoder.

mod der;
pub mod dev;
mod ech;
mod legacy;
pub mod mint;
pub mod show;

use std::path::PathBuf;

use crate::common::{spki_sha256_base64, Palette};
use crate::trace::fmt_time;
use mint::{Broken, Ca, CaOptions, KeyType, LeafRequest};

#[derive(clap::Args)]
pub struct CertArgs {
    #[command(subcommand)]
    command: CertCommand,
}

#[derive(clap::Subcommand)]
enum CertCommand {
    /// Create a local CA (ECDSA P-256): ferrotls-ca.pem and ferrotls-ca.key.
    Ca(CaArgs),
    /// Issue a certificate signed by the local CA: NAME.pem (leaf, then CA) and NAME.key.
    Issue(IssueArgs),
    /// Decode the certificates in PEM or DER files, readably.
    Show(ShowArgs),
    /// Make Encrypted Client Hello keys (ech.pem, for `server --ech`) and print the
    /// ECHConfigList for clients and DNS.
    Ech(ech::EchArgs),
}

#[derive(clap::Args)]
struct CaArgs {
    /// Directory to write the CA into.
    #[arg(long, default_value = ".")]
    out: PathBuf,
    /// How long the CA is valid, in days.
    #[arg(long, default_value_t = 3650)]
    days: u32,
    /// Only let the CA certify these DNS names (and their subdomains) or CIDR blocks;
    /// repeatable or comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "NAME|CIDR")]
    name_constraint: Vec<String>,
    /// How many intermediate CAs may stand below it (pathLenConstraint); 0 lets it
    /// issue end-entity certificates only. `cert issue --broken no-intermediate`
    /// needs 1.
    #[arg(long, default_value_t = 0, value_name = "N")]
    path_len: u8,
    /// Replace an existing CA (certificates it issued stop verifying).
    #[arg(long)]
    force: bool,
}

#[derive(clap::Args)]
struct IssueArgs {
    /// DNS names (wildcards allowed) and IP addresses; the first names the files.
    #[arg(value_name = "NAME|IP", required = true)]
    names: Vec<String>,
    /// Validity in days.
    #[arg(long, default_value_t = 825)]
    days: u32,
    /// Key type.
    #[arg(long, value_enum, default_value = "ecdsa")]
    key: KeyType,
    /// Directory holding ferrotls-ca.pem and ferrotls-ca.key.
    #[arg(long, default_value = ".")]
    ca_dir: PathBuf,
    /// Directory to write NAME.pem and NAME.key into.
    #[arg(long, default_value = ".")]
    out: PathBuf,
    /// A client certificate (extendedKeyUsage clientAuth) instead of a server one;
    /// names may then include email addresses.
    #[arg(long)]
    client: bool,
    /// Make a certificate that verifiers must reject, for practice and tests
    /// (files are named NAME-KIND.pem and NAME-KIND.key).
    #[arg(long, value_enum, value_name = "KIND")]
    broken: Option<Broken>,
}

#[derive(clap::Args)]
struct ShowArgs {
    /// Certificate files (PEM with one or more certificates, or DER).
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

pub fn run(args: CertArgs) -> Result<(), String> {
    match args.command {
        CertCommand::Ca(a) => ca(a),
        CertCommand::Issue(a) => issue(a),
        CertCommand::Ech(a) => ech::run(a),
        CertCommand::Show(a) => {
            let p = Palette::for_stream(&std::io::stdout());
            let now = now();
            let mut texts = Vec::new();
            for f in &a.files {
                texts.push(show::show(f, now, p)?);
            }
            print!("{}", texts.join("\n"));
            Ok(())
        }
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn subject_and_expiry(der: &[u8]) -> (String, String) {
    match x509_parser::parse_x509_certificate(der) {
        Ok((_, c)) => (
            c.subject().to_string(),
            fmt_time(c.validity().not_after.timestamp()),
        ),
        Err(_) => ("?".into(), "?".into()),
    }
}

fn ca(args: CaArgs) -> Result<(), String> {
    let cert_path = args.out.join(mint::CA_CERT_FILE);
    if !args.force && (cert_path.exists() || args.out.join(mint::CA_KEY_FILE).exists()) {
        return Err(format!(
            "{} already exists; `ferrotls cert issue --ca-dir {}` uses it. Pass --force to replace it (certificates it issued will stop verifying)",
            cert_path.display(),
            args.out.display()
        ));
    }
    let ca = Ca::generate(&CaOptions {
        days: args.days,
        name_constraints: args.name_constraint.clone(),
        path_len: args.path_len,
    })?;
    let (cert_path, key_path) = ca.save(&args.out)?;
    let (subject, until) = subject_and_expiry(ca.cert.as_ref());
    println!("Created a development CA: {subject}, valid until {until}");
    if !args.name_constraint.is_empty() {
        println!("  It may only certify: {}", args.name_constraint.join(", "));
    }
    if args.path_len > 0 {
        println!(
            "  It may sign intermediate CAs: pathLen {} (at most {} below it)",
            args.path_len, args.path_len
        );
    }
    println!(
        "  {}  the CA certificate: give it to clients to trust",
        cert_path.display()
    );
    println!(
        "  {}  its private key (mode 0600): whoever holds it can impersonate any site to machines that trust the CA",
        key_path.display()
    );
    println!("Trust it:");
    print!("{}", trust_help(&cert_path, None));
    println!(
        "Issue a certificate: ferrotls cert issue localhost 127.0.0.1 --ca-dir {}",
        args.out.display()
    );
    Ok(())
}

/// How to make clients trust the CA at `ca_path` (and, for headless Chromium, the
/// leaf `leaf`), one indented line each.
pub fn trust_help(ca_path: &std::path::Path, leaf: Option<&[u8]>) -> String {
    let ca = ca_path.display();
    let mut out = format!(
        "  curl --cacert {ca} https://localhost:4433/\n\
         \x20 ferrotls client localhost:4433 --cafile {ca}\n\
         \x20 openssl s_client -connect localhost:4433 -CAfile {ca}\n\
         \x20 Debian/Ubuntu system store: sudo cp {ca} /usr/local/share/ca-certificates/ferrotls-ca.crt && sudo update-ca-certificates\n\
         \x20 Chromium/Firefox (NSS): certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n ferrotls-ca -i {ca}\n"
    );
    if let Some(spki) = leaf.and_then(spki_sha256_base64) {
        out.push_str(&format!(
            "  Chromium without installing anything: chromium --user-data-dir=DIR --ignore-certificate-errors-spki-list={spki}\n"
        ));
    }
    out
}

fn issue(args: IssueArgs) -> Result<(), String> {
    let ca = Ca::load(&args.ca_dir)?;
    let req = LeafRequest {
        names: &args.names,
        days: args.days,
        key: args.key,
        client: args.client,
        broken: args.broken,
    };
    let leaf = ca.issue(&req)?;
    let mut stem = mint::file_stem(&args.names[0]);
    if args.client {
        stem.push_str("-client");
    }
    if let Some(b) = args.broken {
        stem = format!("{stem}-{}", b.name());
    }
    let (cert_path, key_path) = leaf.save(&args.out, &stem)?;
    let intermediate_path = leaf.save_intermediate(&args.out, &stem)?;
    let (ca_subject, _) = subject_and_expiry(ca.cert.as_ref());
    let (_, until) = subject_and_expiry(leaf.chain[0].as_ref());
    let purpose = if args.client {
        "clientAuth"
    } else {
        "serverAuth"
    };
    let key = match (args.broken, args.key) {
        (Some(Broken::WeakRsa1024), _) => "RSA 1024",
        (_, KeyType::Rsa) => "RSA 2048",
        (_, KeyType::Ecdsa) => "ECDSA P-256",
    };
    match args.broken {
        Some(b) => {
            println!(
                "Issued a BROKEN certificate for {} ({}): {}.",
                args.names.join(", "),
                b.name(),
                b.what(args.client)
            );
            println!("Verifiers must reject it; try: ferrotls verify {} --cafile {}{}",
                cert_path.display(),
                args.ca_dir.join(mint::CA_CERT_FILE).display(),
                if args.client { " --purpose client".to_string() } else { host_flag(&args.names[0]) },
            );
            if let Some(p) = &intermediate_path {
                println!(
                    "It verifies once the intermediate is supplied: add --chain {}",
                    p.display()
                );
            }
        }
        None => println!(
            "Issued a certificate for {} ({key}, {purpose}), valid until {until}, signed by {ca_subject}.",
            args.names.join(", ")
        ),
    }
    let chain_note = if leaf.chain.len() > 1 {
        "certificate chain: the leaf, then the CA"
    } else if intermediate_path.is_some() {
        "the leaf alone, without the intermediate CA that signed it"
    } else {
        "the certificate (self-signed, no chain)"
    };
    println!("  {}  {chain_note}", cert_path.display());
    println!("  {}  its private key (mode 0600)", key_path.display());
    if let Some(p) = &intermediate_path {
        println!(
            "  {}  the intermediate CA (signed by {ca_subject}) that the leaf's file leaves out",
            p.display()
        );
    }
    Ok(())
}

fn host_flag(name: &str) -> String {
    if name.parse::<std::net::IpAddr>().is_ok() {
        format!(" --ip {name}")
    } else {
        format!(" --host {}", name.replace('*', "www"))
    }
}
