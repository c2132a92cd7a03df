//! Turning library results into script values, and printing script values readably.
//!
//! Results become rhai maps and arrays. A rhai map is sorted by key, so the printer chooses
//! the order itself: message numbers first (numerically), then the fields of an envelope
//! or an address in their RFC 3501 order, then everything else alphabetically (which is
//! how IMAPClient's `SelectInfo`-like dicts print in Python: `EXISTS`, `FLAGS`, ...).
//! Flag lists are a small custom type, [`Tuple`], printed as a tuple `("\\Seen", ...)`.

use std::fmt::Write as _;

use imap_async::envelope::{AddressOrGroup, decode_header_text, group_addresses};
use imap_async::proto::{Address, BodyStructure, Envelope, FetchItem};
use imap_async::{Fetched, Folder, FolderStatus, SelectInfo};
use rhai::{Array, Dynamic, Map};

/// A tuple of strings (flags, capabilities). Prints as a tuple, like IMAPClient's; indexable and iterable in scripts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tuple(pub Vec<String>);

impl IntoIterator for Tuple {
    type Item = String;
    type IntoIter = std::vec::IntoIter<String>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl Tuple {
    /// Flags, capabilities or labels, each shown in its wire form.
    pub fn dynamic(flags: impl IntoIterator<Item = impl ToString>) -> Dynamic {
        Dynamic::from(Tuple(flags.into_iter().map(|f| f.to_string()).collect()))
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn opt_text(b: &Option<impl AsRef<[u8]>>) -> Dynamic {
    match b {
        Some(b) => Dynamic::from(text(b.as_ref())),
        None => Dynamic::UNIT,
    }
}

fn int(n: impl Into<i64>) -> Dynamic {
    Dynamic::from_int(n.into())
}

fn map(entries: Vec<(&str, Dynamic)>) -> Dynamic {
    let mut m = Map::new();
    for (k, v) in entries {
        m.insert(k.into(), v);
    }
    Dynamic::from_map(m)
}

/// `SELECT`/`EXAMINE` result, with IMAPClient's key names.
pub fn select_info(info: &SelectInfo) -> Dynamic {
    let mut entries = vec![
        ("EXISTS", int(info.exists)),
        ("FLAGS", Tuple::dynamic(info.flags.iter())),
        (
            "PERMANENTFLAGS",
            Tuple::dynamic(info.permanent_flags.iter()),
        ),
        ("READ-WRITE", Dynamic::from_bool(info.read_write)),
        ("RECENT", int(info.recent)),
    ];
    if let Some(n) = info.uid_next {
        entries.push(("UIDNEXT", int(n)));
    }
    if let Some(n) = info.uid_validity {
        entries.push(("UIDVALIDITY", int(n)));
    }
    if let Some(n) = info.unseen {
        entries.push(("UNSEEN", int(n)));
    }
    if let Some(n) = info.highest_modseq {
        entries.push(("HIGHESTMODSEQ", int(n as i64)));
    }
    map(entries)
}

/// One `LIST` line as IMAPClient's `(flags, delimiter, name)` triple, as a map.
pub fn folder(f: &Folder) -> Dynamic {
    map(vec![
        ("flags", Tuple::dynamic(f.attributes.iter().cloned())),
        (
            "delimiter",
            f.delimiter
                .map(|d| Dynamic::from(d.to_string()))
                .unwrap_or(Dynamic::UNIT),
        ),
        ("name", Dynamic::from(f.name.clone())),
    ])
}

pub fn folder_status(s: &FolderStatus) -> Dynamic {
    let mut entries = Vec::new();
    let mut put = |k, v: Option<i64>| {
        if let Some(v) = v {
            entries.push((k, int(v)));
        }
    };
    put("MESSAGES", s.messages.map(i64::from));
    put("RECENT", s.recent.map(i64::from));
    put("UIDNEXT", s.uid_next.map(i64::from));
    put("UIDVALIDITY", s.uid_validity.map(i64::from));
    put("UNSEEN", s.unseen.map(i64::from));
    put("HIGHESTMODSEQ", s.highest_modseq.map(|n| n as i64));
    put("SIZE", s.size.map(|n| n as i64));
    put("DELETED", s.deleted.map(i64::from));
    map(entries)
}

fn opt_decoded(b: &Option<impl AsRef<[u8]>>) -> Dynamic {
    match b {
        Some(b) => Dynamic::from(decode_header_text(b.as_ref())),
        None => Dynamic::UNIT,
    }
}

fn address(a: &Address) -> Dynamic {
    map(vec![
        ("name", opt_decoded(&a.name)),
        ("route", opt_text(&a.route)),
        ("mailbox", opt_text(&a.mailbox)),
        ("host", opt_text(&a.host)),
    ])
}

/// An address list with its groups (gathered by the library from RFC 3501 §7.4.2's start
/// and end markers) as `{"group": name, "members": [...]}`.
fn addresses(list: &Option<Vec<Address>>) -> Dynamic {
    let Some(list) = list else {
        return Dynamic::UNIT;
    };
    let out: Array = group_addresses(list)
        .iter()
        .map(|entry| match entry {
            AddressOrGroup::Mailbox(a) => address(a),
            AddressOrGroup::Group(g) => map(vec![
                ("group", Dynamic::from(g.name_decoded())),
                (
                    "members",
                    Dynamic::from_array(g.members.iter().map(address).collect()),
                ),
            ]),
        })
        .collect();
    Dynamic::from_array(out)
}

pub fn envelope(e: &Envelope) -> Dynamic {
    map(vec![
        ("date", opt_text(&e.date)),
        ("subject", opt_decoded(&e.subject)),
        ("from", addresses(&e.from)),
        ("sender", addresses(&e.sender)),
        ("reply_to", addresses(&e.reply_to)),
        ("to", addresses(&e.to)),
        ("cc", addresses(&e.cc)),
        ("bcc", addresses(&e.bcc)),
        ("in_reply_to", opt_text(&e.in_reply_to)),
        ("message_id", opt_text(&e.message_id)),
    ])
}

fn body_structure(b: &BodyStructure) -> Dynamic {
    match b {
        BodyStructure::Single {
            media_type,
            media_subtype,
            params,
            encoding,
            size,
            ..
        } => {
            let mut p = Map::new();
            for (k, v) in params {
                p.insert(text(k).into(), opt_text(v));
            }
            map(vec![
                (
                    "type",
                    Dynamic::from(format!("{}/{}", text(media_type), text(media_subtype))),
                ),
                ("params", Dynamic::from_map(p)),
                ("encoding", opt_text(encoding)),
                ("size", int(*size)),
            ])
        }
        BodyStructure::Multipart {
            parts,
            media_subtype,
            ..
        } => map(vec![
            (
                "type",
                Dynamic::from(format!("multipart/{}", text(media_subtype))),
            ),
            (
                "parts",
                Dynamic::from_array(parts.iter().map(body_structure).collect()),
            ),
        ]),
    }
}

/// One message's FETCH data as a map of IMAPClient's item names (`SEQ`, `FLAGS`, ...).
pub fn fetched(msg: &Fetched) -> Dynamic {
    let mut m = Map::new();
    m.insert("SEQ".into(), int(msg.seq));
    for item in &msg.items.to_vec() {
        let (k, v) = match item {
            FetchItem::Uid(u) => ("UID".to_owned(), int(*u)),
            FetchItem::Flags(f) => (
                "FLAGS".to_owned(),
                Tuple::dynamic(f.iter().map(|b| text(b))),
            ),
            FetchItem::InternalDate(d) => {
                ("INTERNALDATE".to_owned(), Dynamic::from(d.to_rfc3339()))
            }
            FetchItem::Rfc822Size(n) => ("RFC822.SIZE".to_owned(), int(*n as i64)),
            FetchItem::Envelope(e) => ("ENVELOPE".to_owned(), envelope(e)),
            FetchItem::BodyStructure(b) => ("BODYSTRUCTURE".to_owned(), body_structure(b)),
            FetchItem::Body {
                section,
                origin,
                data,
            } => {
                let mut k = format!("BODY[{}]", text(section));
                if let Some(o) = origin {
                    let _ = write!(k, "<{o}>");
                }
                (k, opt_text(data))
            }
            FetchItem::Binary {
                section,
                origin,
                data,
            } => {
                let mut k = format!("BINARY[{}]", text(section));
                if let Some(o) = origin {
                    let _ = write!(k, "<{o}>");
                }
                (k, opt_text(data))
            }
            FetchItem::BinarySize { section, size } => {
                (format!("BINARY.SIZE[{}]", text(section)), int(*size))
            }
            FetchItem::ModSeq(n) => ("MODSEQ".to_owned(), int(*n as i64)),
            FetchItem::Other { name, value } => (text(name), Dynamic::from(text(value))),
            // An item added by a later version of the library: shown in Debug form.
            other => ("UNKNOWN".to_owned(), Dynamic::from(format!("{other:?}"))),
        };
        m.insert(k.into(), v);
    }
    Dynamic::from_map(m)
}

/// FETCH results keyed by UID (or sequence number when the message has no UID item).
pub fn fetch_result(list: &[Fetched]) -> Dynamic {
    let mut m = Map::new();
    for msg in list {
        let key = msg.items.uid().unwrap_or(msg.seq);
        m.insert(key.to_string().into(), fetched(msg));
    }
    Dynamic::from_map(m)
}

pub fn int_array(ids: impl IntoIterator<Item = u32>) -> Dynamic {
    Dynamic::from_array(ids.into_iter().map(int).collect::<Array>())
}

/// Where a key sorts: message numbers by value, then envelope and address fields in
/// their RFC order, then the rest alphabetically.
fn key_rank(k: &str) -> (u8, u64, &str) {
    const FIELDS: &[&str] = &[
        "date",
        "subject",
        "from",
        "sender",
        "reply_to",
        "to",
        "cc",
        "bcc",
        "in_reply_to",
        "message_id",
        "name",
        "route",
        "mailbox",
        "host",
        "group",
        "members",
        "flags",
        "delimiter",
        "type",
        "params",
        "encoding",
        "size",
        "parts",
    ];
    if let Ok(n) = k.parse::<u64>() {
        return (0, n, "");
    }
    if k == "SEQ" {
        return (1, 0, "");
    }
    match FIELDS.iter().position(|f| *f == k) {
        Some(p) => (2, p as u64, ""),
        None => (3, 0, k),
    }
}

/// Strings longer than this are cut when printed (the value itself stays whole).
const SHOWN: usize = 1024;

/// A string as printed: quoted, and cut after [`SHOWN`] bytes with its size (a message
/// body would otherwise fill the terminal).
fn quote(s: &str) -> String {
    if s.len() <= SHOWN {
        return format!("{s:?}");
    }
    let mut end = SHOWN;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{:?}... ({} bytes in all)", &s[..end], s.len())
}

/// The readable form of a value, indented like Python's `pprint` when it does not fit on
/// one line.
pub fn pretty(v: &Dynamic) -> String {
    let mut out = String::new();
    write_value(&mut out, v, 0);
    out
}

fn one_line(v: &Dynamic) -> String {
    if v.is_unit() {
        "None".to_owned()
    } else if let Some(s) = v.read_lock::<rhai::ImmutableString>() {
        quote(&s)
    } else if let Some(b) = v.read_lock::<bool>() {
        if *b { "True" } else { "False" }.to_owned()
    } else if let Some(f) = v.read_lock::<Tuple>() {
        match f.0.len() {
            0 => "()".to_owned(),
            1 => format!("({},)", quote(&f.0[0])),
            _ => format!(
                "({})",
                f.0.iter().map(|s| quote(s)).collect::<Vec<_>>().join(", ")
            ),
        }
    } else if let Some(a) = v.read_lock::<Array>() {
        format!(
            "[{}]",
            a.iter().map(one_line).collect::<Vec<_>>().join(", ")
        )
    } else if let Some(m) = v.read_lock::<Map>() {
        let mut keys: Vec<&str> = m.keys().map(|k| k.as_str()).collect();
        keys.sort_by_key(|k| key_rank(k));
        format!(
            "{{{}}}",
            keys.iter()
                .map(|k| format!("{}: {}", map_key(k), one_line(&m[*k])))
                .collect::<Vec<_>>()
                .join(", ")
        )
    } else {
        v.to_string()
    }
}

fn map_key(k: &str) -> String {
    if k.parse::<u64>().is_ok() {
        k.to_owned()
    } else {
        quote(k)
    }
}

const WIDTH: usize = 80;

fn write_value(out: &mut String, v: &Dynamic, indent: usize) {
    let line = one_line(v);
    if indent + line.len() <= WIDTH {
        out.push_str(&line);
        return;
    }
    if let Some(f) = v.read_lock::<Tuple>() {
        out.push('(');
        for (i, s) in f.0.iter().enumerate() {
            if i > 0 {
                out.push_str(",\n");
                out.push_str(&" ".repeat(indent + 1));
            }
            out.push_str(&quote(s));
        }
        out.push(')');
    } else if let Some(a) = v.read_lock::<Array>() {
        out.push('[');
        for (i, item) in a.iter().enumerate() {
            if i > 0 {
                out.push_str(",\n");
                out.push_str(&" ".repeat(indent + 1));
            }
            write_value(out, item, indent + 1);
        }
        out.push(']');
    } else if let Some(m) = v.read_lock::<Map>() {
        let mut keys: Vec<&str> = m.keys().map(|k| k.as_str()).collect();
        keys.sort_by_key(|k| key_rank(k));
        out.push('{');
        for (i, k) in keys.iter().enumerate() {
            if i > 0 {
                out.push_str(",\n");
                out.push_str(&" ".repeat(indent + 1));
            }
            let key = format!("{}: ", map_key(k));
            out.push_str(&key);
            write_value(out, &m[*k], indent + 1 + key.len());
        }
        out.push('}');
    } else {
        out.push_str(&line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_info_prints_like_imapclient() {
        let info = SelectInfo {
            exists: 2,
            flags: vec!["\\Answered".into(), "\\Seen".into()],
            permanent_flags: vec!["\\Seen".into()],
            read_write: true,
            uid_next: Some(1339),
            uid_validity: Some(1239278212),
            ..SelectInfo::default()
        };
        let shown = pretty(&select_info(&info));
        let expected = r#"{"EXISTS": 2,
 "FLAGS": ("\\Answered", "\\Seen"),
 "PERMANENTFLAGS": ("\\Seen",),
 "READ-WRITE": True,
 "RECENT": 0,
 "UIDNEXT": 1339,
 "UIDVALIDITY": 1239278212}"#;
        assert_eq!(shown, expected);
    }

    /// One FETCH response as the library parses it.
    fn fetched_from(wire: &[u8]) -> Fetched {
        use imap_async::proto::{Response, Untagged, parse_response};
        match parse_response(bytes::Bytes::copy_from_slice(wire)).unwrap() {
            Response::Untagged(Untagged::Fetch { seq, items }) => Fetched { seq, items },
            other => panic!("not a FETCH: {other:?}"),
        }
    }

    #[test]
    fn an_envelope_shows_decoded_words_and_groups() {
        let msg = fetched_from(
            b"* 1 FETCH (UID 7 ENVELOPE (\"Mon, 7 Dec 2026 10:00:00 +0100\" \
              \"=?UTF-8?B?Q2Fmw6kg4piV?= =?ISO-8859-1?Q?=E0_midi?=\" \
              ((\"=?UTF-8?Q?J=C3=B6rg?=\" NIL \"joerg\" \"example.org\")) NIL NIL \
              ((NIL NIL \"team\" NIL)(\"Ann\" NIL \"ann\" \"example.org\")(NIL NIL NIL NIL)\
              (NIL NIL \"bob\" \"example.org\")) NIL NIL NIL \"<m1@example.org>\"))\r\n",
        );
        let shown = pretty(&fetched(&msg));
        let expected = r#"{"SEQ": 1,
 "ENVELOPE": {"date": "Mon, 7 Dec 2026 10:00:00 +0100",
              "subject": "Café ☕à midi",
              "from": [{"name": "Jörg",
                        "route": None,
                        "mailbox": "joerg",
                        "host": "example.org"}],
              "sender": None,
              "reply_to": None,
              "to": [{"group": "team",
                      "members": [{"name": "Ann",
                                   "route": None,
                                   "mailbox": "ann",
                                   "host": "example.org"}]},
                     {"name": None,
                      "route": None,
                      "mailbox": "bob",
                      "host": "example.org"}],
              "cc": None,
              "bcc": None,
              "in_reply_to": None,
              "message_id": "<m1@example.org>"},
 "UID": 7}"#;
        assert_eq!(shown, expected);
    }

    #[test]
    fn a_large_body_is_cut_with_its_size() {
        let body = "x".repeat(5000);
        let wire = format!("* 2 FETCH (UID 9 BODY[] {{5000}}\r\n{body})\r\n");
        let shown = pretty(&fetched(&fetched_from(wire.as_bytes())));
        assert!(
            shown.contains(&format!("\"{}\"... (5000 bytes in all)", "x".repeat(1024))),
            "{shown}"
        );
        assert!(shown.len() < 1200, "{shown}");
    }

    #[test]
    fn numeric_keys_sort_by_value() {
        let mut m = Map::new();
        m.insert("10".into(), Dynamic::from_int(1));
        m.insert("9".into(), Dynamic::from_int(2));
        assert_eq!(pretty(&Dynamic::from_map(m)), "{9: 2, 10: 1}");
    }
}
