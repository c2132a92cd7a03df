//! A private certificate authority and a server certificate for the test server.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, SanType,
};

/// Files written by [`write_server_pki`].
pub(crate) struct PkiFiles {
    /// The CA certificate alone: what clients trust.
    pub ca_pem: PathBuf,
    /// The server certificate followed by the CA certificate.
    pub chain_pem: PathBuf,
    /// The server's private key (PKCS#8).
    pub key_pem: PathBuf,
}

fn to_io(e: rcgen::Error) -> io::Error {
    io::Error::other(format!("certificate generation failed: {e}"))
}

/// Makes a self-signed EC P-256 CA certificate with `basicConstraints CA:TRUE`.
fn make_ca(common_name: &str) -> io::Result<(Certificate, KeyPair)> {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(to_io)?;
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(to_io)?;
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let cert = params.self_signed(&key).map_err(to_io)?;
    Ok((cert, key))
}

/// Generates a fresh CA and a server certificate for `localhost`, `127.0.0.1` and `::1`
/// (serverAuth) signed by it, and writes them into `dir`.
pub(crate) fn write_server_pki(dir: &Path) -> io::Result<PkiFiles> {
    let (ca_cert, ca_key) = make_ca("imap-async test CA")?;

    let server_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(to_io)?;
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).map_err(to_io)?;
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params
        .subject_alt_names
        .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    params
        .subject_alt_names
        .push(SanType::IpAddress(IpAddr::V6(Ipv6Addr::LOCALHOST)));
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_cert = params
        .signed_by(&server_key, &ca_cert, &ca_key)
        .map_err(to_io)?;

    let files = PkiFiles {
        ca_pem: dir.join("ca.pem"),
        chain_pem: dir.join("server-chain.pem"),
        key_pem: dir.join("server-key.pem"),
    };
    std::fs::write(&files.ca_pem, ca_cert.pem())?;
    std::fs::write(
        &files.chain_pem,
        format!("{}{}", server_cert.pem(), ca_cert.pem()),
    )?;
    std::fs::write(&files.key_pem, server_key.serialize_pem())?;
    Ok(files)
}

/// The path of a PEM file holding a CA certificate unrelated to any test server, for
/// tests that must see certificate verification fail. Generated once per process.
///
/// Panics if the file cannot be written (a test cannot do anything useful then).
pub fn other_ca_pem() -> PathBuf {
    static OTHER: OnceLock<PathBuf> = OnceLock::new();
    OTHER
        .get_or_init(|| {
            crate::server::process_dir()
                .and_then(|dir| {
                    let (cert, _key) = make_ca("imap-async unrelated CA")?;
                    let path = dir.join("other-ca.pem");
                    std::fs::write(&path, cert.pem())?;
                    Ok(path)
                })
                .unwrap_or_else(|e| panic!("cannot write the unrelated CA certificate: {e}"))
        })
        .clone()
}
