//! Tie a call to its Butter call id: from INVITE headers, from a `call_<hex>`
//! token, or by joining Butter's own call records on numbers and time.

use crate::outcome::{Correlation, Direction, Status};
use crate::time::{parse_time, Timestamp};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Why the records file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum RecordsError {
    #[error("cannot read Butter call records {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("bad Butter call record in {path} line {line}: {message}")]
    Bad {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// What the INVITE headers say.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeaderIds {
    pub butter_call_id: Option<String>,
    /// `Header` or `Token` when an id was found.
    pub correlation: Option<Correlation>,
    pub provider_ids: BTreeMap<String, String>,
}

/// Look at the INVITE's headers: the configured names first (in order), then
/// a `call_` + 12 or more hex characters token in any `X-` header value.
/// Provider ids (`X-Twilio-*`, LiveKit `X-Lk-*` / `X-LiveKit-*`) are kept.
pub fn from_headers(headers: &[(String, String)], names: &[String]) -> HeaderIds {
    let mut out = HeaderIds::default();
    'names: for name in names {
        for (h, v) in headers {
            if h.eq_ignore_ascii_case(name) {
                let v = v.trim().trim_matches('"').trim();
                if !v.is_empty() {
                    out.butter_call_id = Some(v.to_string());
                    out.correlation = Some(Correlation::Header);
                    break 'names;
                }
            }
        }
    }
    for (h, v) in headers {
        let lower = h.to_ascii_lowercase();
        if lower.starts_with("x-twilio-")
            || lower.starts_with("x-lk-")
            || lower.starts_with("x-livekit-")
        {
            out.provider_ids
                .entry(h.clone())
                .or_insert_with(|| v.trim().to_string());
        }
        if out.butter_call_id.is_none() && lower.starts_with("x-") {
            if let Some(t) = find_call_token(v) {
                out.butter_call_id = Some(t.to_string());
                out.correlation = Some(Correlation::Token);
            }
        }
    }
    out
}

/// The first `call_<12+ hex>` token in `s`, delimited by non-alphanumerics.
pub fn find_call_token(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    let mut from = 0;
    while let Some(pos) = s[from..].find("call_") {
        let start = from + pos;
        let hex_start = start + 5;
        let mut end = hex_start;
        while end < b.len() && b[end].is_ascii_hexdigit() {
            end += 1;
        }
        let left_ok = start == 0 || !b[start - 1].is_ascii_alphanumeric();
        let right_ok = end == b.len() || !(b[end].is_ascii_alphanumeric() || b[end] == b'_');
        if left_ok && right_ok && end - hex_start >= 12 {
            return Some(&s[start..end]);
        }
        from = start + 5;
    }
    None
}

/// A phone number reduced to digits for comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Number {
    pub digits: String,
    /// Written with `+` or the `00` international prefix: the digits are a
    /// full E.164 number including the country code.
    pub international: bool,
}

/// Normalise a number as found in records or URIs: drop `sip:`/`tel:`,
/// parameters, the host part and visual separators; `+` or `00` mark an
/// international (E.164) number; one leading national trunk `0` is dropped.
pub fn normalize_number(s: &str) -> Option<Number> {
    let mut s = s.trim();
    for p in ["sip:", "sips:", "tel:"] {
        if s.len() >= p.len() && s[..p.len()].eq_ignore_ascii_case(p) {
            s = &s[p.len()..];
        }
    }
    let s = s.split(['@', ';']).next().unwrap_or("");
    let mut international = s.trim_start().starts_with('+');
    let mut digits: String = s
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '+'))
        .collect();
    if !digits.bytes().all(|c| c.is_ascii_digit()) || digits.is_empty() {
        return None;
    }
    if !international && digits.starts_with("00") {
        digits.drain(..2);
        international = true;
    } else if !international && digits.starts_with('0') {
        digits.drain(..1);
    }
    if digits.len() < 3 {
        return None;
    }
    Some(Number {
        digits,
        international,
    })
}

/// Same subscriber: equal E.164 digits, or (when either side is written
/// nationally) one is the other without its country code (at most 3 digits,
/// and at least 7 digits left).
pub fn numbers_match(a: &Number, b: &Number) -> bool {
    if a.digits == b.digits {
        return true;
    }
    if a.international && b.international {
        return false;
    }
    let (short, long) = if a.digits.len() <= b.digits.len() {
        (a, b)
    } else {
        (b, a)
    };
    short.digits.len() >= 7
        && long.digits.len() - short.digits.len() <= 3
        && long.digits.ends_with(&short.digits)
}

/// One Butter call record.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub id: String,
    pub direction: Direction,
    pub from: Option<Number>,
    pub to: Option<Number>,
    pub start: Timestamp,
    pub status: Option<Status>,
}

/// Result of the records join.
#[derive(Clone, Debug, PartialEq)]
pub enum Join<'a> {
    One(&'a Record),
    /// Several records fit equally: their ids, sorted.
    Ambiguous(Vec<&'a str>),
    None,
}

/// Butter call records, indexed by id and by the last 7 digits of to_number.
#[derive(Debug, Default)]
pub struct Records {
    records: Vec<Record>,
    by_id: HashMap<String, usize>,
    by_to: HashMap<String, Vec<usize>>,
}

fn tail7(n: &Number) -> String {
    n.digits[n.digits.len().saturating_sub(7)..].to_string()
}

impl Records {
    /// Read JSONL (one object per line) or CSV (header row), by extension
    /// (`.csv`) or by sniffing the first non-blank character (`{` = JSONL).
    pub fn load(path: &Path) -> Result<Records, RecordsError> {
        let text = std::fs::read_to_string(path).map_err(|source| RecordsError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let is_csv = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
            || !text.trim_start().starts_with('{');
        let rows = if is_csv {
            parse_csv(&text)
        } else {
            parse_jsonl(&text)
        }
        .map_err(|(line, message)| RecordsError::Bad {
            path: path.to_path_buf(),
            line,
            message,
        })?;
        let mut out = Records::default();
        for (line, fields) in rows {
            let rec = record_from_fields(&fields).map_err(|message| RecordsError::Bad {
                path: path.to_path_buf(),
                line,
                message,
            })?;
            out.push(rec);
        }
        Ok(out)
    }

    pub fn push(&mut self, rec: Record) {
        let i = self.records.len();
        self.by_id.entry(rec.id.clone()).or_insert(i);
        if let Some(to) = &rec.to {
            self.by_to.entry(tail7(to)).or_default().push(i);
        }
        self.records.push(rec);
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    pub fn by_id(&self, id: &str) -> Option<&Record> {
        self.by_id.get(id).map(|&i| &self.records[i])
    }

    /// Records whose numbers match (to always; from when both sides have
    /// one), whose start is within `window_ms` of the INVITE, and whose
    /// direction does not contradict a known one.
    pub fn join(
        &self,
        from: Option<&str>,
        to: Option<&str>,
        invite_at: Timestamp,
        window_ms: u64,
        direction: Direction,
    ) -> Join<'_> {
        let Some(to) = to.and_then(normalize_number) else {
            return Join::None;
        };
        let from = from.and_then(normalize_number);
        let Some(cands) = self.by_to.get(&tail7(&to)) else {
            return Join::None;
        };
        let window_ns = (window_ms as i64).saturating_mul(1_000_000);
        let mut hits: Vec<&Record> = cands
            .iter()
            .map(|&i| &self.records[i])
            .filter(|r| r.to.as_ref().is_some_and(|n| numbers_match(n, &to)))
            .filter(|r| match (&r.from, &from) {
                (Some(a), Some(b)) => numbers_match(a, b),
                _ => true,
            })
            .filter(|r| (r.start.0 - invite_at.0).abs() <= window_ns)
            .filter(|r| {
                direction == Direction::Unknown
                    || r.direction == Direction::Unknown
                    || r.direction == direction
            })
            .collect();
        hits.sort_by_key(|r| r.id.as_str());
        // The same record listed twice is still one record.
        hits.dedup_by(|a, b| a.id == b.id);
        match hits.len() {
            0 => Join::None,
            1 => Join::One(hits[0]),
            _ => Join::Ambiguous(hits.iter().map(|r| r.id.as_str()).collect()),
        }
    }
}

type Rows = Vec<(usize, BTreeMap<String, String>)>;

fn parse_jsonl(text: &str) -> Result<Rows, (usize, String)> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value =
            serde_json::from_str(line).map_err(|e| (i + 1, format!("not JSON: {e}")))?;
        let obj = v
            .as_object()
            .ok_or((i + 1, "not a JSON object".to_string()))?;
        let mut m = BTreeMap::new();
        for (k, v) in obj {
            let s = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => continue,
                other => other.to_string(),
            };
            m.insert(k.to_ascii_lowercase(), s);
        }
        rows.push((i + 1, m));
    }
    Ok(rows)
}

/// RFC 4180 CSV: header row, quoted fields with doubled quotes, CRLF or LF.
fn parse_csv(text: &str) -> Result<Rows, (usize, String)> {
    let mut records: Vec<(usize, Vec<String>)> = Vec::new();
    let mut field = String::new();
    let mut row: Vec<String> = Vec::new();
    let mut in_quotes = false;
    let mut line = 1;
    let mut row_line = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => in_quotes = true,
            ',' => row.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                row.push(std::mem::take(&mut field));
                if !(row.len() == 1 && row[0].trim().is_empty()) {
                    records.push((row_line, std::mem::take(&mut row)));
                }
                row.clear();
                line += 1;
                row_line = line;
            }
            _ => field.push(c),
        }
    }
    if in_quotes {
        return Err((row_line, "unterminated quoted field".to_string()));
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        records.push((row_line, row));
    }
    let mut it = records.into_iter();
    let Some((_, header)) = it.next() else {
        return Ok(Vec::new());
    };
    let header: Vec<String> = header
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    let mut rows = Vec::new();
    for (ln, r) in it {
        if r.len() != header.len() {
            return Err((
                ln,
                format!("{} fields, the header has {}", r.len(), header.len()),
            ));
        }
        let m = header
            .iter()
            .cloned()
            .zip(r)
            .filter(|(_, v)| !v.trim().is_empty())
            .collect();
        rows.push((ln, m));
    }
    Ok(rows)
}

fn first<'a>(f: &'a BTreeMap<String, String>, names: &[&str]) -> Option<&'a str> {
    names
        .iter()
        .find_map(|n| f.get(*n))
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
}

fn record_from_fields(f: &BTreeMap<String, String>) -> Result<Record, String> {
    let id = first(f, &["id", "call_id"])
        .ok_or("missing id")?
        .to_string();
    let direction = match first(f, &["direction"]).map(|d| d.to_ascii_lowercase()) {
        Some(d) if d.starts_with("out") => Direction::Outbound,
        Some(d) if d.starts_with("in") => Direction::Inbound,
        Some(d) => return Err(format!("direction {d:?} is neither inbound nor outbound")),
        None => Direction::Unknown,
    };
    let start_s = first(
        f,
        &[
            "start_time",
            "started_at",
            "start",
            "created_at",
            "timestamp",
        ],
    )
    .ok_or("missing start time (start_time, started_at, start or created_at)")?;
    let start = parse_time(start_s)
        .ok_or_else(|| format!("start time {start_s:?} is neither RFC 3339 nor epoch seconds"))?;
    let num = |names: &[&str]| -> Result<Option<Number>, String> {
        match first(f, names) {
            None => Ok(None),
            Some(s) => normalize_number(s)
                .map(Some)
                .ok_or_else(|| format!("{} {s:?} is not a phone number", names[0])),
        }
    };
    let from = num(&["from_number", "from"])?;
    let to = num(&["to_number", "to"])?;
    if to.is_none() {
        return Err("missing to_number".to_string());
    }
    let status = match first(f, &["status"]) {
        None => None,
        Some(s) => Some(Status::parse(s).ok_or_else(|| format!("unknown status {s:?}"))?),
    };
    Ok(Record {
        id,
        direction,
        from,
        to,
        start,
        status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn header_then_token_then_provider_ids() {
        let names = vec!["X-Butter-Call-Id".to_string()];
        let ids = from_headers(
            &h(&[
                ("X-Lk-Callid", "SCL_8d3kQ2"),
                ("x-butter-call-id", " call_b2c3d4e5f6a7 "),
                ("X-Twilio-CallSid", "CA0123456789abcdef0123456789abcdef"),
            ]),
            &names,
        );
        assert_eq!(ids.butter_call_id.as_deref(), Some("call_b2c3d4e5f6a7"));
        assert_eq!(ids.correlation, Some(Correlation::Header));
        assert_eq!(ids.provider_ids.len(), 2);
        let ids = from_headers(
            &h(&[("X-Lk-Attr", "butter=call_00aabbccddeeff11;agent=agt_1234")]),
            &names,
        );
        assert_eq!(ids.butter_call_id.as_deref(), Some("call_00aabbccddeeff11"));
        assert_eq!(ids.correlation, Some(Correlation::Token));
        // Too short, not delimited, or not in an X- header: no token.
        for v in ["call_abc", "mycall_b2c3d4e5f6a7", "call_b2c3d4e5f6a7zz"] {
            assert_eq!(find_call_token(v), None, "{v}");
        }
        let ids = from_headers(&h(&[("Subject", "call_b2c3d4e5f6a7")]), &names);
        assert_eq!(ids.butter_call_id, None);
    }

    #[test]
    fn numbers_normalise_to_e164_digits() {
        let n = |s| normalize_number(s).unwrap();
        assert_eq!(n("+1 (415) 555-0100").digits, "14155550100");
        assert!(numbers_match(
            &n("+14155550100"),
            &n("sip:14155550100@carrier.example;user=phone")
        ));
        assert!(numbers_match(&n("+14155550100"), &n("4155550100")));
        assert!(numbers_match(&n("+61412345678"), &n("0412345678")));
        assert!(numbers_match(&n("0061412345678"), &n("+61412345678")));
        assert!(!numbers_match(&n("+14155550100"), &n("+14155550101")));
        assert!(!numbers_match(&n("+14155550100"), &n("+4414155550100")));
        assert!(normalize_number("anonymous").is_none());
    }

    #[test]
    fn loads_jsonl_and_csv_and_names_bad_lines() {
        let dir = tempfile::tempdir().unwrap();
        let j = dir.path().join("calls.jsonl");
        std::fs::write(&j, "{\"id\":\"call_b2c3d4e5f6a7\",\"direction\":\"outbound\",\"from_number\":\"+14155550100\",\"to_number\":\"+14155550199\",\"start_time\":\"2026-12-04T21:00:00Z\",\"status\":\"busy\"}\n\n").unwrap();
        let r = Records::load(&j).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(
            r.by_id("call_b2c3d4e5f6a7").unwrap().status,
            Some(Status::Busy)
        );
        let c = dir.path().join("calls.csv");
        std::fs::write(&c, "id,direction,from_number,to_number,started_at\r\ncall_aaaaaaaaaaaa,inbound,\"+1 415 555 0100\",+14155550199,1733346000\r\n").unwrap();
        let r = Records::load(&c).unwrap();
        assert_eq!(
            r.by_id("call_aaaaaaaaaaaa").unwrap().direction,
            Direction::Inbound
        );
        std::fs::write(
            &c,
            "id,direction,to_number,started_at\ncall_a,sideways,+1415,1\n",
        )
        .unwrap();
        let e = Records::load(&c).unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("sideways"), "{e}");
    }

    #[test]
    fn join_is_unique_or_ambiguous_never_guessed() {
        let mut r = Records::default();
        let t0 = parse_time("2026-12-04T21:00:00Z").unwrap();
        let rec = |id: &str, from: &str, to: &str, dt: i64| Record {
            id: id.into(),
            direction: Direction::Outbound,
            from: normalize_number(from),
            to: normalize_number(to),
            start: t0.plus_millis(dt),
            status: None,
        };
        r.push(rec("call_111111111111", "+14155550100", "+14155550199", 0));
        r.push(rec(
            "call_222222222222",
            "+14155550100",
            "+14155550188",
            500,
        ));
        r.push(rec(
            "call_333333333333",
            "+14155550100",
            "+14155550188",
            900,
        ));
        let at = t0.plus_millis(1200);
        match r.join(
            Some("14155550100"),
            Some("4155550199"),
            at,
            120_000,
            Direction::Unknown,
        ) {
            Join::One(x) => assert_eq!(x.id, "call_111111111111"),
            other => panic!("{other:?}"),
        }
        match r.join(
            Some("+14155550100"),
            Some("+14155550188"),
            at,
            120_000,
            Direction::Outbound,
        ) {
            Join::Ambiguous(ids) => assert_eq!(ids, vec!["call_222222222222", "call_333333333333"]),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            r.join(
                Some("+14155550100"),
                Some("+14155550188"),
                at,
                120_000,
                Direction::Inbound
            ),
            Join::None
        );
        assert_eq!(
            r.join(
                Some("+14155550100"),
                Some("+14155550199"),
                t0.plus_millis(200_000),
                120_000,
                Direction::Unknown
            ),
            Join::None
        );
        // The same record listed twice is one match, not an ambiguity.
        r.push(rec("call_111111111111", "+14155550100", "+14155550199", 10));
        assert!(matches!(
            r.join(
                Some("+14155550100"),
                Some("+14155550199"),
                at,
                120_000,
                Direction::Unknown
            ),
            Join::One(_)
        ));
    }
}
