//! Property tests for the pure protocol core: the invariants the fuzz targets in
//! `imap-async/fuzz/` check, run on every `cargo test` with proptest's default 256 cases.
//!
//! * framing + parsing: the same bytes split into arbitrary reads give the same frames,
//!   parse results and error as fed whole, and never exceed the limits;
//! * encoding: any string (without NUL) reads back as the same value in its own argument,
//!   with no CR or LF outside a literal, under every literal mode and with UTF-8 on and off;
//! * modified UTF-7: encode then decode is the identity; decoding any bytes never panics;
//! * search criteria: no CR/LF outside literals, `needs_utf8` iff some string is non-ASCII,
//!   `CHARSET UTF-8` exactly when needed;
//! * sequence sets: `Display` then `FromStr` is the identity; parsing never panics;
//! * NOTIFY SET: a set either fails validation (and encoding fails the same way, writing
//!   nothing) or encodes with no CR/LF outside literals and reads back group by group;
//!   the STATUS and LIST notifications and the NOTIFY response codes, with any folder
//!   name in any string form, parse back to the same typed values.

use crate::proto::fetch_items::FetchAttr;
use crate::proto::notify::{NotifyEvent, NotifyFilter, NotifyGroup, NotifySet, encode_notify_set};
use crate::proto::search::{SearchKey, encode_search, encode_search_program};
use crate::proto::testing::{Arg, check_lines, content, read_back};
use crate::proto::{
    CommandEncoder, EncodeError, FrameError, Framer, LiteralSupport, ParseError, Response, SeqSet,
    UidSet, parse_response, utf7,
};
use crate::proto::{Limits, ResponseCode, Seq, Status, Uid, Untagged};
use bytes::Bytes;
use chrono::NaiveDate;
use proptest::prelude::*;

const LIMITS: Limits = Limits {
    max_line: 120,
    max_literal: 200,
    max_response: 400,
    max_streamed_literal: 1 << 32,
};

#[derive(Debug, PartialEq)]
struct Outcome {
    frames: Vec<(Vec<u8>, Result<Response, ParseError>)>,
    error: Option<FrameError>,
    leftover: Vec<u8>,
}

/// Feed `input` in reads of the given sizes (cycled), as the connection driver does.
fn frame_all(input: &[u8], chunks: &[usize]) -> Outcome {
    let mut framer = Framer::new(LIMITS);
    let mut buf = Vec::new();
    let mut out = Outcome {
        frames: Vec::new(),
        error: None,
        leftover: Vec::new(),
    };
    let (mut fed, mut i) = (0, 0);
    while fed < input.len() {
        let n = chunks[i % chunks.len()].clamp(1, input.len() - fed);
        i += 1;
        buf.extend_from_slice(&input[fed..fed + n]);
        fed += n;
        loop {
            match framer.frame(&buf) {
                Ok(Some(n)) => {
                    assert!(n as u64 <= LIMITS.max_response);
                    assert_eq!(buf[n - 1], b'\n');
                    let frame: Vec<u8> = buf.drain(..n).collect();
                    let parsed = parse_response(Bytes::from(frame.clone()));
                    out.frames.push((frame, parsed));
                }
                Ok(None) => {
                    assert!(buf.len() as u64 <= LIMITS.max_response);
                    break;
                }
                Err(e) => {
                    out.error = Some(e);
                    return out;
                }
            }
        }
    }
    out.leftover = buf;
    out
}

/// Server-like streams: response pieces (including literal headers, some too large)
/// mixed with arbitrary bytes.
fn stream() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"* 1 FETCH (UID 7 FLAGS (\\Seen) BODY[] {5}\r\nab\r\nc)\r\n".to_vec()),
        Just(b"* LIST (\\HasNoChildren) \"/\" {3}\r\na\"b\r\n".to_vec()),
        Just(b"* STATUS INBOX (MESSAGES 3 UIDNEXT 4)\r\n".to_vec()),
        Just(b"A1 OK [APPENDUID 1 5] done\r\n".to_vec()),
        Just(b"+ go\r\n".to_vec()),
        Just(b"* 3 EXISTS\n".to_vec()),
        Just(b"{".to_vec()),
        Just(b"}".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\n".to_vec()),
        (0u32..500).prop_map(|n| format!("* X {{{n}}}\r\n").into_bytes()),
        Just(vec![b'x'; 130]),
        proptest::collection::vec(any::<u8>(), 0..20),
    ];
    proptest::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

const SUPPORTS: [LiteralSupport; 3] = [
    LiteralSupport::SyncOnly,
    LiteralSupport::Minus,
    LiteralSupport::Plus,
];

type Method = fn(&mut CommandEncoder, &'static str, &[u8]) -> Result<(), EncodeError>;

const METHODS: [(&str, Method); 4] = [
    ("astring", |e, w, s| e.astring(w, s).map(drop)),
    ("string", |e, w, s| e.string(w, s).map(drop)),
    ("list_mailbox", |e, w, s| e.list_mailbox(w, s).map(drop)),
    ("secret_astring", |e, w, s| e.secret_astring(w, s).map(drop)),
];

/// Bytes without NUL, biased towards the characters that change the encoding.
fn arg_bytes() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        3 => prop::sample::select(b"aZ09 \"\\\r\n{}()%*]~+".to_vec()),
        1 => 1u8..=255,
    ];
    prop_oneof![
        proptest::collection::vec(byte, 0..40),
        proptest::collection::vec(1u8..=255, 1000..1100),
    ]
}

fn date() -> impl Strategy<Value = NaiveDate> {
    (1900i32..2100, 1u32..=365).prop_map(|(y, d)| NaiveDate::from_yo_opt(y, d).unwrap())
}

/// Valid search keys (strings without NUL, keywords that are atoms), bounded depth.
fn search_key() -> impl Strategy<Value = SearchKey> {
    let text = "[a-z \"\\\\\r\n{}()é日]{0,12}";
    let leaf = prop_oneof![
        Just(SearchKey::All),
        Just(SearchKey::Seen),
        Just(SearchKey::Unseen),
        Just(SearchKey::Recent),
        text.prop_map(SearchKey::Subject),
        text.prop_map(SearchKey::Body),
        text.prop_map(SearchKey::From),
        (text, text).prop_map(|(field, value)| SearchKey::Header { field, value }),
        "[A-Za-z$]{1,8}".prop_map(SearchKey::Keyword),
        date().prop_map(SearchKey::Since),
        date().prop_map(SearchKey::SentBefore),
        (0u64..1 << 40).prop_map(SearchKey::Larger),
        (1u32..100, 100u32..1000).prop_map(|(a, b)| {
            SearchKey::Uid(UidSet::from_range(
                Uid::new(a).unwrap()..=Uid::new(b).unwrap(),
            ))
        }),
        (1u32..100).prop_map(|a| SearchKey::Sequence(SeqSet::from(Seq::new(a).unwrap()))),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|k| SearchKey::Not(Box::new(k))),
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| SearchKey::Or(Box::new(a), Box::new(b))),
            proptest::collection::vec(inner, 0..4).prop_map(SearchKey::And),
        ]
    })
}

/// Every string in a key built by [`search_key`].
fn any_non_ascii(k: &SearchKey) -> bool {
    match k {
        SearchKey::Subject(s) | SearchKey::Body(s) | SearchKey::From(s) | SearchKey::Keyword(s) => {
            !s.is_ascii()
        }
        SearchKey::Header { field, value } => !field.is_ascii() || !value.is_ascii(),
        SearchKey::Not(a) => any_non_ascii(a),
        SearchKey::Or(a, b) => any_non_ascii(a) || any_non_ascii(b),
        SearchKey::And(keys) => keys.iter().any(any_non_ascii),
        _ => false,
    }
}

/// NOTIFY event groups: every filter and event, names with troublemakers (including NUL),
/// typed FETCH attributes, valid and invalid combinations alike.
fn notify_group() -> impl Strategy<Value = NotifyGroup> {
    let name = prop_oneof![
        9 => "[a-z \"\\\r\n{}()%*&é日]{0,8}",
        1 => "[a-z\u{0}]{0,4}",
    ];
    let names = prop_oneof![
        1 => Just(Vec::new()),
        9 => proptest::collection::vec(name, 1..3),
    ];
    let filter = prop_oneof![
        1 => Just(NotifyFilter::Selected),
        1 => Just(NotifyFilter::SelectedDelayed),
        2 => Just(NotifyFilter::Inboxes),
        2 => Just(NotifyFilter::Personal),
        2 => Just(NotifyFilter::Subscribed),
        3 => names.clone().prop_map(NotifyFilter::Subtree),
        3 => names.prop_map(NotifyFilter::Mailboxes),
    ];
    let fetch = proptest::collection::vec(
        prop::sample::select(vec![
            FetchAttr::Uid,
            FetchAttr::Flags,
            FetchAttr::Envelope,
            FetchAttr::ModSeq,
            FetchAttr::body_peek("HEADER"),
        ]),
        1..4,
    );
    let event = prop_oneof![
        4 => Just(NotifyEvent::MESSAGE_NEW),
        2 => fetch.prop_map(|f| NotifyEvent::MessageNew { fetch: Some(f.into()) }),
        4 => Just(NotifyEvent::MessageExpunge),
        1 => Just(NotifyEvent::FlagChange),
        1 => Just(NotifyEvent::AnnotationChange),
        1 => Just(NotifyEvent::MailboxName),
        1 => Just(NotifyEvent::SubscriptionChange),
        1 => Just(NotifyEvent::MailboxMetadataChange),
        1 => Just(NotifyEvent::ServerMetadataChange),
        1 => "[A-Za-z]{1,6}|[A-Za-z ()]{0,6}".prop_map(NotifyEvent::Other),
    ];
    (filter, proptest::collection::vec(event, 0..4), any::<u8>()).prop_map(|(f, events, pick)| {
        let mut g = NotifyGroup::new(f);
        if pick % 6 == 0 {
            return g.none();
        }
        // Half the groups keep only message events (valid anywhere when paired).
        let message_only = pick % 2 == 0;
        for e in events {
            if !message_only || e.is_message_event() {
                g = g.event(e);
            }
        }
        if pick % 4 < 3 { g.messages() } else { g }
    })
}

/// `name` as a server would send it (atom, quoted string or literal), from the encoder.
fn server_form(name: &[u8]) -> Vec<u8> {
    let mut e = CommandEncoder::new("T1", "X", LiteralSupport::SyncOnly);
    e.astring("name", name).unwrap();
    let wire = crate::proto::testing::wire(&e.finish());
    wire[b"T1 X ".len()..wire.len() - 2].to_vec()
}

fn parse_untagged(line: Vec<u8>) -> Untagged {
    match parse_response(Bytes::from(line.clone())) {
        Ok(Response::Untagged(u)) => u,
        other => panic!("{:?}: {other:?}", String::from_utf8_lossy(&line)),
    }
}

/// Checks one encoded group against what was asked for.
fn check_notify_group(arg: &Arg, g: &NotifyGroup, utf8: bool) -> Result<(), TestCaseError> {
    let Arg::List(items) = arg else {
        panic!("{arg:?}")
    };
    let mut items = items.iter();
    prop_assert_eq!(
        items.next(),
        Some(&Arg::Atom(g.filter().keyword().as_bytes().to_vec()))
    );
    if let NotifyFilter::Subtree(names) | NotifyFilter::Mailboxes(names) = g.filter() {
        let decode = |a: &Arg| {
            let sent = content(a);
            if utf8 {
                String::from_utf8(sent.to_vec()).unwrap()
            } else {
                utf7::decode(sent).unwrap()
            }
        };
        let sent: Vec<String> = match items.next().unwrap() {
            Arg::List(list) if names.len() > 1 => list.iter().map(decode).collect(),
            single => vec![decode(single)],
        };
        prop_assert_eq!(&sent, names);
    }
    match (items.next().unwrap(), g.events()) {
        (Arg::Atom(none), None) => prop_assert_eq!(none, b"NONE"),
        (Arg::List(list), Some(want)) => {
            let mut list = list.iter();
            for e in want {
                prop_assert_eq!(list.next(), Some(&Arg::Atom(e.name().as_bytes().to_vec())));
                if let NotifyEvent::MessageNew { fetch: Some(_) } = e {
                    prop_assert!(matches!(list.next(), Some(Arg::List(l)) if !l.is_empty()));
                }
            }
            prop_assert!(list.next().is_none());
        }
        (got, want) => panic!("{got:?} for {want:?}"),
    }
    prop_assert!(items.next().is_none());
    Ok(())
}

proptest! {
    #[test]
    fn framing_does_not_depend_on_read_splits(
        input in stream(),
        chunks in proptest::collection::vec(1usize..40, 1..8),
    ) {
        let whole = frame_all(&input, &[input.len().max(1)]);
        prop_assert_eq!(&frame_all(&input, &chunks), &whole);
        prop_assert_eq!(&frame_all(&input, &[1]), &whole);
    }

    #[test]
    fn strings_read_back_unchanged(s in arg_bytes()) {
        for support in SUPPORTS {
            for utf8 in [false, true] {
                for (name, m) in METHODS {
                    let mut e = CommandEncoder::new("T1", "X", support).utf8_quoted(utf8);
                    e.raw("1");
                    m(&mut e, "first", &s).unwrap();
                    e.open_list();
                    m(&mut e, "second", &s).unwrap();
                    e.close_list();
                    e.raw("END");
                    let cmd = e.finish();
                    // read_back asserts no CR/LF outside literals and the literal headers.
                    let (tag, words, args) = read_back(&cmd, 1);
                    prop_assert_eq!(tag, "T1");
                    prop_assert_eq!(words, ["X"]);
                    prop_assert_eq!(args.len(), 4, "{} {:?}", name, args);
                    prop_assert_eq!(content(&args[1]), &s[..]);
                    let Arg::List(items) = &args[2] else { panic!("{args:?}") };
                    prop_assert_eq!(items.len(), 1);
                    prop_assert_eq!(content(&items[0]), &s[..]);
                    prop_assert_eq!(&args[3], &Arg::Atom(b"END".to_vec()));
                    if name == "string" {
                        prop_assert!(!matches!(args[1], Arg::Atom(_)));
                    }
                }
            }
        }
    }

    #[test]
    fn nul_is_refused(mut s in arg_bytes(), at in any::<prop::sample::Index>()) {
        let offset = at.index(s.len() + 1);
        s.insert(offset, 0);
        for (_, m) in METHODS {
            let mut e = CommandEncoder::new("T1", "X", LiteralSupport::Plus);
            prop_assert_eq!(m(&mut e, "arg", &s), Err(EncodeError::Nul { what: "arg", offset }));
        }
    }

    #[test]
    fn mailbox_names_read_back(name in "\\PC{0,20}|[&\\-a-z/\"\r\n]{0,20}") {
        for support in SUPPORTS {
            for utf8 in [false, true] {
                let mut e = CommandEncoder::new("T1", "SELECT", support).utf8_quoted(utf8);
                e.mailbox("mailbox", &name).unwrap();
                let (_, _, args) = read_back(&e.finish(), 1);
                prop_assert_eq!(args.len(), 1);
                let sent = content(&args[0]);
                if utf8 {
                    prop_assert_eq!(sent, name.as_bytes());
                } else {
                    prop_assert_eq!(utf7::decode(sent).unwrap(), name.clone());
                }
            }
        }
    }

    #[test]
    fn utf7_round_trip(name in any::<String>()) {
        let wire = utf7::encode(&name);
        prop_assert!(wire.bytes().all(|b| (0x20..0x7f).contains(&b)), "{:?}", wire);
        prop_assert_eq!(utf7::decode(wire.as_bytes()).unwrap(), name);
    }

    #[test]
    fn utf7_decode_never_panics(wire in proptest::collection::vec(
        prop_oneof![prop::sample::select(b"&-+,AZaz09".to_vec()), any::<u8>()], 0..40)
    ) {
        if let Ok(name) = utf7::decode(&wire) {
            prop_assert_eq!(utf7::decode(utf7::encode(&name).as_bytes()).unwrap(), name);
        }
    }

    #[test]
    fn search_encoding(key in search_key()) {
        prop_assert_eq!(key.needs_utf8(), any_non_ascii(&key));
        for support in SUPPORTS {
            for utf8 in [false, true] {
                let mut program = CommandEncoder::new("T1", "SEARCH", support).utf8_quoted(utf8);
                encode_search_program(&mut program, &key, utf8).unwrap();
                let program = program.finish();
                check_lines(&program);
                let (_, _, args) = read_back(&program, 1);
                let mut bare = CommandEncoder::new("T1", "SEARCH", support).utf8_quoted(utf8);
                encode_search(&mut bare, &key).unwrap();
                let bare = bare.finish().redacted;
                let charset = args.first() == Some(&Arg::Atom(b"CHARSET".to_vec()));
                prop_assert_eq!(charset, key.needs_utf8() && !utf8);
                if charset {
                    prop_assert_eq!(
                        program.redacted,
                        bare.replacen("T1 SEARCH", "T1 SEARCH CHARSET UTF-8", 1)
                    );
                } else {
                    prop_assert_eq!(program.redacted, bare);
                }
            }
        }
    }

    #[test]
    fn sequence_sets_round_trip(
        ranges in proptest::collection::vec((1u32..200, 1u32..200), 1..6),
        star in 0u8..3,
    ) {
        let mut set = UidSet::new();
        for (a, b) in ranges {
            set.insert_range(Uid::new(a.min(b)).unwrap()..=Uid::new(a.max(b)).unwrap());
        }
        match star {
            0 => set.insert_largest(),
            1 => set.insert_from(Uid::new(150).unwrap()),
            _ => {}
        }
        let shown = set.to_string();
        prop_assert_eq!(shown.parse::<UidSet>().unwrap(), set);
    }

    #[test]
    fn sequence_parse_never_panics(s in "[0-9:,*]{0,20}|\\PC{0,10}") {
        if let Ok(set) = s.parse::<SeqSet>() {
            prop_assert_eq!(set.to_string().parse::<SeqSet>().unwrap(), set);
        }
    }

    #[test]
    fn notify_set_encoding(
        status in any::<bool>(),
        groups in prop_oneof![
            1 => Just(Vec::new()),
            9 => proptest::collection::vec(notify_group(), 1..3),
        ],
    ) {
        let set = groups.into_iter().fold(NotifySet::new().status(status), NotifySet::group);
        let valid = set.validate();
        for support in SUPPORTS {
            for utf8 in [false, true] {
                let mut e = CommandEncoder::new("T1", "NOTIFY SET", support).utf8_quoted(utf8);
                let r = encode_notify_set(&mut e, &set);
                let cmd = e.finish();
                if let Err(err) = &valid {
                    prop_assert_eq!(r.as_ref(), Err(err));
                    prop_assert_eq!(cmd.redacted.as_str(), "T1 NOTIFY SET");
                    continue;
                }
                r.unwrap();
                prop_assert!(!cmd.redacted.contains(['\r', '\n']));
                // read_back asserts no CR/LF outside literals and the literal headers.
                let (_, words, args) = read_back(&cmd, 2);
                prop_assert_eq!(words, ["NOTIFY", "SET"]);
                let mut args = args.iter();
                if set.has_status() {
                    prop_assert_eq!(args.next(), Some(&Arg::Atom(b"STATUS".to_vec())));
                }
                for g in set.groups() {
                    check_notify_group(args.next().unwrap(), g, utf8)?;
                }
                prop_assert!(args.next().is_none());
            }
        }
    }

    #[test]
    fn notify_responses_parse(
        name in "\\PC{0,12}|[a-z \"\\\r\n{}()%*&\\]]{0,12}",
        old in "\\PC{0,12}|[a-z \"\\\r\n{}()]{0,12}",
        counts in (0u32..100_000, 1u32..100_000, 1u32..u32::MAX),
        events in proptest::collection::vec(
            prop::sample::select(vec!["MessageNew", "MessageExpunge", "FlagChange",
                "AnnotationChange", "MailboxName", "SubscriptionChange",
                "MailboxMetadataChange", "ServerMetadataChange"]),
            1..5,
        ),
        parens in any::<bool>(),
    ) {
        for utf8 in [false, true] {
            let wire_name = if utf8 { name.clone().into_bytes() } else { utf7::encode(&name).into_bytes() };
            let wire_old = if utf8 { old.clone().into_bytes() } else { utf7::encode(&old).into_bytes() };
            let (messages, uid_next, uid_validity) = counts;

            let mut line = b"* STATUS ".to_vec();
            line.extend(server_form(&wire_name));
            line.extend(format!(" (MESSAGES {messages} UIDNEXT {uid_next} UIDVALIDITY {uid_validity} UNSEEN 0)\r\n").bytes());
            let Untagged::MailboxStatus(st) = parse_untagged(line) else { panic!() };
            prop_assert_eq!(&st.mailbox[..], &wire_name[..]);
            prop_assert_eq!((st.messages, st.uid_next, st.uid_validity, st.unseen),
                (Some(messages), Some(uid_next), Some(uid_validity), Some(0)));

            let mut line = b"* LIST (\\NonExistent) \"/\" ".to_vec();
            line.extend(server_form(&wire_name));
            line.extend(b"\r\n");
            let Untagged::List(item) = parse_untagged(line) else { panic!() };
            prop_assert_eq!(&item.name[..], &wire_name[..]);
            prop_assert_eq!(&item.attributes, &[Bytes::from_static(b"\\NonExistent")]);
            prop_assert_eq!(item.old_name, None);

            let mut line = b"* LIST (\\HasNoChildren) \"/\" ".to_vec();
            line.extend(server_form(&wire_name));
            line.extend(b" (\"OLDNAME\" (");
            line.extend(server_form(&wire_old));
            line.extend(b"))\r\n");
            let Untagged::List(item) = parse_untagged(line) else { panic!() };
            prop_assert_eq!(&item.name[..], &wire_name[..]);
            prop_assert_eq!(item.old_name.as_deref(), Some(&wire_old[..]));
            prop_assert!(item.extended.is_empty());
        }

        let line = b"A1 NO [NOTIFICATIONOVERFLOW] NOTIFY not supported for these mailboxes.\r\n";
        let Ok(Response::Tagged(t)) = parse_response(Bytes::from_static(line)) else { panic!() };
        prop_assert_eq!(t.status.status, Status::No);
        prop_assert_eq!(t.status.code, Some(ResponseCode::NotificationOverflow));

        let list = events.join(" ");
        let line = if parens {
            format!("A1 NO [BADEVENT ({list})] Unsupported NOTIFY events\r\n")
        } else {
            format!("A1 NO [BADEVENT {list}] Unsupported NOTIFY events\r\n")
        };
        let Ok(Response::Tagged(t)) = parse_response(Bytes::from(line)) else { panic!() };
        let want: Vec<Bytes> = events.iter().map(|e| Bytes::from(e.as_bytes().to_vec())).collect();
        prop_assert_eq!(t.status.code, Some(ResponseCode::BadEvent(want)));
        prop_assert_eq!(&t.status.text[..], b"Unsupported NOTIFY events");
    }
}
