//! Sequence sets (RFC 3501 §9 `sequence-set`): parsing any string never panics; whatever
//! parses prints back to a form that parses to the same set; a set built from arbitrary
//! ranges prints to a form that parses back to it.
#![no_main]

use std::num::NonZeroU32;

use arbitrary::{Arbitrary, Unstructured};
use imap_async::proto::{Seq, SeqSet, Uid, UidSet};
use libfuzzer_sys::fuzz_target;

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).unwrap()
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(set) = text.parse::<UidSet>() {
            let shown = set.to_string();
            assert_eq!(
                shown.parse::<UidSet>().as_ref(),
                Ok(&set),
                "{text:?} -> {shown:?}"
            );
            // Printing is canonical: printing the reparsed set gives the same text.
            assert_eq!(shown.parse::<UidSet>().unwrap().to_string(), shown);
        }
        if let Ok(set) = text.parse::<SeqSet>() {
            let shown = set.to_string();
            assert_eq!(
                shown.parse::<SeqSet>().as_ref(),
                Ok(&set),
                "{text:?} -> {shown:?}"
            );
        }
    }
    let mut u = Unstructured::new(data);
    let mut uids = UidSet::new();
    let mut seqs = SeqSet::new();
    // `arbitrary` yields zeros once the input is used up: stop there.
    while !u.is_empty() {
        let Ok(op) = u8::arbitrary(&mut u) else {
            break;
        };
        let (Ok(a), Ok(b)) = (u32::arbitrary(&mut u), u32::arbitrary(&mut u)) else {
            break;
        };
        // Small numbers more often, so ranges meet and merge.
        let (a, b) = if op & 0x10 == 0 {
            (a % 64, b % 64)
        } else {
            (a, b)
        };
        let (lo, hi) = (nz(a.min(b)), nz(a.max(b)));
        match op % 4 {
            0 => {
                uids.insert(Uid(lo));
                seqs.insert(Seq(hi));
            }
            1 => {
                uids.insert_range(Uid(lo)..=Uid(hi));
                seqs.insert_range(Seq(lo)..=Seq(hi));
            }
            2 => {
                uids.insert_from(Uid(hi));
                seqs.insert_from(Seq(lo));
            }
            _ => {
                uids.insert_largest();
            }
        }
    }
    if !uids.is_empty() {
        let shown = uids.to_string();
        assert_eq!(shown.parse::<UidSet>().as_ref(), Ok(&uids), "{shown:?}");
    }
    if !seqs.is_empty() {
        let shown = seqs.to_string();
        assert_eq!(shown.parse::<SeqSet>().as_ref(), Ok(&seqs), "{shown:?}");
    }
});
