//! TLS client configuration: system roots from `rustls-native-certs`, an optional extra CA
//! file, and the two explicit escape hatches (no hostname check, no verification).

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

use crate::error::{Error, Result};

/// How the server's certificate is checked. The defaults verify everything against the
/// system's trusted roots.
#[derive(Clone)]
pub struct TlsOptions {
    /// Extra CA certificates (PEM file) trusted in addition to the system roots.
    pub ca_file: Option<PathBuf>,
    /// Trust the system roots (default `true`). Switch off to trust only `ca_file`.
    pub use_system_roots: bool,
    /// Check that the certificate is valid for the host name (default `true`).
    /// Switching it off logs a warning at every connection.
    pub check_hostname: bool,
    /// Verify the certificate chain at all (default `true`). Switching it off accepts any
    /// certificate, which lets anyone on the path read the session; a warning is logged.
    pub verify_cert: bool,
    /// A complete rustls configuration of your own; when set, the fields above are ignored.
    pub client_config: Option<Arc<ClientConfig>>,
}

impl Default for TlsOptions {
    fn default() -> Self {
        TlsOptions {
            ca_file: None,
            use_system_roots: true,
            check_hostname: true,
            verify_cert: true,
            client_config: None,
        }
    }
}

impl std::fmt::Debug for TlsOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsOptions")
            .field("ca_file", &self.ca_file)
            .field("use_system_roots", &self.use_system_roots)
            .field("check_hostname", &self.check_hostname)
            .field("verify_cert", &self.verify_cert)
            .field(
                "client_config",
                &self.client_config.as_ref().map(|_| "custom"),
            )
            .finish()
    }
}

/// The crypto provider chosen by the crate's features: `aws-lc-rs` when it is enabled
/// (it can only have been added on purpose on top of the default `ring`), else `ring`.
/// Always this one, never the process-wide default, so that what a connection uses
/// does not depend on what another crate installed.
fn provider() -> Arc<CryptoProvider> {
    #[cfg(feature = "aws-lc-rs")]
    return Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    #[cfg(all(feature = "ring", not(feature = "aws-lc-rs")))]
    return Arc::new(rustls::crypto::ring::default_provider());
    // Neither: lib.rs stops the build with a compile_error! that names the features.
    #[cfg(not(any(feature = "ring", feature = "aws-lc-rs")))]
    unreachable!("no crypto provider feature")
}

/// The system roots, loaded once per process: reading the system store costs milliseconds
/// and services connect often.
fn system_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let found = rustls_native_certs::load_native_certs();
        for e in &found.errors {
            tracing::warn!(error = %e, "could not load some system root certificates");
        }
        found.certs
    })
}

fn load_ca_file(path: &PathBuf) -> Result<Vec<CertificateDer<'static>>> {
    let what = format!("CA file {}", path.display());
    let iter = CertificateDer::pem_file_iter(path)
        .map_err(|e| Error::invalid(&what, format!("cannot read it: {e}")))?;
    let certs = iter
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::invalid(&what, format!("not valid PEM: {e}")))?;
    if certs.is_empty() {
        return Err(Error::invalid(what, "it holds no PEM certificate"));
    }
    Ok(certs)
}

/// What makes two configurations the same: the options, and the CA file's identity as it
/// is on disk now (so an updated file is read again).
#[derive(Clone, PartialEq, Eq, Hash)]
struct ConfigKey {
    ca_file: Option<(PathBuf, Option<std::time::SystemTime>, u64)>,
    use_system_roots: bool,
    check_hostname: bool,
    verify_cert: bool,
}

/// The rustls configuration for these options, built once and shared by every connection
/// that uses the same options. Sharing matters: a configuration holds the parsed root
/// store (well over 100 KiB with the system roots), and a service with 1,000 watchers
/// would otherwise hold 1,000 copies.
pub(crate) fn client_config(opts: &TlsOptions) -> Result<Arc<ClientConfig>> {
    if let Some(cfg) = &opts.client_config {
        return Ok(cfg.clone());
    }
    static CACHE: OnceLock<
        std::sync::Mutex<std::collections::HashMap<ConfigKey, Arc<ClientConfig>>>,
    > = OnceLock::new();
    let key = ConfigKey {
        ca_file: opts.ca_file.as_ref().map(|p| {
            let meta = std::fs::metadata(p).ok();
            (
                p.clone(),
                meta.as_ref().and_then(|m| m.modified().ok()),
                meta.map_or(0, |m| m.len()),
            )
        }),
        use_system_roots: opts.use_system_roots,
        check_hostname: opts.check_hostname,
        verify_cert: opts.verify_cert,
    };
    let cache = CACHE.get_or_init(Default::default);
    if let Some(cfg) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        if !opts.verify_cert || !opts.check_hostname {
            warn_unsafe(opts);
        }
        return Ok(cfg.clone());
    }
    let cfg = build_client_config(opts)?;
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, cfg.clone());
    Ok(cfg)
}

/// The warnings an explicit opt-out earns, at every connection.
fn warn_unsafe(opts: &TlsOptions) {
    if !opts.verify_cert {
        tracing::warn!(
            "TLS certificate verification is switched off: the connection is not authenticated"
        );
    } else if !opts.check_hostname {
        tracing::warn!("TLS host name check is switched off: any trusted certificate is accepted");
    }
}

fn build_client_config(opts: &TlsOptions) -> Result<Arc<ClientConfig>> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::invalid("TLS configuration", e.to_string()))?;
    if !opts.verify_cert {
        tracing::warn!(
            "TLS certificate verification is switched off: the connection is not authenticated"
        );
        let cfg = builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate { provider }))
            .with_no_client_auth();
        return Ok(Arc::new(cfg));
    }
    let mut roots = RootCertStore::empty();
    if opts.use_system_roots {
        roots.add_parsable_certificates(system_roots().iter().cloned());
    }
    if let Some(path) = &opts.ca_file {
        for cert in load_ca_file(path)? {
            roots.add(cert).map_err(|e| {
                Error::invalid(format!("CA file {}", path.display()), e.to_string())
            })?;
        }
    }
    if roots.is_empty() {
        return Err(Error::invalid(
            "TLS configuration",
            "no trusted root certificates (no system roots found and no CA file given)",
        ));
    }
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|e| Error::invalid("TLS configuration", e.to_string()))?;
    let cfg = if opts.check_hostname {
        builder.with_webpki_verifier(webpki).with_no_client_auth()
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(IgnoreHostname { inner: webpki }))
            .with_no_client_auth()
    };
    Ok(Arc::new(cfg))
}

/// Verifies the chain but accepts a certificate issued for another name.
#[derive(Debug)]
struct IgnoreHostname {
    inner: Arc<WebPkiServerVerifier>,
}

impl ServerCertVerifier for IgnoreHostname {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Accepts any certificate; handshake signatures are still checked so the session keys
/// belong to whoever holds the presented certificate.
#[derive(Debug)]
struct AcceptAnyCertificate {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
