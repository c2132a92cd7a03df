use super::*;
use crate::proto::fetch_data::ItemKind;

fn bs(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

fn parse(s: &[u8]) -> Response {
    match parse_response(Bytes::copy_from_slice(s)) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    }
}

fn untagged(s: &[u8]) -> Untagged {
    match parse(s) {
        Response::Untagged(u) => u,
        other => panic!("not untagged: {other:?}"),
    }
}

fn status(s: &[u8]) -> StatusText {
    match parse(s) {
        Response::Untagged(Untagged::Status(st)) => st,
        Response::Tagged(t) => t.status,
        other => panic!("not a status: {other:?}"),
    }
}

fn fetch(s: &[u8]) -> (u32, Vec<FetchItem>) {
    match untagged(s) {
        Untagged::Fetch { seq, items } => (seq, items.to_vec()),
        other => panic!("not FETCH: {other:?}"),
    }
}

fn code(s: &str) -> ResponseCode {
    let line = format!("* OK [{s}] text\r\n");
    let st = status(line.as_bytes());
    assert_eq!(st.text, bs("text"), "{s}");
    st.code.unwrap_or_else(|| panic!("no code parsed from {s}"))
}

#[test]
fn greetings() {
    let st = status(b"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN] Dovecot ready.\r\n");
    assert_eq!(st.status, Status::Ok);
    assert_eq!(st.text, bs("Dovecot ready."));
    let Some(ResponseCode::Capability(caps)) = st.code else {
        panic!("{st:?}")
    };
    assert_eq!(caps.len(), 8);
    assert_eq!(caps[0], bs("IMAP4rev1"));
    assert_eq!(caps[7], bs("AUTH=PLAIN"));

    let st = status(b"* PREAUTH IMAP4rev1 server logged in as Smith\r\n");
    assert_eq!(
        (st.status, st.code, st.text),
        (
            Status::PreAuth,
            None,
            bs("IMAP4rev1 server logged in as Smith")
        )
    );
    let st = status(b"* BYE Autologout; idle for too long\r\n");
    assert_eq!(
        (st.status, st.text),
        (Status::Bye, bs("Autologout; idle for too long"))
    );
}

#[test]
fn bye_and_status_without_text() {
    for line in [&b"* BYE\r\n"[..], b"* BYE \r\n", b"*BYE\r\n", b"* BYE\n"] {
        let st = status(line);
        assert_eq!(
            (st.status, st.code, st.text),
            (Status::Bye, None, Bytes::new())
        );
    }
    match parse(b"A1 OK\r\n") {
        Response::Tagged(t) => {
            assert_eq!(t.tag, bs("A1"));
            assert_eq!(t.status.status, Status::Ok);
            assert!(t.status.text.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn tagged_statuses() {
    match parse(b"a002 OK [READ-WRITE] SELECT completed\r\n") {
        Response::Tagged(t) => {
            assert_eq!(t.tag, bs("a002"));
            assert_eq!(
                t.status,
                StatusText {
                    status: Status::Ok,
                    code: Some(ResponseCode::ReadWrite),
                    text: bs("SELECT completed")
                }
            );
        }
        other => panic!("{other:?}"),
    }
    let st = status(b"A3 no [TRYCREATE] Mailbox doesn't exist\r\n");
    assert_eq!(
        (st.status, st.code),
        (Status::No, Some(ResponseCode::TryCreate))
    );
    let st = status(b"A4 BAD Command unknown\r\n");
    assert_eq!(st.status, Status::Bad);
    let st = status(b"* NO [ALERT] disk full\r\n");
    assert_eq!(
        (st.status, st.code, st.text),
        (Status::No, Some(ResponseCode::Alert), bs("disk full"))
    );
    // A `[` without a closing bracket is just text.
    let st = status(b"* OK [not a code\r\n");
    assert_eq!((st.code, st.text), (None, bs("[not a code")));
}

#[test]
fn response_codes() {
    use ResponseCode as C;
    assert_eq!(code("ALERT"), C::Alert);
    assert_eq!(code("BADCHARSET"), C::BadCharset(vec![]));
    assert_eq!(
        code("BADCHARSET (UTF-8 \"US-ASCII\")"),
        C::BadCharset(vec![bs("UTF-8"), bs("US-ASCII")])
    );
    assert_eq!(
        code("CAPABILITY IMAP4rev1  IDLE"),
        C::Capability(vec![bs("IMAP4rev1"), bs("IDLE")])
    );
    assert_eq!(code("PARSE"), C::Parse);
    assert_eq!(
        code("PERMANENTFLAGS (\\Deleted \\Seen $Forwarded \\*)"),
        C::PermanentFlags(vec![
            bs("\\Deleted"),
            bs("\\Seen"),
            bs("$Forwarded"),
            bs("\\*")
        ])
    );
    assert_eq!(code("PERMANENTFLAGS ()"), C::PermanentFlags(vec![]));
    assert_eq!(code("READ-ONLY"), C::ReadOnly);
    assert_eq!(code("READ-WRITE"), C::ReadWrite);
    assert_eq!(code("TRYCREATE"), C::TryCreate);
    assert_eq!(code("UIDNEXT 4392"), C::UidNext(4392));
    assert_eq!(
        code("UIDVALIDITY 3857529045"),
        C::UidValidity(3_857_529_045)
    );
    assert_eq!(code("UNSEEN 12"), C::Unseen(12));
    assert_eq!(
        code("APPENDUID 38505 3955"),
        C::AppendUid {
            uid_validity: 38505,
            uids: vec![(3955, 3955)]
        }
    );
    assert_eq!(
        code("APPENDUID 38505 4:6,9"),
        C::AppendUid {
            uid_validity: 38505,
            uids: vec![(4, 6), (9, 9)]
        }
    );
    assert_eq!(
        code("COPYUID 38505 304,319:320 3956:3958"),
        C::CopyUid {
            uid_validity: 38505,
            source: vec![(304, 304), (319, 320)],
            destination: vec![(3956, 3958)]
        }
    );
    assert_eq!(code("UIDNOTSTICKY"), C::UidNotSticky);
    assert_eq!(
        code("HIGHESTMODSEQ 715194045007"),
        C::HighestModSeq(715_194_045_007)
    );
    assert_eq!(code("NOMODSEQ"), C::NoModSeq);
    assert_eq!(code("MODIFIED 7,9"), C::Modified(vec![(7, 7), (9, 9)]));
    assert_eq!(code("MODIFIED 12:10"), C::Modified(vec![(10, 12)]));
    assert_eq!(code("CLOSED"), C::Closed);
    assert_eq!(code("NOTIFICATIONOVERFLOW"), C::NotificationOverflow);
    assert_eq!(code("notificationoverflow"), C::NotificationOverflow);
    assert_eq!(
        code("BADEVENT (MessageNew MessageExpunge FlagChange MailboxName)"),
        C::BadEvent(vec![
            bs("MessageNew"),
            bs("MessageExpunge"),
            bs("FlagChange"),
            bs("MailboxName")
        ])
    );
    // Dovecot 2.3 leaves out the parentheses.
    assert_eq!(
        code("BADEVENT AnnotationChange"),
        C::BadEvent(vec![bs("AnnotationChange")])
    );
    assert_eq!(
        code("BADEVENT ServerMetadataChange MailboxMetadataChange"),
        C::BadEvent(vec![
            bs("ServerMetadataChange"),
            bs("MailboxMetadataChange")
        ])
    );
    // BADEVENT without names, or with a broken list, is kept raw, not fatal.
    assert_eq!(code("BADEVENT"), C::Other(bs("BADEVENT"), None));
    assert_eq!(
        code("BADEVENT (MessageNew"),
        C::Other(bs("BADEVENT"), Some(bs("(MessageNew")))
    );
    assert_eq!(
        code("REFERRAL imap://user@host/INBOX"),
        C::Other(bs("REFERRAL"), Some(bs("imap://user@host/INBOX")))
    );
    // Known code with arguments we cannot read: kept, not fatal.
    assert_eq!(
        code("UIDNEXT soon"),
        C::Other(bs("UIDNEXT"), Some(bs("soon")))
    );
    assert_eq!(code("uidnext 5 "), C::UidNext(5));
}

/// Every response code of RFC 5530 §3, in any case, as a typed code, in a tagged `NO`
/// (where servers send most of them) as well as in an untagged `OK`.
#[test]
fn rfc5530_codes_are_typed() {
    use ResponseCode as C;
    let codes = [
        ("UNAVAILABLE", C::Unavailable),
        ("AUTHENTICATIONFAILED", C::AuthenticationFailed),
        ("AUTHORIZATIONFAILED", C::AuthorizationFailed),
        ("EXPIRED", C::Expired),
        ("PRIVACYREQUIRED", C::PrivacyRequired),
        ("CONTACTADMIN", C::ContactAdmin),
        ("NOPERM", C::NoPerm),
        ("INUSE", C::InUse),
        ("EXPUNGEISSUED", C::ExpungeIssued),
        ("CORRUPTION", C::Corruption),
        ("SERVERBUG", C::ServerBug),
        ("CLIENTBUG", C::ClientBug),
        ("CANNOT", C::Cannot),
        ("LIMIT", C::Limit),
        ("OVERQUOTA", C::OverQuota),
        ("ALREADYEXISTS", C::AlreadyExists),
        ("NONEXISTENT", C::NonExistent),
    ];
    for (atom, expected) in codes {
        assert_eq!(code(atom), expected, "{atom}");
        assert_eq!(code(&atom.to_ascii_lowercase()), expected, "{atom}");
        assert_eq!(expected.atom(), Some(atom));
        let line = format!("A7 NO [{atom}] refused\r\n");
        match parse_response(Bytes::from(line)).unwrap() {
            Response::Tagged(t) => {
                assert_eq!(t.status.status, Status::No);
                assert_eq!(t.status.code, Some(expected), "{atom}");
                assert_eq!(t.status.text, bs("refused"));
            }
            other => panic!("{atom}: {other:?}"),
        }
    }
    // RFC 5530 codes carry no data: text inside the brackets keeps the code raw.
    assert_eq!(
        code("OVERQUOTA 5 GB"),
        C::Other(bs("OVERQUOTA"), Some(bs("5 GB")))
    );
}

/// `[NOMODSEQ]` (RFC 7162 §3.1.2.2) in the untagged OK a SELECT gets for a folder
/// without mod-sequences: its own code, the response an ordinary status.
#[test]
fn nomodseq_is_its_own_code() {
    let st = status(b"* OK [NOMODSEQ] Sorry, this mailbox format doesn't support modsequences\r\n");
    assert_eq!(st.status, Status::Ok);
    assert_eq!(st.code, Some(ResponseCode::NoModSeq));
    assert_eq!(ResponseCode::NoModSeq.atom(), Some("NOMODSEQ"));
    assert_eq!(code("nomodseq"), ResponseCode::NoModSeq);
}

#[test]
fn continuations() {
    let cases: [(&[u8], Option<ResponseCode>, &str); 5] = [
        (b"+ idling\r\n", None, "idling"),
        (b"+ [ALERT] go on\r\n", Some(ResponseCode::Alert), "go on"),
        (b"+\r\n", None, ""),
        (b"+ \r\n", None, ""),
        (
            b"+ YGgGCSqGSIb3EgECAgIAb1kwV6ADAgEFoQMCAQ+iSzBJoAMCAQGiQgRA\r\n",
            None,
            "YGgGCSqGSIb3EgECAgIAb1kwV6ADAgEFoQMCAQ+iSzBJoAMCAQGiQgRA",
        ),
    ];
    for (line, code, text) in cases {
        assert_eq!(
            parse(line),
            Response::Continuation(Continuation {
                code,
                text: bs(text)
            })
        );
    }
}

#[test]
fn capability_and_enabled() {
    assert_eq!(
        untagged(b"* CAPABILITY IMAP4rev1  STARTTLS AUTH=GSSAPI \r\n"),
        Untagged::Capability(vec![bs("IMAP4rev1"), bs("STARTTLS"), bs("AUTH=GSSAPI")])
    );
    assert_eq!(
        untagged(b"* ENABLED CONDSTORE QRESYNC\r\n"),
        Untagged::Enabled(vec![bs("CONDSTORE"), bs("QRESYNC")])
    );
    assert_eq!(untagged(b"* ENABLED\r\n"), Untagged::Enabled(vec![]));
    // Outside a response code a `]` is just a byte of a (badly named) capability.
    assert_eq!(
        untagged(b"* capability IMAP4rev1 X-ODD]NAME\n"),
        Untagged::Capability(vec![bs("IMAP4rev1"), bs("X-ODD]NAME")])
    );
}

#[test]
fn list_lsub_xlist() {
    assert_eq!(
        untagged(b"* LIST (\\HasNoChildren) \"/\" INBOX\r\n"),
        Untagged::List(ListItem {
            attributes: vec![bs("\\HasNoChildren")],
            delimiter: Some(b'/'),
            name: bs("INBOX"),
            ..ListItem::default()
        })
    );
    assert_eq!(
        untagged(b"* LIST (\\Noselect) NIL \"\"\r\n"),
        Untagged::List(ListItem {
            attributes: vec![bs("\\Noselect")],
            delimiter: None,
            name: bs(""),
            ..ListItem::default()
        })
    );
    assert_eq!(
        untagged(b"* LIST () \".\" {12}\r\nfoo\r\nbar baz\r\n"),
        Untagged::List(ListItem {
            attributes: vec![],
            delimiter: Some(b'.'),
            name: bs("foo\r\nbar baz"),
            ..ListItem::default()
        })
    );
    // LIST-EXTENDED data after the name is kept raw; a backslash delimiter is escaped.
    assert_eq!(
        untagged(b"* LIST (\\HasChildren \\Subscribed) \"\\\\\" \"Sent Items\" (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n"),
        Untagged::List(ListItem {
            attributes: vec![bs("\\HasChildren"), bs("\\Subscribed")],
            delimiter: Some(b'\\'),
            name: bs("Sent Items"),
            extended: vec![(bs("CHILDINFO"), bs("(\"SUBSCRIBED\")"))],
            ..ListItem::default()
        })
    );
    assert_eq!(
        untagged(b"* XLIST (\\HasNoChildren \\Sent) \"/\" \"[Gmail]/Sent Mail\"\r\n"),
        Untagged::List(ListItem {
            attributes: vec![bs("\\HasNoChildren"), bs("\\Sent")],
            delimiter: Some(b'/'),
            name: bs("[Gmail]/Sent Mail"),
            ..ListItem::default()
        })
    );
    assert_eq!(
        untagged(b"* LSUB () \".\" #news.comp.mail.misc\r\n"),
        Untagged::Lsub(ListItem {
            attributes: vec![],
            delimiter: Some(b'.'),
            name: bs("#news.comp.mail.misc"),
            ..ListItem::default()
        })
    );
    // An atom mailbox named NIL is a name, not a missing value.
    let Untagged::List(l) = untagged(b"* LIST () \"/\" NIL\r\n") else {
        panic!()
    };
    assert_eq!(l.name, bs("NIL"));
}

#[test]
fn list_notify_oldname_and_nonexistent() {
    // RFC 5465 §5.4 examples.
    assert_eq!(
        untagged(b"* LIST () \"/\" \"NewMailbox\" (\"OLDNAME\" (\"OldMailbox\"))\r\n"),
        Untagged::List(ListItem {
            delimiter: Some(b'/'),
            name: bs("NewMailbox"),
            old_name: Some(bs("OldMailbox")),
            ..ListItem::default()
        })
    );
    assert_eq!(
        untagged(b"* LIST (\\NonExistent) \".\" \"INBOX.DeletedMailbox\"\r\n"),
        Untagged::List(ListItem {
            attributes: vec![bs("\\NonExistent")],
            delimiter: Some(b'.'),
            name: bs("INBOX.DeletedMailbox"),
            ..ListItem::default()
        })
    );
    // Unquoted tag, literal old name, another item beside it, lower case.
    let Untagged::List(l) = untagged(
        b"* LIST (\\HasNoChildren) \"/\" new (CHILDINFO (\"SUBSCRIBED\") oldname ({3}\r\na b))\r\n",
    ) else {
        panic!()
    };
    assert_eq!(l.old_name, Some(bs("a b")));
    assert_eq!(l.extended, vec![(bs("CHILDINFO"), bs("(\"SUBSCRIBED\")"))]);
    // A bare old name is accepted.
    let Untagged::List(l) = untagged(b"* LIST () \"/\" new (\"OLDNAME\" old)\r\n") else {
        panic!()
    };
    assert_eq!(l.old_name, Some(bs("old")));
    // Malformed extended data is dropped, the item kept.
    for raw in [
        &b"* LIST () \"/\" new (\"OLDNAME\" (old\r\n"[..],
        b"* LIST () \"/\" new (\"OLDNAME\"\r\n",
        b"* LIST () \"/\" new ((x) y)\r\n",
        b"* LIST () \"/\" new (\"OLDNAME\" (a b))\r\n",
    ] {
        let Untagged::List(l) = untagged(raw) else {
            panic!("{}", show(raw))
        };
        assert_eq!(l.name, bs("new"), "{}", show(raw));
        assert_eq!(l.old_name, None, "{}", show(raw));
        assert!(l.extended.is_empty(), "{}", show(raw));
    }
}

#[test]
fn mailbox_status() {
    assert_eq!(
        untagged(b"* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)\r\n"),
        Untagged::MailboxStatus(MailboxStatus {
            mailbox: bs("blurdybloop"),
            messages: Some(231),
            uid_next: Some(44292),
            ..Default::default()
        })
    );
    assert_eq!(
        untagged(b"* STATUS \"Sent Items\" ( MESSAGES 3 RECENT 1 UIDNEXT 9 UIDVALIDITY 1234 UNSEEN 2 HIGHESTMODSEQ 90000000000 SIZE 123456 DELETED 1 X-FOO (1 2) APPENDLIMIT 10 )\r\n"),
        Untagged::MailboxStatus(MailboxStatus {
            mailbox: bs("Sent Items"),
            messages: Some(3),
            recent: Some(1),
            uid_next: Some(9),
            uid_validity: Some(1234),
            unseen: Some(2),
            highest_modseq: Some(90_000_000_000),
            size: Some(123_456),
            deleted: Some(1),
            other: vec![(bs("X-FOO"), bs("(1 2)")), (bs("APPENDLIMIT"), bs("10"))],
        })
    );
}

#[test]
fn search_and_sort() {
    assert_eq!(
        untagged(b"* SEARCH 2 3 6\r\n"),
        Untagged::Search {
            ids: vec![2, 3, 6],
            modseq: None
        }
    );
    assert_eq!(
        untagged(b"* SEARCH\r\n"),
        Untagged::Search {
            ids: vec![],
            modseq: None
        }
    );
    assert_eq!(
        untagged(b"* SEARCH 1 2 3 \r\n"),
        Untagged::Search {
            ids: vec![1, 2, 3],
            modseq: None
        }
    );
    assert_eq!(
        untagged(b"* SEARCH 2 5 6 7 11 12 18 19 20 23 (MODSEQ 917162500)\r\n"),
        Untagged::Search {
            ids: vec![2, 5, 6, 7, 11, 12, 18, 19, 20, 23],
            modseq: Some(917_162_500)
        }
    );
    assert_eq!(
        untagged(b"* SORT 5 3 4 1 2\r\n"),
        Untagged::Sort {
            ids: vec![5, 3, 4, 1, 2],
            modseq: None
        }
    );
}

#[test]
fn esearch() {
    assert_eq!(
        untagged(b"* ESEARCH (TAG \"A282\") MIN 2 COUNT 3\r\n"),
        Untagged::ESearch(ESearch {
            tag: Some(bs("A282")),
            min: Some(2),
            count: Some(3),
            ..Default::default()
        })
    );
    assert_eq!(
        untagged(b"* ESEARCH (TAG \"A283\") ALL 2,10:11\r\n"),
        Untagged::ESearch(ESearch {
            tag: Some(bs("A283")),
            all: Some(vec![(2, 2), (10, 11)]),
            ..Default::default()
        })
    );
    assert_eq!(
        untagged(b"* ESEARCH (TAG \"a\" MAILBOX \"INBOX\" UIDVALIDITY 7) UID MIN 7 MAX 3800 MODSEQ 12 PARTIAL (1:10 NIL)\r\n"),
        Untagged::ESearch(ESearch {
            tag: Some(bs("a")),
            uid: true,
            min: Some(7),
            max: Some(3800),
            modseq: Some(12),
            other: vec![(bs("PARTIAL"), bs("(1:10 NIL)"))],
            ..Default::default()
        })
    );
    assert_eq!(
        untagged(b"* ESEARCH\r\n"),
        Untagged::ESearch(ESearch::default())
    );
}

#[test]
fn flags_counts_vanished() {
    assert_eq!(
        untagged(b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"),
        Untagged::Flags(
            ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"]
                .map(bs)
                .to_vec()
        )
    );
    assert_eq!(untagged(b"* 172 EXISTS\r\n"), Untagged::Exists(172));
    assert_eq!(untagged(b"* 1 RECENT\r\n"), Untagged::Recent(1));
    assert_eq!(untagged(b"* 44 EXPUNGE\r\n"), Untagged::Expunge(44));
    assert_eq!(
        untagged(b"* VANISHED (EARLIER) 41,43:116,118,120:211,214:540\r\n"),
        Untagged::Vanished {
            earlier: true,
            uids: vec![(41, 41), (43, 116), (118, 118), (120, 211), (214, 540)]
        }
    );
    assert_eq!(
        untagged(b"* VANISHED 405,407\r\n"),
        Untagged::Vanished {
            earlier: false,
            uids: vec![(405, 405), (407, 407)]
        }
    );
}

#[test]
fn namespace() {
    let d = |p: &str, c: Option<u8>| NamespaceDescr {
        prefix: bs(p),
        delimiter: c,
    };
    assert_eq!(
        untagged(b"* NAMESPACE ((\"\" \"/\")) ((\"~\" \"/\")) ((\"#shared/\" \"/\")(\"#public/\" \"/\")(\"#news.\" \".\"))\r\n"),
        Untagged::Namespace(Namespaces {
            personal: vec![d("", Some(b'/'))],
            other_users: vec![d("~", Some(b'/'))],
            shared: vec![d("#shared/", Some(b'/')), d("#public/", Some(b'/')), d("#news.", Some(b'.'))],
        })
    );
    assert_eq!(
        untagged(b"* NAMESPACE NIL NIL ((\"\" NIL))\r\n"),
        Untagged::Namespace(Namespaces {
            shared: vec![d("", None)],
            ..Default::default()
        })
    );
    // RFC 2342 §5 Namespace-Response-Extension is skipped.
    assert_eq!(
        untagged(b"* NAMESPACE ((\"\" \"/\" \"X-PARAM\" (\"FLAG1\" \"FLAG2\"))) NIL NIL\r\n"),
        Untagged::Namespace(Namespaces {
            personal: vec![d("", Some(b'/'))],
            ..Default::default()
        })
    );
}

#[test]
fn id_and_raw_kinds() {
    assert_eq!(
        untagged(b"* ID (\"name\" \"Cyrus\" \"version\" \"1.5\" \"os\" NIL)\r\n"),
        Untagged::Id(Some(vec![
            (bs("name"), Some(bs("Cyrus"))),
            (bs("version"), Some(bs("1.5"))),
            (bs("os"), None)
        ]))
    );
    assert_eq!(untagged(b"* ID NIL\r\n"), Untagged::Id(None));
    assert_eq!(
        untagged(b"* XFOO bar  baz\r\n"),
        Untagged::Other(bs("XFOO bar  baz"))
    );
    assert_eq!(
        untagged(b"* 5 XBAR (1)\r\n"),
        Untagged::Other(bs("5 XBAR (1)"))
    );
}

fn quota_res(name: &str, usage: u64, limit: u64) -> QuotaResource {
    QuotaResource {
        name: bs(name),
        usage,
        limit,
    }
}

#[test]
fn quota_and_quotaroot() {
    // RFC 9208 §4.2.1 example.
    assert_eq!(
        untagged(b"* QUOTA \"\" (STORAGE 10 512)\r\n"),
        Untagged::Quota {
            root: bs(""),
            resources: vec![quota_res("STORAGE", 10, 512)],
        }
    );
    // Dovecot.
    assert_eq!(
        untagged(b"* QUOTA \"User quota\" (STORAGE 10 10485760 MESSAGE 2 1000)\r\n"),
        Untagged::Quota {
            root: bs("User quota"),
            resources: vec![
                quota_res("STORAGE", 10, 10485760),
                quota_res("MESSAGE", 2, 1000)
            ],
        }
    );
    // Lowercase, extra spaces, 64-bit numbers, unknown resources kept as sent.
    assert_eq!(
        untagged(b"* quota  user.joe  ( storage  0  18446744073709551615  x-foo 1 2 )\r\n"),
        Untagged::Quota {
            root: bs("user.joe"),
            resources: vec![quota_res("storage", 0, u64::MAX), quota_res("x-foo", 1, 2)],
        }
    );
    // "An empty list means there are no administrative resource limits" (§4.2.1).
    assert_eq!(
        untagged(b"* QUOTA \"\" ()\r\n"),
        Untagged::Quota {
            root: bs(""),
            resources: vec![],
        }
    );
    // RFC 9208 §4.2.2 examples and Dovecot.
    assert_eq!(
        untagged(b"* QUOTAROOT INBOX \"\"\r\n"),
        Untagged::QuotaRoot {
            mailbox: bs("INBOX"),
            roots: vec![bs("")],
        }
    );
    assert_eq!(
        untagged(b"* QUOTAROOT comp.mail.mime\r\n"),
        Untagged::QuotaRoot {
            mailbox: bs("comp.mail.mime"),
            roots: vec![],
        }
    );
    assert_eq!(
        untagged(b"* QUOTAROOT INBOX \"User quota\"\r\n"),
        Untagged::QuotaRoot {
            mailbox: bs("INBOX"),
            roots: vec![bs("User quota")],
        }
    );
    assert_eq!(
        untagged(b"* quotaroot  {5}\r\nINBOX  \"User quota\"  Shared \r\n"),
        Untagged::QuotaRoot {
            mailbox: bs("INBOX"),
            roots: vec![bs("User quota"), bs("Shared")],
        }
    );
}

#[test]
fn acl_myrights_listrights() {
    // Dovecot.
    assert_eq!(
        untagged(b"* ACL INBOX owner lrwipkxtecda\r\n"),
        Untagged::Acl {
            mailbox: bs("INBOX"),
            entries: vec![(bs("owner"), bs("lrwipkxtecda"))],
        }
    );
    // Several pairs, negative rights, quoted identifiers, empty rights.
    assert_eq!(
        untagged(b"* ACL \"Shared/Team\" Fred rwipsldexta  -anyone r \"group=Staff A\" \"\"\r\n"),
        Untagged::Acl {
            mailbox: bs("Shared/Team"),
            entries: vec![
                (bs("Fred"), bs("rwipsldexta")),
                (bs("-anyone"), bs("r")),
                (bs("group=Staff A"), bs("")),
            ],
        }
    );
    // Zero pairs (RFC 4314 §3.6); lowercase keyword.
    assert_eq!(
        untagged(b"* acl INBOX \r\n"),
        Untagged::Acl {
            mailbox: bs("INBOX"),
            entries: vec![],
        }
    );
    // `nil` is rights n, i, l (RFC 4314 §7 `rights = astring`), not a missing value.
    assert_eq!(
        untagged(b"* ACL INBOX anyone nil\r\n"),
        Untagged::Acl {
            mailbox: bs("INBOX"),
            entries: vec![(bs("anyone"), bs("nil"))],
        }
    );
    assert_eq!(
        untagged(b"* MYRIGHTS INBOX lrwstipekxacd\r\n"),
        Untagged::MyRights {
            mailbox: bs("INBOX"),
            rights: bs("lrwstipekxacd"),
        }
    );
    assert_eq!(
        untagged(b"* myrights  \"a b\"  \"\"\r\n"),
        Untagged::MyRights {
            mailbox: bs("a b"),
            rights: bs(""),
        }
    );
    // Dovecot: empty required rights, every optional right on its own.
    assert_eq!(
        untagged(b"* LISTRIGHTS INBOX anyone \"\" l r w s t p k x e c d a i\r\n"),
        Untagged::ListRights {
            mailbox: bs("INBOX"),
            identifier: bs("anyone"),
            required: bs(""),
            optional: "l r w s t p k x e c d a i".split(' ').map(bs).collect(),
        }
    );
    // RFC 4314 §3.4 example: tied rights stay one string.
    assert_eq!(
        untagged(b"* LISTRIGHTS ~/Mail/saved smith la r swicdkxte\r\n"),
        Untagged::ListRights {
            mailbox: bs("~/Mail/saved"),
            identifier: bs("smith"),
            required: bs("la"),
            optional: vec![bs("r"), bs("swicdkxte")],
        }
    );
    assert_eq!(
        untagged(b"* listrights INBOX owner lrwipkxtecda\r\n"),
        Untagged::ListRights {
            mailbox: bs("INBOX"),
            identifier: bs("owner"),
            required: bs("lrwipkxtecda"),
            optional: vec![],
        }
    );
}

#[test]
fn metadata() {
    // Dovecot: a literal value and a NIL value.
    assert_eq!(
        untagged(b"* METADATA INBOX (/private/comment {5}\r\nhello /shared/x NIL)\r\n"),
        Untagged::Metadata {
            mailbox: bs("INBOX"),
            entries: vec![
                (bs("/private/comment"), Some(bs("hello"))),
                (bs("/shared/x"), None)
            ],
        }
    );
    // Server annotations (empty mailbox), quoted value.
    assert_eq!(
        untagged(b"* METADATA \"\" (/shared/comment \"My comment\")\r\n"),
        Untagged::Metadata {
            mailbox: bs(""),
            entries: vec![(bs("/shared/comment"), Some(bs("My comment")))],
        }
    );
    // Lowercase, extra spaces, literal8, an empty literal, nil, an empty list.
    assert_eq!(
        untagged(b"* metadata  INBOX  ( /shared/a  ~{3}\r\na\x00c  /shared/b {0}\r\n /private/c nil )\r\n"),
        Untagged::Metadata {
            mailbox: bs("INBOX"),
            entries: vec![
                (bs("/shared/a"), Some(bs("a\0c"))),
                (bs("/shared/b"), Some(bs(""))),
                (bs("/private/c"), None),
            ],
        }
    );
    assert_eq!(
        untagged(b"* METADATA INBOX ()\r\n"),
        Untagged::Metadata {
            mailbox: bs("INBOX"),
            entries: vec![],
        }
    );
    // Unsolicited: names only (RFC 5464 §4.4 `entry-list`).
    assert_eq!(
        untagged(b"* METADATA INBOX /shared/comment /private/comment\r\n"),
        Untagged::MetadataChanged {
            mailbox: bs("INBOX"),
            entries: vec![bs("/shared/comment"), bs("/private/comment")],
        }
    );
    assert_eq!(
        untagged(b"* METADATA \"\" \"/shared/vendor/x y\"\r\n"),
        Untagged::MetadataChanged {
            mailbox: bs(""),
            entries: vec![bs("/shared/vendor/x y")],
        }
    );
    // The literal value is a slice of the frame.
    let frame = Bytes::from_static(b"* METADATA INBOX (/private/comment {5}\r\nhello)\r\n");
    let Ok(Response::Untagged(Untagged::Metadata { entries, .. })) = parse_response(frame.clone())
    else {
        panic!()
    };
    let range = frame.as_ptr() as usize..frame.as_ptr() as usize + frame.len();
    assert!(range.contains(&(entries[0].1.as_ref().unwrap().as_ptr() as usize)));
}

fn chain(members: &[u32], children: Vec<ThreadNode>) -> ThreadNode {
    ThreadNode {
        members: members.to_vec(),
        children,
    }
}

fn threads(s: &[u8]) -> Vec<ThreadNode> {
    match untagged(s) {
        Untagged::Thread(t) => t,
        other => panic!("not THREAD: {other:?}"),
    }
}

#[test]
fn thread() {
    // RFC 5256 §4: 2; 3 -> 6 -> {4 -> 23, 44 -> 7 -> 96}.
    assert_eq!(
        threads(b"* THREAD (2)(3 6 (4 23)(44 7 96))\r\n"),
        vec![
            chain(&[2], vec![]),
            chain(
                &[3, 6],
                vec![chain(&[4, 23], vec![]), chain(&[44, 7, 96], vec![])]
            ),
        ]
    );
    // RFC 5256 §4: 3 and 5 are siblings under a parent not in the result.
    assert_eq!(
        threads(b"* THREAD ((3)(5))\r\n"),
        vec![chain(&[], vec![chain(&[3], vec![]), chain(&[5], vec![])])]
    );
    // A missing parent below a member: 1 -> {missing -> {2, 3}, 4}.
    assert_eq!(
        threads(b"* THREAD (1 ((2)(3))(4))\r\n"),
        vec![chain(
            &[1],
            vec![
                chain(&[], vec![chain(&[2], vec![]), chain(&[3], vec![])]),
                chain(&[4], vec![]),
            ]
        )]
    );
    // No threads at all.
    assert_eq!(threads(b"* THREAD\r\n"), vec![]);
    assert_eq!(threads(b"* THREAD   \r\n"), vec![]);
    // Lowercase, extra spaces inside and between lists, UIDs; a single nested list
    // (the grammar wants two) is kept as sent.
    assert_eq!(
        threads(b"* thread ( 4294967295  7 )  (1 (2))\r\n"),
        vec![
            chain(&[u32::MAX, 7], vec![]),
            chain(&[1], vec![chain(&[2], vec![])]),
        ]
    );
}

#[test]
fn thread_chains_and_nesting_limits() {
    // A 100,000-message chain is one flat vector: no recursion to parse, drop, compare.
    let mut s = b"* THREAD (".to_vec();
    for i in 1..=100_000u32 {
        s.extend_from_slice(format!("{i} ").as_bytes());
    }
    s.extend_from_slice(b")(100001)\r\n");
    let t = threads(&s);
    assert_eq!(t.len(), 2);
    assert_eq!(t[0].members, (1..=100_000).collect::<Vec<u32>>());
    assert!(t[0].children.is_empty());
    assert_eq!(t[1], chain(&[100_001], vec![]));
    assert_eq!(t.clone(), t);
    // 100,000 threads side by side.
    let mut s = b"* THREAD ".to_vec();
    s.extend(std::iter::repeat_n(&b"(1)"[..], 100_000).flatten());
    assert_eq!(threads(&s).len(), 100_000);
    // Nesting: MAX_DEPTH levels parse, one more is an error, hostile depth too.
    let nested = |levels: usize| {
        let mut s = b"* THREAD ".to_vec();
        s.extend(std::iter::repeat_n(b'(', levels));
        s.push(b'9');
        s.extend(std::iter::repeat_n(b')', levels));
        s.extend_from_slice(b"\r\n");
        s
    };
    let mut node = &threads(&nested(MAX_DEPTH as usize))[0];
    for _ in 1..MAX_DEPTH {
        assert!(node.members.is_empty());
        node = &node.children[0];
    }
    assert_eq!(node, &chain(&[9], vec![]));
    let err = parse_response(Bytes::from(nested(MAX_DEPTH as usize + 1))).unwrap_err();
    assert_eq!(err.reason, "thread nested too deeply");
    let err = parse_response(Bytes::from(nested(100_000))).unwrap_err();
    assert_eq!(err.reason, "thread nested too deeply");
    // Depth is per path, not cumulative: many sibling sub-threads at depth 50.
    let mut s = b"* THREAD ".to_vec();
    s.extend(std::iter::repeat_n(b'(', 50));
    s.extend(std::iter::repeat_n(&b"(1)"[..], 1000).flatten());
    s.extend(std::iter::repeat_n(b')', 50));
    assert!(matches!(untagged(&s), Untagged::Thread(_)));
}

#[test]
fn malformed_extension_data_is_a_parse_error() {
    for (raw, reason) in [
        (&b"* QUOTA \"\" (STORAGE 10)\r\n"[..], "expected a number"),
        (b"* QUOTA \"\" (STORAGE x 512)\r\n", "expected a number"),
        (b"* QUOTA \"\" (STORAGE -1 512)\r\n", "expected a number"),
        (
            b"* QUOTA \"\" (STORAGE 1 18446744073709551616)\r\n",
            "number too large",
        ),
        (b"* QUOTA \"\"\r\n", "expected '(' before the quota list"),
        (
            b"* QUOTA \"\" (STORAGE 10 512\r\n",
            "unterminated quota list",
        ),
        (b"* QUOTAROOT\r\n", "expected an atom"),
        (b"* ACL INBOX owner\r\n", "ACL identifier without rights"),
        (b"* ACL INBOX owner lr (x)\r\n", "expected an atom"),
        (b"* MYRIGHTS INBOX\r\n", "expected an atom"),
        (b"* LISTRIGHTS INBOX anyone\r\n", "expected an atom"),
        (b"* METADATA INBOX (/shared/x)\r\n", "expected an atom"),
        (
            b"* METADATA INBOX (/shared/x \"v\"\r\n",
            "unterminated METADATA list",
        ),
        (
            b"* METADATA INBOX (/shared/x {9}\r\nab)\r\n",
            "literal longer than the response",
        ),
        (b"* METADATA\r\n", "expected an atom"),
        (b"* THREAD 1 2\r\n", "expected '(' before a thread"),
        (b"* THREAD (1 2\r\n", "unterminated thread"),
        (b"* THREAD (1 (2)\r\n", "unterminated thread"),
        (b"* THREAD ()\r\n", "empty thread"),
        (
            b"* THREAD (1 (2) 3)\r\n",
            "message number after sub-threads",
        ),
        (
            b"* THREAD (1 x)\r\n",
            "expected a message number or '(' in a thread",
        ),
        (b"* THREAD (4294967296)\r\n", "number too large for 32 bits"),
        (b"* THREAD (1))\r\n", "expected '(' before a thread"),
    ] {
        let frame = Bytes::copy_from_slice(raw);
        let err = parse_response(frame.clone()).expect_err(&show(raw));
        assert_eq!(err.reason, reason, "{}", show(raw));
        assert_eq!(err.raw, frame);
        assert!(err.position <= raw.len());
    }
}

fn rfc_date(s: &str) -> chrono::DateTime<FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(s).unwrap()
}

/// The FETCH example of RFC 3501 §8, as one line.
const RFC3501_FETCH: &[u8] = b"* 12 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \"IMAP4rev1 WG mtg summary and minutes\" ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((NIL NIL \"imap\" \"cac.washington.edu\")) ((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL \"<B27397-0100000@cac.washington.edu>\") BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92))\r\n";

#[test]
fn fetch_rfc3501_example() {
    let (seq, items) = fetch(RFC3501_FETCH);
    assert_eq!(seq, 12);
    assert_eq!(items.len(), 5);
    assert_eq!(items[0], FetchItem::Flags(vec![bs("\\Seen")]));
    let FetchItem::InternalDate(d) = &items[1] else {
        panic!("{:?}", items[1])
    };
    assert_eq!(*d, rfc_date("1996-07-17T02:44:25-07:00"));
    assert_eq!(d.offset().local_minus_utc(), -7 * 3600);
    assert_eq!(items[2], FetchItem::Rfc822Size(4286));
    let gray = Address {
        name: Some(bs("Terry Gray")),
        route: None,
        mailbox: Some(bs("gray")),
        host: Some(bs("cac.washington.edu")),
    };
    let expected_env = Envelope {
        date: Some(bs("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)")),
        subject: Some(bs("IMAP4rev1 WG mtg summary and minutes")),
        from: Some(vec![gray.clone()]),
        sender: Some(vec![gray.clone()]),
        reply_to: Some(vec![gray]),
        to: Some(vec![Address {
            mailbox: Some(bs("imap")),
            host: Some(bs("cac.washington.edu")),
            ..Default::default()
        }]),
        cc: Some(vec![
            Address {
                mailbox: Some(bs("minutes")),
                host: Some(bs("CNRI.Reston.VA.US")),
                ..Default::default()
            },
            Address {
                name: Some(bs("John Klensin")),
                route: None,
                mailbox: Some(bs("KLENSIN")),
                host: Some(bs("MIT.EDU")),
            },
        ]),
        bcc: None,
        in_reply_to: None,
        message_id: Some(bs("<B27397-0100000@cac.washington.edu>")),
    };
    assert_eq!(items[3], FetchItem::Envelope(Box::new(expected_env)));
    assert_eq!(
        items[4],
        FetchItem::BodyStructure(Box::new(BodyStructure::Single {
            media_type: bs("TEXT"),
            media_subtype: bs("PLAIN"),
            params: vec![(bs("CHARSET"), Some(bs("US-ASCII")))],
            id: None,
            description: None,
            encoding: Some(bs("7BIT")),
            size: 3028,
            lines: Some(92),
            message: None,
            ext: None,
        }))
    );
}

#[test]
fn envelope_group_syntax_and_nil_lists() {
    let (_, items) = fetch(b"* 1 FETCH (ENVELOPE (NIL NIL ((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) NIL NIL () NIL NIL NIL NIL))\r\n");
    let FetchItem::Envelope(env) = &items[0] else {
        panic!()
    };
    assert_eq!(env.subject, None);
    let from = env.from.as_ref().unwrap();
    assert_eq!(from[0].mailbox, Some(bs("undisclosed-recipients")));
    assert_eq!(from[0].host, None);
    assert_eq!(from[1], Address::default());
    assert_eq!(env.sender, None);
    assert_eq!(env.to, Some(vec![]));
}

/// Dovecot-style BODYSTRUCTURE: multipart/mixed holding multipart/alternative, a PDF
/// with full extension data and further extensions, and a message/rfc822.
const MULTIPART: &[u8] = b"* 7 FETCH (UID 5 BODYSTRUCTURE (((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 1234 40 NIL NIL NIL NIL)(\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 5678 120 NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"b2\") NIL NIL NIL)(\"application\" \"pdf\" (\"name\" \"r.pdf\") \"<id1@x>\" \"Report\" \"base64\" 9000 \"Q2hlY2sgSW50ZWdyaXR5IQ==\" (\"attachment\" (\"filename\" \"r.pdf\" \"size\" \"9000\")) (\"en\" \"de\") \"http://x/r.pdf\" 42 (\"a\" 1)) (\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 500 (NIL \"inner\" NIL NIL NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" NIL NIL NIL \"7bit\" 10 1) 20 NIL (\"inline\" NIL) \"en\" NIL) \"mixed\" (\"boundary\" \"b1\") (\"inline\" NIL) NIL NIL) MODSEQ (624140003))\r\n";

#[test]
fn multipart_bodystructure_with_extensions() {
    let (seq, items) = fetch(MULTIPART);
    assert_eq!(seq, 7);
    assert_eq!(items[0], FetchItem::Uid(5));
    assert_eq!(items[2], FetchItem::ModSeq(624_140_003));
    let FetchItem::BodyStructure(bs_) = &items[1] else {
        panic!("{:?}", items[1])
    };
    let BodyStructure::Multipart {
        parts,
        media_subtype,
        ext,
    } = &**bs_
    else {
        panic!()
    };
    assert_eq!(*media_subtype, bs("mixed"));
    assert_eq!(
        *ext,
        Some(MultipartExtension {
            params: vec![(bs("boundary"), Some(bs("b1")))],
            disposition: Some(Disposition {
                kind: bs("inline"),
                params: vec![]
            }),
            language: None,
            location: None,
            rest: None,
        })
    );
    assert_eq!(parts.len(), 3);
    let BodyStructure::Multipart {
        parts: alt,
        media_subtype,
        ext,
    } = &parts[0]
    else {
        panic!()
    };
    assert_eq!(*media_subtype, bs("alternative"));
    assert_eq!(
        ext.as_ref().unwrap().params,
        vec![(bs("boundary"), Some(bs("b2")))]
    );
    let BodyStructure::Single {
        media_subtype,
        size,
        lines,
        ext,
        ..
    } = &alt[1]
    else {
        panic!()
    };
    assert_eq!(
        (media_subtype.clone(), *size, *lines),
        (bs("html"), 5678, Some(120))
    );
    assert_eq!(*ext, Some(SingleExtension::default()));
    assert_eq!(
        parts[1],
        BodyStructure::Single {
            media_type: bs("application"),
            media_subtype: bs("pdf"),
            params: vec![(bs("name"), Some(bs("r.pdf")))],
            id: Some(bs("<id1@x>")),
            description: Some(bs("Report")),
            encoding: Some(bs("base64")),
            size: 9000,
            lines: None,
            message: None,
            ext: Some(SingleExtension {
                md5: Some(bs("Q2hlY2sgSW50ZWdyaXR5IQ==")),
                disposition: Some(Disposition {
                    kind: bs("attachment"),
                    params: vec![
                        (bs("filename"), Some(bs("r.pdf"))),
                        (bs("size"), Some(bs("9000")))
                    ],
                }),
                language: Some(vec![bs("en"), bs("de")]),
                location: Some(bs("http://x/r.pdf")),
                rest: Some(bs("42 (\"a\" 1)")),
            }),
        }
    );
    let BodyStructure::Single {
        media_type,
        size,
        lines,
        message,
        ext,
        ..
    } = &parts[2]
    else {
        panic!()
    };
    assert_eq!(
        (media_type.clone(), *size, *lines),
        (bs("message"), 500, Some(20))
    );
    let (env, inner) = &**message.as_ref().unwrap();
    assert_eq!(env.subject, Some(bs("inner")));
    assert!(matches!(
        inner,
        BodyStructure::Single {
            lines: Some(1),
            size: 10,
            ..
        }
    ));
    let ext = ext.as_ref().unwrap();
    assert_eq!(
        ext.disposition,
        Some(Disposition {
            kind: bs("inline"),
            params: vec![]
        })
    );
    assert_eq!(ext.language, Some(vec![bs("en")]));
    assert_eq!(ext.location, None);
}

#[test]
fn body_sections_and_binary() {
    let (_, items) = fetch(b"* 3 FETCH (UID 9 BODY[1.2.HEADER.FIELDS (FROM TO)] {22}\r\nFrom: a@b\r\nTo: c@d\r\n\r\n BODY[]<0> \"abc\" BODY[TEXT] NIL)\r\n");
    assert_eq!(items[0], FetchItem::Uid(9));
    assert_eq!(
        items[1],
        FetchItem::Body {
            section: bs("1.2.HEADER.FIELDS (FROM TO)"),
            origin: None,
            data: Some(bs("From: a@b\r\nTo: c@d\r\n\r\n"))
        }
    );
    assert_eq!(
        items[2],
        FetchItem::Body {
            section: bs(""),
            origin: Some(0),
            data: Some(bs("abc"))
        }
    );
    assert_eq!(
        items[3],
        FetchItem::Body {
            section: bs("TEXT"),
            origin: None,
            data: None
        }
    );

    let (_, items) =
        fetch(b"* 4 FETCH (RFC822 {5}\r\nhello RFC822.HEADER \"H\" RFC822.TEXT {0}\r\n)\r\n");
    assert_eq!(
        items,
        vec![
            FetchItem::Body {
                section: bs(""),
                origin: None,
                data: Some(bs("hello"))
            },
            FetchItem::Body {
                section: bs("HEADER"),
                origin: None,
                data: Some(bs("H"))
            },
            FetchItem::Body {
                section: bs("TEXT"),
                origin: None,
                data: Some(bs(""))
            },
        ]
    );

    let (_, items) = fetch(
        b"* 5 FETCH (BINARY[1]<100> ~{4}\r\n\x00\x01\r\n BINARY.SIZE[1] 1234 BINARY[2] \"x\")\r\n",
    );
    assert_eq!(
        items,
        vec![
            FetchItem::Binary {
                section: bs("1"),
                origin: Some(100),
                data: Some(Bytes::from_static(b"\x00\x01\r\n"))
            },
            FetchItem::BinarySize {
                section: bs("1"),
                size: 1234
            },
            FetchItem::Binary {
                section: bs("2"),
                origin: None,
                data: Some(bs("x"))
            },
        ]
    );
}

#[test]
fn unknown_fetch_items_kept_raw() {
    let (_, items) = fetch(b"* 1 FETCH (X-GM-LABELS (\"\\\\Inbox\" \\Sent Important {3}\r\nabc) X-GM-MSGID 1278455344230334865 EMAILID (M6d99ac3275bb4e) UID 4 X-EMPTY)\r\n");
    assert_eq!(
        items,
        vec![
            FetchItem::Other {
                name: bs("X-GM-LABELS"),
                value: bs("(\"\\\\Inbox\" \\Sent Important {3}\r\nabc)")
            },
            FetchItem::Other {
                name: bs("X-GM-MSGID"),
                value: bs("1278455344230334865")
            },
            FetchItem::Other {
                name: bs("EMAILID"),
                value: bs("(M6d99ac3275bb4e)")
            },
            FetchItem::Uid(4),
            FetchItem::Other {
                name: bs("X-EMPTY"),
                value: bs("")
            },
        ]
    );
    let (_, items) = fetch(b"* 1 FETCH (X-SECTION[1 2]<5> (a b) UID 3)\r\n");
    assert_eq!(
        items[0],
        FetchItem::Other {
            name: bs("X-SECTION[1 2]<5>"),
            value: bs("(a b)")
        }
    );
    assert_eq!(items[1], FetchItem::Uid(3));
}

#[test]
fn internal_dates() {
    let (_, items) = fetch(b"* 1 FETCH (INTERNALDATE \" 7-Jul-1996 02:44:25 +0530\" UID 1)\r\n");
    let FetchItem::InternalDate(d) = items[0] else {
        panic!("{:?}", items[0])
    };
    assert_eq!(d, rfc_date("1996-07-07T02:44:25+05:30"));
    assert_eq!(d.offset().local_minus_utc(), 5 * 3600 + 1800);
    let (_, items) = fetch(b"* 1 FETCH (INTERNALDATE \"7-jul-1996 02:44:25 -0000\")\r\n");
    assert_eq!(
        items[0],
        FetchItem::InternalDate(rfc_date("1996-07-07T02:44:25+00:00"))
    );
    // A date that cannot be read is kept raw instead of failing the FETCH.
    let (_, items) = fetch(b"* 1 FETCH (INTERNALDATE \"31-Feb-2020 00:00:00 +0000\" UID 2)\r\n");
    assert_eq!(
        items[0],
        FetchItem::Other {
            name: bs("INTERNALDATE"),
            value: bs("\"31-Feb-2020 00:00:00 +0000\"")
        }
    );
    assert_eq!(items[1], FetchItem::Uid(2));
}

/// The word-at-a-time search must agree with a plain one wherever the byte is: in the
/// words, in the tail shorter than a word, past the part searched by words, or absent.
#[test]
fn quote_or_backslash_search_matches_a_plain_search() {
    for len in 0..100 {
        for at in 0..=len {
            for special in [b'"', b'\\'] {
                let mut s = vec![b'a'; len];
                // Bytes next to the searched ones, and 8-bit bytes, must not match.
                s.iter_mut().enumerate().for_each(|(i, c)| {
                    *c = [b'!', b'#', b'[', b']', 0xa2, 0xdc, 0x22 ^ 0x80][i % 7]
                });
                if at < len {
                    s[at] = special;
                }
                let plain = s.iter().position(|&c| c == b'"' || c == b'\\');
                assert_eq!(find_quote_or_backslash(&s), plain, "len {len}, at {at}");
            }
        }
    }
}

#[test]
fn strings_are_slices_of_the_frame() {
    let frame = Bytes::from_static(b"* LIST () \"/\" \"Sent\"\r\n");
    let Ok(Response::Untagged(Untagged::List(l))) = parse_response(frame.clone()) else {
        panic!()
    };
    let range = frame.as_ptr() as usize..frame.as_ptr() as usize + frame.len();
    assert!(range.contains(&(l.name.as_ptr() as usize)));
    // Escapes force a new buffer, with the escapes resolved.
    let Untagged::List(l) = untagged(b"* LIST () \"/\" \"a\\\"b\\\\c\\d\"\r\n") else {
        panic!()
    };
    assert_eq!(l.name, bs("a\"b\\c\\d"));
    // A lone backslash is not an escape: still a slice, kept as sent.
    let frame = Bytes::from_static(b"* LIST () \"/\" \"C:\\dir\"\r\n");
    let Ok(Response::Untagged(Untagged::List(l))) = parse_response(frame.clone()) else {
        panic!()
    };
    assert_eq!(l.name, bs("C:\\dir"));
    let range = frame.as_ptr() as usize..frame.as_ptr() as usize + frame.len();
    assert!(range.contains(&(l.name.as_ptr() as usize)));
}

#[test]
fn leniency() {
    // Lowercase keywords everywhere.
    let st = status(b"* ok [alert] hi\r\n");
    assert_eq!(
        (st.status, st.code),
        (Status::Ok, Some(ResponseCode::Alert))
    );
    assert_eq!(
        fetch(b"* 1 fetch (uid 5 flags (\\seen))\r\n").1,
        vec![FetchItem::Uid(5), FetchItem::Flags(vec![bs("\\seen")])]
    );
    // Extra spaces between tokens, after `(` and before `)`; bare LF.
    assert_eq!(
        fetch(b"*  2  FETCH  ( UID  5   FLAGS ( \\Seen  \\Draft ) MODSEQ ( 7 ) )\n").1,
        vec![
            FetchItem::Uid(5),
            FetchItem::Flags(vec![bs("\\Seen"), bs("\\Draft")]),
            FetchItem::ModSeq(7)
        ]
    );
    assert_eq!(
        fetch(b"* 3 FETCH (BODY ( \"text\"  \"plain\" ( \"charset\" \"us-ascii\" ) NIL NIL \"7bit\" 3 1 ) )\r\n").1.len(),
        1
    );
    // 8-bit bytes in quoted strings and atoms.
    let Untagged::List(l) = untagged("* LIST () \"/\" \"Grüße\"\r\n".as_bytes()) else {
        panic!()
    };
    assert_eq!(l.name, bs("Grüße"));
    let Untagged::List(l) = untagged("* LIST () \"/\" Entwürfe\r\n".as_bytes()) else {
        panic!()
    };
    assert_eq!(l.name, bs("Entwürfe"));
    // NIL where a string belongs (body encoding, parameter values).
    let (_, items) = fetch(b"* 1 FETCH (BODYSTRUCTURE (\"application\" \"octet-stream\" (\"name\" NIL) NIL NIL NIL 10))\r\n");
    let FetchItem::BodyStructure(b) = &items[0] else {
        panic!()
    };
    let BodyStructure::Single {
        encoding, params, ..
    } = &**b
    else {
        panic!()
    };
    assert_eq!(encoding, &None);
    assert_eq!(params, &vec![(bs("name"), None)]);
    // ... and told apart from empty strings.
    let (_, items) = fetch(b"* 1 FETCH (BODYSTRUCTURE (\"application\" \"octet-stream\" (\"name\" \"\" \"x\" NIL) NIL NIL \"\" 10 NIL (\"attachment\" (\"filename\" \"\" \"size\" NIL)) NIL NIL))\r\n");
    let FetchItem::BodyStructure(b) = &items[0] else {
        panic!()
    };
    let BodyStructure::Single {
        encoding,
        params,
        ext,
        ..
    } = &**b
    else {
        panic!()
    };
    assert_eq!(encoding, &Some(Bytes::new()));
    assert_eq!(
        params,
        &vec![(bs("name"), Some(Bytes::new())), (bs("x"), None)]
    );
    let dsp = ext.as_ref().unwrap().disposition.as_ref().unwrap();
    assert_eq!(
        dsp.params,
        vec![(bs("filename"), Some(Bytes::new())), (bs("size"), None)]
    );
    // Atoms where a string belongs.
    let (_, items) = fetch(b"* 1 FETCH (ENVELOPE (NIL subj NIL NIL NIL NIL NIL NIL NIL NIL))\r\n");
    let FetchItem::Envelope(e) = &items[0] else {
        panic!()
    };
    assert_eq!(e.subject, Some(bs("subj")));
    // No line end at all (a caller passing a trimmed line).
    assert_eq!(untagged(b"* 3 EXISTS"), Untagged::Exists(3));
}

#[test]
fn garbage_is_a_parse_error_with_raw_bytes() {
    for raw in [
        &b"\r\n"[..],
        b"A1\r\n",
        b"A1 MAYBE ok\r\n",
        b"*\r\n",
        b"* 1 FETCH (UID x)\r\n",
        b"* 1 FETCH (UID 1\r\n",
        b"* 1 FETCH (BODY[] {10}\r\nabc)\r\n",
        b"* 1 FETCH (BODY[1 \"x\")\r\n",
        b"* 99999999999 EXISTS\r\n",
        b"* SEARCH 1 two\r\n",
        b"* LIST (\\A \"/\" x\r\n",
        b"* NAMESPACE (( \"\" \"/\")\r\n",
    ] {
        let frame = Bytes::copy_from_slice(raw);
        let err = parse_response(frame.clone()).expect_err(&show(raw));
        assert_eq!(err.raw, frame);
        assert!(err.position <= raw.len());
        assert!(!err.reason.is_empty());
        assert!(err.to_string().contains("cannot parse"));
    }
}

#[test]
fn deep_nesting_errors_instead_of_overflowing() {
    let mut s = b"* 1 FETCH (BODYSTRUCTURE ".to_vec();
    s.extend(std::iter::repeat_n(b'(', 100_000));
    s.extend_from_slice(b"\r\n");
    let err = parse_response(Bytes::from(s)).unwrap_err();
    assert_eq!(err.reason, "body structure nested too deeply");
    // Unknown items are skipped iteratively: deep but closed nesting is fine...
    let mut s = b"* 1 FETCH (X-DEEP ".to_vec();
    s.extend(std::iter::repeat_n(b'(', 100_000));
    s.extend(std::iter::repeat_n(b')', 100_000));
    s.extend_from_slice(b" UID 3)\r\n");
    let (_, items) = fetch(&s);
    assert_eq!(items[1], FetchItem::Uid(3));
    // ...and unclosed nesting is an error.
    let mut s = b"* 1 FETCH (X-DEEP ".to_vec();
    s.extend(std::iter::repeat_n(b'(', 100_000));
    s.extend_from_slice(b"\r\n");
    assert!(parse_response(Bytes::from(s)).is_err());
    // Nested multiparts within the limit still parse.
    let mut s = b"* 1 FETCH (BODYSTRUCTURE ".to_vec();
    s.extend(std::iter::repeat_n(b'(', 60));
    s.extend_from_slice(b"\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1)");
    s.extend(std::iter::repeat_n(&b" \"mixed\")"[..], 59).flatten());
    s.extend_from_slice(b")\r\n");
    assert_eq!(fetch(&s).1.len(), 1);
}

struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Random bytes, random IMAP-ish token soup, and random mutations of valid responses:
/// framer and parser must return, never panic.
#[test]
fn random_input_never_panics() {
    use crate::proto::frame::{Framer, Limits};
    const TOKENS: [&[u8]; 26] = [
        b"* ",
        b"+ ",
        b"A1 ",
        b"OK ",
        b"FETCH ",
        b"(",
        b")",
        b"[",
        b"]",
        b"{3}\r\n",
        b"~{2}\r\n",
        b"\"",
        b"\\",
        b"NIL ",
        b"BODY[",
        b"BODYSTRUCTURE ",
        b"ENVELOPE ",
        b"1 ",
        b"4294967296",
        b":",
        b",",
        b"\r\n",
        b" ",
        b"\xc3\xa9",
        b"/shared/x ",
        b"lrwipkxtecda ",
    ];
    // Untagged keywords with typed data, for token soup behind `* KEYWORD `.
    const KEYWORDS: [&[u8]; 7] = [
        b"QUOTA ",
        b"QUOTAROOT ",
        b"ACL ",
        b"MYRIGHTS ",
        b"LISTRIGHTS ",
        b"METADATA ",
        b"THREAD ",
    ];
    let seeds: [&[u8]; 11] = [
        RFC3501_FETCH,
        MULTIPART,
        b"* OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n",
        b"* QUOTA \"User quota\" (STORAGE 10 10485760 MESSAGE 2 1000)\r\n",
        b"* QUOTAROOT INBOX \"User quota\"\r\n",
        b"* ACL INBOX owner lrwipkxtecda -anyone r\r\n",
        b"* LISTRIGHTS INBOX anyone \"\" l r w s t p k x e c d a i\r\n",
        b"* MYRIGHTS INBOX lrwstipekxacd\r\n",
        b"* METADATA INBOX (/private/comment {5}\r\nhello /shared/x NIL)\r\n",
        b"* METADATA INBOX /shared/comment /private/comment\r\n",
        b"* THREAD (2)(3 6 (4 23)(44 7 96))((3)(5))\r\n",
    ];
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    for case in 0..8000 {
        let input: Vec<u8> = match case % 4 {
            0 => (0..rng.next() % 64).map(|_| rng.next() as u8).collect(),
            1 => {
                let mut v = Vec::new();
                for _ in 0..rng.next() % 24 {
                    v.extend_from_slice(TOKENS[(rng.next() % TOKENS.len() as u64) as usize]);
                }
                v
            }
            2 => {
                let mut v = b"* ".to_vec();
                v.extend_from_slice(KEYWORDS[(rng.next() % KEYWORDS.len() as u64) as usize]);
                for _ in 0..rng.next() % 16 {
                    v.extend_from_slice(TOKENS[(rng.next() % TOKENS.len() as u64) as usize]);
                }
                v
            }
            _ => {
                let mut v = seeds[(rng.next() % seeds.len() as u64) as usize].to_vec();
                for _ in 0..1 + rng.next() % 4 {
                    let i = (rng.next() % v.len() as u64) as usize;
                    match rng.next() % 3 {
                        0 => v[i] = rng.next() as u8,
                        1 => v.truncate(i.max(1)),
                        _ => {
                            v.remove(i);
                        }
                    }
                    if v.is_empty() {
                        break;
                    }
                }
                v
            }
        };
        let _ = parse_response(Bytes::from(input.clone()));
        let mut framer = Framer::new(Limits {
            max_line: 1000,
            max_literal: 100,
            max_response: 4000,
            max_streamed_literal: 1 << 32,
        });
        let mut rest = &input[..];
        while let Ok(Some(n)) = framer.frame(rest) {
            let _ = parse_response(Bytes::copy_from_slice(&rest[..n]));
            rest = &rest[n..];
        }
    }
}

/// The names [`fetch::item_kind`] knows, with the kind each has without and with a
/// `[section]` after it: the table it must agree with.
fn item_kind_by_table(name: &[u8], bracket: bool) -> ItemKind {
    let upper = name.to_ascii_uppercase();
    match (&upper[..], bracket) {
        (b"UID", _) => ItemKind::Uid,
        (b"BODY", true) => ItemKind::Body,
        (b"BODY", false) => ItemKind::BodyStructure,
        (b"FLAGS", _) => ItemKind::Flags,
        (b"MODSEQ", _) => ItemKind::ModSeq,
        (b"RFC822" | b"RFC822.TEXT" | b"RFC822.HEADER", _) => ItemKind::Body,
        (b"BINARY", true) => ItemKind::Binary,
        (b"ENVELOPE", _) => ItemKind::Envelope,
        (b"RFC822.SIZE", _) => ItemKind::Rfc822Size,
        (b"BINARY.SIZE", true) => ItemKind::BinarySize,
        (b"INTERNALDATE", _) => ItemKind::InternalDate,
        (b"BODYSTRUCTURE", _) => ItemKind::BodyStructure,
        _ => ItemKind::Other,
    }
}

/// `item_kind` over `name`, once at the end of its buffer and once with bytes after it
/// (its two ways of loading the name).
fn item_kind_both_ways(name: &[u8], bracket: bool) -> [ItemKind; 2] {
    let mut padded = name.to_vec();
    padded.extend_from_slice(b"[HEADER.FIELDS (SUBJECT)] {12}");
    [
        fetch::item_kind(name, (0, name.len()), bracket),
        fetch::item_kind(&padded, (0, name.len()), bracket),
    ]
}

#[test]
fn item_kinds_are_found_in_any_case_and_only_for_whole_names() {
    let names: &[&[u8]] = &[
        b"UID",
        b"BODY",
        b"FLAGS",
        b"MODSEQ",
        b"RFC822",
        b"BINARY",
        b"ENVELOPE",
        b"RFC822.SIZE",
        b"RFC822.TEXT",
        b"BINARY.SIZE",
        b"INTERNALDATE",
        b"BODYSTRUCTURE",
        b"RFC822.HEADER",
    ];
    for &name in names {
        let lower = name.to_ascii_lowercase();
        let mixed: Vec<u8> = name
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i % 2 == 1 {
                    c.to_ascii_lowercase()
                } else {
                    *c
                }
            })
            .collect();
        for bracket in [false, true] {
            let want = item_kind_by_table(name, bracket);
            // BINARY and BINARY.SIZE are items only with a section.
            assert!(want != ItemKind::Other || !bracket, "{name:?}");
            for spelled in [name, &lower[..], &mixed[..]] {
                assert_eq!(
                    item_kind_both_ways(spelled, bracket),
                    [want; 2],
                    "{spelled:?}"
                );
            }
            // One byte more, one byte less, or one changed: another name.
            let mut longer = name.to_vec();
            longer.push(b'X');
            let mut changed = name.to_vec();
            changed[0] ^= 0x01;
            for other in [&longer[..], &name[..name.len() - 1], &changed[..]] {
                assert_eq!(
                    item_kind_both_ways(other, bracket),
                    [item_kind_by_table(other, bracket); 2],
                    "{other:?}"
                );
            }
        }
    }
    // Look-alikes are other names: `@` and `_` are not letters (folded, they would be
    // `` ` `` and DEL), and a name longer than sixteen bytes is no item's.
    for other in [
        &b"UI@"[..],
        b"U_D",
        b"ENVELOP_",
        b"X-GM-MSGID",
        b"AAAAAAAAAAAAAAAAA",
    ] {
        assert_eq!(
            item_kind_both_ways(other, false),
            [ItemKind::Other; 2],
            "{other:?}"
        );
    }
}

proptest::proptest! {
    /// Any name (atom bytes, as `name_stop` leaves them) gets the table's kind.
    #[test]
    fn item_kind_agrees_with_the_table(
        name in proptest::collection::vec(
            proptest::sample::select(b"UIDBODYFLAGSMODSEQRFC822.BINARYENVELOPESIZETEXTINTERNALDATEHEADERuidbody.x@_~0189".to_vec()),
            1..18,
        ),
        bracket: bool,
    ) {
        let want = item_kind_by_table(&name, bracket);
        proptest::prop_assert_eq!(item_kind_both_ways(&name, bracket), [want; 2]);
    }
}
