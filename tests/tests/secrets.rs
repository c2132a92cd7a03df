//! Passwords never reach logs, `Debug` output or errors, even at TRACE level, against both
//! real servers (Dovecot, Cyrus).

use std::time::Duration;

use imap_async::{Client, ConnectOptions, Session};
use imap_async_tests::{ImapServer, on_both_servers};

async fn passwords_are_never_logged(server: &dyn ImapServer) {
    let (captured, _guard) = imap_async_tests::probe::TraceCapture::start(tracing::Level::TRACE);

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

    let log = captured.text();
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
on_both_servers!(passwords_are_never_logged);
