//! OAuth 2.0 logins: XOAUTH2 and OAUTHBEARER (RFC 7628) against Dovecot's `oauth2` passdb,
//! whose tokens the harness's introspection endpoint vouches for; against Cyrus, which
//! offers no OAuth mechanism, the client's refusal before sending; refused tokens; and the
//! capability check, on a scripted server.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use imap_async::proto::ResponseCode;
use imap_async::{Client, ConnectOptions, Error, Session};
use imap_async_tests::fake::{FakeServer, expect, send};
use imap_async_tests::{Dovecot, ImapServer, TestUser, on_both_servers};

fn base(server: &dyn ImapServer) -> ConnectOptions {
    ConnectOptions::new(server.host())
        .port(server.imap_port())
        .plaintext()
        .command_timeout(Duration::from_secs(10))
}

/// A message only `user` has, so that seeing it proves whose mailbox the session opened.
fn mark_mailbox(server: &dyn ImapServer, user: &str) {
    server.append_message(user, "INBOX", b"Subject: marker\r\n\r\nhello\r\n");
}

/// Only `user`'s INBOX holds exactly the one marker message (fresh users have none).
async fn assert_is_mailbox_of(session: &mut Session, user: &str) {
    let info = session.select_folder("INBOX").await.unwrap();
    assert_eq!(
        info.exists, 1,
        "{user}'s INBOX holds the one marker message"
    );
}

/// What the client does against a server without `AUTH=XOAUTH2` and `AUTH=OAUTHBEARER`
/// (Cyrus): a [`Error::MissingCapability`] naming the mechanism, before sending anything,
/// both through the client methods and through the options; the session is not used up
/// for the other login methods.
async fn oauth_is_refused_for_lack_of_the_mechanism(server: &dyn ImapServer, user: &TestUser) {
    let token = "a-token-no-server-ever-sees";
    let missing = |err: Error, mechanism: &str| match err {
        Error::MissingCapability {
            capability,
            needed_for,
        } => {
            assert_eq!(capability, format!("AUTH={mechanism}"));
            assert_eq!(needed_for, "AUTHENTICATE");
        }
        other => panic!("expected MissingCapability for {mechanism}, got {other:?}"),
    };
    let mut client = Client::connect(&base(server)).await.unwrap();
    let caps = client.capabilities().await.unwrap();
    assert!(!caps.has_auth("XOAUTH2") && !caps.has_auth("OAUTHBEARER"));
    missing(
        client
            .oauth2_login(&user.name, token)
            .await
            .unwrap_err()
            .into_error(),
        "XOAUTH2",
    );
    let client = Client::connect(&base(server)).await.unwrap();
    missing(
        client
            .oauthbearer_login(&user.name, token, server.host(), server.imap_port())
            .await
            .unwrap_err()
            .into_error(),
        "OAUTHBEARER",
    );
    missing(
        Session::connect(&base(server).oauth2(&user.name, token))
            .await
            .unwrap_err(),
        "XOAUTH2",
    );
    missing(
        Session::connect(&base(server).oauthbearer(&user.name, token))
            .await
            .unwrap_err(),
        "OAUTHBEARER",
    );
    // The password still works, and it is the user's own mailbox.
    let mut session = Session::connect(&base(server).login(&user.name, user.password.as_str()))
        .await
        .unwrap();
    assert_is_mailbox_of(&mut session, &user.name).await;
    session.logout().await.unwrap();
}

async fn xoauth2_login_with_an_issued_token(server: &dyn ImapServer) {
    let user = server.new_user();
    mark_mailbox(server, &user.name);
    let Some(server) = server.as_dovecot() else {
        return oauth_is_refused_for_lack_of_the_mechanism(server, &user).await;
    };
    let token = server.oauth_token_for(&user.name);

    let client = Client::connect(&base(server)).await.unwrap();
    let mut session = client.oauth2_login(&user.name, &token).await.unwrap();
    assert_is_mailbox_of(&mut session, &user.name).await;
    session.logout().await.unwrap();

    // The same through the connection options.
    let mut session = Session::connect(&base(server).oauth2(&user.name, token.as_str()))
        .await
        .unwrap();
    assert_is_mailbox_of(&mut session, &user.name).await;
    session.logout().await.unwrap();
}
on_both_servers!(xoauth2_login_with_an_issued_token);

async fn oauthbearer_login_with_an_issued_token(server: &dyn ImapServer) {
    let user = server.new_user();
    mark_mailbox(server, &user.name);
    let Some(server) = server.as_dovecot() else {
        return oauth_is_refused_for_lack_of_the_mechanism(server, &user).await;
    };
    let token = server.oauth_token_for(&user.name);

    let client = Client::connect(&base(server)).await.unwrap();
    let mut session = client
        .oauthbearer_login(&user.name, &token, server.host(), server.imap_port())
        .await
        .unwrap();
    assert_is_mailbox_of(&mut session, &user.name).await;
    session.logout().await.unwrap();

    // Through the options: host and port come from the connection.
    let mut session = Session::connect(&base(server).oauthbearer(&user.name, token.as_str()))
        .await
        .unwrap();
    assert_is_mailbox_of(&mut session, &user.name).await;
    session.logout().await.unwrap();
}
on_both_servers!(oauthbearer_login_with_an_issued_token);

/// The JSON part appended to the `NO` text by the OAuth logins.
fn server_json(err: &Error) -> String {
    match err {
        Error::No {
            command,
            code,
            text,
        } => {
            assert_eq!(command, "AUTHENTICATE");
            assert!(
                code == &Some(ResponseCode::AuthenticationFailed),
                "code {code:?}"
            );
            let (_, json) = text
                .split_once("(server error: ")
                .unwrap_or_else(|| panic!("no server error in {text:?}"));
            json.trim_end_matches(')').to_owned()
        }
        other => panic!("expected NO, got {other:?}"),
    }
}

/// Dovecot only: refused tokens need an OAuth server, which only the Dovecot harness has.
#[tokio::test]
async fn refused_tokens_give_the_servers_json_and_never_show_the_token() {
    let (captured, _guard) = imap_async_tests::probe::TraceCapture::start(tracing::Level::TRACE);

    let server = Dovecot::shared();
    let user = server.new_user();
    // Looks like an issued token but was never issued; and a good one, which must not be
    // logged either.
    let bad = "atdeadbeefdeadbeefcafebabecafebabe".to_owned();
    let good = server.oauth_token_for(&user.name);

    let client = Client::connect(&base(server)).await.unwrap();
    let err = client
        .oauth2_login(&user.name, &bad)
        .await
        .unwrap_err()
        .into_error();
    assert!(err.is_auth_failed(), "{err:?}");
    assert_eq!(
        server_json(&err),
        r#"{"status":"401","schemes":"bearer","scope":"mail"}"#
    );
    let xoauth2_err = err;

    let client = Client::connect(&base(server)).await.unwrap();
    let err = client
        .oauthbearer_login(&user.name, &bad, server.host(), server.imap_port())
        .await
        .unwrap_err()
        .into_error();
    assert!(err.is_auth_failed(), "{err:?}");
    assert_eq!(server_json(&err), r#"{"status":"invalid_token"}"#);
    let bearer_err = err;

    // Through the options, and a good login, so that the log covers success too.
    let opts = base(server).oauth2(&user.name, bad.as_str());
    let err = Session::connect(&opts).await.unwrap_err();
    assert!(err.is_auth_failed(), "{err:?}");
    let session = Session::connect(&base(server).oauthbearer(&user.name, good.as_str()))
        .await
        .unwrap();
    session.logout().await.unwrap();

    let log = captured.text();
    assert!(
        log.contains("AUTHENTICATE XOAUTH2 <redacted>"),
        "the log covers the commands:\n{log}"
    );
    assert!(log.contains("AUTHENTICATE OAUTHBEARER <redacted>"));
    let shown = [
        format!("{xoauth2_err}"),
        format!("{xoauth2_err:?}"),
        format!("{bearer_err}"),
        format!("{bearer_err:?}"),
        format!("{err}"),
        format!("{err:?}"),
        format!("{opts:?}"),
        log,
    ];
    let xoauth2_message = format!("user={}\x01auth=Bearer {bad}\x01\x01", user.name);
    for text in &shown {
        for secret in [&bad, &good] {
            assert!(!text.contains(secret.as_str()), "token in {text}");
        }
        assert!(!text.contains(&BASE64.encode(&xoauth2_message)));
    }
}

/// Without SASL-IR the initial response answers the first empty challenge; the server's
/// error challenge is answered with `AQ==` (a single 0x01, RFC 7628 §3.2.3).
#[tokio::test]
async fn without_sasl_ir_the_error_challenge_is_answered_with_0x01() {
    let json = r#"{"status":"invalid_token"}"#;
    let initial =
        BASE64.encode("n,a=bob,\x01host=127.0.0.1\x01port=143\x01auth=Bearer tok\x01\x01");
    let server = FakeServer::start(vec![
        send("* OK [CAPABILITY IMAP4rev1 AUTH=OAUTHBEARER] fake\r\n"),
        expect("AUTHENTICATE OAUTHBEARER"),
        send("+ \r\n"),
        expect(&initial),
        send(&format!("+ {}\r\n", BASE64.encode(json))),
        expect("AQ=="),
        send("{tag} NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"),
    ])
    .await;
    let client = Client::connect(
        &ConnectOptions::new("127.0.0.1")
            .port(server.port)
            .plaintext()
            .command_timeout(Duration::from_secs(5)),
    )
    .await
    .unwrap();
    let err = client
        .oauthbearer_login("bob", "tok", "127.0.0.1", 143)
        .await
        .unwrap_err()
        .into_error();
    assert_eq!(server_json(&err), json);
    let sent = server.finish().await;
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert!(sent[0].ends_with("AUTHENTICATE OAUTHBEARER"), "{sent:?}");
    assert_eq!(sent[1], initial);
    assert_eq!(sent[2], "AQ==");
}

#[tokio::test]
async fn missing_auth_xoauth2_fails_before_sending_anything() {
    let server = FakeServer::start(vec![send(
        "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN AUTH=OAUTHBEARER] fake\r\n",
    )])
    .await;
    let client = Client::connect(
        &ConnectOptions::new("127.0.0.1")
            .port(server.port)
            .plaintext()
            .command_timeout(Duration::from_secs(5)),
    )
    .await
    .unwrap();
    let err = client
        .oauth2_login("bob", "tok")
        .await
        .unwrap_err()
        .into_error();
    match &err {
        Error::MissingCapability {
            capability,
            needed_for,
        } => {
            assert_eq!(capability, "AUTH=XOAUTH2");
            assert_eq!(needed_for, "AUTHENTICATE");
        }
        other => panic!("expected MissingCapability, got {other:?}"),
    }
    // The client is gone (dropped by oauth2_login); the server saw no command.
    assert_eq!(server.finish().await, Vec::<String>::new());
}
