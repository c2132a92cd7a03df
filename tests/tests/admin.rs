//! QUOTA (RFC 9208), ACL (RFC 4314) and METADATA (RFC 5464) against the real servers
//! (Dovecot, Cyrus), and the capability checks and wire forms on a scripted server.

use std::time::Duration;

use imap_async::proto::{AclChange, Right};
use imap_async::session::{AclEntry, MetadataDepth, MetadataOptions, Quota};
use imap_async::{AclRights, ConnectOptions, Error, Session};
use imap_async_tests::fake::{FakeServer, Step, expect, send};
use imap_async_tests::{ImapServer, RealServer, on_both_servers};

async fn login(server: &dyn ImapServer, user: &imap_async_tests::TestUser) -> Session {
    let opts = ConnectOptions::new(server.host())
        .port(server.imap_port())
        .plaintext()
        .command_timeout(Duration::from_secs(10))
        .login(&user.name, user.password.as_str());
    Session::connect(&opts).await.unwrap()
}

/// A message of exactly `size` octets, CRLF line ends (so its virtual size is `size`).
fn message_of_size(size: usize) -> Vec<u8> {
    let head = b"Subject: quota\r\n\r\n";
    let mut m = head.to_vec();
    m.extend(std::iter::repeat_n(b'x', size - head.len() - 2));
    m.extend_from_slice(b"\r\n");
    assert_eq!(m.len(), size);
    m
}

const FOLDER: &str = "Dossier été 2024";

async fn quota_reports_storage_in_kib_and_message_count(server: &dyn ImapServer) {
    let user = server.new_user();
    let mut session = login(server, &user).await;
    // Dovecot names the root after its quota rule; Cyrus names it after the user's
    // INBOX, which is where its quota sits.
    let root = match server.kind() {
        RealServer::Dovecot => "User quota",
        RealServer::Cyrus => "INBOX",
    };
    let (roots, before) = session.get_quota_root("INBOX").await.unwrap();
    assert_eq!(roots, [root]);
    let limit_of = |quotas: &[Quota], resource: &str| {
        quotas
            .iter()
            .find(|q| q.resource == resource)
            .unwrap_or_else(|| panic!("no {resource} in {quotas:?}"))
            .limit
    };
    // The harnesses' quotas: storage=10G (in KiB) and messages=1000000.
    let storage_limit = 10 * 1024 * 1024;
    let message_limit = 1_000_000;
    assert_eq!(limit_of(&before, "STORAGE"), storage_limit);
    assert_eq!(limit_of(&before, "MESSAGE"), message_limit);
    let usage_of = |quotas: &[Quota], resource: &str| {
        quotas
            .iter()
            .find(|q| q.resource == resource)
            .unwrap()
            .usage
    };
    assert_eq!(usage_of(&before, "STORAGE"), 0);
    assert_eq!(usage_of(&before, "MESSAGE"), 0);

    // Sizes in whole KiB, so the expected usage does not depend on rounding.
    let sizes = [2048, 2048, 1024];
    server.append_message(&user.name, "INBOX", &message_of_size(sizes[0]));
    server.append_message(&user.name, "INBOX", &message_of_size(sizes[1]));
    // A folder name with a space and non-ASCII letters: IMAPClient sends it unencoded and
    // unquoted; here it goes as a quoted modified UTF-7 name and the server finds it.
    server.append_message(&user.name, FOLDER, &message_of_size(sizes[2]));
    let kib = sizes.iter().sum::<usize>() as u64 / 1024;
    let expected = vec![
        Quota {
            root: root.into(),
            resource: "STORAGE".into(),
            usage: kib,
            limit: storage_limit,
        },
        Quota {
            root: root.into(),
            resource: "MESSAGE".into(),
            usage: sizes.len() as u64,
            limit: message_limit,
        },
    ];
    let (roots, quotas) = session.get_quota_root(FOLDER).await.unwrap();
    assert_eq!(roots, [root]);
    assert_eq!(quotas, expected);
    match server.kind() {
        RealServer::Dovecot => assert_eq!(session.get_quota(root).await.unwrap(), expected),
        // Cyrus answers GETQUOTA only to admins (GETQUOTAROOT above is how a user sees
        // the quota); the client reports its NO naming the command.
        RealServer::Cyrus => {
            let err = session.get_quota(root).await.unwrap_err();
            assert!(
                matches!(&err, Error::No { command, .. } if command == "GETQUOTA"),
                "{err:?}"
            );
        }
    }

    // A root that does not exist is the server's NO, naming the command.
    let err = session.get_quota("no such root").await.unwrap_err();
    assert!(
        matches!(&err, Error::No { command, .. } if command == "GETQUOTA"),
        "{err:?}"
    );
    session.logout().await.unwrap();
}
on_both_servers!(quota_reports_storage_in_kib_and_message_count);

async fn setquota_refused_for_users_is_a_no_naming_setquota(server: &dyn ImapServer) {
    let user = server.new_user();
    let mut session = login(server, &user).await;
    let root = match server.kind() {
        RealServer::Dovecot => "User quota",
        RealServer::Cyrus => "INBOX",
    };
    let err = session
        .set_quota(root, &[("STORAGE", 512)])
        .await
        .unwrap_err();
    match &err {
        Error::No { command, text, .. } => {
            assert_eq!(command, "SETQUOTA");
            // Each server says why in its own words.
            let why = match server.kind() {
                RealServer::Dovecot => "admin",
                RealServer::Cyrus => "Permission denied",
            };
            assert!(text.contains(why), "{text}");
        }
        other => panic!("expected NO, got {other:?}"),
    }
    assert!(err.to_string().contains("SETQUOTA"), "{err}");
    // Nothing changed, and the session goes on.
    let (_, quotas) = session.get_quota_root("INBOX").await.unwrap();
    assert_eq!(quotas[0].limit, 10 * 1024 * 1024);
    session.logout().await.unwrap();
}
on_both_servers!(setquota_refused_for_users_is_a_no_naming_setquota);

async fn acl_set_get_list_and_myrights(server: &dyn ImapServer) {
    let owner = server.new_user();
    let friend = server.new_user();
    server.append_message(&owner.name, FOLDER, b"Subject: acl\r\n\r\nx\r\n");
    let mut session = login(server, &owner).await;

    let initial = session.getacl(FOLDER).await.unwrap();
    assert_eq!(initial.len(), 1, "{initial:?}");
    assert_eq!(initial[0].identifier, owner.name);
    // The owner's rights in the list are the rights the owner has.
    let mine = session.myrights(FOLDER).await.unwrap();
    assert_eq!(mine, initial[0].rights);
    for right in [Right::Lookup, Right::Read, Right::Write, Right::Administer] {
        assert!(mine.contains(right), "owner lacks {right:?}: {mine}");
    }

    let entry = |id: &str, rights: &str| AclEntry {
        identifier: id.into(),
        rights: rights.into(),
    };
    session.setacl(FOLDER, &friend.name, "lr").await.unwrap();
    let acl = session.getacl(FOLDER).await.unwrap();
    assert!(acl.contains(&entry(&friend.name, "lr")), "{acl:?}");
    assert!(acl.contains(&initial[0]), "{acl:?}");
    assert_eq!(acl.len(), 2);

    session.setacl(FOLDER, &friend.name, "+w").await.unwrap();
    let acl = session.getacl(FOLDER).await.unwrap();
    assert!(acl.contains(&entry(&friend.name, "lrw")), "{acl:?}");
    session.setacl(FOLDER, &friend.name, "-r").await.unwrap();
    let acl = session.getacl(FOLDER).await.unwrap();
    assert!(acl.contains(&entry(&friend.name, "lw")), "{acl:?}");

    // LISTRIGHTS: nothing is always granted, and each right the owner has can be granted
    // on its own.
    let rights = session.listrights(FOLDER, &friend.name).await.unwrap();
    assert!(rights.required.is_empty(), "{rights:?}");
    let mut grantable: Vec<char> = rights
        .optional
        .iter()
        .flat_map(|g| g.iter().map(Right::letter))
        .collect();
    grantable.sort_unstable();
    let mut owner_rights: Vec<char> = mine.iter().map(Right::letter).collect();
    if server.is_cyrus() {
        // Cyrus also offers its ten site-defined rights 0-9 (RFC 4314 §2.1.1 allows
        // servers to define more rights).
        owner_rights.extend('0'..='9');
    }
    owner_rights.sort_unstable();
    assert_eq!(grantable, owner_rights);
    assert!(
        rights.optional.iter().all(|g| g.iter().count() == 1),
        "{rights:?}"
    );
    // Typed SETACL: add and remove with Rights, compared as sets.
    session
        .setacl(
            FOLDER,
            &friend.name,
            AclRights::from([Right::Lookup, Right::Read]),
        )
        .await
        .unwrap();
    session
        .setacl(FOLDER, &friend.name, AclChange::Add([Right::Write].into()))
        .await
        .unwrap();
    let acl = session.getacl(FOLDER).await.unwrap();
    assert!(acl.contains(&entry(&friend.name, "wrl")), "{acl:?}");
    let err = session
        .setacl(FOLDER, &friend.name, "lR")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("'R'"), "{err}");

    session.deleteacl(FOLDER, &friend.name).await.unwrap();
    assert_eq!(session.getacl(FOLDER).await.unwrap(), initial);
    session.logout().await.unwrap();
}
on_both_servers!(acl_set_get_list_and_myrights);

async fn metadata_set_get_literals_nil_and_options(server: &dyn ImapServer) {
    let user = server.new_user();
    server.append_message(&user.name, FOLDER, b"Subject: md\r\n\r\nx\r\n");
    let mut session = login(server, &user).await;

    // CRLF and non-ASCII force a literal; the value comes back byte for byte.
    let multiline = "first line\r\nsecond: h\u{e9}t\u{e9} \u{2713}".as_bytes();
    session
        .set_metadata(
            FOLDER,
            &[
                ("/private/comment", Some(multiline)),
                ("/shared/comment", Some(b"plain".as_slice())),
            ],
        )
        .await
        .unwrap();
    let md = session
        .get_metadata(
            FOLDER,
            &["/private/comment", "/shared/comment"],
            MetadataOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(md.get("/private/comment"), Some(multiline));
    assert_eq!(md.get("/shared/comment"), Some(&b"plain"[..]));
    assert_eq!(md.entries.len(), 2);
    assert_eq!(md.long_entries, None);

    // NIL removes an entry.
    session
        .set_metadata(FOLDER, &[("/private/comment", None)])
        .await
        .unwrap();
    let md = session
        .get_metadata(FOLDER, &["/private/comment"], MetadataOptions::default())
        .await
        .unwrap();
    assert_eq!(md.get("/private/comment"), None);
    assert!(
        md.entries.iter().all(|e| e.value.is_none()),
        "{:?}",
        md.entries
    );

    let short = b"1".as_slice();
    let long = b"twenty-two characters".as_slice();
    match server.kind() {
        RealServer::Dovecot => dovecot_vendor_entries_depth_and_maxsize(&mut session).await,
        RealServer::Cyrus => {
            // Cyrus stores only the entries it defines; an unknown vendor entry is its NO,
            // reported naming SETMETADATA.
            let err = session
                .set_metadata("INBOX", &[("/private/vendor/imap-async/a", Some(short))])
                .await
                .unwrap_err();
            assert!(
                matches!(&err, Error::No { command, .. } if command == "SETMETADATA"),
                "{err:?}"
            );
            // DEPTH and MAXSIZE with the entries it has: DEPTH 1 below /private lists
            // /private/comment (and Cyrus's own entries, as NIL).
            session
                .set_metadata(
                    "INBOX",
                    &[
                        ("/private/comment", Some(short)),
                        ("/shared/comment", Some(long)),
                    ],
                )
                .await
                .unwrap();
            let all = session
                .get_metadata(
                    "INBOX",
                    &["/private"],
                    MetadataOptions::default().depth(MetadataDepth::One),
                )
                .await
                .unwrap();
            assert_eq!(all.get("/private/comment"), Some(short));
            assert_eq!(all.get("/shared/comment"), None, "not below /private");
            let small = session
                .get_metadata(
                    "INBOX",
                    &["/private/comment", "/shared/comment"],
                    MetadataOptions::default().max_size(short.len() as u64),
                )
                .await
                .unwrap();
            assert_eq!(small.get("/private/comment"), Some(short));
            assert_eq!(small.get("/shared/comment"), None);
            assert_eq!(small.long_entries, Some(long.len() as u64));
        }
    }

    // Server entries: the mailbox name "".
    session
        .set_metadata("", &[("/private/comment", Some(b"server note".as_slice()))])
        .await
        .unwrap();
    let md = session
        .get_metadata("", &["/private/comment"], MetadataOptions::default())
        .await
        .unwrap();
    assert_eq!(md.get("/private/comment"), Some(&b"server note"[..]));
    session.logout().await.unwrap();
}
on_both_servers!(metadata_set_get_literals_nil_and_options);

/// DEPTH 1 lists the children; MAXSIZE leaves out the longer value and reports its size.
/// Dovecot stores any entry, so vendor entries of our own are used.
async fn dovecot_vendor_entries_depth_and_maxsize(session: &mut Session) {
    let short = b"1".as_slice();
    let long = b"twenty-two characters".as_slice();
    session
        .set_metadata(
            "INBOX",
            &[
                ("/private/vendor/imap-async/a", Some(short)),
                ("/private/vendor/imap-async/b", Some(long)),
            ],
        )
        .await
        .unwrap();
    let all = session
        .get_metadata(
            "INBOX",
            &["/private/vendor/imap-async"],
            MetadataOptions::default().depth(MetadataDepth::One),
        )
        .await
        .unwrap();
    assert_eq!(all.get("/private/vendor/imap-async/a"), Some(short));
    assert_eq!(all.get("/private/vendor/imap-async/b"), Some(long));
    let small = session
        .get_metadata(
            "INBOX",
            &["/private/vendor/imap-async"],
            MetadataOptions::default()
                .max_size(short.len() as u64)
                .depth(MetadataDepth::Infinity),
        )
        .await
        .unwrap();
    assert_eq!(small.get("/private/vendor/imap-async/a"), Some(short));
    assert_eq!(small.get("/private/vendor/imap-async/b"), None);
    assert_eq!(small.long_entries, Some(long.len() as u64));
}

fn fake_login(caps: &str) -> Vec<Step> {
    vec![
        send("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake\r\n"),
        expect("LOGIN"),
        send(&format!(
            "{{tag}} OK [CAPABILITY IMAP4rev1 {caps}] logged in\r\n"
        )),
    ]
}

async fn fake_session(server: &FakeServer) -> Session {
    let opts = ConnectOptions::new("127.0.0.1")
        .port(server.port)
        .plaintext()
        .command_timeout(Duration::from_secs(5))
        .login("user", "secret");
    Session::connect(&opts).await.unwrap()
}

fn assert_missing(err: Error, cap: &str, command: &str) {
    match err {
        Error::MissingCapability {
            capability,
            needed_for,
        } => {
            assert_eq!(capability, cap);
            assert_eq!(needed_for, command);
        }
        other => panic!("expected MissingCapability for {command}, got {other:?}"),
    }
}

#[tokio::test]
async fn missing_capabilities_fail_before_sending() {
    let mut script = fake_login("METADATA-SERVER");
    // Only the server-entry GETMETADATA that METADATA-SERVER allows reaches the server.
    script.extend([
        expect("GETMETADATA \"\" (/shared/comment)"),
        send("{tag} OK done\r\n"),
    ]);
    let server = FakeServer::start(script).await;
    let mut s = fake_session(&server).await;
    assert_missing(s.get_quota("").await.unwrap_err(), "QUOTA", "GETQUOTA");
    assert_missing(
        s.get_quota_root("INBOX").await.unwrap_err(),
        "QUOTA",
        "GETQUOTAROOT",
    );
    assert_missing(
        s.set_quota("", &[("STORAGE", 1)]).await.unwrap_err(),
        "QUOTA",
        "SETQUOTA",
    );
    assert_missing(s.getacl("INBOX").await.unwrap_err(), "ACL", "GETACL");
    assert_missing(
        s.setacl("INBOX", "bob", "lr").await.unwrap_err(),
        "ACL",
        "SETACL",
    );
    assert_missing(
        s.deleteacl("INBOX", "bob").await.unwrap_err(),
        "ACL",
        "DELETEACL",
    );
    assert_missing(s.myrights("INBOX").await.unwrap_err(), "ACL", "MYRIGHTS");
    assert_missing(
        s.listrights("INBOX", "bob").await.unwrap_err(),
        "ACL",
        "LISTRIGHTS",
    );
    assert_missing(
        s.get_metadata("INBOX", &["/shared/comment"], MetadataOptions::default())
            .await
            .unwrap_err(),
        "METADATA",
        "GETMETADATA",
    );
    assert_missing(
        s.set_metadata("INBOX", &[("/shared/comment", None)])
            .await
            .unwrap_err(),
        "METADATA",
        "SETMETADATA",
    );
    let md = s
        .get_metadata("", &["/shared/comment"], MetadataOptions::default())
        .await
        .unwrap();
    assert!(md.entries.is_empty());
    drop(s);
    let sent = server.finish().await;
    assert_eq!(sent.len(), 2, "only LOGIN and one GETMETADATA: {sent:?}");
}

#[tokio::test]
async fn wire_forms_of_names_options_and_values() {
    let mut script = fake_login("QUOTA ACL METADATA LITERAL+");
    script.extend([
        expect("GETQUOTAROOT \"Dossier &AOk-t&AOk- 2024\""),
        send("* QUOTAROOT \"Dossier &AOk-t&AOk- 2024\" \"User quota\"\r\n"),
        send("* QUOTA \"User quota\" (STORAGE 5 100 MESSAGE 3 10)\r\n"),
        send("{tag} OK done\r\n"),
        expect("SETQUOTA \"User quota\" (STORAGE 512 MESSAGE 7)"),
        send("{tag} NO [NOPERM] only admins\r\n"),
        expect("GETMETADATA (MAXSIZE 100 DEPTH infinity) INBOX (/private/a \"/shared/b c\")"),
        send("* METADATA INBOX (/private/a {4}\r\na\r\nb /shared/b NIL)\r\n"),
        send("{tag} OK [METADATA LONGENTRIES 300] done\r\n"),
        expect("SETMETADATA INBOX (/private/a {4+}a\r\nb /shared/b NIL /private/c \"x\")"),
        send("{tag} OK done\r\n"),
        expect("SETACL INBOX \"two words\" \"\""),
        send("{tag} OK done\r\n"),
    ]);
    let server = FakeServer::start(script).await;
    let mut s = fake_session(&server).await;
    let (roots, quotas) = s.get_quota_root(FOLDER).await.unwrap();
    assert_eq!(roots, ["User quota"]);
    assert_eq!(quotas.len(), 2);
    assert_eq!(
        (quotas[1].resource.as_str(), quotas[1].usage),
        ("MESSAGE", 3)
    );
    let err = s
        .set_quota("User quota", &[("STORAGE", 512), ("MESSAGE", 7)])
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::No { command, .. } if command == "SETQUOTA"));
    // A resource name that is not an atom is refused before sending.
    assert!(s.set_quota("x", &[("STOR AGE", 1)]).await.is_err());
    let md = s
        .get_metadata(
            "INBOX",
            &["/private/a", "/shared/b c"],
            MetadataOptions::default()
                .max_size(100)
                .depth(MetadataDepth::Infinity),
        )
        .await
        .unwrap();
    assert_eq!(md.get("/private/a"), Some(&b"a\r\nb"[..]));
    assert_eq!(md.entries[1].value, None);
    assert_eq!(md.long_entries, Some(300));
    s.set_metadata(
        "INBOX",
        &[
            ("/private/a", Some(b"a\r\nb".as_slice())),
            ("/shared/b", None),
            ("/private/c", Some(b"x".as_slice())),
        ],
    )
    .await
    .unwrap();
    s.setacl("INBOX", "two words", "").await.unwrap();
    drop(s);
    assert_eq!(server.finish().await.len(), 6);
}
