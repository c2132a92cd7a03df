//! OAuth 2.0 logins: XOAUTH2 and OAUTHBEARER (RFC 7628) against Dovecot's `oauth2` passdb,
//! whose tokens the harness's introspection endpoint vouches for; refused tokens; and the
//! capability check, on a scripted server.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use imap_async::proto::ResponseCode;
use imap_async::{Client, ConnectOptions, Error, Session};
use imap_async_tests::Dovecot;
use imap_async_tests::fake::{FakeServer, expect, send};

fn base(server: &Dovecot) -> ConnectOptions {
    ConnectOptions::new(server.host())
        .port(server.imap_port())
        .plaintext()
        .command_timeout(Duration::from_secs(10))
}

/// A message only `user` has, so that seeing it proves whose mailbox the session opened.
fn mark_mailbox(server: &Dovecot, user: &str) {
    server.append_message(user, "INBOX", b"Subject: marker\r\n\r\nhello\r\n");
}

/// Only `user`'s INBOX holds exactly the one marker message (fresh users have none).
async fn assert_is_mailbox_of(session: &mut Session, user: &str) {
    let info = session.select_folder("INBOX").await.unwrap();
    assert_eq!(info.exists, 1, "{user}'s INBOX holds the one marker message");
}

#[tokio::test]
async fn xoauth2_login_with_an_issued_token() {
    let server = Dovecot::shared();
    let user = server.new_user();
    mark_mailbox(server, &user.name);
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
