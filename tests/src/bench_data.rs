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

// ---------------------------------------------------------------------------------------
// The realistic corpus: FETCH responses shaped like Dovecot's (src/lib-imap/imap-envelope.c,
// imap-bodystructure.c, imap-quote.c) for a mailbox of ordinary mail, newsletters, list
// traffic, forwards, bounces and signed mail.
//
// What Dovecot does, and this generator copies (facts, not code):
// * Date, Message-ID, In-Reply-To, route, mailbox and host are nstrings: quoted, with `\"`
//   and `\\` escaped (up to four escapes), or a literal when the value holds 8-bit bytes,
//   CR or LF, or more than four characters to escape.
// * Subject and display names are written "for humans": the value is cleaned up (TABs and
//   runs of spaces become one space, folding CRLFs are dropped) and sent as a literal
//   whenever it had anything to clean or holds `"`, `\` or 8-bit bytes; a plain value is
//   quoted. A folded long subject therefore arrives as a literal.
// * A missing Sender or Reply-To is filled in with From; missing fields are NIL; a
//   group is `(NIL NIL "name" NIL)` ... `(NIL NIL NIL NIL)` (RFC 3501 §7.4.2).
// * BODYSTRUCTURE parts of a multipart follow each other without a space; a text part
//   without a charset gets `("charset" "us-ascii")`; single-part extension data is md5,
//   disposition, language, location; RFC 2231 parameters keep their `*` name and their
//   `charset''value` form.
// ---------------------------------------------------------------------------------------

/// RFC 2047 encoded words for subjects, in several charsets and both encodings (each
/// comment gives the decoded text).
const SUBJECT_WORDS: &[&str] = &[
    "=?UTF-8?B?R3LDvMOfZSBhdXMgTcO8bmNoZW4g8J+OiQ==?=", // Grüße aus München 🎉
    "=?UTF-8?B?0J/RgNC40LLQtdGCLCDQvNC40YA=?=",         // Привет, мир
    "=?UTF-8?Q?R=C3=A9union_de_l=E2=80=99=C3=A9quipe?=", // Réunion de l’équipe
    "=?UTF-8?Q?=C3=9Cberweisung_best=C3=A4tigt?=",      // Überweisung bestätigt
    "=?UTF-8?B?5ZGo5oql77ya6aG555uu6L+b5bqm?=",         // 周报：项目进度
    "=?utf-8?q?Ihre_Bestellung_wurde_versandt_=E2=9C=93?=", // Ihre Bestellung wurde versandt ✓
    "=?ISO-8859-1?Q?R=FCckfrage_zur_Rechnung?=",        // Rückfrage zur Rechnung
    "=?ISO-8859-1?Q?A=F1o_nuevo=2C_vida_nueva?=",       // Año nuevo, vida nueva
    "=?ISO-8859-15?Q?Prix=3A_20_=A4_seulement?=",       // Prix: 20 € seulement
    "=?windows-1252?Q?Caf=E9_=96_men=FC_=93sp=E9cial=94?=", // Café – menü “spécial”
    "=?ISO-2022-JP?B?GyRCMnE1RCRONUQ7dk8/GyhC?=",       // 会議の議事録
    "=?ISO-2022-JP?B?GyRCJCpIaCRsTU0kRyQ5GyhC?=",       // お疲れ様です
    "=?KOI8-R?B?79Teo9Qg2sEgy9fB0tTBzA==?=",            // Отчёт за квартал
    "=?GB2312?B?u+HS6c2o1qo=?=",                        // 会议通知
    "=?Big5?B?t3zEs7Nxqr4=?=",                          // 會議通知
    "=?ISO-8859-2?Q?=A3=F3d=BC_spotkanie?=",            // Łódź spotkanie
    "=?Shift_JIS?B?jKmQz4+RgsyRl5V0?=",                 // 見積書の送付
];

/// RFC 2047 encoded display names.
const NAME_WORDS: &[&str] = &[
    "=?UTF-8?B?SsO8cmdlbiBXZWnDnw==?=",       // Jürgen Weiß
    "=?UTF-8?Q?Jos=C3=A9_N=C3=BA=C3=B1ez?=",  // José Núñez
    "=?ISO-8859-1?Q?J=F6rg_M=FCller?=",       // Jörg Müller
    "=?ISO-8859-1?Q?Fran=E7oise_Dupr=E9?=",   // Françoise Dupré
    "=?windows-1252?Q?S=F8ren_=C6r=F8?=",     // Søren Ærø
    "=?ISO-2022-JP?B?GyRCOzNFREJATzobKEI=?=", // 山田太郎
    "=?KOI8-R?B?6dfBziDwxdTSz9c=?=",          // Иван Петров
    "=?GB2312?B?zfXQocP3?=",                  // 王小明
    "=?ISO-8859-2?Q?Pawe=B3_=AFak?=",         // Paweł Żak
    "=?UTF-8?B?zpXOu86tzr3OtyDOoM6xz4DOsc60zr/PgM6/z43Ou86/z4U=?=", // Ελένη Παπαδοπούλου
];

/// Subjects and names as raw UTF-8 (8-bit headers, which Dovecot sends as literals).
const RAW_8BIT: &[&str] = &[
    "Überweisung für Dezember",
    "Réservation confirmée",
    "Встреча в пятницу",
    "会議の件について",
    "Ação necessária: atualize seus dados",
    "Οδηγίες σύνδεσης",
    "Zoë's naïve café résumé",
];
const RAW_NAMES: &[&str] = &[
    "Zoë Müller",
    "José García",
    "Łukasz Wiśniewski",
    "Анна Иванова",
    "田中 花子",
    "Ingrid Ødegård",
];
const LIST_TAGS: &[&str] = &[
    "[dev]",
    "[announce]",
    "[users]",
    "[PATCH v2]",
    "[JIRA]",
    "[GitHub]",
];
const PREFIXES: &[&str] = &[
    "", "", "", "", "", "Re: ", "Re: ", "RE: ", "Fwd: ", "AW: ", "Re: Re: ",
];
const HOSTS: &[&str] = &[
    "example.org",
    "example.net",
    "example.com",
    "mail.example.co.uk",
    "lists.example.org",
    "corp.example.com",
    "students.uni-example.de",
    "example.jp",
];
const ZONES: &[&str] = &[
    "+0000", "+0100", "+0200", "-0500", "-0800", "+0900", "+0530",
];

/// Appends without failing (writing to a `Vec` cannot fail).
fn put(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(s.as_bytes());
}

fn put_num(out: &mut Vec<u8>, n: u64) {
    let _ = std::io::Write::write_fmt(out, format_args!("{n}"));
}

fn literal(out: &mut Vec<u8>, v: &str) {
    let _ = std::io::Write::write_fmt(out, format_args!("{{{}}}\r\n", v.len()));
    put(out, v);
}

/// An nstring the way Dovecot's `imap_append_nstring` writes it: NIL, a quoted string
/// with up to four `\"`/`\\` escapes, or a literal (8-bit, CR/LF, or more escapes).
fn dq_nstring(out: &mut Vec<u8>, v: Option<&str>) {
    let Some(v) = v else {
        put(out, "NIL");
        return;
    };
    let escapes = v.bytes().filter(|&b| b == b'"' || b == b'\\').count();
    if !v.is_ascii() || v.contains(['\r', '\n']) || escapes > 4 {
        literal(out, v);
        return;
    }
    out.push(b'"');
    for b in v.bytes() {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// A subject or display name the way Dovecot's `imap_append_string_for_humans` writes it:
/// quoted when nothing needs cleaning, else a literal of the cleaned value. `folded`: the
/// header was folded with a TAB (so it needed cleaning, whatever its characters).
fn dq_human(out: &mut Vec<u8>, v: &str, folded: bool) {
    if v.trim().is_empty() && !v.is_empty() {
        put(out, "\"\"");
    } else if folded || !v.is_ascii() || v.contains(['"', '\\']) {
        literal(out, v);
    } else {
        out.push(b'"');
        put(out, v);
        out.push(b'"');
    }
}

/// A quoted string with `"`/`\` escaped, or a literal for 8-bit (BODYSTRUCTURE fields).
fn dq_string(out: &mut Vec<u8>, v: &str) {
    dq_nstring(out, Some(v));
}

fn alnum(rng: &mut Rng, out: &mut String, n: usize) {
    const SET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    for _ in 0..n {
        out.push(SET[rng.below(SET.len() as u64) as usize] as char);
    }
}

/// Percent chance.
fn chance(rng: &mut Rng, percent: u64) -> bool {
    rng.below(100) < percent
}

/// One address `(name NIL mailbox host)`.
fn dq_address(out: &mut Vec<u8>, rng: &mut Rng) {
    out.push(b'(');
    let first = rng.pick(FIRST);
    let last = rng.pick(LAST);
    match rng.below(100) {
        0..=44 => {
            let name = format!("{first} {last}");
            dq_human(out, &name, false);
        }
        45..=59 => dq_human(out, rng.pick(NAME_WORDS), false),
        60..=67 => dq_human(out, rng.pick(RAW_NAMES), false),
        68..=72 => {
            // `"Last, First"` in the header: the parsed name has no quotes left.
            let name = format!("{last}, {first}");
            dq_human(out, &name, false)
        }
        73..=76 => {
            // A nickname in quotes: the name holds `"`, so Dovecot sends a literal.
            let nick: String = first.chars().take(3).collect();
            let name = format!("{first} \"{nick}\" {last}");
            dq_human(out, &name, false)
        }
        77..=79 => dq_human(out, "Example Support Team (no reply)", false),
        _ => put(out, "NIL"),
    }
    put(out, " NIL ");
    let host = rng.pick(HOSTS);
    let lower = first.to_lowercase();
    let mailbox = match rng.below(100) {
        0..=49 => lower,
        50..=74 => format!("{lower}.{}", last.to_lowercase()),
        75..=84 => format!("{lower}+{}", rng.pick(WORDS).trim_end_matches(':')),
        85..=92 => "noreply".to_owned(),
        93..=97 => format!("bounce-{}-{}", rng.below(1_000_000), rng.below(1000)),
        // A quoted local part (`"john smith"@host`): quotes kept, escaped in the nstring.
        _ => format!("\"{lower} {}\"", last.to_lowercase()),
    };
    dq_nstring(out, Some(&mailbox));
    out.push(b' ');
    dq_nstring(out, Some(host));
    out.push(b')');
}

/// An address list: NIL, addresses, or groups.
fn dq_address_list(out: &mut Vec<u8>, rng: &mut Rng, count: u64) {
    if count == 0 {
        put(out, "NIL");
        return;
    }
    out.push(b'(');
    for _ in 0..count {
        dq_address(out, rng);
    }
    out.push(b')');
}

/// `To:` (or `Cc:`) with group syntax: `undisclosed-recipients:;`, or a named group with
/// members, maybe followed by plain addresses.
fn dq_group_list(out: &mut Vec<u8>, rng: &mut Rng) {
    out.push(b'(');
    if chance(rng, 50) {
        put(
            out,
            "(NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)",
        );
    } else {
        let name = ["project-team", "Board Members", "Family", "all-staff"][rng.below(4) as usize];
        put(out, "(NIL NIL ");
        dq_nstring(out, Some(name));
        put(out, " NIL)");
        for _ in 0..1 + rng.below(4) {
            dq_address(out, rng);
        }
        put(out, "(NIL NIL NIL NIL)");
        if chance(rng, 30) {
            dq_address(out, rng);
        }
    }
    out.push(b')');
}

/// A To or Cc field: `NIL` for draws below `nil_below` (of 100), a group list below
/// `group_below`, otherwise a list of addresses.
fn dq_recipients(out: &mut Vec<u8>, rng: &mut Rng, nil_below: u64, group_below: u64) {
    let draw = rng.below(100);
    if draw < nil_below {
        put(out, "NIL");
    } else if draw < group_below {
        dq_group_list(out, rng);
    } else {
        let n = recipients(rng);
        dq_address_list(out, rng, n);
    }
}

/// How many addresses: mostly one, sometimes a long list.
fn recipients(rng: &mut Rng) -> u64 {
    match rng.below(100) {
        0..=69 => 1,
        70..=84 => 2,
        85..=94 => 3 + rng.below(3),
        _ => 6 + rng.below(20),
    }
}

fn message_id(rng: &mut Rng) -> String {
    let mut s = String::with_capacity(64);
    s.push('<');
    match rng.below(10) {
        0..=3 => {
            s.push_str("CA");
            alnum(rng, &mut s, 40);
            s.push_str("@mail.gmail.com");
        }
        4..=5 => {
            let _ = write!(
                s,
                "{}.{}.",
                1_600_000_000 + rng.below(100_000_000),
                rng.below(100_000)
            );
            alnum(rng, &mut s, 8);
            s.push_str("@mx.example.net");
        }
        6..=7 => {
            alnum(rng, &mut s, 12);
            s.push('$');
            alnum(rng, &mut s, 10);
            s.push('@');
            s.push_str(rng.pick(HOSTS));
        }
        8 => {
            s.push_str("AM0PR0");
            alnum(rng, &mut s, 30);
            s.push_str("@AM0PR02MB1234.eurprd02.prod.outlook.com");
        }
        _ => {
            // A quoted local part in a message id: `\"` escapes in the quoted string.
            s.push('"');
            alnum(rng, &mut s, 10);
            s.push_str(" id\"@");
            s.push_str(rng.pick(HOSTS));
        }
    }
    s.push('>');
    s
}

fn dq_date(out: &mut Vec<u8>, rng: &mut Rng) {
    if chance(rng, 2) {
        put(out, "NIL");
        return;
    }
    let day = 1 + rng.below(28);
    let month = MONTHS[rng.below(12) as usize];
    let year = 2010 + rng.below(17);
    let (h, m, s) = (rng.below(24), rng.below(60), rng.below(60));
    let zone = rng.pick(ZONES);
    let weekday = DAYS[rng.below(7) as usize];
    let date = match rng.below(20) {
        0..=13 => format!("{weekday}, {day} {month} {year} {h:02}:{m:02}:{s:02} {zone}"),
        14..=16 => format!("{weekday}, {day} {month} {year} {h:02}:{m:02}:{s:02} {zone} (UTC)"),
        17..=18 => format!("{day} {month} {year} {h:02}:{m:02}:{s:02} {zone}"),
        _ => format!("{weekday}, {day:02} {month} {year} {h:02}:{m:02}:{s:02} GMT"),
    };
    dq_string(out, &date);
}

fn dq_subject(out: &mut Vec<u8>, rng: &mut Rng, seq: u64) {
    match rng.below(100) {
        0..=1 => return put(out, "NIL"),
        2 => return put(out, "\"\""),
        _ => {}
    }
    let mut s = String::with_capacity(120);
    s.push_str(rng.pick(PREFIXES));
    if chance(rng, 12) {
        s.push_str(rng.pick(LIST_TAGS));
        s.push(' ');
    }
    let mut folded = false;
    match rng.below(100) {
        0..=49 => {
            for i in 0..2 + rng.below(6) {
                if i > 0 {
                    s.push(' ');
                }
                s.push_str(rng.pick(WORDS));
            }
        }
        50..=64 => {
            s.push_str(rng.pick(SUBJECT_WORDS));
            if chance(rng, 50) {
                let _ = write!(s, " {}", rng.pick(WORDS));
            }
        }
        65..=69 => {
            // Two adjacent encoded words (a long encoded subject split by the sender).
            s.push_str(rng.pick(SUBJECT_WORDS));
            s.push(' ');
            s.push_str(rng.pick(SUBJECT_WORDS));
        }
        70..=79 => s.push_str(rng.pick(RAW_8BIT)),
        80..=84 => {
            let _ = write!(s, "Your \"{}\" order", rng.pick(WORDS));
        }
        85..=86 => s.push_str("Path C:\\shared\\reports is full"),
        _ => {
            // A long subject, folded in the header: TAB folding makes Dovecot clean it
            // up and send a literal, space folding keeps it quoted.
            for i in 0..14 + rng.below(10) {
                if i > 0 {
                    s.push(' ');
                }
                s.push_str(rng.pick(WORDS));
            }
            folded = chance(rng, 60);
        }
    }
    if chance(rng, 30) {
        let _ = write!(s, " #{seq}");
    }
    dq_human(out, &s, folded);
}

/// `(date subject from sender reply-to to cc bcc in-reply-to message-id)`.
fn dq_envelope(out: &mut Vec<u8>, rng: &mut Rng, seq: u64) {
    out.push(b'(');
    dq_date(out, rng);
    out.push(b' ');
    dq_subject(out, rng, seq);
    out.push(b' ');
    // From; Sender and Reply-To repeat it unless the message had its own (lists do).
    let mut from = Vec::with_capacity(96);
    if chance(rng, 1) {
        put(&mut from, "NIL");
    } else {
        from.push(b'(');
        dq_address(&mut from, rng);
        from.push(b')');
    }
    out.extend_from_slice(&from);
    out.push(b' ');
    match rng.below(100) {
        0..=84 => out.extend_from_slice(&from),
        85..=94 => put(
            out,
            "((NIL NIL \"dev-bounces+user=example.org\" \"lists.example.org\"))",
        ),
        _ => dq_address_list(out, rng, 1),
    }
    out.push(b' ');
    match rng.below(100) {
        0..=79 => out.extend_from_slice(&from),
        80..=89 => put(out, "((\"Developers\" NIL \"dev\" \"lists.example.org\"))"),
        _ => dq_address_list(out, rng, 1),
    }
    out.push(b' ');
    // To: rarely NIL, sometimes a group; Cc: mostly NIL.
    dq_recipients(out, rng, 3, 10);
    out.push(b' ');
    dq_recipients(out, rng, 70, 72);
    out.push(b' ');
    let bcc = if chance(rng, 4) { 1 + rng.below(2) } else { 0 };
    dq_address_list(out, rng, bcc);
    out.push(b' ');
    if chance(rng, 40) {
        let mut ids = message_id(rng);
        if chance(rng, 5) {
            ids.push(' ');
            ids.push_str(&message_id(rng));
        }
        dq_string(out, &ids);
    } else {
        put(out, "NIL");
    }
    out.push(b' ');
    if chance(rng, 2) {
        put(out, "NIL");
    } else {
        let id = message_id(rng);
        dq_string(out, &id);
    }
    out.push(b')');
}

const FLAG_ODDS: &[(&str, u64)] = &[
    ("\\Seen", 80),
    ("\\Answered", 15),
    ("\\Flagged", 5),
    ("\\Deleted", 1),
    ("\\Draft", 1),
    ("$Forwarded", 6),
    ("$Junk", 2),
    ("Junk", 1),
    ("NonJunk", 20),
    ("$NotJunk", 8),
    ("$MDNSent", 2),
    ("$label1", 3),
    ("$label2", 2),
    ("$label4", 1),
];

/// A message size (RFC822.SIZE): mostly small, a long tail of large ones.
fn message_size(rng: &mut Rng) -> u64 {
    match rng.below(100) {
        0..=59 => 1_500 + rng.below(30_000),
        60..=84 => 30_000 + rng.below(270_000),
        85..=96 => 300_000 + rng.below(4_700_000),
        _ => 5_000_000 + rng.below(20_000_000),
    }
}

fn charset(rng: &mut Rng) -> &'static str {
    match rng.below(100) {
        0..=54 => "(\"charset\" \"utf-8\")",
        55..=64 => "(\"charset\" \"UTF-8\" \"format\" \"flowed\")",
        65..=69 => "(\"charset\" \"utf-8\" \"delsp\" \"yes\" \"format\" \"flowed\")",
        70..=79 => "(\"charset\" \"us-ascii\")",
        80..=87 => "(\"charset\" \"iso-8859-1\")",
        88..=93 => "(\"charset\" \"windows-1252\")",
        94..=95 => "(\"charset\" \"ISO-2022-JP\")",
        96..=97 => "(\"charset\" \"koi8-r\")",
        _ => "(\"charset\" \"gb2312\")",
    }
}

fn language(rng: &mut Rng) -> &'static str {
    match rng.below(100) {
        0..=84 => "NIL",
        85..=91 => "(\"en\")",
        92..=95 => "(\"de-DE\")",
        96..=98 => "(\"en-US\" \"fr\")",
        _ => "(\"ja\")",
    }
}

/// A `text/*` part with extension data.
fn dq_text(out: &mut Vec<u8>, rng: &mut Rng, subtype: &str, size: u64) {
    put(out, "(\"text\" ");
    dq_string(out, subtype);
    out.push(b' ');
    put(out, charset(rng));
    let encoding =
        ["\"7bit\"", "\"8bit\"", "\"quoted-printable\"", "\"base64\""][rng.below(4) as usize];
    put(out, " NIL NIL ");
    put(out, encoding);
    out.push(b' ');
    put_num(out, size);
    out.push(b' ');
    put_num(out, size / 60 + 1);
    put(out, " NIL ");
    put(
        out,
        if chance(rng, 10) {
            "(\"inline\" NIL)"
        } else {
            "NIL"
        },
    );
    out.push(b' ');
    put(out, language(rng));
    put(out, " NIL)");
}

fn boundary(rng: &mut Rng) -> String {
    let mut s = String::with_capacity(48);
    match rng.below(3) {
        0 => {
            s.push_str("----=_Part_");
            let _ = write!(
                s,
                "{}_{}.{}",
                rng.below(1_000_000),
                rng.below(1_000_000_000),
                1_700_000_000_000 + rng.below(100_000_000_000)
            );
        }
        1 => {
            s.push_str("000000000000");
            alnum(rng, &mut s, 16);
        }
        _ => {
            s.push_str("_000_");
            alnum(rng, &mut s, 28);
            s.push('_');
        }
    }
    s
}

/// Closes a multipart: ` "subtype" ("boundary" "...") NIL NIL NIL)`.
fn dq_multipart_end(out: &mut Vec<u8>, rng: &mut Rng, subtype: &str, extra: &str) {
    put(out, " ");
    dq_string(out, subtype);
    put(out, " (\"boundary\" ");
    let b = boundary(rng);
    dq_string(out, &b);
    put(out, extra);
    put(out, ") NIL ");
    put(out, language(rng));
    put(out, " NIL)");
}

fn dq_alternative(out: &mut Vec<u8>, rng: &mut Rng, size: u64) {
    out.push(b'(');
    dq_text(out, rng, "plain", size / 3 + 10);
    dq_text(out, rng, "html", size / 2 + 50);
    if chance(rng, 3) {
        // A calendar invitation as a third alternative.
        put(
            out,
            "(\"text\" \"calendar\" (\"charset\" \"utf-8\" \"method\" \"REQUEST\") NIL NIL \"base64\" ",
        );
        put_num(out, 1500 + rng.below(4000));
        put(out, " 40 NIL NIL NIL NIL)");
    }
    dq_multipart_end(out, rng, "alternative", "");
}

const ATTACHMENTS: &[(&str, &str, &str)] = &[
    ("application", "pdf", "pdf"),
    (
        "application",
        "vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
    ),
    (
        "application",
        "vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    ),
    ("application", "zip", "zip"),
    ("image", "jpeg", "jpg"),
    ("image", "png", "png"),
    ("application", "octet-stream", "bin"),
    ("text", "csv", "csv"),
];
const FILE_STEMS: &[&str] = &[
    "Report Q3",
    "invoice_2026-0412",
    "IMG_4031",
    "scan0001",
    "Protokoll",
    "budget",
    "slides-final-v3",
];

/// An attachment: name and filename parameters in the forms mail clients write them.
fn dq_attachment(out: &mut Vec<u8>, rng: &mut Rng, size: u64) {
    let (ty, sub, ext) = ATTACHMENTS[rng.below(ATTACHMENTS.len() as u64) as usize];
    let stem = rng.pick(FILE_STEMS);
    put(out, "(");
    dq_string(out, ty);
    out.push(b' ');
    dq_string(out, sub);
    let kind = rng.below(100);
    let (name, dsp_params): (String, String) = match kind {
        0..=59 => {
            let f = format!("{stem}.{ext}");
            let mut q = Vec::new();
            dq_string(&mut q, &f);
            let q = String::from_utf8(q).unwrap_or_default();
            (f, format!("\"filename\" {q} \"size\" \"{size}\""))
        }
        60..=71 => {
            // RFC 2231: `filename*=utf-8''Pr%C3%BCfbericht%202026.pdf`, kept encoded.
            let f = format!("=?UTF-8?Q?Pr=C3=BCfbericht_2026?=.{ext}");
            (
                f,
                format!("\"filename*\" \"utf-8''Pr%C3%BCfbericht%202026.{ext}\""),
            )
        }
        72..=81 => {
            // 8-bit file name: raw UTF-8 in the header, a literal on the wire.
            let f = format!("Präsentation für Kunden.{ext}");
            (f.clone(), format!("\"filename\" {{{}}}\r\n{f}", f.len()))
        }
        82..=89 => {
            // A Windows path and a quote in the name: escapes in the quoted string.
            let f = format!("C:\\Users\\jo\\\"{stem}\".{ext}");
            let mut q = Vec::new();
            dq_string(&mut q, &f);
            let q = String::from_utf8(q).unwrap_or_default();
            (f, format!("\"filename\" {q}"))
        }
        _ => (format!("{stem}.{ext}"), String::new()),
    };
    put(out, " (\"name\" ");
    dq_string(out, &name);
    put(out, ") NIL ");
    if chance(rng, 10) {
        dq_string(out, &format!("Scan of \"{stem}\""));
    } else {
        put(out, "NIL");
    }
    put(out, " \"base64\" ");
    put_num(out, size);
    if ty == "text" {
        out.push(b' ');
        put_num(out, size / 70 + 1);
    }
    put(out, " NIL ");
    if dsp_params.is_empty() {
        put(out, "(\"attachment\" NIL)");
    } else {
        put(out, "(\"attachment\" (");
        put(out, &dsp_params);
        put(out, "))");
    }
    put(out, " NIL NIL)");
}

/// An inline image of an HTML message, with its Content-ID.
fn dq_inline_image(out: &mut Vec<u8>, rng: &mut Rng, n: u64) {
    let size = 2_000 + rng.below(200_000);
    let tag = rng.next_u64() as u32;
    let _ = std::io::Write::write_fmt(
        out,
        format_args!(
            "(\"image\" \"png\" (\"name\" \"image{n:03}.png\") \"<image{n:03}.png@01DA{tag:08X}.5F3E2A10>\" NIL \"base64\" {size} NIL (\"inline\" (\"filename\" \"image{n:03}.png\" \"size\" \"{}\")) NIL NIL)",
            size * 3 / 4
        ),
    );
}

/// `message/rfc822` with the enclosed message's envelope and structure.
fn dq_message_part(out: &mut Vec<u8>, rng: &mut Rng, seq: u64, size: u64, depth: u32) {
    put(out, "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" ");
    put_num(out, size);
    out.push(b' ');
    dq_envelope(out, rng, seq);
    out.push(b' ');
    dq_structure(out, rng, seq, size * 9 / 10, depth + 1);
    out.push(b' ');
    put_num(out, size / 70 + 1);
    put(out, " NIL ");
    put(
        out,
        if chance(rng, 50) {
            "(\"attachment\" (\"filename\" \"Forwarded message.eml\"))"
        } else {
            "(\"inline\" NIL)"
        },
    );
    put(out, " NIL NIL)");
}

/// A body structure of about `size` octets; `depth` limits nested messages.
fn dq_structure(out: &mut Vec<u8>, rng: &mut Rng, seq: u64, size: u64, depth: u32) {
    let roll = rng.below(100);
    match roll {
        0..=24 => dq_text(out, rng, "plain", size),
        25..=27 => dq_text(out, rng, "html", size),
        28..=51 => dq_alternative(out, rng, size),
        52..=71 => {
            // mixed > (alternative > plain, html), attachments
            out.push(b'(');
            if chance(rng, 70) {
                dq_alternative(out, rng, size / 5);
            } else {
                dq_text(out, rng, "plain", size / 5);
            }
            let n = 1 + rng.below(3);
            for _ in 0..n {
                dq_attachment(out, rng, size * 4 / 5 / n);
            }
            dq_multipart_end(out, rng, "mixed", "");
        }
        72..=81 => {
            // related > (alternative > plain, html), inline images; sometimes inside mixed
            let mixed = chance(rng, 40);
            if mixed {
                out.push(b'(');
            }
            out.push(b'(');
            dq_alternative(out, rng, size / 4);
            for i in 0..1 + rng.below(4) {
                dq_inline_image(out, rng, i + 1);
            }
            dq_multipart_end(out, rng, "related", " \"type\" \"multipart/alternative\"");
            if mixed {
                dq_attachment(out, rng, size / 2);
                dq_multipart_end(out, rng, "mixed", "");
            }
        }
        82..=88 if depth < 2 => {
            // A forward as an attachment: mixed > plain, message/rfc822
            out.push(b'(');
            let note = 300 + rng.below(2000);
            dq_text(out, rng, "plain", note);
            dq_message_part(out, rng, seq, size * 8 / 10, depth);
            dq_multipart_end(out, rng, "mixed", "");
        }
        89..=92 if depth < 2 => {
            // A bounce: report > plain, delivery-status, the returned message
            out.push(b'(');
            let note = 600 + rng.below(600);
            dq_text(out, rng, "plain", note);
            put(
                out,
                "(\"message\" \"delivery-status\" NIL NIL NIL \"7bit\" ",
            );
            put_num(out, 300 + rng.below(200));
            put(out, " NIL NIL NIL NIL)");
            if chance(rng, 50) {
                dq_message_part(out, rng, seq, size / 2, depth);
            } else {
                put(
                    out,
                    "(\"text\" \"rfc822-headers\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" ",
                );
                put_num(out, 1000 + rng.below(2000));
                put(out, " 30 NIL NIL NIL NIL)");
            }
            dq_multipart_end(out, rng, "report", " \"report-type\" \"delivery-status\"");
        }
        _ => {
            // signed > plain, signature
            out.push(b'(');
            dq_text(out, rng, "plain", size);
            put(
                out,
                "(\"application\" \"pgp-signature\" (\"name\" \"signature.asc\") NIL \"OpenPGP digital signature\" \"7bit\" 833 NIL (\"attachment\" (\"filename\" \"signature.asc\")) NIL NIL)",
            );
            dq_multipart_end(
                out,
                rng,
                "signed",
                " \"micalg\" \"pgp-sha256\" \"protocol\" \"application/pgp-signature\"",
            );
        }
    }
}

/// The items of the realistic corpus's command, in Dovecot's answer order.
pub fn realistic_items(with_bodystructure: bool) -> &'static str {
    if with_bodystructure {
        "(UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE BODYSTRUCTURE)"
    } else {
        "(UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE)"
    }
}

/// Writes the realistic corpus one message at a time, so a server can stream a large
/// response without holding it. The same seed gives the same messages with or without
/// BODYSTRUCTURE (the structure has a generator of its own), so the two corpora differ
/// only by that item.
#[derive(Debug, Clone)]
pub struct RealisticCorpus {
    envelopes: Rng,
    structures: Rng,
    with_bodystructure: bool,
    next: u64,
}

impl RealisticCorpus {
    /// Starts at message 1.
    pub fn new(with_bodystructure: bool) -> RealisticCorpus {
        RealisticCorpus {
            envelopes: Rng::new(0x5eed_2047),
            structures: Rng::new(0x5eed_3501),
            with_bodystructure,
            next: 1,
        }
    }

    /// Appends the next message's `* n FETCH (...)\r\n`.
    pub fn write_next(&mut self, out: &mut Vec<u8>) {
        let seq = self.next;
        self.next += 1;
        let rng = &mut self.envelopes;
        // UIDs with gaps (expunged messages), as in a mailbox in use.
        let uid = seq * 3 / 2 + 100;
        put(out, "* ");
        put_num(out, seq);
        put(out, " FETCH (UID ");
        put_num(out, uid);
        put(out, " FLAGS (");
        let mut first = true;
        for &(flag, odds) in FLAG_ODDS {
            if chance(rng, odds) {
                if !first {
                    out.push(b' ');
                }
                first = false;
                put(out, flag);
            }
        }
        put(out, ") RFC822.SIZE ");
        let size = message_size(rng);
        put_num(out, size);
        let _ = std::io::Write::write_fmt(
            out,
            format_args!(
                " INTERNALDATE \"{:02}-{}-{} {:02}:{:02}:{:02} {}\" ENVELOPE ",
                1 + rng.below(28),
                MONTHS[rng.below(12) as usize],
                2010 + rng.below(17),
                rng.below(24),
                rng.below(60),
                rng.below(60),
                rng.pick(ZONES)
            ),
        );
        dq_envelope(out, rng, seq);
        if self.with_bodystructure {
            put(out, " BODYSTRUCTURE ");
            dq_structure(out, &mut self.structures, seq, size, 0);
        }
        put(out, ")\r\n");
    }
}

/// The untagged FETCH responses of `UID FETCH 1:n` + [`realistic_items`] for a mailbox of
/// `n` messages of realistic mail (see [`RealisticCorpus`]).
pub fn realistic_responses(n: u64, with_bodystructure: bool) -> Vec<u8> {
    let per = if with_bodystructure { 1700 } else { 800 };
    let mut out = Vec::with_capacity(n as usize * per);
    let mut corpus = RealisticCorpus::new(with_bodystructure);
    for _ in 0..n {
        corpus.write_next(&mut out);
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
    use imap_async::proto::{
        Address, BodyStructure, Envelope, FetchItem, Framer, Limits, Response, Untagged,
        parse_response,
    };
    use std::collections::BTreeSet;

    /// What a sample of the realistic corpus holds, counted from imap-async's parse of it.
    #[derive(Default, Debug)]
    struct Census {
        messages: usize,
        literals: usize,
        group_starts: usize,
        group_ends: usize,
        undisclosed: usize,
        /// `charset?encoding` of every encoded word seen in subjects and display names.
        encoded: BTreeSet<String>,
        eight_bit: usize,
        nil_subject: usize,
        empty_subject: usize,
        nil_to: usize,
        nil_cc: usize,
        nil_in_reply_to: usize,
        /// Values holding `"` or `\` (escaped in a quoted string or sent as a literal).
        specials: usize,
        keywords: BTreeSet<String>,
        structures: usize,
        max_depth: usize,
        enclosed_messages: usize,
        content_ids: usize,
        rfc2231_filenames: usize,
        eight_bit_filenames: usize,
        languages: usize,
        sizes_over_1mb: usize,
        sizes_under_10k: usize,
    }

    impl Census {
        fn text(&mut self, v: &[u8]) {
            if !v.is_ascii() {
                self.eight_bit += 1;
            }
            if v.contains(&b'"') || v.contains(&b'\\') {
                self.specials += 1;
            }
            let text = String::from_utf8_lossy(v);
            for word in text.split("=?").skip(1) {
                let mut parts = word.splitn(3, '?');
                if let (Some(cs), Some(enc)) = (parts.next(), parts.next()) {
                    self.encoded
                        .insert(format!("{}?{}", cs.to_lowercase(), enc.to_uppercase()));
                }
            }
        }

        fn addresses(&mut self, list: &Option<Vec<Address>>) {
            for a in list.iter().flatten() {
                match (&a.mailbox, &a.host) {
                    (Some(m), None) => {
                        self.group_starts += 1;
                        if &m[..] == b"undisclosed-recipients" {
                            self.undisclosed += 1;
                        }
                    }
                    (None, None) => self.group_ends += 1,
                    (Some(m), Some(_)) if m.contains(&b'"') => self.specials += 1,
                    _ => {}
                }
                if let Some(name) = &a.name {
                    self.text(name);
                }
            }
        }

        fn envelope(&mut self, e: &Envelope) {
            match &e.subject {
                None => self.nil_subject += 1,
                Some(s) if s.is_empty() => self.empty_subject += 1,
                Some(s) => self.text(s),
            }
            self.nil_to += usize::from(e.to.is_none());
            self.nil_cc += usize::from(e.cc.is_none());
            self.nil_in_reply_to += usize::from(e.in_reply_to.is_none());
            if e.message_id.as_ref().is_some_and(|id| id.contains(&b'"')) {
                self.specials += 1;
            }
            for list in [&e.from, &e.sender, &e.reply_to, &e.to, &e.cc, &e.bcc] {
                self.addresses(list);
            }
        }

        fn params(&mut self, params: &[(bytes::Bytes, Option<bytes::Bytes>)]) {
            for (k, v) in params {
                if &k[..] == b"filename*" {
                    self.rfc2231_filenames += 1;
                }
                if let Some(v) = v {
                    if &k[..] == b"filename" && !v.is_ascii() {
                        self.eight_bit_filenames += 1;
                    }
                    if v.contains(&b'"') || v.contains(&b'\\') {
                        self.specials += 1;
                    }
                }
            }
        }

        fn structure(&mut self, b: &BodyStructure, depth: usize) {
            self.max_depth = self.max_depth.max(depth);
            match b {
                BodyStructure::Single {
                    id, message, ext, ..
                } => {
                    self.content_ids += usize::from(id.is_some());
                    if let Some(ext) = ext {
                        if let Some(d) = &ext.disposition {
                            self.params(&d.params);
                        }
                        self.languages += usize::from(ext.language.is_some());
                    }
                    if let Some(m) = message {
                        self.enclosed_messages += 1;
                        self.envelope(&m.0);
                        self.structure(&m.1, depth + 1);
                    }
                }
                BodyStructure::Multipart { parts, .. } => {
                    for p in parts {
                        self.structure(p, depth + 1);
                    }
                }
            }
        }

        /// Frames `data` with imap-async's framer and parses every response with its parser.
        fn of(data: &[u8]) -> Census {
            let mut c = Census::default();
            let mut framer = Framer::new(Limits::default());
            let mut rest = data;
            while !rest.is_empty() {
                let n = framer
                    .frame(rest)
                    .expect("frame")
                    .expect("a whole response");
                let frame = &rest[..n];
                c.literals += frame.windows(3).filter(|w| w == b"}\r\n").count();
                let response = parse_response(bytes::Bytes::copy_from_slice(frame))
                    .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(frame)));
                let Response::Untagged(Untagged::Fetch { items, .. }) = response else {
                    panic!("not a FETCH: {}", String::from_utf8_lossy(frame));
                };
                c.messages += 1;
                for item in &items.to_vec() {
                    match item {
                        FetchItem::Flags(flags) => {
                            for f in flags.iter().filter(|f| !f.starts_with(b"\\")) {
                                c.keywords.insert(String::from_utf8_lossy(f).into_owned());
                            }
                        }
                        FetchItem::Rfc822Size(n) => {
                            c.sizes_over_1mb += usize::from(*n > 1_000_000);
                            c.sizes_under_10k += usize::from(*n < 10_000);
                        }
                        FetchItem::Envelope(e) => c.envelope(e),
                        FetchItem::BodyStructure(b) => {
                            c.structures += 1;
                            c.structure(b, 0);
                        }
                        _ => {}
                    }
                }
                rest = &rest[n..];
            }
            c
        }
    }

    #[test]
    fn realistic_corpus_holds_what_real_mail_holds() {
        let n = 3000;
        let data = realistic_responses(n, true);
        assert_eq!(data, realistic_responses(n, true), "deterministic");
        let c = Census::of(&data);
        assert_eq!(c.messages as u64, n);
        assert_eq!(c.structures as u64, n);
        let share = |k: usize| k as f64 / n as f64;
        // Literals: 8-bit names and subjects, folded subjects, 8-bit file names.
        assert!(share(c.literals) > 0.2, "{c:?}");
        assert!(share(c.eight_bit) > 0.1, "{c:?}");
        assert!(c.eight_bit_filenames > 10, "{c:?}");
        // Encoded words in many charsets, both encodings.
        for cs in [
            "utf-8?B",
            "utf-8?Q",
            "iso-8859-1?Q",
            "iso-2022-jp?B",
            "windows-1252?Q",
            "koi8-r?B",
            "gb2312?B",
        ] {
            assert!(c.encoded.contains(cs), "no {cs} in {:?}", c.encoded);
        }
        // Groups: every start has its end; undisclosed-recipients and named groups.
        assert!(
            c.group_starts > 100 && c.group_starts == c.group_ends,
            "{c:?}"
        );
        assert!(
            c.undisclosed > 50 && c.undisclosed < c.group_starts,
            "{c:?}"
        );
        // NIL and empty fields.
        assert!(c.nil_subject > 10 && c.empty_subject > 5, "{c:?}");
        assert!(
            c.nil_to > 10 && share(c.nil_cc) > 0.5 && share(c.nil_in_reply_to) > 0.4,
            "{c:?}"
        );
        assert!(c.specials > 200, "{c:?}");
        for k in ["$Forwarded", "$Junk", "NonJunk", "$label1", "$NotJunk"] {
            assert!(c.keywords.contains(k), "no {k} in {:?}", c.keywords);
        }
        // Nested structures: mixed > related > alternative > text is depth 3; a forward's
        // enclosed alternative is deeper still.
        assert!(c.max_depth >= 4, "{c:?}");
        assert!(c.enclosed_messages > 100, "{c:?}");
        assert!(
            c.content_ids > 100 && c.rfc2231_filenames > 50 && c.languages > 100,
            "{c:?}"
        );
        assert!(c.sizes_over_1mb > 50 && c.sizes_under_10k > 300, "{c:?}");
    }

    /// Every message's items but BODYSTRUCTURE.
    fn without_structures(data: &[u8]) -> Vec<Vec<FetchItem>> {
        let mut framer = Framer::new(Limits::default());
        let mut rest = data;
        let mut all = Vec::new();
        while let Some(n) = framer.frame(rest).expect("frame") {
            let frame = bytes::Bytes::copy_from_slice(&rest[..n]);
            if let Ok(Response::Untagged(Untagged::Fetch { items, .. })) = parse_response(frame) {
                let mut items = items.to_vec();
                items.retain(|i| !matches!(i, FetchItem::BodyStructure(_)));
                all.push(items);
            }
            rest = &rest[n..];
        }
        all
    }

    #[test]
    fn realistic_corpus_without_bodystructure_has_the_same_messages() {
        let with = realistic_responses(500, true);
        let without = realistic_responses(500, false);
        assert!(
            without.len() * 3 / 2 < with.len(),
            "{} vs {}",
            without.len(),
            with.len()
        );
        let a = without_structures(&without);
        assert_eq!(a.len(), 500);
        assert_eq!(a, without_structures(&with));
    }

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
