//! Reading an [`Envelope`] as a person would: header text with its RFC 2047 encoded words
//! decoded, addresses written as in a message header (RFC 5322 §3.4) and gathered into
//! their groups, and the Date header parsed with its zone (RFC 5322 §3.3 and the obsolete
//! forms of §4.3).
//!
//! The envelope itself keeps the bytes the server sent; everything here is computed from
//! them on request and never fails: text that does not decode is returned as sent.
//!
//! ```
//! // Every type of a FETCH result is named from the crate root.
//! use imap_async::proto::{parse_response, Response};
//! use imap_async::{AddressOrGroup, Bytes, Envelope, FetchItem, Untagged};
//!
//! let wire = b"* 1 FETCH (ENVELOPE (\"Mon, 7 Dec 2026 10:00:00 +0100\" \
//!     \"=?UTF-8?Q?Caf=C3=A9?=\" ((\"Doe, John\" NIL \"john\" \"example.org\")) NIL NIL \
//!     ((NIL NIL \"team\" NIL)(NIL NIL \"ann\" \"example.org\")(NIL NIL NIL NIL)) \
//!     NIL NIL NIL \"<m1@example.org>\"))\r\n";
//! let Response::Untagged(Untagged::Fetch { items, .. }) =
//!     parse_response(Bytes::from_static(wire)).unwrap()
//! else {
//!     unreachable!()
//! };
//! let FetchItem::Envelope(env) = &items.to_vec()[0] else { unreachable!() };
//! let env: &Envelope = env;
//! assert!(matches!(env.from_grouped()[0], AddressOrGroup::Mailbox(_)));
//!
//! # #[cfg(feature = "rfc2047")]
//! assert_eq!(env.subject_decoded().as_deref(), Some("Café"));
//! assert_eq!(env.from_grouped()[0].to_string(), "\"Doe, John\" <john@example.org>");
//! assert_eq!(env.to_grouped()[0].to_string(), "team: ann@example.org;");
//! assert_eq!(env.date_parsed().unwrap().to_rfc3339(), "2026-12-07T10:00:00+01:00");
//! ```

use std::fmt;

use bytes::Bytes;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone};

use crate::proto::{Address, Envelope};

/// Header text with its RFC 2047 encoded words decoded (`=?UTF-8?Q?J=C3=B6rg?=` is
/// `Jörg`), in any charset the `rfc2047-decoder` crate knows. Text that does not decode
/// (a broken encoded word) is returned as sent, invalid UTF-8 replaced by U+FFFD; this
/// never fails and never panics. Without the `rfc2047` Cargo feature (on by default) the
/// text is always returned as sent.
///
/// ```
/// use imap_async::envelope::decode_header_text;
///
/// # #[cfg(feature = "rfc2047")]
/// assert_eq!(decode_header_text(b"=?ISO-8859-1?Q?Andr=E9?= Pirard"), "André Pirard");
/// assert_eq!(decode_header_text(b"=?UTF-8?B?@@@@?="), "=?UTF-8?B?@@@@?=");
/// ```
pub fn decode_header_text(raw: &[u8]) -> String {
    #[cfg(feature = "rfc2047")]
    {
        // Over-long encoded words (RFC 2047 §2 allows 75 characters) are common in the
        // wild and decode fine; refusing them would show the raw form for no gain.
        rfc2047_decoder::Decoder::new()
            .too_long_encoded_word_strategy(rfc2047_decoder::RecoverStrategy::Decode)
            .decode(raw)
            .unwrap_or_else(|_| String::from_utf8_lossy(raw).into_owned())
    }
    #[cfg(not(feature = "rfc2047"))]
    {
        String::from_utf8_lossy(raw).into_owned()
    }
}

impl Envelope {
    /// The subject with its RFC 2047 encoded words decoded ([`decode_header_text`]);
    /// `None` when the server sent NIL.
    pub fn subject_decoded(&self) -> Option<String> {
        self.subject.as_deref().map(decode_header_text)
    }

    /// The Date header parsed with the zone it was written in (see [`parse_date`]);
    /// `None` when it is NIL or cannot be read (use [`parse_date`] on
    /// [`Envelope::date`] for the reason).
    pub fn date_parsed(&self) -> Option<DateTime<FixedOffset>> {
        parse_date(self.date.as_deref()?).ok()
    }

    /// The From addresses with their groups gathered ([`group_addresses`]); empty for NIL.
    pub fn from_grouped(&self) -> Vec<AddressOrGroup> {
        grouped(&self.from)
    }

    /// The Sender addresses, grouped as [`Envelope::from_grouped`].
    pub fn sender_grouped(&self) -> Vec<AddressOrGroup> {
        grouped(&self.sender)
    }

    /// The Reply-To addresses, grouped as [`Envelope::from_grouped`].
    pub fn reply_to_grouped(&self) -> Vec<AddressOrGroup> {
        grouped(&self.reply_to)
    }

    /// The To addresses, grouped as [`Envelope::from_grouped`].
    pub fn to_grouped(&self) -> Vec<AddressOrGroup> {
        grouped(&self.to)
    }

    /// The Cc addresses, grouped as [`Envelope::from_grouped`].
    pub fn cc_grouped(&self) -> Vec<AddressOrGroup> {
        grouped(&self.cc)
    }

    /// The Bcc addresses, grouped as [`Envelope::from_grouped`].
    pub fn bcc_grouped(&self) -> Vec<AddressOrGroup> {
        grouped(&self.bcc)
    }
}

fn grouped(list: &Option<Vec<Address>>) -> Vec<AddressOrGroup> {
    list.as_deref().map(group_addresses).unwrap_or_default()
}

impl Address {
    /// The display name with its RFC 2047 encoded words decoded; `None` when NIL.
    pub fn name_decoded(&self) -> Option<String> {
        self.name.as_deref().map(decode_header_text)
    }

    /// `mailbox@host` (RFC 5322 §3.4.1 `addr-spec`), the local part quoted when it is not
    /// a dot-atom; `None` for a group marker (no host).
    pub fn addr_spec(&self) -> Option<String> {
        let (mailbox, host) = (self.mailbox.as_deref()?, self.host.as_deref()?);
        let local = String::from_utf8_lossy(mailbox);
        let local = if is_dot_atom(&local) {
            local.into_owned()
        } else {
            quoted(&local)
        };
        Some(format!("{local}@{}", String::from_utf8_lossy(host)))
    }

    /// True for the start or end marker of a group (RFC 3501 §7.4.2: host NIL).
    pub fn is_group_marker(&self) -> bool {
        self.host.is_none()
    }
}

/// An address as in a message header (RFC 5322 §3.4): `"Doe, John" <john@example.org>`,
/// `Jörg <joerg@example.org>` (display name decoded, quoted only where a phrase needs it),
/// or `john@example.org` without a name. A group marker shows as `name:` or `;`.
impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (
            self.addr_spec(),
            self.name_decoded().filter(|n| !n.is_empty()),
        ) {
            (Some(spec), Some(name)) => write!(f, "{} <{spec}>", phrase(&name)),
            (Some(spec), None) => f.write_str(&spec),
            (None, _) => match &self.mailbox {
                Some(group) => write!(f, "{}:", phrase(&decode_header_text(group))),
                None => f.write_str(";"),
            },
        }
    }
}

/// One entry of an address list: a plain address, or a named group of them (RFC 5322
/// §3.4 `group`).
#[derive(Debug, Clone, PartialEq)]
pub enum AddressOrGroup {
    /// A single address (`mailbox` in RFC 5322 terms).
    Mailbox(Address),
    /// A group: `Team: a@example.org, b@example.org;`.
    Group(Group),
}

/// A named group of addresses (RFC 5322 §3.4 `group`), such as `undisclosed-recipients:;`.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The group's display name as sent (the start marker's mailbox field, RFC 3501
    /// §7.4.2); see [`Group::name_decoded`].
    pub name: Bytes,
    /// The addresses between the start and end markers; may be empty.
    pub members: Vec<Address>,
}

impl Group {
    /// The group's name with its RFC 2047 encoded words decoded.
    pub fn name_decoded(&self) -> String {
        decode_header_text(&self.name)
    }
}

/// `Team: a@example.org, "Doe, John" <john@example.org>;`.
impl fmt::Display for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", phrase(&self.name_decoded()))?;
        for (i, member) in self.members.iter().enumerate() {
            f.write_str(if i == 0 { " " } else { ", " })?;
            write!(f, "{member}")?;
        }
        f.write_str(";")
    }
}

impl fmt::Display for AddressOrGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AddressOrGroup::Mailbox(a) => a.fmt(f),
            AddressOrGroup::Group(g) => g.fmt(f),
        }
    }
}

/// Gather an ENVELOPE address list into plain addresses and groups. RFC 3501 §7.4.2 sends
/// a group as a start marker (host NIL, mailbox the group name), its members, and an end
/// marker (mailbox and host NIL). A group a server leaves open is closed at the next
/// start marker or at the end of the list; an end marker without a start is dropped.
///
/// ```
/// use imap_async::envelope::{group_addresses, AddressOrGroup};
/// use imap_async::proto::Address;
///
/// let addr = |mailbox: Option<&'static str>, host: Option<&'static str>| Address {
///     mailbox: mailbox.map(Into::into),
///     host: host.map(Into::into),
///     ..Address::default()
/// };
/// let list = [
///     addr(Some("Team"), None),
///     addr(Some("a"), Some("example.org")),
///     addr(Some("b"), Some("example.org")),
///     addr(None, None),
///     addr(Some("c"), Some("example.org")),
/// ];
/// let grouped = group_addresses(&list);
/// assert_eq!(grouped.len(), 2);
/// assert_eq!(grouped[0].to_string(), "Team: a@example.org, b@example.org;");
/// assert!(matches!(&grouped[1], AddressOrGroup::Mailbox(a) if a.to_string() == "c@example.org"));
/// ```
pub fn group_addresses(list: &[Address]) -> Vec<AddressOrGroup> {
    let mut out = Vec::new();
    let mut open: Option<Group> = None;
    for a in list {
        match (&a.mailbox, &a.host) {
            (Some(name), None) => {
                out.extend(open.take().map(AddressOrGroup::Group));
                open = Some(Group {
                    name: name.clone(),
                    members: Vec::new(),
                });
            }
            (None, None) => out.extend(open.take().map(AddressOrGroup::Group)),
            _ => match open.as_mut() {
                Some(group) => group.members.push(a.clone()),
                None => out.push(AddressOrGroup::Mailbox(a.clone())),
            },
        }
    }
    out.extend(open.map(AddressOrGroup::Group));
    out
}

/// RFC 5322 §3.2.3 `atext`, with RFC 6532's UTF-8 beyond ASCII.
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || !c.is_ascii()
}

/// RFC 5322 §3.2.3 `dot-atom-text`.
fn is_dot_atom(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|part| !part.is_empty() && part.chars().all(is_atext))
}

/// A display name as RFC 5322 §3.2.5 `phrase`: as it is when it is atoms separated by
/// single spaces, else a quoted string.
fn phrase(name: &str) -> String {
    let atoms = !name.is_empty()
        && name
            .split(' ')
            .all(|w| !w.is_empty() && w.chars().all(is_atext));
    if atoms { name.to_owned() } else { quoted(name) }
}

/// RFC 5322 §3.2.4 `quoted-string`: `"` and `\` escaped, line breaks dropped.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars().filter(|c| *c != '\r' && *c != '\n') {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Why a Date header could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read the date {input:?}: {reason}")]
pub struct DateError {
    /// The header text as sent (invalid UTF-8 replaced).
    pub input: String,
    /// What was wrong, e.g. `unknown month "Foo"`.
    pub reason: String,
}

/// Parse a Date header (RFC 5322 §3.3 `date-time`) with the zone it was written in,
/// accepting the obsolete forms of RFC 5322 §4.3 that old and odd mailers still send: no
/// day of the week, a two-digit year (`49` is 2049, `50` is 1950) or a three-digit one
/// (plus 1900), no seconds, named zones (`UT`, `GMT`, `EST`/`EDT`, `CST`/`CDT`,
/// `MST`/`MDT`, `PST`/`PDT`; military and unknown names are taken as `-0000`, as §4.3
/// says), comments such as `(UTC)` anywhere, and any case.
///
/// ```
/// use imap_async::envelope::parse_date;
///
/// let d = parse_date(b"Mon, 7 Dec 2026 10:00:00 +0100 (CET)").unwrap();
/// assert_eq!(d.to_rfc3339(), "2026-12-07T10:00:00+01:00");
/// let old = parse_date(b"7 Dec 98 10:00 EST").unwrap();
/// assert_eq!(old.to_rfc3339(), "1998-12-07T10:00:00-05:00");
/// assert!(parse_date(b"yesterday").is_err());
/// ```
pub fn parse_date(raw: &[u8]) -> Result<DateTime<FixedOffset>, DateError> {
    let input = String::from_utf8_lossy(raw).into_owned();
    parse_date_text(&input).map_err(|reason| DateError { input, reason })
}

fn parse_date_text(input: &str) -> Result<DateTime<FixedOffset>, String> {
    let text = strip_comments(input)?;
    let mut tokens = text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
        .peekable();
    const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    if let Some(first) = tokens.peek()
        && first.chars().all(|c| c.is_ascii_alphabetic())
    {
        let day = first.to_ascii_lowercase();
        if !DAYS.iter().any(|d| day.starts_with(d)) {
            return Err(format!("unknown day of the week {first:?}"));
        }
        tokens.next();
    }
    let mut next = |what: &str| tokens.next().ok_or_else(|| format!("no {what}"));
    let day_text = next("day")?;
    let day: u32 = number(day_text, 1, 2).ok_or_else(|| format!("bad day {day_text:?}"))?;
    let month_text = next("month")?;
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let month_lower = month_text.to_ascii_lowercase();
    let month = MONTHS
        .iter()
        .position(|m| month_lower == *m)
        .ok_or_else(|| format!("unknown month {month_text:?}"))? as u32
        + 1;
    let year_text = next("year")?;
    let year: i32 = number(year_text, 2, 4).ok_or_else(|| format!("bad year {year_text:?}"))?;
    // RFC 5322 §4.3: two digits are 2000-2049 below 50, else 1900s; three digits add 1900.
    let year = match year_text.len() {
        2 if year < 50 => 2000 + year,
        2 | 3 => 1900 + year,
        _ => year,
    };
    let time_text = next("time")?;
    let time = parse_time(time_text).ok_or_else(|| format!("bad time {time_text:?}"))?;
    let zone_text = next("zone")?;
    let offset = parse_zone(zone_text).ok_or_else(|| format!("bad zone {zone_text:?}"))?;
    if let Some(extra) = tokens.next() {
        return Err(format!("unexpected {extra:?} after the zone"));
    }
    let date = NaiveDate::from_ymd_opt(year, month, day)
        .ok_or_else(|| format!("no such day {day} in month {month} of {year}"))?;
    offset
        .from_local_datetime(&date.and_time(time))
        .single()
        .ok_or_else(|| "the time does not exist in its zone".to_owned())
}

/// All digits, `min..=max` of them.
fn number<T: std::str::FromStr>(s: &str, min: usize, max: usize) -> Option<T> {
    let ok = (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| s.parse().ok()).flatten()
}

/// `hour ":" minute [":" second]`; a leap second (60) is read as 59.
fn parse_time(s: &str) -> Option<NaiveTime> {
    let mut parts = s.split(':');
    let hour = number(parts.next()?, 1, 2)?;
    let minute = number(parts.next()?, 1, 2)?;
    let second: u32 = match parts.next() {
        Some(sec) => number(sec, 1, 2)?,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    NaiveTime::from_hms_opt(hour, minute, second.min(59))
}

/// `("+" / "-") 4DIGIT`, or an RFC 5322 §4.3 `obs-zone` name.
fn parse_zone(s: &str) -> Option<FixedOffset> {
    if let Some(digits) = s.strip_prefix('+').or_else(|| s.strip_prefix('-')) {
        let hhmm: i32 = number(digits, 4, 4)?;
        let (hours, minutes) = (hhmm / 100, hhmm % 100);
        if minutes >= 60 {
            return None;
        }
        let seconds = (hours * 60 + minutes) * 60;
        return FixedOffset::east_opt(if s.starts_with('-') {
            -seconds
        } else {
            seconds
        });
    }
    if !s.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let hours = match s.to_ascii_uppercase().as_str() {
        "UT" | "UTC" | "GMT" | "Z" => 0,
        "EDT" => -4,
        "EST" | "CDT" => -5,
        "CST" | "MDT" => -6,
        "MST" | "PDT" => -7,
        "PST" => -8,
        // Military zones and other names: RFC 5322 §4.3 says to read them as -0000
        // (the local time is right, its zone is unknown).
        _ => 0,
    };
    FixedOffset::east_opt(hours * 3600)
}

/// The text with RFC 5322 §3.2.2 comments (nested, with quoted pairs) replaced by spaces.
fn strip_comments(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut depth = 0usize;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' if depth > 0 => {
                chars.next();
            }
            '(' => depth += 1,
            ')' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    out.push(' ');
                }
            }
            ')' => return Err("')' without '('".to_owned()),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    if depth > 0 {
        return Err("unclosed comment".to_owned());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{FetchItem, Response, Untagged, parse_response};

    fn envelope(wire: &str) -> Envelope {
        match parse_response(Bytes::from(wire.to_owned())).unwrap() {
            Response::Untagged(Untagged::Fetch { items, .. }) => match &items.to_vec()[0] {
                FetchItem::Envelope(e) => (**e).clone(),
                other => panic!("not an envelope: {other:?}"),
            },
            other => panic!("not a FETCH: {other:?}"),
        }
    }

    #[test]
    #[cfg(feature = "rfc2047")]
    fn subjects_and_names_decode_in_two_charsets() {
        let env = envelope(
            "* 1 FETCH (ENVELOPE (NIL \"=?UTF-8?B?Q2Fmw6kg4piV?= =?ISO-8859-1?Q?=E0_midi?=\" \
             ((\"=?UTF-8?Q?J=C3=B6rg?=\" NIL \"joerg\" \"example.org\")) NIL NIL NIL NIL NIL \
             NIL NIL))\r\n",
        );
        // Adjacent encoded words join without the space between them (RFC 2047 §6.2).
        assert_eq!(env.subject_decoded().as_deref(), Some("Café ☕à midi"));
        let from = env.from.as_ref().unwrap();
        assert_eq!(from[0].name_decoded().as_deref(), Some("Jörg"));
        assert_eq!(from[0].to_string(), "Jörg <joerg@example.org>");
        assert_eq!(env.date_parsed(), None, "NIL date");
    }

    #[test]
    fn undecodable_text_comes_back_as_sent() {
        for raw in [
            &b"=?UTF-8?B?not base64!?="[..],
            b"=?UTF-8?B?@@@@?=",
            b"=?UTF-8?Q?unterminated",
            b"plain text",
            b"",
        ] {
            assert_eq!(
                decode_header_text(raw),
                String::from_utf8_lossy(raw),
                "{raw:?}"
            );
        }
        // Bytes that are not UTF-8 are replaced, not a panic.
        assert_eq!(decode_header_text(b"caf\xe9"), "caf\u{fffd}");
    }

    #[test]
    fn groups_and_quoted_names() {
        let env = envelope(
            "* 1 FETCH (ENVELOPE (NIL NIL NIL NIL NIL \
             ((NIL NIL \"Team\" NIL)(\"Doe, John\" NIL \"john\" \"example.org\")\
             (\"Ann \\\"the\\\" Admin\" NIL \"ann\" \"example.org\")(NIL NIL NIL NIL)\
             (NIL NIL \"bob\" \"example.org\")(NIL NIL \"undisclosed-recipients\" NIL)\
             (NIL NIL NIL NIL)(\"x\" NIL \"john doe\" \"example.org\")) NIL NIL NIL NIL))\r\n",
        );
        let to = env.to_grouped();
        assert_eq!(to.len(), 4, "{to:?}");
        let AddressOrGroup::Group(team) = &to[0] else {
            panic!("{to:?}")
        };
        assert_eq!(team.name_decoded(), "Team");
        assert_eq!(team.members.len(), 2);
        assert_eq!(
            to[0].to_string(),
            "Team: \"Doe, John\" <john@example.org>, \"Ann \\\"the\\\" Admin\" <ann@example.org>;"
        );
        assert_eq!(to[1].to_string(), "bob@example.org");
        assert_eq!(to[2].to_string(), "undisclosed-recipients:;");
        // A local part that is not a dot-atom is quoted.
        assert_eq!(to[3].to_string(), "x <\"john doe\"@example.org>");
        assert!(env.from_grouped().is_empty(), "NIL is no address");
    }

    #[test]
    fn a_group_left_open_is_still_a_group() {
        let marker = |m: Option<&'static str>| Address {
            mailbox: m.map(Bytes::from),
            ..Address::default()
        };
        let member = Address {
            mailbox: Some(Bytes::from_static(b"a")),
            host: Some(Bytes::from_static(b"x.org")),
            ..Address::default()
        };
        let list = [marker(None), marker(Some("G")), member.clone()];
        let grouped = group_addresses(&list);
        assert_eq!(
            grouped,
            vec![AddressOrGroup::Group(Group {
                name: Bytes::from_static(b"G"),
                members: vec![member]
            })]
        );
        assert_eq!(grouped[0].to_string(), "G: a@x.org;");
    }

    fn date(s: &str) -> String {
        parse_date(s.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"))
            .to_rfc3339()
    }

    #[test]
    fn dates_with_offsets_and_obsolete_forms() {
        assert_eq!(
            date("Mon, 7 Dec 2026 10:00:00 +0100"),
            "2026-12-07T10:00:00+01:00"
        );
        assert_eq!(
            date("Tue, 1 Jul 2003 10:52:37 -0230"),
            "2003-07-01T10:52:37-02:30"
        );
        // No day of the week, no seconds, a comment for the zone.
        assert_eq!(
            date("7 Dec 2026 10:00 +0000 (UTC)"),
            "2026-12-07T10:00:00+00:00"
        );
        // Two- and three-digit years (RFC 5322 §4.3).
        assert_eq!(
            date("Fri, 21 Nov 97 09:55:06 GMT"),
            "1997-11-21T09:55:06+00:00"
        );
        assert_eq!(date("21 Nov 03 09:55:06 GMT"), "2003-11-21T09:55:06+00:00");
        assert_eq!(date("21 Nov 103 09:55:06 GMT"), "2003-11-21T09:55:06+00:00");
        // Named zones, any case, comments anywhere, odd spacing.
        assert_eq!(
            date("Thu, 13 Feb 1969 23:32:54 EST"),
            "1969-02-13T23:32:54-05:00"
        );
        assert_eq!(
            date("thu,13 feb 1969 23:32 pdt"),
            "1969-02-13T23:32:00-07:00"
        );
        assert_eq!(
            date("Thu (day (nested)), 13 Feb 1969 23:32:54 -0330 (Newfoundland Time)"),
            "1969-02-13T23:32:54-03:30"
        );
        // Military and unknown zone names are -0000.
        assert_eq!(date("1 Jan 2020 00:00:00 Q"), "2020-01-01T00:00:00+00:00");
        // A leap second is kept within the minute.
        assert_eq!(
            date("31 Dec 2016 23:59:60 +0000"),
            "2016-12-31T23:59:59+00:00"
        );

        for (bad, why) in [
            ("", "no day"),
            ("Mon, 7 Foo 2026 10:00:00 +0100", "unknown month"),
            ("Mon, 31 Feb 2026 10:00:00 +0100", "no such day"),
            ("Mon, 7 Dec 2026 25:00:00 +0100", "bad time"),
            ("Mon, 7 Dec 2026 10:00:00 +01", "bad zone"),
            ("Mon, 7 Dec 2026 10:00:00 +0100 extra", "unexpected"),
            ("Mon, 7 Dec 2026 10:00:00 +0100 (open", "unclosed comment"),
            ("Someday, 7 Dec 2026 10:00:00 +0100", "day of the week"),
        ] {
            let err = parse_date(bad.as_bytes()).unwrap_err();
            assert!(err.reason.contains(why), "{bad:?}: {err}");
            assert_eq!(err.input, bad);
        }
    }

    #[test]
    fn an_envelope_date_is_parsed_or_none() {
        let env = envelope(
            "* 1 FETCH (ENVELOPE (\"Wed, 2 Dec 2026 08:15:00 -0800 (PST)\" NIL NIL NIL NIL \
             NIL NIL NIL NIL NIL))\r\n",
        );
        assert_eq!(
            env.date_parsed().unwrap().to_rfc3339(),
            "2026-12-02T08:15:00-08:00"
        );
        let broken = Envelope {
            date: Some(Bytes::from_static(b"not a date")),
            ..Envelope::default()
        };
        assert_eq!(broken.date_parsed(), None);
    }
}
