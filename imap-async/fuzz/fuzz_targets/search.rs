//! Search criteria (RFC 3501 §6.4.4): arbitrary `SearchKey` trees of bounded depth, built
//! from the input, encode (under each `LiteralSupport`, with and without UTF8=ACCEPT) to a
//! command with no CR or LF outside a literal; `needs_utf8` is true exactly when some
//! string in the tree is non-ASCII, and `CHARSET UTF-8` is sent exactly when it is needed
//! and UTF8=ACCEPT is off. Keys without `Raw` also read back as well-formed arguments.
#![no_main]

use arbitrary::{Arbitrary, Result, Unstructured};
use chrono::NaiveDate;
use imap_async::proto::search::{
    ModSeqEntry, ModSeqEntryType, SearchKey, encode_search, encode_search_program,
};
use imap_async::proto::testing::{Arg, check_lines, read_back};
use imap_async::proto::{CommandEncoder, LiteralSupport, SeqSet, UidSet};
use libfuzzer_sys::fuzz_target;

const MAX_DEPTH: u32 = 4;

/// A string, sometimes from a small alphabet of troublemakers so that quotes, CR/LF,
/// braces and non-ASCII show up often.
fn text(u: &mut Unstructured) -> Result<String> {
    if bool::arbitrary(u)? {
        return String::arbitrary(u);
    }
    const PIECES: [&str; 14] = [
        "a", " ", "\"", "\\", "\r", "\n", "{3}", "(", ")", "*", "é", "日本", "NIL", "\u{7f}",
    ];
    let n = u.int_in_range(0..=8)?;
    let mut s = String::new();
    for _ in 0..n {
        s.push_str(u.choose(&PIECES)?);
    }
    Ok(s)
}

fn date(u: &mut Unstructured) -> Result<NaiveDate> {
    let year = u.int_in_range(-10..=10_010)?;
    let ordinal = u.int_in_range(1..=366)?;
    Ok(NaiveDate::from_yo_opt(year, ordinal).unwrap_or(NaiveDate::MIN))
}

fn set<T: std::str::FromStr>(u: &mut Unstructured) -> Result<T> {
    let a = u.int_in_range(0..=20u32)?;
    let b = u.int_in_range(0..=u32::MAX)?;
    let form = match u.int_in_range(0..=3)? {
        0 => format!("{a}"),
        1 => format!("{a}:{b}"),
        2 => format!("{a}:*,{b}"),
        _ => "*".to_owned(),
    };
    // `0` does not parse: fall back to a valid set.
    Ok(form.parse().or_else(|_| "1".parse()).ok().unwrap())
}

fn key(u: &mut Unstructured, depth: u32) -> Result<SearchKey> {
    let leaves: u8 = 38;
    let pick = if depth >= MAX_DEPTH {
        u.int_in_range(0..=leaves - 1)?
    } else {
        u.int_in_range(0..=leaves + 2)?
    };
    Ok(match pick {
        0 => SearchKey::All,
        1 => SearchKey::Answered,
        2 => SearchKey::Bcc(text(u)?),
        3 => SearchKey::Before(date(u)?),
        4 => SearchKey::Body(text(u)?),
        5 => SearchKey::Cc(text(u)?),
        6 => SearchKey::Deleted,
        7 => SearchKey::Draft,
        8 => SearchKey::Flagged,
        9 => SearchKey::From(text(u)?),
        10 => SearchKey::Header {
            field: text(u)?,
            value: text(u)?,
        },
        11 => SearchKey::Keyword(text(u)?),
        12 => SearchKey::Larger(u64::arbitrary(u)?),
        13 => SearchKey::New,
        14 => SearchKey::Old,
        15 => SearchKey::On(date(u)?),
        16 => SearchKey::Recent,
        17 => SearchKey::Seen,
        18 => SearchKey::SentBefore(date(u)?),
        19 => SearchKey::SentOn(date(u)?),
        20 => SearchKey::SentSince(date(u)?),
        21 => SearchKey::Since(date(u)?),
        22 => SearchKey::Smaller(u64::arbitrary(u)?),
        23 => SearchKey::Subject(text(u)?),
        24 => SearchKey::Text(text(u)?),
        25 => SearchKey::To(text(u)?),
        26 => SearchKey::Uid(set::<UidSet>(u)?),
        27 => SearchKey::Unanswered,
        28 => SearchKey::Undeleted,
        29 => SearchKey::Undraft,
        30 => SearchKey::Unflagged,
        31 => SearchKey::Unkeyword(text(u)?),
        32 => SearchKey::Unseen,
        33 => SearchKey::Sequence(set::<SeqSet>(u)?),
        34 => SearchKey::ModSeq {
            entry: if bool::arbitrary(u)? {
                Some(ModSeqEntry {
                    flag: text(u)?,
                    entry_type: *u.choose(&[
                        ModSeqEntryType::Private,
                        ModSeqEntryType::Shared,
                        ModSeqEntryType::All,
                    ])?,
                })
            } else {
                None
            },
            modseq: u64::arbitrary(u)?,
        },
        35 => match u.int_in_range(0..=4)? {
            0 => SearchKey::Older(u32::arbitrary(u)?),
            1 => SearchKey::Younger(u32::arbitrary(u)?),
            2 => SearchKey::SavedBefore(date(u)?),
            3 => SearchKey::SavedOn(date(u)?),
            _ => SearchKey::SavedSince(date(u)?),
        },
        36 => SearchKey::SaveDateSupported,
        37 => SearchKey::Raw(text(u)?),
        38 => SearchKey::Not(Box::new(key(u, depth + 1)?)),
        39 => SearchKey::Or(Box::new(key(u, depth + 1)?), Box::new(key(u, depth + 1)?)),
        _ => {
            let n = u.int_in_range(0..=4)?;
            let mut keys = Vec::with_capacity(n);
            for _ in 0..n {
                keys.push(key(u, depth + 1)?);
            }
            SearchKey::And(keys)
        }
    })
}

/// Every string in the tree, and whether it holds a `Raw` key.
fn strings<'a>(k: &'a SearchKey, out: &mut Vec<&'a str>, raw: &mut bool) {
    match k {
        SearchKey::Bcc(s)
        | SearchKey::Body(s)
        | SearchKey::Cc(s)
        | SearchKey::From(s)
        | SearchKey::Subject(s)
        | SearchKey::Text(s)
        | SearchKey::To(s)
        | SearchKey::Keyword(s)
        | SearchKey::Unkeyword(s) => out.push(s),
        SearchKey::Raw(s) => {
            *raw = true;
            out.push(s);
        }
        SearchKey::Header { field, value } => {
            out.push(field);
            out.push(value);
        }
        SearchKey::ModSeq { entry: Some(e), .. } => out.push(&e.flag),
        SearchKey::Not(a) => strings(a, out, raw),
        SearchKey::Or(a, b) => {
            strings(a, out, raw);
            strings(b, out, raw);
        }
        SearchKey::And(keys) => keys.iter().for_each(|k| strings(k, out, raw)),
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(k) = key(&mut u, 0) else {
        return;
    };
    let mut all = Vec::new();
    let mut raw = false;
    strings(&k, &mut all, &mut raw);
    let non_ascii = all.iter().any(|s| !s.is_ascii());
    assert_eq!(k.needs_utf8(), non_ascii, "{k:?}");
    for support in [
        LiteralSupport::SyncOnly,
        LiteralSupport::Minus,
        LiteralSupport::Plus,
    ] {
        for utf8 in [false, true] {
            let mut enc = CommandEncoder::new("T1", "SEARCH", support).utf8_quoted(utf8);
            if encode_search_program(&mut enc, &k, utf8).is_err() {
                // Invalid keys (NUL, bad keyword, year out of range...) are refused
                // whole; validation does not depend on the encoder's mode.
                assert!(k.validate().is_err(), "{k:?}");
                continue;
            }
            let cmd = enc.finish();
            check_lines(&cmd);
            // The same criteria without the program prefix.
            let mut bare = CommandEncoder::new("T1", "SEARCH", support).utf8_quoted(utf8);
            encode_search(&mut bare, &k).unwrap();
            let bare = bare.finish();
            let charset = cmd.redacted != bare.redacted;
            if charset {
                let expected = bare
                    .redacted
                    .replacen("T1 SEARCH", "T1 SEARCH CHARSET UTF-8", 1);
                assert_eq!(cmd.redacted, expected);
            }
            if !raw {
                let (_, _, args) = read_back(&cmd, 1);
                assert!(!args.is_empty(), "{k:?}");
                let lead = args.first() == Some(&Arg::Atom(b"CHARSET".to_vec()));
                assert_eq!(lead, charset, "{k:?}");
            }
            assert_eq!(charset, non_ascii && !utf8, "{k:?} -> {cmd:?}");
        }
    }
});
