//! Any byte string encoded with `astring`/`string`/`list_mailbox`/`mailbox`/`secret_astring`,
//! under each `LiteralSupport` and with UTF-8 quoting off and on, gives a command that reads
//! back (with the independent reader in `proto::testing`) to exactly the same value, in
//! its own argument, with no CR or LF outside a literal. A NUL is an error, never sent.
#![no_main]

use imap_async::proto::testing::{Arg, content, read_back};
use imap_async::proto::{CommandEncoder, EncodeError, LiteralSupport, utf7};
use libfuzzer_sys::fuzz_target;

type Method = fn(&mut CommandEncoder, &'static str, &[u8]) -> Result<(), EncodeError>;

const METHODS: [(&str, Method); 4] = [
    ("astring", |e, w, s| e.astring(w, s).map(drop)),
    ("string", |e, w, s| e.string(w, s).map(drop)),
    ("list_mailbox", |e, w, s| e.list_mailbox(w, s).map(drop)),
    ("secret_astring", |e, w, s| e.secret_astring(w, s).map(drop)),
];

const SUPPORTS: [LiteralSupport; 3] = [
    LiteralSupport::SyncOnly,
    LiteralSupport::Minus,
    LiteralSupport::Plus,
];

fuzz_target!(|data: &[u8]| {
    for support in SUPPORTS {
        for utf8 in [false, true] {
            for (name, m) in METHODS {
                let mut e = CommandEncoder::new("T1", "X", support).utf8_quoted(utf8);
                e.raw("1");
                let first = m(&mut e, "first", data);
                if let Some(offset) = data.iter().position(|&b| b == 0) {
                    assert_eq!(
                        first,
                        Err(EncodeError::Nul {
                            what: "first",
                            offset
                        })
                    );
                    continue;
                }
                first.unwrap();
                e.open_list();
                m(&mut e, "second", data).unwrap();
                e.close_list();
                e.raw("END");
                let cmd = e.finish();
                let ctx = format!("{name} {support:?} utf8={utf8}");
                let (tag, words, args) = read_back(&cmd, 1);
                assert_eq!(
                    (tag.as_str(), &words[..]),
                    ("T1", &["X".to_owned()][..]),
                    "{ctx}"
                );
                assert_eq!(args.len(), 4, "{ctx}: {args:?}");
                assert_eq!(args[0], Arg::Atom(b"1".to_vec()), "{ctx}");
                assert_eq!(content(&args[1]), data, "{ctx}");
                let Arg::List(items) = &args[2] else {
                    panic!("{ctx}: {args:?}")
                };
                assert_eq!(items.len(), 1, "{ctx}");
                assert_eq!(content(&items[0]), data, "{ctx}");
                assert_eq!(args[3], Arg::Atom(b"END".to_vec()), "{ctx}");
                match &args[1] {
                    Arg::Atom(v) => {
                        assert_ne!(name, "string", "{ctx}");
                        assert!(!v.eq_ignore_ascii_case(b"NIL"), "{ctx}");
                    }
                    Arg::Quoted(v) => assert!(utf8 || v.is_ascii(), "{ctx}"),
                    Arg::Literal(_) => {}
                    Arg::List(_) => panic!("{ctx}"),
                }
                // The log form is one line and never shows a secret.
                assert!(!cmd.redacted.contains(['\r', '\n']), "{ctx}");
                if name == "secret_astring" {
                    assert_eq!(cmd.redacted, "T1 X 1 <redacted> (<redacted>) END", "{ctx}");
                }
            }

            // Mailbox names are text: modified UTF-7, or UTF-8 once UTF8=ACCEPT is on.
            let Ok(mailbox) = std::str::from_utf8(data) else {
                continue;
            };
            let mut e = CommandEncoder::new("T1", "SELECT", support).utf8_quoted(utf8);
            let r = e.mailbox("mailbox", mailbox).map(drop);
            // In modified UTF-7 a NUL is base64 (`&AAA-`), never a raw NUL byte; as UTF-8 it
            // cannot be sent.
            if utf8 && mailbox.contains('\0') {
                assert!(matches!(r, Err(EncodeError::Nul { .. })), "{r:?}");
                continue;
            }
            r.unwrap();
            let cmd = e.finish();
            let (_, _, args) = read_back(&cmd, 1);
            assert_eq!(args.len(), 1);
            let sent = content(&args[0]);
            if utf8 {
                assert_eq!(sent, mailbox.as_bytes());
            } else {
                assert!(sent.iter().all(|b| (0x20..0x7f).contains(b)), "{sent:?}");
                assert_eq!(utf7::decode(sent).unwrap(), mailbox);
            }
        }
    }
});
