//! Generated data for the benchmark programs (`src/bin/bench_*.rs`): FETCH responses as a
//! server sends them, and RFC 822 messages to put in a maildir. Deterministic (a fixed
//! pseudo-random sequence), so every run measures the same bytes.

use std::fmt::Write as _;
use std::time::Duration;

/// A small deterministic generator (xorshift64*), so the data does not depend on a crate.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// In `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const FIRST: &[&str] = &[
    "Alice", "Bob", "Carol", "Dave", "Eve", "Frank", "Grace", "Heidi", "Ivan", "Judy", "Mallory",
    "Niaj", "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Victor", "Walter", "Zoë",
];
const LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Müller",
    "García",
    "Martin",
    "Rossi",
    "Novak",
    "Kowalski",
    "Dubois",
    "Andersson",
    "Tanaka",
    "Okafor",
];
const DOMAINS: &[&str] = &["example.org", "example.net", "example.com", "ex.co.uk"];
const WORDS: &[&str] = &[
    "quarterly",
    "report",
    "meeting",
    "re:",
    "update",
    "invoice",
    "the",
    "project",
    "draft",
    "review",
    "lunch",
    "schedule",
    "release",
    "notes",
    "budget",
    "question",
    "about",
    "next",
    "week",
    "plan",
    "urgent",
    "fwd:",
    "photos",
    "build",
    "failed",
    "deploy",
    "server",
    "weekly",
];

/// One person: (display name, mailbox, host).
fn person(rng: &mut Rng) -> (String, String, &'static str) {
    let first = rng.pick(FIRST);
    let last = rng.pick(LAST);
    let host = DOMAINS[rng.below(DOMAINS.len() as u64) as usize];
    (format!("{first} {last}"), first.to_lowercase(), host)
}

fn subject(rng: &mut Rng, n: u64) -> String {
    let words = 2 + rng.below(5);
    let mut s = String::new();
    for i in 0..words {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(rng.pick(WORDS));
    }
    let _ = write!(s, " #{n}");
    s
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// A message's metadata, the same whether it is rendered as an ENVELOPE response or as an
/// RFC 822 header.
#[derive(Debug, Clone)]
pub struct MessageMeta {
    pub seq: u64,
    pub uid: u64,
    pub size: u64,
    pub seen: bool,
    pub flagged: bool,
    pub day: u32,
    pub month: usize,
    pub year: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub weekday: usize,
    pub from: (String, String, &'static str),
    pub to: Vec<(String, String, &'static str)>,
    pub cc: Vec<(String, String, &'static str)>,
    pub subject: String,
    pub message_id: String,
    pub in_reply_to: Option<String>,
}

impl MessageMeta {
    pub fn generate(rng: &mut Rng, seq: u64) -> MessageMeta {
        let from = person(rng);
        let to = vec![person(rng)];
        let cc = if rng.below(5) == 0 {
            vec![person(rng)]
        } else {
            Vec::new()
        };
        let reply = rng.below(4) == 0;
        MessageMeta {
            seq,
            uid: seq,
            size: 2000 + rng.below(18_000),
            seen: rng.below(4) != 0,
            flagged: rng.below(20) == 0,
            day: 1 + rng.below(28) as u32,
            month: rng.below(12) as usize,
            year: 2015 + rng.below(10) as u32,
            hour: rng.below(24) as u32,
            minute: rng.below(60) as u32,
            second: rng.below(60) as u32,
            weekday: rng.below(7) as usize,
            message_id: format!(
                "<{seq}.{:06x}@{}>",
                rng.next_u64() as u32 & 0xff_ffff,
                from.2
            ),
            in_reply_to: reply.then(|| format!("<{:08x}@{}>", rng.next_u64() as u32, from.2)),
            subject: subject(rng, seq),
            from,
            to,
            cc,
        }
    }

    pub fn rfc822_date(&self) -> String {
        format!(
            "{}, {} {} {} {:02}:{:02}:{:02} +0000",
            DAYS[self.weekday],
            self.day,
            MONTHS[self.month],
            self.year,
            self.hour,
            self.minute,
            self.second
        )
    }

    pub fn internal_date(&self) -> String {
        format!(
            "{:02}-{}-{} {:02}:{:02}:{:02} +0000",
            self.day, MONTHS[self.month], self.year, self.hour, self.minute, self.second
        )
    }

    fn flags(&self) -> &'static str {
        match (self.seen, self.flagged) {
            (true, true) => "\\Seen \\Flagged",
            (true, false) => "\\Seen",
            (false, true) => "\\Flagged",
            (false, false) => "",
        }
    }

    /// `* seq FETCH (UID .. FLAGS (..) RFC822.SIZE .. INTERNALDATE ".." ENVELOPE (..))`
    /// in Dovecot's item order.
    pub fn write_envelope_fetch(&self, out: &mut Vec<u8>) {
        let mut s = String::with_capacity(400);
        let _ = write!(
            s,
            "* {} FETCH (UID {} FLAGS ({}) RFC822.SIZE {} INTERNALDATE \"{}\" ENVELOPE (\"{}\" ",
            self.seq,
            self.uid,
            self.flags(),
            self.size,
            self.internal_date(),
            self.rfc822_date()
        );
        push_nstring(&mut s, &self.subject);
        s.push(' ');
        let from = std::slice::from_ref(&self.from);
        push_addresses(&mut s, from);
        s.push(' ');
        push_addresses(&mut s, from);
        s.push(' ');
        push_addresses(&mut s, from);
        s.push(' ');
        push_addresses(&mut s, &self.to);
        s.push(' ');
        push_addresses(&mut s, &self.cc);
        s.push_str(" NIL ");
        match &self.in_reply_to {
            Some(r) => push_nstring(&mut s, r),
            None => s.push_str("NIL"),
        }
        s.push(' ');
        push_nstring(&mut s, &self.message_id);
        s.push_str("))\r\n");
        out.extend_from_slice(s.as_bytes());
    }

    /// The message as a file: header and a plain-text body of about `self.size` bytes.
    pub fn rfc822(&self, rng: &mut Rng) -> Vec<u8> {
        let mut s = String::with_capacity(self.size as usize + 512);
        let addr = |p: &(String, String, &str)| format!("\"{}\" <{}@{}>", p.0, p.1, p.2);
        let _ = write!(s, "Date: {}\r\n", self.rfc822_date());
        let _ = write!(s, "From: {}\r\n", addr(&self.from));
        let to: Vec<String> = self.to.iter().map(addr).collect();
        let _ = write!(s, "To: {}\r\n", to.join(", "));
        if !self.cc.is_empty() {
            let cc: Vec<String> = self.cc.iter().map(addr).collect();
            let _ = write!(s, "Cc: {}\r\n", cc.join(", "));
        }
        let _ = write!(s, "Subject: {}\r\n", self.subject);
        let _ = write!(s, "Message-ID: {}\r\n", self.message_id);
        if let Some(r) = &self.in_reply_to {
            let _ = write!(s, "In-Reply-To: {r}\r\n");
        }
        s.push_str("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n");
        while (s.len() as u64) < self.size {
            let mut line = String::new();
            while line.len() < 70 {
                line.push_str(rng.pick(WORDS));
                line.push(' ');
            }
            s.push_str(line.trim_end());
            s.push_str("\r\n");
        }
        s.into_bytes()
    }
}

/// A quoted string, or a literal when it holds 8-bit or special characters (as Dovecot
/// does for non-ASCII names in ENVELOPE).
fn push_nstring(s: &mut String, v: &str) {
    if v.is_ascii() && !v.contains(['"', '\\', '\r', '\n']) {
        s.push('"');
        s.push_str(v);
        s.push('"');
    } else {
        let _ = write!(s, "{{{}}}\r\n{v}", v.len());
    }
}

fn push_addresses(s: &mut String, list: &[(String, String, &str)]) {
    if list.is_empty() {
        s.push_str("NIL");
        return;
    }
    s.push('(');
    for (name, mailbox, host) in list {
        s.push('(');
        push_nstring(s, name);
        s.push_str(" NIL ");
        push_nstring(s, mailbox);
        s.push(' ');
        push_nstring(s, host);
        s.push(')');
    }
    s.push(')');
}

/// The untagged FETCH responses of `UID FETCH 1:n (UID FLAGS RFC822.SIZE INTERNALDATE
/// ENVELOPE)` for a mailbox of `n` messages (about 280 bytes each).
pub fn envelope_responses(n: u64) -> Vec<u8> {
    let mut rng = Rng::new(0x1a2b_3c4d);
    let mut out = Vec::with_capacity(n as usize * 300);
    for seq in 1..=n {
        MessageMeta::generate(&mut rng, seq).write_envelope_fetch(&mut out);
    }
    out
}

/// `* n FETCH (UID n BODYSTRUCTURE (...))` with a multipart/alternative or mixed structure.
pub fn bodystructure_responses(n: u64) -> Vec<u8> {
    let mut rng = Rng::new(7);
    let mut out = Vec::with_capacity(n as usize * 400);
    for seq in 1..=n {
        let text = 200 + rng.below(20_000);
        let html = 500 + rng.below(60_000);
        let lines = text / 60;
        let alt = format!(
            "((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" {text} {lines} NIL NIL NIL NIL)\
             (\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"base64\" {html} {} NIL NIL NIL NIL) \
             \"alternative\" (\"boundary\" \"b1_{seq:x}\") NIL NIL NIL)",
            html / 76
        );
        let structure = if rng.below(3) == 0 {
            let att = 10_000 + rng.below(2_000_000);
            format!(
                "({alt}(\"application\" \"pdf\" (\"name\" \"report-{seq}.pdf\") NIL NIL \"base64\" {att} NIL \
                 (\"attachment\" (\"filename\" \"report-{seq}.pdf\")) NIL NIL) \"mixed\" (\"boundary\" \"b0_{seq:x}\") NIL NIL NIL)"
            )
        } else {
            alt
        };
        out.extend_from_slice(
            format!("* {seq} FETCH (UID {seq} BODYSTRUCTURE {structure})\r\n").as_bytes(),
        );
    }
    out
}

/// `* n FETCH (UID n FLAGS (...))`.
pub fn flags_responses(n: u64) -> Vec<u8> {
    let mut rng = Rng::new(11);
    let mut out = Vec::with_capacity(n as usize * 50);
    let sets = [
        "\\Seen",
        "\\Seen \\Answered",
        "",
        "\\Seen $Label1",
        "\\Flagged \\Seen",
        "\\Seen NonJunk",
    ];
    for seq in 1..=n {
        let flags = sets[rng.below(sets.len() as u64) as usize];
        out.extend_from_slice(format!("* {seq} FETCH (UID {seq} FLAGS ({flags}))\r\n").as_bytes());
    }
    out
}

/// `* n FETCH (UID n BODY[] {size}\r\n<size bytes>)`: whole messages as literals.
pub fn literal_responses(n: u64, size: usize) -> Vec<u8> {
    let mut rng = Rng::new(13);
    let mut out = Vec::with_capacity(n as usize * (size + 64));
    for seq in 1..=n {
        let meta = MessageMeta {
            size: size as u64,
            ..MessageMeta::generate(&mut rng, seq)
        };
        let mut body = meta.rfc822(&mut rng);
        body.truncate(size);
        out.extend_from_slice(
            format!("* {seq} FETCH (UID {seq} BODY[] {{{}}}\r\n", body.len()).as_bytes(),
        );
        out.extend_from_slice(&body);
        out.extend_from_slice(b")\r\n");
    }
    out
}

/// CPU time (user and system) the calling thread has used so far. A benchmark's client runs
/// on a thread of its own, so the difference over a run is the client's CPU alone: on a
/// shared machine a steadier figure than the wall-clock time, which also counts the waits
/// for a busy core.
pub fn thread_cpu() -> Duration {
    // SAFETY: getrusage only writes into the struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) };
    assert_eq!(rc, 0, "getrusage(RUSAGE_THREAD) failed");
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Per-round ratios `a / b` of two readers' times, as the median with the lowest and the
/// highest. Two readers timed moments apart in one round mostly share a slow spell of a
/// busy machine, so these ratios move less from run to run than the ratio of two medians.
pub fn round_ratios(pairs: impl IntoIterator<Item = (Duration, Duration)>) -> (f64, f64, f64) {
    let mut ratios: Vec<f64> = pairs
        .into_iter()
        .map(|(a, b)| a.as_secs_f64() / b.as_secs_f64())
        .collect();
    assert!(!ratios.is_empty(), "no rounds");
    ratios.sort_by(f64::total_cmp);
    (
        ratios[ratios.len() / 2],
        ratios[0],
        ratios[ratios.len() - 1],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_responses_are_deterministic_and_realistic() {
        let a = envelope_responses(1000);
        let b = envelope_responses(1000);
        assert_eq!(a, b);
        let lines = a
            .split(|&c| c == b'\n')
            .filter(|l| l.starts_with(b"* "))
            .count();
        // Literals (non-ASCII names) add lines, never remove one.
        assert!(lines >= 1000, "{lines}");
        let per_message = a.len() / 1000;
        assert!(
            (250..500).contains(&per_message),
            "{per_message} bytes each"
        );
    }
}
