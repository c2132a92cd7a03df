//! The quirk corpus: recorded server behaviour, one file per quirk in `tests/quirks/`,
//! replayed by the scripted [`FakeServer`](crate::fake::FakeServer).
//!
//! A file starts with a header of `# key: value` lines (`server`, `quirk`, `source` are
//! required), then one step per line:
//!
//! - `S: text` sends `text` followed by CRLF (`{tag}` is the last command's tag); it may
//!   not end in white space, which must be written out on a `B:` line;
//! - `B: text` sends `text` with the escapes `\r`, `\n`, `\\` and `\xHH` decoded and no
//!   CRLF added (for bytes a line cannot show, such as a CR inside a quoted string);
//! - `C: text` expects a command containing `text` (see [`crate::fake::expect`]);
//! - `CLOSE` closes the connection.
//!
//! Blank lines and further `#` lines are comments.

use std::path::{Path, PathBuf};

use crate::fake::Step;

/// One parsed quirk file.
#[derive(Debug, Clone)]
pub struct Quirk {
    /// File name without the directory, e.g. `gmail-highestmodseq-no-text.imap`.
    pub file: String,
    /// Which server shows it, e.g. `Gmail`.
    pub server: String,
    /// What the server does.
    pub quirk: String,
    /// Where it was reported: repository and issue or pull request number.
    pub source: String,
    pub steps: Vec<Step>,
}

/// The corpus folder, inside this package.
pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("quirks")
}

/// Every `.imap` file of the corpus, sorted by name.
pub fn corpus_files() -> Vec<String> {
    let dir = corpus_dir();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read the quirk corpus {}: {e}", dir.display()))
        .map(|e| {
            e.expect("directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.ends_with(".imap"))
        .collect();
    names.sort();
    names
}

/// Load and parse `tests/quirks/<file>`; panics naming the file and line on a bad file.
pub fn load(file: &str) -> Quirk {
    let path = corpus_dir().join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read quirk file {}: {e}", path.display()));
    parse(file, &text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Parse the text of a quirk file.
pub fn parse(file: &str, text: &str) -> Result<Quirk, String> {
    let (mut server, mut quirk, mut source) = (None, None, None);
    let mut steps = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let at = |msg: &str| format!("line {}: {msg}", i + 1);
        let line = line.trim_end_matches('\r');
        if let Some(comment) = line.strip_prefix('#') {
            if steps.is_empty()
                && let Some((key, value)) = comment.split_once(':')
            {
                let value = value.trim().to_owned();
                match key.trim() {
                    "server" => server = Some(value),
                    "quirk" => quirk = Some(value),
                    "source" => source = Some(value),
                    _ => {}
                }
            }
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        if line == "CLOSE" {
            steps.push(Step::Close);
        } else if let Some(s) = line.strip_prefix("S: ") {
            // A trailing space is often the quirk itself, and an editor would strip it
            // unseen: it must be written out on a `B:` line, before an explicit `\r\n`.
            if s.ends_with([' ', '\t']) {
                return Err(at(
                    "an `S:` line ends in white space; write it as a `B:` line ending in `\\r\\n`",
                ));
            }
            steps.push(Step::Send(format!("{s}\r\n")));
        } else if let Some(b) = line.strip_prefix("B: ") {
            steps.push(Step::SendBytes(unescape(b).map_err(|e| at(&e))?));
        } else if let Some(c) = line.strip_prefix("C: ") {
            steps.push(Step::Expect(c.to_owned()));
        } else {
            return Err(at(&format!("{line:?} is not a step (S:, B:, C: or CLOSE)")));
        }
    }
    let need = |v: Option<String>, key: &str| {
        v.filter(|v| !v.is_empty())
            .ok_or_else(|| format!("the header has no `# {key}:` line"))
    };
    let quirk = Quirk {
        file: file.to_owned(),
        server: need(server, "server")?,
        quirk: need(quirk, "quirk")?,
        source: need(source, "source")?,
        steps,
    };
    if !quirk.source.contains('#') && !quirk.source.contains("://") {
        return Err(format!(
            "source {:?} names neither an issue or pull request (owner/repo#number) nor a document (URL)",
            quirk.source
        ));
    }
    if quirk.steps.is_empty() {
        return Err("no steps".into());
    }
    Ok(quirk)
}

fn unescape(s: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match bytes.next() {
            Some(b'r') => out.push(b'\r'),
            Some(b'n') => out.push(b'\n'),
            Some(b'\\') => out.push(b'\\'),
            Some(b'x') => {
                let hex: Vec<u8> = bytes.by_ref().take(2).collect();
                let hex = std::str::from_utf8(&hex).map_err(|e| e.to_string())?;
                out.push(u8::from_str_radix(hex, 16).map_err(|_| format!("bad escape \\x{hex}"))?);
            }
            other => return Err(format!("unknown escape \\{:?}", other.map(char::from))),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_header_and_steps() {
        let q = parse(
            "x.imap",
            "# server: Example\n# quirk: odd\n# source: a/b#1\nS: * OK hi\nC: LOGIN\nB: a\\r\\n\\x41\\\\\nCLOSE\n",
        )
        .unwrap();
        assert_eq!((q.server.as_str(), q.quirk.as_str()), ("Example", "odd"));
        assert_eq!(q.steps.len(), 4);
        assert!(matches!(&q.steps[2], Step::SendBytes(b) if b == b"a\r\nA\\"));
        assert!(parse("x", "# server: a\n# quirk: b\nS: x\n").is_err());
        assert!(parse("x", "# server: a\n# quirk: b\n# source: nowhere\nS: x\n").is_err());
        assert!(parse("x", "# server: a\n# quirk: b\n# source: a#1\nX: x\n").is_err());
        let trailing = parse(
            "x",
            "# server: a\n# quirk: b\n# source: a#1\nS: * SEARCH \n",
        );
        assert!(trailing.unwrap_err().contains("line 4"));
    }
}
