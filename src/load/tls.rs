//! TLS for `https://` origins: the client configuration (Mozilla roots from
//! webpki-roots plus an optional PEM CA file, or no verification at all with
//! `insecure`) and a readable message for a failed handshake.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{CertificateError, ClientConfig, RootCertStore};

use super::error::LoadError;
use crate::tls::AcceptAnyCert;

/// The client configuration for a run. ALPN offers `h2` and `http/1.1` when
/// `http2` is set, else only `http/1.1`.
pub fn client_config(
    ca_file: Option<&Path>,
    insecure: bool,
    http2: bool,
) -> Result<Arc<ClientConfig>, LoadError> {
    let provider = crate::tls::provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| LoadError::Setup(format!("TLS setup failed: {e}")))?;
    let mut config = if insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCert::new(provider)))
            .with_no_client_auth()
    } else {
        builder
            .with_root_certificates(root_store(ca_file)?)
            .with_no_client_auth()
    };
    config.alpn_protocols = if http2 {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    Ok(Arc::new(config))
}

/// Mozilla roots plus the PEM certificates in `ca_file`, if any.
fn root_store(ca_file: Option<&Path>) -> Result<RootCertStore, LoadError> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let Some(file) = ca_file else {
        return Ok(roots);
    };
    let bad = |message: String| LoadError::Field {
        key: "load.ca_file".into(),
        message,
        hint: "point load.ca_file (or --ca-file) at a PEM file of CA certificates".into(),
    };
    let pem = std::fs::read(file)
        .map_err(|e| bad(format!("cannot read CA file {}: {e}", file.display())))?;
    use rustls::pki_types::pem::PemObject;
    let mut added = 0;
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| bad(format!("{} is not valid PEM: {e}", file.display())))?;
        roots.add(cert).map_err(|e| {
            bad(format!(
                "{} holds an unusable certificate: {e}",
                file.display()
            ))
        })?;
        added += 1;
    }
    if added == 0 {
        return Err(bad(format!("{} holds no PEM certificate", file.display())));
    }
    Ok(roots)
}

/// The name presented in SNI and checked against the certificate.
pub fn server_name(host: &str) -> Result<ServerName<'static>, String> {
    ServerName::try_from(host.to_string())
        .map_err(|e| format!("\"{host}\" is not a valid TLS server name: {e}"))
}

/// A readable reason for a failed handshake.
pub fn describe(host: &str, e: &std::io::Error) -> String {
    let hint =
        "pass --ca-file (load.ca_file) with the issuing CA, or --insecure to skip verification";
    match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        Some(rustls::Error::InvalidCertificate(c)) => match c {
            CertificateError::UnknownIssuer => format!(
                "TLS handshake with {host} failed: certificate not trusted (unknown issuer); {hint}"
            ),
            CertificateError::BadSignature => format!(
                "TLS handshake with {host} failed: certificate not trusted (bad signature); {hint}"
            ),
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                format!("TLS handshake with {host} failed: certificate expired")
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                format!("TLS handshake with {host} failed: certificate is not valid for {host}")
            }
            other => format!("TLS handshake with {host} failed: invalid certificate: {other:?}"),
        },
        Some(other) => format!("TLS handshake with {host} failed: {other}"),
        None => format!("TLS handshake with {host} failed: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpn_follows_http2_and_a_bad_ca_file_names_the_key() {
        let c = client_config(None, false, true).unwrap();
        assert_eq!(c.alpn_protocols, vec![b"h2".to_vec(), b"http/1.1".to_vec()]);
        let c = client_config(None, true, false).unwrap();
        assert_eq!(c.alpn_protocols, vec![b"http/1.1".to_vec()]);
        let e = client_config(Some(Path::new("/nonexistent/ca.pem")), false, false)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("load.ca_file: cannot read CA file"), "{e}");
    }
}
