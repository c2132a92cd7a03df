//! Test support, not part of the API: an independent reader of the command grammar that
//! unit tests, property tests and fuzz targets use to check what the encoder produced.
//! Built only for tests and for the fuzz targets (`cargo fuzz` sets `--cfg fuzzing`).
//!
//! Every check is an assertion: a violation panics with the offending command.

use super::encode::{Command, Fragment, LiteralMode, is_list_char};

/// The wire bytes of a command, fragments concatenated.
pub fn wire(cmd: &Command) -> Vec<u8> {
    let mut out = Vec::new();
    for f in &cmd.fragments {
        match f {
            Fragment::Line(l) => out.extend_from_slice(l),
            Fragment::Literal { data, .. } => out.extend_from_slice(data),
            Fragment::StreamedLiteral { len, .. } => {
                panic!("a streamed literal ({len} bytes) has its data in the sender, not here")
            }
        }
    }
    out
}

/// The fragment structure alone, for commands whose arguments are not all encoder-made
/// (e.g. raw search criteria): `Line (Literal Line)*`, every line ends in CRLF and has no
/// other CR or LF, and every line but the last ends with a literal header whose length and
/// mode match the following literal. So no CR or LF is ever outside a literal.
pub fn check_lines(cmd: &Command) {
    // Fragment structure: Line (Literal Line)*; every Line but the last ends with a
    // literal header whose length and mode match the following Literal.
    let n = cmd.fragments.len();
    assert!(n % 2 == 1, "{cmd:?}");
    for (i, f) in cmd.fragments.iter().enumerate() {
        match f {
            Fragment::Line(l) if i % 2 == 0 => {
                assert!(l.ends_with(b"\r\n"));
                let body = &l[..l.len() - 2];
                assert!(!body.contains(&b'\r') && !body.contains(&b'\n'), "{l:?}");
                if i + 1 < n {
                    let Fragment::Literal { data, mode } = &cmd.fragments[i + 1] else {
                        panic!()
                    };
                    let plus = if *mode == LiteralMode::NonSync {
                        "+"
                    } else {
                        ""
                    };
                    let header = format!("{{{}{plus}}}", data.len());
                    assert!(body.ends_with(header.as_bytes()), "{l:?} vs {header}");
                }
            }
            Fragment::Literal { .. } if i % 2 == 1 => {}
            other => panic!("unexpected fragment {other:?} at {i}"),
        }
    }
}

/// One argument as a server would read it.
#[derive(Debug, PartialEq, Eq)]
pub enum Arg {
    /// An atom.
    Atom(Vec<u8>),
    /// A quoted string, unescaped.
    Quoted(Vec<u8>),
    /// A literal's data.
    Literal(Vec<u8>),
    /// A parenthesized list.
    List(Vec<Arg>),
}

/// An independent reader of the command grammar (RFC 3501 §9), strict about
/// separators, checking fragment boundaries against literal headers. Returns the
/// tag, the name words and the arguments after `name_words` words.
pub fn read_back(cmd: &Command, name_words: usize) -> (String, Vec<String>, Vec<Arg>) {
    check_lines(cmd);
    let w = wire(cmd);
    let mut r = Reader { w: &w, pos: 0 };
    let tag = r.word();
    let mut words = Vec::new();
    for _ in 0..name_words {
        r.expect(b' ');
        words.push(r.word());
    }
    let mut args = Vec::new();
    while r.peek() == Some(b' ') {
        r.pos += 1;
        args.push(r.arg());
    }
    r.expect(b'\r');
    r.expect(b'\n');
    assert_eq!(r.pos, w.len(), "trailing bytes after CRLF");
    (tag, words, args)
}

struct Reader<'a> {
    w: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.w.get(self.pos).copied()
    }

    fn expect(&mut self, b: u8) {
        assert_eq!(self.peek(), Some(b), "at {} in {:?}", self.pos, self.w);
        self.pos += 1;
    }

    fn word(&mut self) -> String {
        let start = self.pos;
        while self.peek().is_some_and(|b| b != b' ' && b != b'\r') {
            self.pos += 1;
        }
        String::from_utf8(self.w[start..self.pos].to_vec()).unwrap()
    }

    fn arg(&mut self) -> Arg {
        match self.peek().expect("argument") {
            b'(' => {
                self.pos += 1;
                let mut items = Vec::new();
                if self.peek() != Some(b')') {
                    items.push(self.arg());
                    while self.peek() == Some(b' ') {
                        self.pos += 1;
                        items.push(self.arg());
                    }
                }
                self.expect(b')');
                Arg::List(items)
            }
            b'"' => {
                self.pos += 1;
                let mut v = Vec::new();
                loop {
                    match self.peek().expect("unterminated quoted") {
                        b'"' => break,
                        b'\\' => {
                            self.pos += 1;
                            let e = self.peek().unwrap();
                            assert!(e == b'"' || e == b'\\', "bad escape");
                            v.push(e);
                        }
                        b'\r' | b'\n' | 0 => panic!("CR/LF/NUL in quoted"),
                        b => v.push(b),
                    }
                    self.pos += 1;
                }
                self.pos += 1;
                Arg::Quoted(v)
            }
            // `~` starts a literal8 only before `{`; otherwise it is an atom character.
            b'{' | b'~' if self.peek() == Some(b'{') || self.w.get(self.pos + 1) == Some(&b'{') => {
                if self.peek() == Some(b'~') {
                    self.pos += 1;
                }
                self.pos += 1;
                let start = self.pos;
                while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                    self.pos += 1;
                }
                let len: usize = std::str::from_utf8(&self.w[start..self.pos])
                    .unwrap()
                    .parse()
                    .unwrap();
                if self.peek() == Some(b'+') {
                    self.pos += 1;
                }
                self.expect(b'}');
                self.expect(b'\r');
                self.expect(b'\n');
                let v = self.w[self.pos..self.pos + len].to_vec();
                self.pos += len;
                Arg::Literal(v)
            }
            _ => {
                let start = self.pos;
                while self.peek().is_some_and(|b| is_list_char(b) || b == b'\\') {
                    self.pos += 1;
                }
                assert!(self.pos > start, "empty atom at {}", self.pos);
                Arg::Atom(self.w[start..self.pos].to_vec())
            }
        }
    }
}

/// The bytes of a string argument (panics on a list).
pub fn content(a: &Arg) -> &[u8] {
    match a {
        Arg::Atom(v) | Arg::Quoted(v) | Arg::Literal(v) => v,
        Arg::List(_) => panic!("list"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{CommandEncoder, EncodeError, LiteralSupport};

    #[test]
    fn wire_concatenates_lines_and_literals() -> Result<(), EncodeError> {
        let mut enc = CommandEncoder::new("A1", "APPEND", LiteralSupport::Plus);
        enc.raw("INBOX").literal("Hi".into())?;
        assert_eq!(wire(&enc.finish()), b"A1 APPEND INBOX {2+}\r\nHi\r\n");
        Ok(())
    }

    #[test]
    fn check_lines_accepts_cr_lf_inside_a_literal() -> Result<(), EncodeError> {
        let mut enc = CommandEncoder::new("A1", "SELECT", LiteralSupport::SyncOnly);
        enc.astring("mailbox", b"a\r\nb")?;
        // The CR LF went into a literal, so every line is well formed.
        let cmd = enc.finish();
        check_lines(&cmd);
        assert_eq!(cmd.fragments.len(), 3);
        Ok(())
    }

    #[test]
    #[should_panic(expected = "97, 10, 98")] // the line's bytes, `a` LF `b`
    fn check_lines_refuses_a_bare_lf_in_a_line() {
        let mut cmd = CommandEncoder::new("A1", "SEARCH", LiteralSupport::SyncOnly).finish();
        cmd.fragments = vec![Fragment::Line(b"A1 SEARCH TEXT a\nb\r\n".to_vec())];
        check_lines(&cmd);
    }

    #[test]
    fn read_back_splits_tag_name_and_arguments() -> Result<(), EncodeError> {
        let mut enc = CommandEncoder::new("A1", "LOGIN", LiteralSupport::SyncOnly);
        enc.astring("user", b"bob")?.astring("password", b"pa ss")?;
        let (tag, name, args) = read_back(&enc.finish(), 1);
        assert_eq!(tag, "A1");
        assert_eq!(name, ["LOGIN"]);
        assert_eq!(
            args,
            [Arg::Atom(b"bob".to_vec()), Arg::Quoted(b"pa ss".to_vec())]
        );
        Ok(())
    }

    #[test]
    fn content_is_the_bytes_of_a_string_argument() {
        assert_eq!(content(&Arg::Quoted(b"pa ss".to_vec())), b"pa ss");
        assert_eq!(content(&Arg::Atom(b"INBOX".to_vec())), b"INBOX");
        assert_eq!(content(&Arg::Literal(b"a\r\nb".to_vec())), b"a\r\nb");
    }
}
