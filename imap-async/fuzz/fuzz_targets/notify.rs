//! NOTIFY SET (RFC 5465): arbitrary sets of event groups, built from the input, either fail
//! validation (and then encoding fails with the same error and writes nothing) or encode,
//! under each `LiteralSupport` and with UTF-8 quoting off and on, to a command with no CR or
//! LF outside a literal. Sets whose FETCH attributes are typed also read back argument by
//! argument: the STATUS indicator, each group's filter, its folder names (decoding to the
//! names given), and its events or NONE, in order.
#![no_main]

use arbitrary::{Arbitrary, Result, Unstructured};
use imap_async::proto::notify::{
    NotifyEvent, NotifyFilter, NotifyGroup, NotifySet, encode_notify_set,
};
use imap_async::proto::testing::{Arg, check_lines, content, read_back};
use imap_async::proto::{CommandEncoder, LiteralSupport, utf7};
use imap_async::session::{FetchAttr, FetchItems};
use libfuzzer_sys::fuzz_target;

const SUPPORTS: [LiteralSupport; 3] = [
    LiteralSupport::SyncOnly,
    LiteralSupport::Minus,
    LiteralSupport::Plus,
];

/// A string, often from troublemakers: quotes, CR/LF, braces, wildcards, non-ASCII, NUL.
fn text(u: &mut Unstructured) -> Result<String> {
    if bool::arbitrary(u)? {
        return String::arbitrary(u);
    }
    const PIECES: [&str; 16] = [
        "a", " ", "\"", "\\", "\r", "\n", "{3}", "(", ")", "*", "%", "é", "日本", "NIL", "&", "\0",
    ];
    let n = u.int_in_range(0..=8)?;
    let mut s = String::new();
    for _ in 0..n {
        s.push_str(u.choose(&PIECES)?);
    }
    Ok(s)
}

/// FETCH attributes; `raw` is set when any of them is raw text (not read back).
fn fetch(u: &mut Unstructured, raw: &mut bool) -> Result<FetchItems> {
    if u.ratio(1, 4)? {
        *raw = true;
        const RAW: [&str; 8] = [
            "UID",
            "(UID FLAGS)",
            "ALL",
            "(FLAGS fast)",
            "()",
            "(FLAGS) (UID)",
            "UID\r\n",
            "",
        ];
        return Ok(if bool::arbitrary(u)? {
            FetchItems::from(*u.choose(&RAW)?)
        } else {
            FetchItems::from(text(u)?)
        });
    }
    let n = u.int_in_range(0..=4)?;
    let mut attrs = Vec::new();
    for _ in 0..n {
        attrs.push(match u.int_in_range(0..=7)? {
            0 => FetchAttr::Uid,
            1 => FetchAttr::Flags,
            2 => FetchAttr::Envelope,
            3 => FetchAttr::ModSeq,
            4 => FetchAttr::InternalDate,
            5 => FetchAttr::body_peek("HEADER"),
            6 => FetchAttr::body_peek("1").partial(u.arbitrary()?, u.arbitrary()?),
            _ => FetchAttr::BodyStructure,
        });
    }
    Ok(FetchItems::from(attrs))
}

fn group(u: &mut Unstructured, raw: &mut bool) -> Result<NotifyGroup> {
    let names = |u: &mut Unstructured| -> Result<Vec<String>> {
        let n = u.int_in_range(0..=3)?;
        (0..n).map(|_| text(u)).collect()
    };
    let filter = match u.int_in_range(0..=6)? {
        0 => NotifyFilter::Selected,
        1 => NotifyFilter::SelectedDelayed,
        2 => NotifyFilter::Inboxes,
        3 => NotifyFilter::Personal,
        4 => NotifyFilter::Subscribed,
        5 => NotifyFilter::Subtree(names(u)?),
        _ => NotifyFilter::Mailboxes(names(u)?),
    };
    let mut g = NotifyGroup::new(filter);
    if u.ratio(1, 6)? {
        return Ok(g.none());
    }
    let n = u.int_in_range(0..=5)?;
    for _ in 0..n {
        let event = match u.int_in_range(0..=9)? {
            0 => NotifyEvent::MessageNew {
                fetch: if bool::arbitrary(u)? {
                    Some(fetch(u, raw)?)
                } else {
                    None
                },
            },
            1 => NotifyEvent::MessageExpunge,
            2 => NotifyEvent::FlagChange,
            3 => NotifyEvent::AnnotationChange,
            4 => NotifyEvent::MailboxName,
            5 => NotifyEvent::SubscriptionChange,
            6 => NotifyEvent::MailboxMetadataChange,
            7 => NotifyEvent::ServerMetadataChange,
            8 => NotifyEvent::Other(text(u)?),
            // The common valid pair, so that many sets pass validation.
            _ => {
                g = g.messages();
                continue;
            }
        };
        g = g.event(event);
    }
    Ok(g)
}

fn set(u: &mut Unstructured, raw: &mut bool) -> Result<NotifySet> {
    let mut set = NotifySet::new().status(bool::arbitrary(u)?);
    let n = u.int_in_range(0..=4)?;
    for _ in 0..n {
        set = set.group(group(u, raw)?);
    }
    Ok(set)
}

/// The decoded content of a mailbox argument.
fn mailbox(arg: &Arg, utf8: bool) -> String {
    let bytes = content(arg);
    if utf8 {
        String::from_utf8(bytes.to_vec()).expect("UTF-8 name")
    } else {
        assert!(bytes.iter().all(|b| (0x20..0x7f).contains(b)), "{bytes:?}");
        utf7::decode(bytes).expect("modified UTF-7 name")
    }
}

fn check_group(arg: &Arg, g: &NotifyGroup, utf8: bool) {
    let Arg::List(items) = arg else {
        panic!("group is not a list: {arg:?}")
    };
    let mut items = items.iter();
    assert_eq!(
        items.next(),
        Some(&Arg::Atom(g.filter().keyword().as_bytes().to_vec()))
    );
    if let NotifyFilter::Subtree(names) | NotifyFilter::Mailboxes(names) = g.filter() {
        let arg = items.next().expect("mailbox argument");
        let sent: Vec<String> = match (arg, names.len()) {
            (Arg::List(list), n) if n > 1 => list.iter().map(|a| mailbox(a, utf8)).collect(),
            (single, 1) => vec![mailbox(single, utf8)],
            (other, _) => panic!("mailboxes {other:?} for {names:?}"),
        };
        assert_eq!(&sent, names);
    }
    let events = items.next().expect("events");
    assert!(items.next().is_none());
    match (events, g.events()) {
        (Arg::Atom(none), None) => assert_eq!(none, b"NONE"),
        (Arg::List(list), Some(want)) => {
            let mut list = list.iter();
            for e in want {
                assert_eq!(list.next(), Some(&Arg::Atom(e.name().as_bytes().to_vec())));
                if let NotifyEvent::MessageNew { fetch: Some(_) } = e {
                    assert!(matches!(list.next(), Some(Arg::List(l)) if !l.is_empty()));
                }
            }
            assert!(list.next().is_none());
        }
        (got, want) => panic!("events {got:?} for {want:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let mut raw = false;
    let Ok(set) = set(&mut u, &mut raw) else {
        return;
    };
    let valid = set.validate();
    for support in SUPPORTS {
        for utf8 in [false, true] {
            let mut enc = CommandEncoder::new("T1", "NOTIFY SET", support).utf8_quoted(utf8);
            let r = encode_notify_set(&mut enc, &set);
            let cmd = enc.finish();
            if let Err(e) = &valid {
                assert_eq!(r.as_ref(), Err(e));
                assert_eq!(cmd.redacted, "T1 NOTIFY SET");
                continue;
            }
            r.unwrap();
            check_lines(&cmd);
            assert!(!cmd.redacted.contains(['\r', '\n']));
            if raw {
                continue;
            }
            let (tag, words, args) = read_back(&cmd, 2);
            assert_eq!(tag, "T1");
            assert_eq!(words, ["NOTIFY", "SET"]);
            let mut args = args.iter();
            if set.has_status() {
                assert_eq!(args.next(), Some(&Arg::Atom(b"STATUS".to_vec())));
            }
            for g in set.groups() {
                check_group(args.next().expect("a group"), g, utf8);
            }
            assert!(args.next().is_none());
        }
    }
});
