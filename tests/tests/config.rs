//! Configuration files: parsing, defaults, inheritance, environment variables, every error
//! text, the permissions warning, and connecting from a section (STARTTLS, TLS, CA file,
//! verification options) against the harness's Dovecot and Cyrus.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::Duration;

use imap_async::config::OAuthMechanism;
use imap_async::{Config, ConfigError, Session, with_session_config};
use imap_async_tests::{ImapServer, on_both_servers};

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::from_str_with_env(text, "test.ini", |_| None)
}

fn error(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

const BASE: &str = "[DEFAULT]\nhost = imap.example.org\nusername = bob\npassword = sekret\n";

#[test]
fn defaults_follow_imapclient() {
    let c = parse(BASE).unwrap();
    let d = &c.default;
    assert_eq!(d.name, "DEFAULT");
    assert_eq!(d.host, "imap.example.org");
    assert_eq!(d.username.as_deref(), Some("bob"));
    assert_eq!(d.password.as_ref().unwrap().expose(), "sekret");
    assert!(d.ssl && !d.starttls && d.ssl_check_hostname && d.ssl_verify_cert);
    assert_eq!(d.port, 993);
    assert_eq!(d.timeout, None);
    assert_eq!(d.ssl_ca_file, None);
    assert!(d.oauth2.is_none());
    assert!(c.alternates.is_empty());
    let opts = d.base_options();
    assert_eq!(opts.security, imap_async::Security::Tls);
    assert_eq!(opts.effective_port(), 993);
}

#[test]
fn ports_booleans_timeouts_and_tilde() {
    let c = parse(
        "[DEFAULT]\nHOST = h\nusername = u\npassword = p\nssl = Off\n\
         ssl_check_hostname = NO\nssl_verify_cert = 0\ntimeout = 2.5\nssl_ca_file = ~/ca.pem\n\
         [tls]\nssl = YES\n[startls]\nssl = false\nstarttls = On\nport = 1143\n\
         [starttls_alone]\n",
    )
    .unwrap();
    let d = &c.default;
    assert!(!d.ssl && !d.starttls);
    assert_eq!(d.port, 143);
    assert!(!d.ssl_check_hostname && !d.ssl_verify_cert);
    assert_eq!(d.timeout, Some(Duration::from_millis(2500)));
    let home = PathBuf::from(std::env::var("HOME").unwrap());
    assert_eq!(d.ssl_ca_file, Some(home.join("ca.pem")));
    assert_eq!(d.base_options().security, imap_async::Security::Plain);
    assert_eq!(
        d.base_options().command_timeout,
        Duration::from_millis(2500)
    );
    let tls = &c.alternates["tls"];
    assert!(tls.ssl);
    assert_eq!(tls.port, 993);
    assert_eq!(tls.timeout, Some(Duration::from_millis(2500)));
    let st = &c.alternates["startls"];
    assert!(st.starttls && !st.ssl);
    assert_eq!(st.port, 1143);
    assert_eq!(st.base_options().security, imap_async::Security::StartTls);
    // starttls alone (ssl not set anywhere) turns the ssl default off.
    let only = parse("[DEFAULT]\nhost = h\nusername = u\npassword = p\nstarttls = 1\n").unwrap();
    assert!(only.default.starttls && !only.default.ssl);
    assert_eq!(only.default.port, 143);
}

#[test]
fn alternates_inherit_and_override() {
    let c = parse(&format!(
        "{BASE}; a comment\n# another\n\n[wrong password]\npassword = nope\n\
         expect_failure = AUTHENTICATIONFAILED\n[other]\nhost = other.example.org\n"
    ))
    .unwrap();
    let alt = &c.alternates["wrong password"];
    assert_eq!(alt.host, "imap.example.org");
    assert_eq!(alt.password.as_ref().unwrap().expose(), "nope");
    assert_eq!(alt.expect_failure.as_deref(), Some("AUTHENTICATIONFAILED"));
    assert_eq!(c.alternates["other"].host, "other.example.org");
    assert_eq!(c.alternates["other"].expect_failure, None);
    assert_eq!(c.default.password.as_ref().unwrap().expose(), "sekret");
}

#[test]
fn secrets_come_from_the_environment_when_absent() {
    let env = |name: &str| match name {
        "IMAP_ASYNC_PASSWORD" => Some("from-env".to_owned()),
        "IMAP_ASYNC_USERNAME" => Some("env-user".to_owned()),
        "IMAP_ASYNC_OAUTH2_CLIENT_ID" => Some("cid".to_owned()),
        "IMAP_ASYNC_OAUTH2_CLIENT_SECRET" => Some("csecret".to_owned()),
        "IMAP_ASYNC_OAUTH2_REFRESH_TOKEN" => Some("rtoken".to_owned()),
        _ => None,
    };
    let c = Config::from_str_with_env(
        "[DEFAULT]\nhost = imap.gmail.com\n[file_user]\nusername = filed\n\
         [oauth]\noauth2 = yes\n",
        "env.ini",
        env,
    )
    .unwrap();
    assert_eq!(c.default.username.as_deref(), Some("env-user"));
    assert_eq!(c.default.password.as_ref().unwrap().expose(), "from-env");
    assert_eq!(c.alternates["file_user"].username.as_deref(), Some("filed"));
    let o = c.alternates["oauth"].oauth2.as_ref().unwrap();
    assert_eq!(o.client_id, "cid");
    assert_eq!(o.client_secret.expose(), "csecret");
    assert_eq!(o.refresh_token.expose(), "rtoken");
    assert_eq!(o.token_url, "https://oauth2.googleapis.com/token");
    assert_eq!(o.mechanism, OAuthMechanism::XOAuth2);
    // The host is not a secret: it never comes from the environment.
    let e = Config::from_str_with_env("[DEFAULT]\nusername = u\n", "env.ini", |n| {
        Some(format!("value of {n}"))
    })
    .unwrap_err();
    assert_eq!(e.key.as_deref(), Some("host"));
}

#[test]
fn oauth2_token_urls_known_and_explicit() {
    let oauth = "oauth2 = true\noauth2_client_id = c\noauth2_client_secret = s\n\
                 oauth2_refresh_token = r\n";
    for (host, url) in [
        (
            "imap.mail.yahoo.com",
            "https://api.login.yahoo.com/oauth2/get_token",
        ),
        (
            "outlook.office365.com",
            "https://login.microsoftonline.com/common/oauth2/v2.0/token",
        ),
    ] {
        let c = parse(&format!("[DEFAULT]\nhost = {host}\nusername = u\n{oauth}")).unwrap();
        assert_eq!(c.default.oauth2.unwrap().token_url, url);
    }
    let c = parse(&format!(
        "[DEFAULT]\nhost = imap.fastmail.com\nusername = u\n{oauth}\
         oauth2_token_url = https://auth.example.org/token\noauth2_mechanism = OAUTHBEARER\n"
    ))
    .unwrap();
    let o = c.default.oauth2.unwrap();
    assert_eq!(o.token_url, "https://auth.example.org/token");
    assert_eq!(o.mechanism, OAuthMechanism::OAuthBearer);
    assert_eq!(
        error(&format!(
            "[DEFAULT]\nhost = imap.fastmail.com\nusername = u\n{oauth}"
        )),
        "test.ini: section [DEFAULT], key `oauth2_token_url`: missing: the token endpoint of \
         \"imap.fastmail.com\" is not known (known: Gmail, Yahoo, Outlook/Office 365); set \
         oauth2_token_url"
    );
}

#[test]
fn error_texts_name_file_section_key_and_line() {
    assert_eq!(
        error("[DEFAULT]\nusername = bob\npassword = x\n"),
        "test.ini: section [DEFAULT], key `host`: missing: the IMAP host name is required"
    );
    assert_eq!(
        error(&format!("{BASE}port = abc\n")),
        "test.ini:5: section [DEFAULT], key `port`: \"abc\" is not a port number (1 to 65535)"
    );
    assert_eq!(
        error(&format!("{BASE}[alt]\nssl = maybe\n")),
        "test.ini:6: section [alt], key `ssl`: \"maybe\" is not a boolean (use \
         1/yes/true/on or 0/no/false/off)"
    );
    assert_eq!(
        error(&format!("{BASE}ssl = true\nstarttls = true\n")),
        "test.ini:6: section [DEFAULT], key `starttls`: ssl and starttls are both true; \
         choose one"
    );
    assert_eq!(
        error(&format!("{BASE}ssl = true\n[st]\nstarttls = true\n")),
        "test.ini:7: section [st], key `starttls`: ssl and starttls are both true; choose \
         one (ssl is inherited from [DEFAULT]; set `ssl = false` here)"
    );
    assert_eq!(
        error(&format!("{BASE}ssl_verify_certs = false\n")),
        "test.ini:5: section [DEFAULT], key `ssl_verify_certs`: unknown key; did you mean \
         `ssl_verify_cert`?"
    );
    assert_eq!(
        error(&format!("{BASE}[x]\nhots = a\n")),
        "test.ini:6: section [x], key `hots`: unknown key; did you mean `host`?"
    );
    assert_eq!(
        error(&format!("{BASE}favourite_colour = blue\n")),
        "test.ini:5: section [DEFAULT], key `favourite_colour`: unknown key"
    );
    assert_eq!(
        error(&format!("{BASE}oauth2 = on\noauth2_client_id = c\n")),
        "test.ini:5: section [DEFAULT], key `oauth2_client_secret`: oauth2 is true but \
         `oauth2_client_secret`, `oauth2_refresh_token` are missing (set in the file or in \
         IMAP_ASYNC_OAUTH2_CLIENT_SECRET, IMAP_ASYNC_OAUTH2_REFRESH_TOKEN)"
    );
    assert_eq!(
        error(&format!("{BASE}timeout = soon\n")),
        "test.ini:5: section [DEFAULT], key `timeout`: \"soon\" is not a positive number of \
         seconds"
    );
    // Syntax errors carry the line.
    assert_eq!(
        error(&format!("{BASE}[broken\n")),
        "test.ini:5: section [DEFAULT]: syntax error: section missing ']'"
    );
    assert_eq!(
        error(&format!("{BASE}just words\n")),
        "test.ini:5: section [DEFAULT]: syntax error: variable assignment missing '='"
    );
    assert_eq!(
        error("host = h\n[DEFAULT]\n"),
        "test.ini:1, key `host`: a key before the first section header"
    );
    assert_eq!(
        error(&format!("{BASE}host = again\n")),
        "test.ini:5: section [DEFAULT], key `host`: set twice (first on line 2)"
    );
    assert_eq!(
        error("[alt]\nhost = h\n"),
        "test.ini: there is no [DEFAULT] section (it is required)"
    );
    assert_eq!(
        error(&format!("{BASE}expect_failure = x\n")),
        "test.ini:5: section [DEFAULT], key `expect_failure`: only alternate sections may set \
         expect_failure"
    );
    assert_eq!(
        error("[DEFAULT]\nhost = h\nusername = u\n"),
        "test.ini: section [DEFAULT], key `password`: missing (set it in the file or in \
         IMAP_ASYNC_PASSWORD, or use oauth2)"
    );
    // A bad secret value is never echoed.
    let e = error("[DEFAULT]\nhost = h\nusername = u\npassword = hunter2\nport = hunter2x\n");
    assert!(!e.contains("hunter2\""), "{e}");
}

fn temp_file(name: &str, text: &str, mode: u32) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "imap-async-config-test-{}-{name}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("account.ini");
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

#[test]
fn readable_file_with_password_is_warned_about() {
    let (captured, _guard) = imap_async_tests::probe::TraceCapture::start(tracing::Level::WARN);

    let open = temp_file("open", BASE, 0o644);
    Config::from_file(&open).unwrap();
    let logged = captured.text();
    assert!(logged.contains("can be read by other users"), "{logged}");
    assert!(logged.contains(&open.display().to_string()), "{logged}");
    assert!(logged.contains("mode=644"), "{logged}");
    assert!(!logged.contains("sekret"), "{logged}");

    captured.clear();
    let private = temp_file("private", BASE, 0o600);
    Config::from_file(&private).unwrap();
    // Readable by others but without a secret: no warning either.
    let no_secret = temp_file(
        "nosecret",
        "[DEFAULT]\nhost = h\nusername = u\noauth2 = 1\noauth2_token_url = http://x/t\n",
        0o644,
    );
    let e = Config::from_file(&no_secret).unwrap_err().to_string();
    assert!(e.contains("oauth2_client_id"), "{e}");
    assert!(captured.text().is_empty());

    let missing = Config::from_file("/nonexistent/imap-async.ini")
        .unwrap_err()
        .to_string();
    assert!(
        missing.starts_with("/nonexistent/imap-async.ini: cannot read the file:"),
        "{missing}"
    );
    for path in [open, private, no_secret] {
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }
}

fn harness_ini(server: &dyn ImapServer, user: &imap_async_tests::TestUser, extra: &str) -> String {
    format!(
        "[DEFAULT]\nhost = {}\nport = {}\nssl = false\nstarttls = true\nssl_ca_file = {}\n\
         username = {}\npassword = {}\ntimeout = 20\n{extra}",
        server.host(),
        server.imap_port(),
        server.ca_pem_path().display(),
        user.name,
        user.password
    )
}

async fn connects_with_starttls_and_tls_from_a_config(server: &dyn ImapServer) {
    let user = server.new_user();
    let text = harness_ini(
        server,
        &user,
        &format!(
            "[tls]\nstarttls = false\nssl = true\nport = {}\n\
             [plain]\nstarttls = false\n",
            server.imaps_port().unwrap()
        ),
    );
    let config = Config::from_str(&text, "harness.ini").unwrap();

    let mut session = Session::connect_config(&config.default).await.unwrap();
    assert!(session.is_tls());
    session.noop().await.unwrap();
    session.logout().await.unwrap();

    let mut session = config.alternates["tls"].connect().await.unwrap();
    assert!(session.is_tls());
    session.noop().await.unwrap();
    session.logout().await.unwrap();

    let tls = with_session_config(&config.alternates["plain"], async |c| {
        Ok::<_, imap_async::Error>(c.is_tls())
    })
    .await
    .unwrap();
    assert!(!tls);

    let exists = with_session_config(&config.default, async |c| -> imap_async::Result<u32> {
        Ok(c.select_folder("INBOX").await?.exists)
    })
    .await
    .unwrap();
    assert_eq!(exists, 0);
}
on_both_servers!(connects_with_starttls_and_tls_from_a_config);

async fn verification_options_and_ca_file_are_honoured(server: &dyn ImapServer) {
    let user = server.new_user();
    let other_ca = imap_async_tests::other_ca_pem();
    let text = harness_ini(
        server,
        &user,
        &format!(
            "[wrong_ca]\nssl_ca_file = {ca}\n\
             [wrong_ca_unverified]\nssl_ca_file = {ca}\nssl_verify_cert = false\n\
             [by_other_name]\nhost = localhost\n\
             [wrong_name_unchecked]\nhost = 127.0.0.2\nssl_check_hostname = false\n\
             [wrong_name]\nhost = 127.0.0.2\n\
             [wrong_password]\npassword = wrong\n",
            ca = other_ca.display()
        ),
    );
    let config = Config::from_str(&text, "verify.ini").unwrap();
    let a = &config.alternates;

    let e = a["wrong_ca"].connect().await.unwrap_err().to_string();
    assert!(e.to_lowercase().contains("unknown"), "{e}");
    assert!(e.contains("issuer") || e.contains("Issuer"), "{e}");

    // Verification off: the same wrong CA connects.
    a["wrong_ca_unverified"]
        .connect()
        .await
        .unwrap()
        .logout()
        .await
        .unwrap();
    a["by_other_name"]
        .connect()
        .await
        .unwrap()
        .logout()
        .await
        .unwrap();

    // 127.0.0.2 is not in the certificate; the server listens on 127.0.0.1 only, so the name
    // check is shown by connecting to 127.0.0.1 with a server name the cert lacks.
    let mut opts = a["wrong_name"].connect_options().await.unwrap();
    opts.host = server.host().to_owned();
    opts.tls_server_name = Some("imap.invalid".into());
    let e = Session::connect(&opts).await.unwrap_err().to_string();
    assert!(
        e.contains("NotValidForName") || e.contains("not valid for"),
        "{e}"
    );
    let mut opts = a["wrong_name_unchecked"].connect_options().await.unwrap();
    opts.host = server.host().to_owned();
    opts.tls_server_name = Some("imap.invalid".into());
    Session::connect(&opts)
        .await
        .unwrap()
        .logout()
        .await
        .unwrap();

    let e = a["wrong_password"].connect().await.unwrap_err();
    assert!(e.is_auth_failed(), "{e}");
    assert!(!e.to_string().contains(&user.password));
}
on_both_servers!(verification_options_and_ca_file_are_honoured);
