//! NOTIFY (RFC 5465) against the real servers: Dovecot advertises it after login (the
//! harness configures `mailbox_list_index = yes`, which it needs); Cyrus 3.6 does not offer
//! it at all. A second connection makes changes; the watcher, idling on INBOX, sees them as
//! unsolicited `* STATUS` and `* LIST` responses. The scripted server covers what a real
//! one will not do on demand: refusals with NOTIFICATIONOVERFLOW and the RFC form of
//! BADEVENT, and proof that a refused set sends nothing.
//!
//! Set `NOTIFY_TRACE=1` to see every line sent and received.

use std::time::Duration;

use futures::StreamExt;
use imap_async::proto::{ResponseCode, Untagged};
use imap_async::session::FetchAttr;
use imap_async::{Client, Error, IdleEvent, NotifyGroup, NotifySet, Session};
use imap_async_tests::fake::{FakeServer, expect, send};
use imap_async_tests::{Cyrus, Dovecot, DovecotOptions, ImapServer};

const MSG: &[u8] = b"From: a@example.org\r\nSubject: notify test\r\n\r\nbody\r\n";

fn trace() {
    if std::env::var_os("NOTIFY_TRACE").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(std::io::stderr)
            .try_init();
    }
}

async fn dovecot_session() -> (Session, Session) {
    trace();
    let server = Dovecot::shared();
    let user = server.new_user();
    let opts = server.plaintext_options(&user);
    let watcher = Session::connect(&opts).await.unwrap();
    let other = Session::connect(&opts).await.unwrap();
    (watcher, other)
}

/// Skip events until one matches, for at most 10 s in all (Dovecot notifies about 0.5 s
/// after a change, and also reports folders that did not change); panics listing what came.
async fn wait_for<'a>(
    idle: &mut imap_async::Idle<'a, &'a mut Session>,
    what: &str,
    f: impl Fn(&IdleEvent) -> bool,
) -> IdleEvent {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, idle.next()).await {
            Ok(Some(Ok(e))) if f(&e) => return e,
            Ok(Some(Ok(e))) => seen.push(e),
            Ok(other) => panic!("the stream ended waiting for {what}: {other:?}; seen {seen:#?}"),
            Err(_) => panic!("no {what} within 10 s; seen {seen:#?}"),
        }
    }
}

fn list_named<'e>(e: &'e IdleEvent, name: &str) -> Option<&'e imap_async::proto::ListItem> {
    match e {
        IdleEvent::Other(Untagged::List(item)) if item.name == name.as_bytes() => Some(item),
        _ => None,
    }
}

fn attrs(item: &imap_async::proto::ListItem) -> Vec<String> {
    item.attributes
        .iter()
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

#[tokio::test]
async fn dovecot_advertises_notify_after_login_only() {
    trace();
    let server = Dovecot::shared();
    let user = server.new_user();
    let opts = server.plaintext_options(&user);
    let mut client = Client::connect(&opts).await.unwrap();
    assert!(!client.capabilities().await.unwrap().has("NOTIFY"));
    let mut session = client.login(&user.name, &user.password).await.unwrap();
    assert!(session.has_capability("NOTIFY").await.unwrap());
    session.logout().await.unwrap();
}

/// NOTIFY needs the mailbox list index: without it Dovecot does not offer NOTIFY and the
/// client refuses before sending.
#[tokio::test]
async fn dovecot_without_the_mailbox_list_index_has_no_notify() {
    trace();
    let server = Dovecot::start(DovecotOptions::default().notify(false)).unwrap();
    let user = server.new_user();
    let mut session = Session::connect(&server.plaintext_options(&user))
        .await
        .unwrap();
    assert!(!session.has_capability("NOTIFY").await.unwrap());
    let set = NotifySet::new().group(NotifyGroup::personal().messages());
    let err = session.notify_set(&set).await.unwrap_err();
    assert!(
        matches!(&err, Error::MissingCapability { capability, .. } if capability == "NOTIFY"),
        "{err:?}"
    );
    session.noop().await.unwrap();
    session.logout().await.unwrap();
}

#[tokio::test]
async fn status_indicator_answers_one_status_per_folder() {
    let (mut s, other) = dovecot_session().await;
    drop(other);
    let mut folders: Vec<String> = s
        .list_folders("", "*")
        .await
        .unwrap()
        .into_iter()
        .filter(|f| {
            !f.attributes
                .iter()
                .any(|a| a.eq_ignore_ascii_case("\\Noselect"))
        })
        .map(|f| f.name)
        .collect();
    folders.sort();
    assert!(folders.len() >= 6, "{folders:?}");

    let set = NotifySet::new()
        .status(true)
        .group(NotifyGroup::personal().messages());
    let statuses = s.notify_set(&set).await.unwrap();
    let mut names: Vec<String> = statuses.iter().map(|st| st.name.clone()).collect();
    names.sort();
    assert_eq!(names, folders);
    // RFC 5465 §3.1: with MessageNew, MESSAGES, UIDNEXT and UIDVALIDITY.
    for st in &statuses {
        assert_eq!(st.messages, Some(0), "{st:?}");
        assert_eq!(st.uid_next, Some(1), "{st:?}");
        assert!(st.uid_validity.is_some(), "{st:?}");
    }
    // Claimed, not left in the queue.
    let rest = s.take_unsolicited();
    assert!(
        !rest.iter().any(|u| matches!(u, Untagged::MailboxStatus(_))),
        "{rest:?}"
    );

    // Without the indicator: no STATUS, and the call still succeeds.
    let set = NotifySet::new().group(NotifyGroup::personal().messages());
    assert!(s.notify_set(&set).await.unwrap().is_empty());
    // The selected folder gets no STATUS (§3.1: "other than the currently selected").
    s.select_folder("INBOX").await.unwrap();
    let set = NotifySet::new()
        .status(true)
        .group(NotifyGroup::selected().messages())
        .group(NotifyGroup::personal().messages());
    let statuses = s.notify_set(&set).await.unwrap();
    assert!(
        !statuses.iter().any(|st| st.name == "INBOX"),
        "{statuses:?}"
    );
    assert_eq!(statuses.len(), folders.len() - 1);
    s.logout().await.unwrap();
}

#[tokio::test]
async fn a_message_appended_elsewhere_arrives_as_status() {
    let (mut watcher, mut other) = dovecot_session().await;
    watcher.select_folder("INBOX").await.unwrap();
    let set = NotifySet::new()
        .group(
            NotifyGroup::selected()
                .message_new_fetch([FetchAttr::Uid, FetchAttr::Flags])
                .message_expunge(),
        )
        .group(NotifyGroup::personal().messages());
    assert!(watcher.notify_set(&set).await.unwrap().is_empty());
    let mut idle = watcher.idle().await.unwrap();
    other
        .append("Archive", MSG, imap_async::Flag::NONE, None)
        .await
        .unwrap();
    let e = wait_for(&mut idle, "STATUS Archive with 1 message", |e| {
        matches!(e, IdleEvent::Other(Untagged::MailboxStatus(st))
            if st.mailbox == "Archive" && st.messages == Some(1))
    })
    .await;
    let IdleEvent::Other(Untagged::MailboxStatus(st)) = e else {
        unreachable!()
    };
    assert_eq!(st.uid_next, Some(2));
    assert!(st.uid_validity.is_some());

    // In the selected folder: EXISTS, then the FETCH items asked for.
    other
        .append("INBOX", MSG, imap_async::Flag::NONE, None)
        .await
        .unwrap();
    wait_for(&mut idle, "EXISTS 1", |e| *e == IdleEvent::Exists(1)).await;
    let e = wait_for(&mut idle, "FETCH of the new message", |e| {
        matches!(e, IdleEvent::Fetch { seq: 1, .. })
    })
    .await;
    let IdleEvent::Fetch { uid, flags, .. } = e else {
        unreachable!()
    };
    assert_eq!(uid.map(|u| u.get()), Some(1));
    assert!(flags.is_some());
    idle.done().await.unwrap();
    watcher.logout().await.unwrap();
    other.logout().await.unwrap();
}

#[tokio::test]
async fn folders_created_renamed_and_deleted_arrive_as_list() {
    let (mut watcher, mut other) = dovecot_session().await;
    watcher.select_folder("INBOX").await.unwrap();
    let set = NotifySet::new().group(NotifyGroup::personal().mailbox_name());
    watcher.notify_set(&set).await.unwrap();
    let mut idle = watcher.idle().await.unwrap();

    // One change at a time: Dovecot folds changes within its 0.5 s delay together (a
    // folder created and deleted within it is never reported), and 2.3.19 was seen to
    // report nothing at all for a change made just after it sent a notification, under
    // load. So each change waits a little more than that delay after the last one seen.
    let settle = Duration::from_millis(1100);
    other.create_folder("Projects").await.unwrap();
    let e = wait_for(&mut idle, "LIST Projects", |e| {
        list_named(e, "Projects").is_some()
    })
    .await;
    let created = list_named(&e, "Projects").unwrap();
    assert_eq!(created.old_name, None);
    assert!(
        !attrs(created)
            .iter()
            .any(|a| a.eq_ignore_ascii_case("\\NonExistent")),
        "{created:?}"
    );

    tokio::time::sleep(settle).await;
    other.rename_folder("Projects", "Done").await.unwrap();
    let e = wait_for(&mut idle, "LIST Done", |e| list_named(e, "Done").is_some()).await;
    let renamed = list_named(&e, "Done").unwrap();
    assert_eq!(
        renamed.old_name.as_deref(),
        Some(&b"Projects"[..]),
        "{renamed:?}"
    );

    tokio::time::sleep(settle).await;
    other.delete_folder("Done").await.unwrap();
    let e = wait_for(&mut idle, "LIST Done \\NonExistent", |e| {
        list_named(e, "Done").is_some_and(|l| {
            attrs(l)
                .iter()
                .any(|a| a.eq_ignore_ascii_case("\\NonExistent"))
        })
    })
    .await;
    let deleted = list_named(&e, "Done").unwrap();
    assert_eq!(deleted.old_name, None);
    idle.done().await.unwrap();
    watcher.logout().await.unwrap();
    other.logout().await.unwrap();
}

#[tokio::test]
async fn notify_none_stops_notifications() {
    let (mut watcher, mut other) = dovecot_session().await;
    watcher.select_folder("INBOX").await.unwrap();
    let set = NotifySet::new().group(NotifyGroup::personal().messages());
    watcher.notify_set(&set).await.unwrap();
    watcher.notify_none().await.unwrap();
    let mut idle = watcher.idle().await.unwrap();
    other
        .append("Archive", MSG, imap_async::Flag::NONE, None)
        .await
        .unwrap();
    // Dovecot would report it within about 0.5 s; wait 3.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while let Ok(next) = tokio::time::timeout_at(deadline, idle.next()).await {
        let e = next.expect("the stream goes on").unwrap();
        assert!(
            !matches!(e, IdleEvent::Other(Untagged::MailboxStatus(_))),
            "a STATUS after NOTIFY NONE: {e:?}"
        );
    }
    idle.done().await.unwrap();
    watcher.logout().await.unwrap();
    other.logout().await.unwrap();
}

#[tokio::test]
async fn unsupported_events_are_refused_with_a_typed_badevent() {
    let (mut s, other) = dovecot_session().await;
    drop(other);
    // Dovecot 2.3 supports neither annotations nor metadata events; it answers
    // `NO [BADEVENT AnnotationChange] Unsupported NOTIFY events`.
    for (group, event) in [
        (
            NotifyGroup::personal().messages().annotation_change(),
            "AnnotationChange",
        ),
        (
            NotifyGroup::personal().mailbox_metadata_change(),
            "MailboxMetadataChange",
        ),
        (
            NotifyGroup::personal().server_metadata_change(),
            "ServerMetadataChange",
        ),
    ] {
        let err = s
            .notify_set(&NotifySet::new().group(group))
            .await
            .unwrap_err();
        match &err {
            Error::No {
                command,
                code: Some(ResponseCode::BadEvent(names)),
                ..
            } => {
                assert_eq!(command, "NOTIFY SET");
                assert_eq!(names, &[event.as_bytes()], "{err:?}");
            }
            other => panic!("{other:?}"),
        }
        assert!(
            err.to_string().contains(&format!("[BADEVENT {event}]")),
            "{err}"
        );
    }
    // The session goes on.
    s.notify_set(&NotifySet::new().group(NotifyGroup::personal().messages()))
        .await
        .unwrap();
    s.logout().await.unwrap();
}

#[tokio::test]
async fn a_malformed_set_is_refused_before_sending_on_dovecot() {
    let (mut s, other) = dovecot_session().await;
    drop(other);
    let set = NotifySet::new().group(NotifyGroup::personal().message_new());
    let err = s.notify_set(&set).await.unwrap_err();
    match &err {
        Error::InvalidInput { what, reason } => {
            assert_eq!(what, "NOTIFY SET");
            assert!(
                reason.contains("MessageNew without MessageExpunge"),
                "{reason}"
            );
            assert!(reason.contains("RFC 5465 §5"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    s.noop().await.unwrap();
    s.logout().await.unwrap();
}

/// Cyrus 3.6 does not offer NOTIFY: both commands fail before sending.
#[tokio::test]
async fn cyrus_has_no_notify() {
    trace();
    let server = Cyrus::shared();
    let user = server.new_user();
    let mut s = Session::connect(&server.plaintext_options(&user))
        .await
        .unwrap();
    assert!(!s.has_capability("NOTIFY").await.unwrap());
    let set = NotifySet::new()
        .status(true)
        .group(NotifyGroup::personal().messages());
    for err in [
        s.notify_set(&set).await.unwrap_err(),
        s.notify_none().await.unwrap_err(),
    ] {
        assert!(
            matches!(&err, Error::MissingCapability { capability, .. } if capability == "NOTIFY"),
            "{err:?}"
        );
    }
    s.noop().await.unwrap();
    s.logout().await.unwrap();
}

fn login(caps: &str) -> Vec<imap_async_tests::fake::Step> {
    vec![
        send(&format!("* OK [CAPABILITY {caps}] ready\r\n")),
        expect("LOGIN"),
        send(&format!(
            "{{tag}} OK [CAPABILITY {caps}] LOGIN completed\r\n"
        )),
    ]
}

/// Nothing goes on the wire for a set that breaks the RFC, or without the capability: the
/// next command the server sees is the NOOP.
#[tokio::test]
async fn refused_sets_send_nothing() {
    for caps in ["IMAP4rev1 IDLE NOTIFY", "IMAP4rev1 IDLE"] {
        let mut script = login(caps);
        script.extend([
            expect("NOOP"),
            send("{tag} OK NOOP completed\r\n"),
            expect("LOGOUT"),
            send("* BYE bye\r\n{tag} OK done\r\n"),
        ]);
        let server = FakeServer::start(script).await;
        let mut s = Session::connect(&server.options()).await.unwrap();
        let bad = [
            NotifySet::new(),
            NotifySet::new().group(NotifyGroup::inboxes().flag_change()),
            NotifySet::new()
                .group(NotifyGroup::selected().messages())
                .group(NotifyGroup::selected_delayed().messages()),
            NotifySet::new().group(NotifyGroup::selected().mailbox_name()),
            NotifySet::new().group(
                NotifyGroup::subtree(["Lists"])
                    .message_new_fetch(FetchAttr::Uid)
                    .message_expunge(),
            ),
        ];
        for set in &bad {
            let err = s.notify_set(set).await.unwrap_err();
            if caps.contains("NOTIFY") {
                assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
            } else {
                assert!(matches!(err, Error::MissingCapability { .. }), "{err:?}");
            }
        }
        if !caps.contains("NOTIFY") {
            let err = s.notify_none().await.unwrap_err();
            assert!(matches!(err, Error::MissingCapability { .. }), "{err:?}");
        }
        s.noop().await.unwrap();
        s.logout().await.unwrap();
        let lines = server.finish().await;
        assert!(!lines.iter().any(|l| l.contains("NOTIFY")), "{lines:?}");
    }
}

/// The server's refusals reach the caller with their typed codes, and a later overflow
/// (`* OK [NOTIFICATIONOVERFLOW]`, RFC 5465 §5.8) is queued as typed unsolicited data.
#[tokio::test]
async fn overflow_and_badevent_codes_reach_the_caller() {
    let mut script = login("IMAP4rev1 IDLE NOTIFY");
    script.extend([
        expect("NOTIFY SET STATUS (personal (MessageNew MessageExpunge FlagChange))"),
        send("{tag} NO [NOTIFICATIONOVERFLOW] NOTIFY not supported for these mailboxes.\r\n"),
        expect("NOTIFY SET (personal (MessageNew MessageExpunge MailboxName))"),
        send(
            "{tag} NO [BADEVENT (MessageNew MessageExpunge FlagChange)] MailboxName is not \
             supported\r\n",
        ),
        expect("NOTIFY SET (inboxes (MessageNew MessageExpunge))"),
        send("* STATUS INBOX (MESSAGES 3 UIDNEXT 4 UIDVALIDITY 7)\r\n{tag} OK NOTIFY done\r\n"),
        expect("NOOP"),
        send("* OK [NOTIFICATIONOVERFLOW] too many events\r\n"),
        send("* NO NOTIFY error, some events may have got lost\r\n"),
        send("{tag} OK NOOP completed\r\n"),
        expect("NOTIFY NONE"),
        send("{tag} OK NOTIFY completed\r\n"),
        expect("LOGOUT"),
        send("* BYE bye\r\n{tag} OK done\r\n"),
    ]);
    let server = FakeServer::start(script).await;
    let mut s = Session::connect(&server.options()).await.unwrap();

    let set = NotifySet::new()
        .status(true)
        .group(NotifyGroup::personal().messages().flag_change());
    let err = s.notify_set(&set).await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::No { command, code: Some(ResponseCode::NotificationOverflow), .. }
                if command == "NOTIFY SET"
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("[NOTIFICATIONOVERFLOW]"), "{err}");

    let set = NotifySet::new().group(NotifyGroup::personal().messages().mailbox_name());
    let err = s.notify_set(&set).await.unwrap_err();
    let Error::No {
        code: Some(ResponseCode::BadEvent(names)),
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(names, &["MessageNew", "MessageExpunge", "FlagChange"]);

    // Without the STATUS indicator a STATUS is a notification: it stays queued.
    let set = NotifySet::new().group(NotifyGroup::inboxes().messages());
    assert!(s.notify_set(&set).await.unwrap().is_empty());
    let queued = s.take_unsolicited();
    assert!(
        matches!(&queued[..], [Untagged::MailboxStatus(st)] if st.mailbox == "INBOX" && st.messages == Some(3)),
        "{queued:?}"
    );

    let later = s.noop().await.unwrap();
    assert!(
        later.iter().any(|u| matches!(u, Untagged::Status(st)
            if st.code == Some(ResponseCode::NotificationOverflow))),
        "{later:?}"
    );
    s.notify_none().await.unwrap();
    s.logout().await.unwrap();
    server.finish().await;
}
