//! Modified UTF-7 for mailbox names (RFC 3501 §5.1.3).
//!
//! Printable US-ASCII (0x20..=0x7e) stands for itself, except `&`, which is written `&-`.
//! Every other character is written as UTF-16 (with surrogate pairs), encoded in modified
//! BASE64 (RFC 2152 alphabet with `,` instead of `/`, no `=` padding), between `&` and `-`.
//!
//! ```
//! use imap_async::proto::utf7;
//!
//! assert_eq!(utf7::encode("~peter/mail/台北/日本語"), "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
//! assert_eq!(utf7::decode(b"Tom &- Jerry").unwrap(), "Tom & Jerry");
//! ```

/// The modified BASE64 alphabet (RFC 3501 §5.1.3: RFC 2152 with `,` for `/`).
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/// Characters that represent themselves (RFC 3501 §5.1.3: 0x20-0x25, 0x27-0x7e, and `&` as
/// `&-`).
fn is_direct(c: char) -> bool {
    (' '..='~').contains(&c)
}

/// Value of one modified BASE64 character.
fn b64_value(b: u8) -> Option<u8> {
    match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' => Some(62),
        b',' => Some(63),
        _ => None,
    }
}

/// Encode a mailbox name to modified UTF-7 (RFC 3501 §5.1.3).
///
/// Encoding never fails: every Unicode string has a modified UTF-7 form.
///
/// ```
/// use imap_async::proto::utf7;
///
/// assert_eq!(utf7::encode("INBOX"), "INBOX");
/// assert_eq!(utf7::encode("R&D"), "R&-D");
/// assert_eq!(utf7::encode("Entwürfe"), "Entw&APw-rfe");
/// ```
pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 8);
    let mut pending: Vec<u16> = Vec::new();
    for c in name.chars() {
        if is_direct(c) {
            flush_shift(&mut out, &mut pending);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut units = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut units));
        }
    }
    flush_shift(&mut out, &mut pending);
    out
}

/// Write `&<base64 of UTF-16BE>-` for the collected UTF-16 units, if any.
fn flush_shift(out: &mut String, units: &mut Vec<u16>) {
    if units.is_empty() {
        return;
    }
    out.push('&');
    let mut acc: u32 = 0;
    let mut bits: u32 = 0;
    for unit in units.drain(..) {
        acc = (acc << 16) | u32::from(unit);
        bits += 16;
        while bits >= 6 {
            bits -= 6;
            out.push(char::from(ALPHABET[((acc >> bits) & 0x3f) as usize]));
        }
        acc &= (1 << bits) - 1;
    }
    if bits > 0 {
        // Pad the last character with zero bits; no `=` padding (RFC 3501 §5.1.3).
        out.push(char::from(ALPHABET[((acc << (6 - bits)) & 0x3f) as usize]));
    }
    out.push('-');
}

/// A mailbox name that is not valid modified UTF-7.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid modified UTF-7 in mailbox name at byte {position}: {reason}")]
pub struct Utf7Error {
    /// Byte offset in the input where the problem was found.
    pub position: usize,
    /// What is wrong.
    pub reason: &'static str,
}

fn err(position: usize, reason: &'static str) -> Utf7Error {
    Utf7Error { position, reason }
}

/// Decode a modified UTF-7 mailbox name (RFC 3501 §5.1.3).
///
/// Rejected, with the byte position of the problem: bytes outside printable US-ASCII, a
/// shift (`&`) without its closing `-`, a character outside the modified BASE64 alphabet,
/// non-zero or superfluous padding bits, an odd number of UTF-16 bytes, and unpaired
/// surrogates. A shift that encodes only printable ASCII (which an encoder should have
/// written directly) is accepted.
///
/// ```
/// use imap_async::proto::utf7;
///
/// assert_eq!(utf7::decode(b"~peter/mail/&U,BTFw-/&ZeVnLIqe-").unwrap(), "~peter/mail/台北/日本語");
/// let e = utf7::decode(b"abc&U,BTFw").unwrap_err();
/// assert_eq!(e.position, 3);
/// ```
pub fn decode(wire: &[u8]) -> Result<String, Utf7Error> {
    let mut out = String::with_capacity(wire.len());
    let mut i = 0;
    while i < wire.len() {
        let b = wire[i];
        match b {
            b'&' => {
                let start = i;
                i += 1;
                if wire.get(i) == Some(&b'-') {
                    out.push('&');
                    i += 1;
                    continue;
                }
                let mut units: Vec<u16> = Vec::new();
                let mut acc: u32 = 0;
                let mut bits: u32 = 0;
                loop {
                    let Some(&c) = wire.get(i) else {
                        return Err(err(start, "shift '&' is not terminated by '-'"));
                    };
                    if c == b'-' {
                        break;
                    }
                    let v = b64_value(c)
                        .ok_or_else(|| err(i, "character not allowed in modified BASE64"))?;
                    acc = (acc << 6) | u32::from(v);
                    bits += 6;
                    if bits >= 16 {
                        bits -= 16;
                        units.push((acc >> bits) as u16);
                        acc &= (1 << bits) - 1;
                    }
                    i += 1;
                }
                // `i` is at the closing '-'.
                if bits >= 8 {
                    return Err(err(i, "odd number of bytes in UTF-16 shift"));
                }
                if bits >= 6 {
                    return Err(err(i, "superfluous BASE64 character at end of shift"));
                }
                if acc != 0 {
                    return Err(err(i, "non-zero padding bits at end of shift"));
                }
                decode_utf16(&units, start, &mut out)?;
                i += 1;
            }
            0x20..=0x7e => {
                out.push(char::from(b));
                i += 1;
            }
            _ => return Err(err(i, "byte outside printable US-ASCII")),
        }
    }
    Ok(out)
}

/// Append the UTF-16 units of one shift to `out`; `start` is the position of its `&`.
fn decode_utf16(units: &[u16], start: usize, out: &mut String) -> Result<(), Utf7Error> {
    if units.is_empty() {
        // `&` followed by `-` is handled by the caller; this is a shift of 1 BASE64 char.
        return Err(err(start, "empty shift"));
    }
    for r in char::decode_utf16(units.iter().copied()) {
        match r {
            Ok(c) => out.push(c),
            Err(_) => return Err(err(start, "unpaired UTF-16 surrogate")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_example() {
        let wire = "~peter/mail/&U,BTFw-/&ZeVnLIqe-";
        let name = "~peter/mail/台北/日本語";
        assert_eq!(encode(name), wire);
        assert_eq!(decode(wire.as_bytes()).unwrap(), name);
    }

    #[test]
    fn ampersand() {
        assert_eq!(encode("&"), "&-");
        assert_eq!(encode("a&b&&"), "a&-b&-&-");
        assert_eq!(decode(b"a&-b&-&-").unwrap(), "a&b&&");
        // '&' next to encoded text.
        assert_eq!(encode("&台"), "&-&U,A-");
        assert_eq!(decode(b"&-&U,A-").unwrap(), "&台");
    }

    #[test]
    fn plain_ascii_unchanged() {
        let s: String = (0x20u8..=0x7e)
            .filter(|&b| b != b'&')
            .map(char::from)
            .collect();
        assert_eq!(encode(&s), s);
        assert_eq!(decode(s.as_bytes()).unwrap(), s);
    }

    #[test]
    fn controls_and_del_are_shifted() {
        assert_eq!(encode("\t"), "&AAk-");
        assert_eq!(encode("\u{7f}"), "&AH8-");
        assert_eq!(decode(b"&AAk-").unwrap(), "\t");
    }

    #[test]
    fn emoji_uses_surrogate_pair() {
        // U+1F600 = D83D DE00.
        assert_eq!(encode("😀"), "&2D3eAA-");
        assert_eq!(decode(b"&2D3eAA-").unwrap(), "😀");
        assert_eq!(encode("a😀b"), "a&2D3eAA-b");
    }

    #[test]
    fn common_names() {
        assert_eq!(encode("Entwürfe"), "Entw&APw-rfe");
        assert_eq!(encode("Gelöschte Elemente"), "Gel&APY-schte Elemente");
        assert_eq!(encode("Отправленные"), "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-");
        assert_eq!(
            decode(b"&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-").unwrap(),
            "Отправленные"
        );
    }

    #[test]
    fn round_trips() {
        let samples = [
            "",
            "INBOX",
            "&",
            "&&-",
            "-",
            "&-",
            "a-b",
            "日本語",
            "日本語-",
            "x日",
            "日x本",
            "ü",
            "üü",
            "üüü",
            "üüüü",
            "😀😀",
            "😀a😀",
            "\u{10ffff}",
            "\u{ffff}",
            "\u{fffd}",
            "\u{1}\u{1f}\u{7f}\u{80}",
            "tab\there",
            "mixed/Ordner/Übersicht & Co/🎉 party",
        ];
        for s in samples {
            let e = encode(s);
            assert!(e.bytes().all(|b| (0x20..=0x7e).contains(&b)), "{e:?}");
            assert_eq!(decode(e.as_bytes()).unwrap(), s, "wire {e:?}");
        }
        // Every run length 1..=12 of a BMP and a non-BMP character, to cover each bit phase.
        for n in 1..=12 {
            for c in ['é', '中', '😀', '\u{0}'] {
                let s: String = std::iter::repeat_n(c, n).collect();
                for t in [
                    s.clone(),
                    format!("a{s}"),
                    format!("{s}-"),
                    format!("&{s}&"),
                ] {
                    assert_eq!(decode(encode(&t).as_bytes()).unwrap(), t);
                }
            }
        }
    }

    #[test]
    fn round_trip_sampled_code_points() {
        for cp in (0u32..0x11_0000).step_by(7) {
            if let Some(c) = char::from_u32(cp) {
                let s = format!("{c}x{c}{c}");
                assert_eq!(decode(encode(&s).as_bytes()).unwrap(), s, "U+{cp:04X}");
            }
        }
    }

    #[test]
    fn shift_of_plain_ascii_is_accepted() {
        // "A" as UTF-16 0x0041 encoded in a shift; a sloppy encoder might produce this.
        assert_eq!(decode(b"&AEE-").unwrap(), "A");
    }

    #[test]
    fn errors() {
        let e = decode(b"ab&U,BTFw").unwrap_err();
        assert_eq!(e.position, 2);
        assert!(e.reason.contains("not terminated"), "{e}");

        let e = decode(b"&").unwrap_err();
        assert_eq!(e.position, 0);

        let e = decode(b"&U/BTFw-").unwrap_err();
        assert_eq!(e.position, 2);
        assert!(e.reason.contains("BASE64"));

        let e = decode(b"&U,BTFw=-").unwrap_err();
        assert_eq!(e.position, 7);

        // 0x00FC = "APw"; "APx" leaves non-zero padding bits.
        let e = decode(b"x&APx-").unwrap_err();
        assert_eq!(e.position, 5);
        assert!(e.reason.contains("padding"), "{e}");

        // Three bytes (one and a half UTF-16 units): "APwA".
        let e = decode(b"&APwA-").unwrap_err();
        assert!(e.reason.contains("odd"), "{e}");

        // A single BASE64 character is not even one byte.
        assert!(decode(b"&A-").is_err());
        // Nine characters: three UTF-16 units plus a superfluous zero character.
        let e = decode(b"&AGEAYgBjA-").unwrap_err();
        assert!(e.reason.contains("superfluous"), "{e}");
        assert_eq!(decode(b"&AGEAYgBj-").unwrap(), "abc");

        // Lone high surrogate D83D = "2D0"; lone low surrogate DE00 = "3gA".
        let e = decode(b"ab&2D0-").unwrap_err();
        assert_eq!(e.position, 2);
        assert!(e.reason.contains("surrogate"));
        assert!(decode(b"&3gA-").is_err());
        // Low then high.
        assert!(decode(b"&3gDYPQ-").is_err());

        // Raw 8-bit and control bytes.
        let e = decode("Entwürfe".as_bytes()).unwrap_err();
        assert_eq!(e.position, 4);
        assert!(decode(b"a\tb").is_err());
        assert!(decode(b"a\x7fb").is_err());

        let shown = decode(b"&").unwrap_err().to_string();
        assert!(shown.contains("byte 0"), "{shown}");
    }
}
