//! Passwords never reach logs, `Debug` output or errors, even at TRACE level.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use imap_async::{Client, ConnectOptions, Session};
use imap_async_tests::Dovecot;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn passwords_are_never_logged() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = Dovecot::shared();
    let user = server.new_user();
    let base = ConnectOptions::new(server.host())
        .port(server.imap_port())
        .plaintext()
        .command_timeout(Duration::from_secs(10));

    // LOGIN, with the password as a quoted string and as a literal (a space and a quote
    // force the quoted/literal forms).
    let session = Session::connect(&base.clone().login(&user.name, user.password.as_str()))
        .await
        .unwrap();
    session.logout().await.unwrap();
    let odd_password = "p\"w d\u{e9}".to_owned();
    let _ = Session::connect(&base.clone().login(&user.name, odd_password.as_str())).await;
    // AUTHENTICATE PLAIN (SASL-IR).
    let client = Client::connect(&base).await.unwrap();
    client
        .authenticate_plain(None, &user.name, &user.password)
        .await
        .unwrap()
        .logout()
        .await
        .unwrap();

    let opts = base.login(&user.name, user.password.as_str());
    let debug = format!("{opts:?}");
    assert!(
        !debug.contains(&user.password),
        "Debug of options shows the password: {debug}"
    );

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    // The log is really there and covers the commands (so the check below can fail).
    assert!(log.contains("LOGIN"), "no LOGIN in the TRACE log:\n{log}");
    assert!(
        log.contains("AUTHENTICATE"),
        "no AUTHENTICATE in the TRACE log"
    );
    assert!(
        log.contains("<redacted>"),
        "secrets are shown as <redacted>"
    );
    for secret in [user.password.as_str(), odd_password.as_str(), "w d"] {
        assert!(
            !log.contains(secret),
            "secret {secret:?} in the log:\n{log}"
        );
    }
    use base64::Engine;
    let plain = format!("\0{}\0{}", user.name, user.password);
    let b64 = base64::engine::general_purpose::STANDARD.encode(plain);
    assert!(!log.contains(&b64), "the SASL PLAIN message is in the log");
}
