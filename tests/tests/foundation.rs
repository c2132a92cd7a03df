//! The foundation against the real servers (Dovecot and Cyrus): every command of the first
//! issue over plaintext, STARTTLS and implicit TLS, and the failures a user will meet.

use std::time::Duration;

use imap_async::{Client, ConnectOptions, Error, Security, Session, UidSet};
use imap_async_tests::{
    Cyrus, CyrusOptions, Dovecot, DovecotOptions, ImapServer, RealServer, TestUser, on_both_servers,
};

const MESSAGE_1: &[u8] = b"From: Alice <alice@example.org>\r\n\
To: Bob <bob@example.org>\r\n\
Subject: first\r\n\
Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n\
Message-ID: <1@example.org>\r\n\
\r\n\
Hello Bob.\r\n";

const MESSAGE_2: &[u8] = b"From: Carol <carol@example.org>\r\n\
To: Bob <bob@example.org>\r\n\
Subject: second\r\n\
\r\n\
Another one.\r\n";

fn options(server: &dyn ImapServer, user: &TestUser, security: Security) -> ConnectOptions {
    server.options(user, security)
}

/// A user with two messages in INBOX.
fn user_with_mail(server: &dyn ImapServer) -> TestUser {
    let user = server.new_user();
    server.append_message(&user.name, "INBOX", MESSAGE_1);
    server.append_message(&user.name, "INBOX", MESSAGE_2);
    user
}

async fn exercise_every_command(server: &dyn ImapServer, security: Security) {
    let user = user_with_mail(server);
    let opts = options(server, &user, security);
    let mut client = Client::connect(&opts).await.expect("connect");
    assert_eq!(client.is_tls(), security != Security::Plain);
    let caps = client.capabilities().await.expect("capabilities");
    assert!(caps.has("IMAP4rev1"));
    assert_eq!(
        caps.has("STARTTLS"),
        security == Security::Plain,
        "STARTTLS offered only before TLS"
    );
    client.noop().await.expect("noop before login");

    let mut session = client
        .login(&user.name, &user.password)
        .await
        .expect("login");
    // After login both servers advertise their extensions.
    assert!(session.has_capability("MOVE").await.unwrap());
    assert!(session.refresh_capabilities().await.unwrap().has("IDLE"));
    assert!(session.noop().await.expect("noop").is_empty());

    assert_eq!(
        session.enable(&["CONDSTORE"]).await.expect("enable"),
        vec!["CONDSTORE"]
    );
    let info = session.examine_folder("INBOX").await.expect("examine");
    assert_eq!(info.exists, 2);
    assert!(!info.read_write, "EXAMINE is read-only");

    let info = session.select_folder("INBOX").await.expect("select");
    assert_eq!(info.exists, 2);
    assert!(info.read_write);
    assert!(info.uid_validity.is_some());
    assert_eq!(info.uid_next, Some(3));
    assert!(info.flags.iter().any(|f| f == "\\Seen"));
    assert!(info.permanent_flags.iter().any(|f| f == "\\*"));
    assert!(
        info.highest_modseq.is_some(),
        "HIGHESTMODSEQ is reported once CONDSTORE is enabled"
    );
    assert_eq!(
        session.unsolicited_len(),
        0,
        "SELECT data is not unsolicited"
    );

    let all = session.search("ALL").await.expect("search");
    assert_eq!(all.to_string(), "1:2");
    let from_carol = session.search("FROM \"carol\"").await.expect("search from");
    assert_eq!(from_carol.to_string(), "2");
    let seqs = session
        .seq_search("SUBJECT first")
        .await
        .expect("seq search");
    assert_eq!(seqs.to_string(), "1");

    let msgs = session
        .fetch(
            &all,
            "(FLAGS RFC822.SIZE INTERNALDATE ENVELOPE BODY.PEEK[])",
        )
        .await
        .expect("fetch");
    assert_eq!(msgs.len(), 2);
    let first = &msgs[0];
    assert_eq!(first.uid().map(|u| u.to_string()), Some("1".to_owned()));
    assert_eq!(first.size(), Some(MESSAGE_1.len() as u64));
    assert_eq!(first.body("").as_deref(), Some(MESSAGE_1));
    let env = first.envelope().expect("envelope");
    assert_eq!(env.subject.as_deref(), Some(&b"first"[..]));
    let from = &env.from.as_ref().expect("from")[0];
    assert_eq!(from.mailbox.as_deref(), Some(&b"alice"[..]));
    assert_eq!(from.host.as_deref(), Some(&b"example.org"[..]));
    assert!(first.internal_date().is_some());
    assert!(
        !first.flags().expect("flags").iter().any(|f| f == "\\Seen"),
        "BODY.PEEK sets no flag"
    );

    let seq_msgs = session
        .fetch(
            &"2".parse::<imap_async::SeqSet>().unwrap(),
            "(UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])",
        )
        .await
        .expect("seq fetch");
    assert_eq!(seq_msgs.len(), 1);
    assert_eq!(seq_msgs[0].seq, 2);
    let header = seq_msgs[0]
        .body("HEADER.FIELDS (SUBJECT)")
        .expect("header section");
    assert!(header.starts_with(b"Subject: second"));

    let folders = session.list_folders("", "*").await.expect("list");
    assert!(folders.iter().any(|f| f.name == "INBOX"));
    let sent = folders
        .iter()
        .find(|f| f.name == "Sent")
        .expect("Sent is listed");
    match server.kind() {
        RealServer::Dovecot => assert!(sent.attributes.iter().any(|a| a == "\\Sent")),
        // Cyrus creates Sent at the first login without a special-use attribute; the
        // client then finds it by its usual name (the documented fallback).
        RealServer::Cyrus => {
            assert!(!sent.attributes.iter().any(|a| a == "\\Sent"), "{sent:?}");
        }
    }
    assert_eq!(
        session
            .find_special_folder(imap_async::SpecialUse::Sent)
            .await
            .expect("find Sent")
            .as_deref(),
        Some("Sent")
    );

    session.logout().await.expect("logout");
    assert!(
        server.logouts(&user.name, 1) > 0,
        "the server saw the LOGOUT of {}",
        user.name
    );
}

async fn every_command_over_plaintext(server: &dyn ImapServer) {
    exercise_every_command(server, Security::Plain).await;
}
on_both_servers!(every_command_over_plaintext);

async fn every_command_over_starttls(server: &dyn ImapServer) {
    exercise_every_command(server, Security::StartTls).await;
}
on_both_servers!(every_command_over_starttls);

async fn every_command_over_implicit_tls(server: &dyn ImapServer) {
    exercise_every_command(server, Security::Tls).await;
}
on_both_servers!(every_command_over_implicit_tls);

async fn authenticate_plain_with_sasl_ir_and_authzid(server: &dyn ImapServer) {
    let user = user_with_mail(server);
    let opts = options(server, &user, Security::Tls);
    let client = Client::connect(&opts).await.unwrap();
    let mut session = client
        .authenticate_plain(None, &user.name, &user.password)
        .await
        .unwrap();
    assert_eq!(session.select_folder("INBOX").await.unwrap().exists, 2);
    session.logout().await.unwrap();

    // Through the options, as with_session uses them.
    let opts = options(server, &user, Security::StartTls).plain_login(
        Some(user.name.clone()),
        &user.name,
        user.password.as_str(),
    );
    let session = Session::connect(&opts).await.unwrap();
    session.logout().await.unwrap();
}
on_both_servers!(authenticate_plain_with_sasl_ir_and_authzid);

async fn wrong_password_is_a_clear_error(server: &dyn ImapServer) {
    let user = server.new_user();
    let opts = options(server, &user, Security::Tls).login(&user.name, "not-the-password");
    let err = Session::connect(&opts)
        .await
        .expect_err("wrong password must fail");
    assert!(err.is_auth_failed(), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("LOGIN"), "{text}");
    assert!(
        !text.contains("not-the-password"),
        "password leaked: {text}"
    );
    assert!(!format!("{err:?}").contains("not-the-password"));

    let client = Client::connect(&opts).await.unwrap();
    let err = client
        .authenticate_plain(None, &user.name, "wrong")
        .await
        .unwrap_err()
        .into_error();
    assert!(err.is_auth_failed(), "{err:?}");
}
on_both_servers!(wrong_password_is_a_clear_error);

/// A refused login hands the client back, still connected and not logged in; a second
/// login on the same connection (LOGIN, then AUTHENTICATE PLAIN) succeeds.
async fn a_refused_login_returns_the_client_for_another_try(server: &dyn ImapServer) {
    let user = user_with_mail(server);
    let opts = options(server, &user, Security::Tls);
    let client = Client::connect(&opts).await.unwrap();
    let failed = client
        .login(&user.name, "not-the-password")
        .await
        .expect_err("wrong password must fail");
    assert!(failed.error().is_auth_failed(), "{failed:?}");
    assert!(failed.has_client(), "{failed:?}");
    let shown = format!("{failed:?} {failed}");
    assert!(
        !shown.contains("not-the-password"),
        "password leaked: {shown}"
    );
    let client = failed
        .into_client()
        .expect("the client comes back after NO");
    let mut session = client
        .login(&user.name, &user.password)
        .await
        .expect("second login on the same connection");
    assert_eq!(session.select_folder("INBOX").await.unwrap().exists, 2);
    session.logout().await.unwrap();

    let client = Client::connect(&opts).await.unwrap();
    let (err, client) = client
        .authenticate_plain(None, &user.name, "wrong")
        .await
        .expect_err("wrong password must fail")
        .into_parts();
    assert!(err.is_auth_failed(), "{err:?}");
    let session = client
        .expect("the client comes back after NO to AUTHENTICATE")
        .authenticate_plain(None, &user.name, &user.password)
        .await
        .expect("second AUTHENTICATE on the same connection");
    session.logout().await.unwrap();
}
on_both_servers!(a_refused_login_returns_the_client_for_another_try);

async fn untrusted_ca_is_refused(server: &dyn ImapServer) {
    let user = server.new_user();
    for security in [Security::Tls, Security::StartTls] {
        let mut opts = options(server, &user, security).ca_file(imap_async_tests::other_ca_pem());
        opts.tls.use_system_roots = false;
        let err = Client::connect(&opts)
            .await
            .expect_err("wrong CA must fail");
        match &err {
            Error::Tls { reason, .. } => assert!(reason.contains("unknown issuer"), "{reason}"),
            other => panic!("expected a TLS error, got {other:?}"),
        }
    }
    // The system roots alone do not trust the test CA either.
    let mut opts = options(server, &user, Security::Tls);
    opts.tls.ca_file = None;
    assert!(matches!(
        Client::connect(&opts).await,
        Err(Error::Tls { .. })
    ));
}
on_both_servers!(untrusted_ca_is_refused);

async fn wrong_host_name_is_refused_unless_switched_off(server: &dyn ImapServer) {
    let user = user_with_mail(server);
    let opts = options(server, &user, Security::Tls).tls_server_name("imap.wrong.example");
    let err = Client::connect(&opts)
        .await
        .expect_err("wrong name must fail");
    match &err {
        Error::Tls {
            reason,
            server_name,
            ..
        } => {
            assert_eq!(server_name, "imap.wrong.example");
            assert!(reason.contains("not valid for the name"), "{reason}");
        }
        other => panic!("expected a TLS error, got {other:?}"),
    }
    // The explicit escape hatches work, and only they do.
    let session = Session::connect(&opts.clone().danger_skip_hostname_check())
        .await
        .unwrap();
    session.logout().await.unwrap();
    let mut any = options(server, &user, Security::Tls).danger_accept_invalid_certs();
    any.tls.ca_file = None;
    let session = Session::connect(&any).await.unwrap();
    session.logout().await.unwrap();
}
on_both_servers!(wrong_host_name_is_refused_unless_switched_off);

#[tokio::test]
async fn starttls_not_offered_fails_closed_dovecot() {
    let server = Dovecot::start(DovecotOptions {
        tls: false,
        ..Default::default()
    })
    .expect("plain-only Dovecot");
    let user = server.new_user();
    let opts = options(&server, &user, Security::StartTls);
    let err = Client::connect(&opts)
        .await
        .expect_err("must not fall back to plaintext");
    assert!(matches!(err, Error::StartTlsNotOffered), "{err:?}");
    assert!(err.to_string().contains("STARTTLS"));
    // Nothing was sent after CAPABILITY: in particular no LOGIN.
    assert!(!server.log_text().contains(&format!("imap({})", user.name)));
}

#[tokio::test]
async fn starttls_not_offered_fails_closed_cyrus() {
    let server = Cyrus::start(CyrusOptions { tls: false }).expect("plain-only Cyrus");
    let user = server.new_user();
    let opts = options(&server, &user, Security::StartTls);
    let err = Client::connect(&opts)
        .await
        .expect_err("must not fall back to plaintext");
    assert!(matches!(err, Error::StartTlsNotOffered), "{err:?}");
    assert!(err.to_string().contains("STARTTLS"));
    // Nothing was sent after CAPABILITY: in particular no LOGIN, which would have made
    // Cyrus create the user's mailbox.
    assert!(!server.has_mailbox(&user.name));
    // The check can tell: a user who did log in (in plaintext) has a mailbox.
    let other = server.new_user();
    let session = Session::connect(&options(&server, &other, Security::Plain))
        .await
        .expect("plaintext login");
    session.logout().await.unwrap();
    assert!(server.has_mailbox(&other.name));
}

#[tokio::test]
async fn nobody_listening_is_a_clear_error() {
    // Nobody listens: connection refused.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let opts = ConnectOptions::new("127.0.0.1").port(port).plaintext();
    let err = Client::connect(&opts).await.expect_err("nothing listens");
    match &err {
        Error::Io { during, source } => {
            assert!(during.contains(&format!("127.0.0.1:{port}")), "{during}");
            assert_eq!(source.kind(), std::io::ErrorKind::ConnectionRefused);
        }
        other => panic!("expected an I/O error, got {other:?}"),
    }
}

/// The server ends the session under us (`doveadm kick`; SIGTERM to Cyrus's imapd): BYE
/// or closed, never a hang.
async fn server_gone_is_a_clear_error(server: &dyn ImapServer) {
    let user = user_with_mail(server);
    let mut session = Session::connect(&options(server, &user, Security::Plain))
        .await
        .unwrap();
    session.select_folder("INBOX").await.unwrap();
    server.kick(&user.name);
    let mut last = None;
    for _ in 0..50 {
        match session.noop().await {
            Ok(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(e) => {
                last = Some(e);
                break;
            }
        }
    }
    let err = last.expect("the kicked session must fail");
    assert!(
        matches!(
            err,
            Error::Bye { .. } | Error::ConnectionClosed { .. } | Error::Unusable(_)
        ),
        "{err:?}"
    );
    // And it stays failed, with a typed error, without touching the socket again.
    assert!(session.noop().await.is_err());
}
on_both_servers!(server_gone_is_a_clear_error);

async fn unsolicited_data_is_kept_for_the_user(server: &dyn ImapServer) {
    let user = user_with_mail(server);
    let opts = options(server, &user, Security::Plain);
    let mut watcher = Session::connect(&opts).await.unwrap();
    watcher.select_folder("INBOX").await.unwrap();

    // Another client changes the folder: a flag on message 1 and a new message.
    let mut other = Session::connect(&opts).await.unwrap();
    other.select_folder("INBOX").await.unwrap();
    other
        .fetch(&"1".parse::<UidSet>().unwrap(), "(FLAGS BODY[TEXT])")
        .await
        .unwrap(); // sets \Seen
    server.append_message(&user.name, "INBOX", MESSAGE_2);
    other.logout().await.unwrap();

    // A FETCH of message 2 must return exactly message 2; the news goes to the queue.
    let mut seen_exists = false;
    let mut seen_flags = false;
    for _ in 0..30 {
        let msgs = watcher
            .fetch(&"2".parse::<UidSet>().unwrap(), "(FLAGS)")
            .await
            .unwrap();
        assert_eq!(msgs.len(), 1);
        assert_eq!(msgs[0].uid().unwrap().to_string(), "2");
        for u in watcher.take_unsolicited() {
            match u {
                imap_async::proto::Untagged::Exists(3) => seen_exists = true,
                imap_async::proto::Untagged::Fetch { seq: 1, items } => {
                    seen_flags |= items.iter().any(|i| {
                        matches!(i, imap_async::proto::FetchItem::Flags(f) if f.iter().any(|f| &f[..] == b"\\Seen"))
                    })
                }
                _ => {}
            }
        }
        if seen_exists && seen_flags {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(seen_exists, "EXISTS for the new message reached the user");
    assert!(
        seen_flags,
        "the flag change by another client reached the user"
    );
    let all = watcher.fetch(&UidSet::all(), "(UID)").await.unwrap();
    assert_eq!(
        all.len(),
        3,
        "a range fetch is not shrunk by unsolicited data"
    );
    watcher.logout().await.unwrap();
}
on_both_servers!(unsolicited_data_is_kept_for_the_user);
