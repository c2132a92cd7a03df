//! What the framer and parser make of deviations real servers were seen to send (the
//! corpus in `tests/quirks/` replays each through a whole session). Each test pins one
//! tolerance, or the clean error where a quirk cannot be read safely.

use bytes::Bytes;

use super::{BodyStructure, FetchItem, Framer, Limits, Response, Status, Untagged, parse_response};

fn parse(s: &[u8]) -> Response {
    parse_response(Bytes::copy_from_slice(s)).unwrap_or_else(|e| panic!("{e}"))
}

fn untagged(s: &[u8]) -> Untagged {
    match parse(s) {
        Response::Untagged(u) => u,
        other => panic!("not untagged: {other:?}"),
    }
}

/// Yahoo: `* SEARCH 2 5 6 ` (ikvk/imap_tools#97, imap-proto PR #108).
#[test]
fn search_with_trailing_space() {
    assert_eq!(
        untagged(b"* SEARCH 2 5 6 \r\n"),
        Untagged::Search {
            ids: vec![2, 5, 6],
            modseq: None
        }
    );
    assert_eq!(
        untagged(b"* SEARCH \r\n"),
        Untagged::Search {
            ids: vec![],
            modseq: None
        }
    );
}

/// Exchange: `* STATUS INBOX (...) ` (duesee/imap-codec#468).
#[test]
fn status_with_trailing_space() {
    let Untagged::MailboxStatus(st) = untagged(b"* STATUS INBOX (MESSAGES 17 UNSEEN 3) \r\n")
    else {
        panic!("not STATUS")
    };
    assert_eq!(
        (&st.mailbox[..], st.messages, st.unseen),
        (&b"INBOX"[..], Some(17), Some(3))
    );
}

/// free.fr: a space before `)` in FETCH and inside FLAGS (djc/tokio-imap#190).
#[test]
fn space_before_closing_paren() {
    let Untagged::Fetch { seq, items } =
        untagged(b"* 1 FETCH (UID 8 RFC822.SIZE 1432 FLAGS (\\Seen ) )\r\n")
    else {
        panic!("not FETCH")
    };
    assert_eq!(seq, 1);
    assert_eq!(
        items,
        vec![
            FetchItem::Uid(8),
            FetchItem::Rfc822Size(1432),
            FetchItem::Flags(vec![Bytes::from("\\Seen")]),
        ]
    );
}

/// Mail.ru: `("boundary" NIL)` in a multipart BODYSTRUCTURE (duesee/imap-codec#700): the
/// value is read as `None`, told apart from an empty string.
#[test]
fn nil_body_parameter_value() {
    let Untagged::Fetch { items, .. } = untagged(
        b"* 1 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 5 1 NIL NIL NIL NIL) \"alternative\" (\"boundary\" NIL) NIL NIL NIL))\r\n",
    ) else {
        panic!("not FETCH")
    };
    let items = items.to_vec();
    let [FetchItem::BodyStructure(b)] = &items[..] else {
        panic!("{items:?}")
    };
    let BodyStructure::Multipart { ext, .. } = &**b else {
        panic!("{b:?}")
    };
    assert_eq!(
        ext.as_ref().unwrap().params,
        vec![(Bytes::from("boundary"), None)]
    );
}

/// iCloud: `* BYE` with neither space nor text (ruby/net-imap#230).
#[test]
fn bye_without_text() {
    let Untagged::Status(st) = untagged(b"* BYE\r\n") else {
        panic!("not a status")
    };
    assert_eq!(st.status, Status::Bye);
    assert!(st.text.is_empty());
}

/// Gmail: `* OK [HIGHESTMODSEQ n]` with no text after the code (modern-email/defects#28).
#[test]
fn response_code_without_text() {
    let Untagged::Status(st) = untagged(b"* OK [HIGHESTMODSEQ 3845123]\r\n") else {
        panic!("not a status")
    };
    assert_eq!(st.code, Some(super::ResponseCode::HighestModSeq(3845123)));
    assert!(st.text.is_empty());
}

/// A CAPABILITY line with two spaces in a row (rustmailer/bichon#197).
#[test]
fn capability_with_double_space() {
    let Untagged::Capability(caps) = untagged(b"* CAPABILITY IMAP4rev1  IDLE MOVE\r\n") else {
        panic!("not CAPABILITY")
    };
    let caps: Vec<&[u8]> = caps.iter().map(|c| &c[..]).collect();
    assert_eq!(caps, [&b"IMAP4rev1"[..], b"IDLE", b"MOVE"]);
}

/// `{5}` at the end of a line but inside a quoted string is text, not a literal header
/// (curl/curl#20320): the framer ends the response at that line.
#[test]
fn brace_inside_quoted_string_is_not_a_literal() {
    let line = b"* LIST (\\HasNoChildren) \"/\" \"Archive {5}\"\r\n* LIST () \"/\" INBOX\r\n";
    let mut framer = Framer::new(Limits::default());
    let end = framer.frame(line).unwrap().expect("one complete response");
    assert_eq!(
        &line[..end],
        b"* LIST (\\HasNoChildren) \"/\" \"Archive {5}\"\r\n"
    );
    let Untagged::List(item) = untagged(&line[..end]) else {
        panic!("not LIST")
    };
    assert_eq!(&item.name[..], b"Archive {5}");
}

/// Outlook: a CR LF inside a quoted string (emersion/go-imap#452) splits the response in
/// two lines, neither of which parses. That cannot be repaired safely (the split could as
/// well be a real end of response), so both halves are clean parse errors carrying the raw
/// bytes, never a panic.
#[test]
fn crlf_inside_quoted_string_is_a_parse_error() {
    let bytes = b"* 1 FETCH (UID 3 ENVELOPE (NIL \"Quarterly\r\n report\" NIL NIL NIL NIL NIL NIL NIL NIL))\r\n";
    let mut framer = Framer::new(Limits::default());
    let first = framer.frame(bytes).unwrap().expect("the first line");
    let e = parse_response(Bytes::copy_from_slice(&bytes[..first])).unwrap_err();
    assert!(e.raw.ends_with(b"\"Quarterly\r\n"), "{e}");
    let mut framer = Framer::new(Limits::default());
    let rest = &bytes[first..];
    let second = framer.frame(rest).unwrap().expect("the second line");
    assert!(parse_response(Bytes::copy_from_slice(&rest[..second])).is_err());
}

/// Outlook: an unescaped `"` inside a quoted display name (emersion/go-imap#657). The
/// response is still well formed as lists and strings, so it is taken; the envelope, whose
/// address no longer has four fields, cannot be decoded and comes back raw, as
/// [`FetchItem::Other`], beside the items that can (the message is not lost).
#[test]
fn unescaped_quote_leaves_the_envelope_raw() {
    let wire = b"* 2 FETCH (UID 4 ENVELOPE (NIL \"hi\" ((\"Smith, \"Bob\"\" NIL \"bob\" \"example.org\")) NIL NIL NIL NIL NIL NIL NIL))\r\n";
    let Untagged::Fetch { items, .. } = untagged(wire) else {
        panic!("not FETCH")
    };
    assert_eq!(items.uid(), Some(4));
    let decoded = items.to_vec();
    assert_eq!(decoded[0], FetchItem::Uid(4));
    let FetchItem::Other { name, value } = &decoded[1] else {
        panic!("{decoded:?}")
    };
    assert_eq!(&name[..], b"ENVELOPE");
    assert!(
        value.starts_with(b"(NIL \"hi\"") && value.ends_with(b"NIL)"),
        "{value:?}"
    );
    let fetched = crate::Fetched {
        seq: 2,
        items: items.clone(),
    };
    assert!(fetched.envelope().is_none());
    // A quote that leaves a string open is still an error at once, naming the position.
    let cut = b"* 2 FETCH (UID 4 ENVELOPE (NIL \"hi))\r\n";
    let e = parse_response(Bytes::from_static(cut)).unwrap_err();
    assert!(e.to_string().contains("unterminated quoted string"), "{e}");
}

/// Exchange: `UID 0` (modern-email/defects#3) is kept as sent; the session layer never
/// turns it into a [`Uid`](super::Uid), which cannot be 0.
#[test]
fn uid_zero_is_kept_as_sent() {
    let Untagged::Fetch { items, .. } = untagged(b"* 1 FETCH (UID 0 FLAGS (\\Seen))\r\n") else {
        panic!("not FETCH")
    };
    assert_eq!(items.to_vec()[0], FetchItem::Uid(0));
    assert!(super::Uid::new(0).is_none());
}
