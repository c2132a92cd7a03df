//! Connection settings for the examples, read from environment variables.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `IMAP_HOST` | the server's host name or address | required |
//! | `IMAP_USER` | the login name | required |
//! | `IMAP_ASYNC_PASSWORD` | the password (the same variable the shell reads) | required |
//! | `IMAP_SECURITY` | `tls`, `starttls` or `plain` | `tls` |
//! | `IMAP_PORT` | the port | 993 for `tls`, 143 otherwise |
//! | `IMAP_CA_FILE` | a PEM file of extra certificate authorities to trust | none |
//!
//! `cargo run -p imap-async-tests --bin demo -- --serve` starts a demo server and prints
//! these lines ready to paste into a shell.

use std::env::{self, VarError};

use imap_async::{ConnectOptions, Security};

/// The options `IMAP_*` describe, or an error naming the variable that is missing or
/// wrong.
pub fn connect_options_from_env() -> Result<ConnectOptions, String> {
    let host = required("IMAP_HOST", "the IMAP server's host name")?;
    let user = required("IMAP_USER", "the login name")?;
    let password = required("IMAP_ASYNC_PASSWORD", "the password")?;
    let security = match optional("IMAP_SECURITY")?.as_deref() {
        None | Some("tls") => Security::Tls,
        Some("starttls") => Security::StartTls,
        Some("plain") => Security::Plain,
        Some(other) => {
            return Err(format!(
                "IMAP_SECURITY is {other:?}; it must be tls, starttls or plain"
            ));
        }
    };
    let mut opts = ConnectOptions::new(host)
        .security(security)
        .login(user, password);
    if let Some(port) = optional("IMAP_PORT")? {
        let port = port.parse::<u16>().ok().filter(|&p| p > 0).ok_or_else(|| {
            format!("IMAP_PORT is {port:?}; it must be a port number, 1 to 65535")
        })?;
        opts = opts.port(port);
    }
    if let Some(ca_file) = optional("IMAP_CA_FILE")? {
        opts = opts.ca_file(ca_file);
    }
    Ok(opts)
}

fn required(name: &str, what: &str) -> Result<String, String> {
    optional(name)?.ok_or_else(|| {
        format!(
            "the environment variable {name} ({what}) is not set; \
             `cargo run -p imap-async-tests --bin demo -- --serve` prints the IMAP_* \
             settings of a demo server"
        )
    })
}

fn optional(name: &str) -> Result<Option<String>, String> {
    match env::var(name) {
        Ok(value) if value.is_empty() => Ok(None),
        Ok(value) => Ok(Some(value)),
        Err(VarError::NotPresent) => Ok(None),
        Err(VarError::NotUnicode(_)) => {
            Err(format!("the environment variable {name} is not UTF-8"))
        }
    }
}
