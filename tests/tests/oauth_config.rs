//! OAuth 2.0 from a configuration file, for real: the harness's loopback token endpoint
//! grants access tokens from a refresh token, and Dovecot's `oauth2` passdb checks them with
//! the harness's introspection endpoint.

use std::net::TcpListener;
use std::time::Duration;

use imap_async::oauth::{self, OAuthError};
use imap_async::{Config, ConfigSection, Session, with_session_config};
use imap_async_tests::{Dovecot, OAuthClient, TestUser};

fn oauth_section(
    server: &Dovecot,
    user: &TestUser,
    client: &OAuthClient,
    extra: &str,
) -> ConfigSection {
    let timeout = if extra.contains("timeout") {
        ""
    } else {
        "timeout = 20\n"
    };
    let text = format!(
        "[DEFAULT]\nhost = {}\nport = {}\nssl = false\nstarttls = true\nssl_ca_file = {}\n\
         username = {}\n{timeout}oauth2 = true\noauth2_client_id = {}\n\
         oauth2_client_secret = {}\noauth2_refresh_token = {}\noauth2_token_url = {}\n{extra}",
        server.host(),
        server.imap_port(),
        server.ca_pem_path().display(),
        user.name,
        client.client_id,
        client.client_secret,
        client.refresh_token,
        client.token_url,
    );
    Config::from_str_with_env(&text, "oauth.ini", |_| None)
        .unwrap()
        .default
}

fn assert_no_secrets(text: &str, client: &OAuthClient) {
    assert!(!text.contains(&client.refresh_token), "{text}");
    assert!(!text.contains(&client.client_secret), "{text}");
}

#[tokio::test]
async fn refresh_then_xoauth2_login_and_cached_token_reuse() {
    let server = Dovecot::shared();
    let user = server.new_user();
    let client = server.oauth_client_for(&user.name);
    let section = oauth_section(server, &user, &client, "");

    let mut session = Session::connect_config(&section).await.unwrap();
    assert!(session.is_tls());
    session.select_folder("INBOX").await.unwrap();
    session.logout().await.unwrap();
    assert_eq!(server.oauth_grants(&client.refresh_token), 1);

    // The second login uses the cached token: no new grant.
    let exists = with_session_config(&section, async |c| -> imap_async::Result<u32> {
        Ok(c.select_folder("INBOX").await?.exists)
    })
    .await
    .unwrap();
    assert_eq!(exists, 0);
    assert_eq!(server.oauth_grants(&client.refresh_token), 1);
    assert!(
        server
            .log_text()
            .contains(&format!("user=<{}>, method=XOAUTH2", user.name))
    );
}

#[tokio::test]
async fn oauthbearer_when_chosen() {
    let server = Dovecot::shared();
    let user = server.new_user();
    let client = server.oauth_client_for(&user.name);
    let section = oauth_section(server, &user, &client, "oauth2_mechanism = oauthbearer\n");
    let mut session = section.connect().await.unwrap();
    session.noop().await.unwrap();
    session.logout().await.unwrap();
    assert_eq!(server.oauth_grants(&client.refresh_token), 1);
    assert!(
        server
            .log_text()
            .contains(&format!("user=<{}>, method=OAUTHBEARER", user.name))
    );
}

#[tokio::test]
async fn revoked_refresh_token_fails_with_a_clear_error() {
    let server = Dovecot::shared();
    let user = server.new_user();
    let client = server.oauth_client_for(&user.name);
    server.revoke_refresh_token(&client.refresh_token);
    let section = oauth_section(server, &user, &client, "");
    let e = section.connect().await.unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "OAuth2 token endpoint {} refused the refresh token: invalid_grant (refresh token \
             revoked)",
            client.token_url
        )
    );
    assert_no_secrets(&e, &client);
    assert_eq!(server.oauth_grants(&client.refresh_token), 0);

    // A wrong client secret is refused too (invalid_client).
    let mut wrong = client.clone();
    wrong.client_secret = "not-the-secret".into();
    let e = oauth_section(server, &user, &wrong, "")
        .connect()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("refused the refresh token: invalid_client"),
        "{e}"
    );
}

#[tokio::test]
async fn rejected_access_token_fails_with_a_clear_error() {
    let server = Dovecot::shared();
    let user = server.new_user();
    let client = server.oauth_client_for(&user.name);
    server.grant_rejected_tokens(&client.refresh_token);
    let section = oauth_section(server, &user, &client, "");
    let err = section.connect().await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "the server refused the OAuth2 access token from {} for \"{}\": ",
            client.token_url, user.name
        )),
        "{text}"
    );
    assert!(text.contains("AUTHENTICATIONFAILED"), "{text}");
    assert_no_secrets(&text, &client);
    // A fresh token was asked for once; nothing was retried with the same refused token.
    assert_eq!(server.oauth_grants(&client.refresh_token), 1);
}

#[tokio::test]
async fn a_cached_token_the_server_refuses_is_refreshed_once() {
    let server = Dovecot::shared();
    let user = server.new_user();
    let client = server.oauth_client_for(&user.name);
    let section = oauth_section(server, &user, &client, "");
    section.connect().await.unwrap().logout().await.unwrap();
    assert_eq!(server.oauth_grants(&client.refresh_token), 1);
    // The provider revokes the access token before it expires.
    server.revoke_access_tokens(&user.name);
    section.connect().await.unwrap().logout().await.unwrap();
    assert_eq!(server.oauth_grants(&client.refresh_token), 2);
}

#[tokio::test]
async fn an_expired_cached_token_is_refreshed() {
    let server = Dovecot::shared();
    let user = server.new_user();
    let client = server.oauth_client_for(&user.name);
    server.set_oauth_token_lifetime(&client.refresh_token, 2);
    let section = oauth_section(server, &user, &client, "");
    let params = section.refresh_params().unwrap();

    section.connect().await.unwrap().logout().await.unwrap();
    assert_eq!(server.oauth_grants(&client.refresh_token), 1);
    let (first, from_cache) = oauth::access_token(&params, Duration::from_secs(5))
        .await
        .unwrap();
    assert!(from_cache);

    // Past its lifetime the token is refused by the server and not handed out by the cache.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let mut session = section.connect().await.unwrap();
    session.noop().await.unwrap();
    session.logout().await.unwrap();
    assert_eq!(server.oauth_grants(&client.refresh_token), 2);
    let (second, from_cache) = oauth::access_token(&params, Duration::from_secs(5))
        .await
        .unwrap();
    assert!(from_cache);
    assert_ne!(first.expose(), second.expose());
}

#[tokio::test]
async fn an_unanswering_token_endpoint_fails_within_the_timeout() {
    let server = Dovecot::shared();
    let user = server.new_user();
    let client = server.oauth_client_for(&user.name);
    // Accepts connections (the kernel's backlog) but never answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut unanswered = client.clone();
    unanswered.token_url = format!("http://{}/token", silent.local_addr().unwrap());
    let section = oauth_section(server, &user, &unanswered, "timeout = 1\n");
    let err = section.connect().await.unwrap_err();
    let text = err.to_string();
    assert_eq!(
        text,
        format!(
            "OAuth2 token endpoint {} did not answer within 1s",
            unanswered.token_url
        )
    );
    let imap_async::Error::Other(inner) = &err else {
        panic!("{err:?}")
    };
    assert!(matches!(
        inner.downcast_ref::<OAuthError>(),
        Some(OAuthError::Timeout { .. })
    ));

    // Nothing listening at all: refused at once.
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut closed = client.clone();
    closed.token_url = format!("http://127.0.0.1:{port}/token");
    let text = oauth_section(server, &user, &closed, "timeout = 5\n")
        .connect()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        text.starts_with(&format!(
            "OAuth2 token endpoint {} could not be reached:",
            closed.token_url
        )),
        "{text}"
    );
    assert_no_secrets(&text, &client);
    drop(silent);
}

#[tokio::test]
async fn tokens_and_secrets_never_reach_logs_or_debug_output() {
    let (captured, _guard) = imap_async_tests::probe::TraceCapture::start(tracing::Level::TRACE);

    let server = Dovecot::shared();
    let user = server.new_user();
    let client = server.oauth_client_for(&user.name);
    let section = oauth_section(server, &user, &client, "");
    let mut session = section.connect().await.unwrap();
    session.noop().await.unwrap();
    session.logout().await.unwrap();
    let opts = section.connect_options().await.unwrap();
    let (token, _) =
        oauth::access_token(&section.refresh_params().unwrap(), Duration::from_secs(5))
            .await
            .unwrap();

    let logged = captured.text();
    assert!(logged.contains("AUTHENTICATE"), "TRACE output was captured");
    for text in [logged, format!("{section:?}"), format!("{opts:?}")] {
        assert_no_secrets(&text, &client);
        assert!(!text.contains(token.expose()), "{text}");
    }
}
