//! Header edits spliced into the original bytes.
//!
//! The proxy never re-serialises a message: it finds the byte ranges of the
//! few headers it must touch (a light line scan, no allocation per header
//! value) and copies everything else through untouched, so whatever the
//! sender wrote (header order, case, compact forms, body) reaches the peer
//! byte for byte.

use std::ops::Range;

/// Most header lines accepted in one message; more is treated as malformed
/// (a flood of tiny headers is a cheap way to burn CPU).
pub const MAX_HEADERS: usize = 256;

/// One header line: `name` and `value` (trimmed) inside `line`, which runs
/// from the first byte of the name through the line end (CRLF or LF),
/// including folded continuation lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub name: Range<usize>,
    pub value: Range<usize>,
    pub line: Range<usize>,
}

/// Where the pieces of one message are.
#[derive(Clone, Debug)]
pub struct Scanned {
    /// The start line, without its line end.
    pub start_line: Range<usize>,
    /// Offset just after the start line's line end (where headers begin).
    pub headers_at: usize,
    pub headers: Vec<Line>,
    /// First byte of the body (after the empty line).
    pub body: usize,
    /// End of the message: `body + Content-Length`, or the end of the buffer
    /// when the header is absent (allowed on datagrams only).
    pub end: usize,
}

/// Why a message could not be scanned; each is a stable counter label.
pub type ScanError = &'static str;

/// Scan one complete message (a datagram or one framed stream message).
///
/// Checks only what forwarding relies on: a start line, `name: value`
/// header lines, the blank line, and a Content-Length that fits the buffer
/// (RFC 3261 §18.3: longer than the datagram is an error, shorter means the
/// extra bytes are discarded).
pub fn scan(buf: &[u8]) -> Result<Scanned, ScanError> {
    let (sl_end, mut pos) = next_line(buf, 0).ok_or("no_header_end")?;
    if sl_end == 0 {
        return Err("empty_start_line");
    }
    let mut headers: Vec<Line> = Vec::with_capacity(16);
    let headers_at = pos;
    loop {
        let (text_end, next) = next_line(buf, pos).ok_or("no_header_end")?;
        if text_end == pos {
            pos = next;
            break;
        }
        let first = buf[pos];
        if first == b' ' || first == b'\t' {
            // Folded continuation (RFC 3261 §7.3.1): extends the previous header.
            let last = headers.last_mut().ok_or("fold_without_header")?;
            last.line.end = next;
            last.value.end = trim_end(buf, last.value.start, text_end);
            pos = next;
            continue;
        }
        let colon = memchr::memchr(b':', &buf[pos..text_end]).ok_or("header_without_colon")? + pos;
        let name_end = trim_end(buf, pos, colon);
        if name_end == pos || !buf[pos..name_end].iter().all(|&c| is_token(c)) {
            return Err("bad_header_name");
        }
        if headers.len() == MAX_HEADERS {
            return Err("too_many_headers");
        }
        let vstart = trim_start(buf, colon + 1, text_end);
        headers.push(Line {
            name: pos..name_end,
            value: vstart..trim_end(buf, vstart, text_end),
            line: pos..next,
        });
        pos = next;
    }
    let mut s = Scanned {
        start_line: 0..sl_end,
        headers_at,
        headers,
        body: pos,
        end: buf.len(),
    };
    if let Some(h) = s.find(buf, "content-length", Some("l")) {
        let cl = parse_u32(&buf[h.value.clone()]).ok_or("bad_content_length")? as usize;
        if cl > buf.len() - pos {
            return Err("body_shorter_than_content_length");
        }
        s.end = pos + cl;
    }
    Ok(s)
}

impl Scanned {
    /// First header line with this (lowercase) name or compact form.
    pub fn find(&self, buf: &[u8], name: &str, compact: Option<&str>) -> Option<&Line> {
        self.headers.iter().find(|h| is_name(buf, h, name, compact))
    }

    /// Index of the first header line with this name.
    pub fn position(&self, buf: &[u8], name: &str, compact: Option<&str>) -> Option<usize> {
        self.headers
            .iter()
            .position(|h| is_name(buf, h, name, compact))
    }

    /// Every header line with this name, in order.
    pub fn all<'s>(
        &'s self,
        buf: &'s [u8],
        name: &'s str,
        compact: Option<&'s str>,
    ) -> impl Iterator<Item = &'s Line> + 's {
        self.headers
            .iter()
            .filter(move |h| is_name(buf, h, name, compact))
    }
}

/// Whether header line `h` has this name (case-insensitive) or compact form.
pub fn is_name(buf: &[u8], h: &Line, name: &str, compact: Option<&str>) -> bool {
    let n = &buf[h.name.clone()];
    n.eq_ignore_ascii_case(name.as_bytes())
        || compact.is_some_and(|c| n.eq_ignore_ascii_case(c.as_bytes()))
}

/// `(end of text, start of next line)` of the line starting at `from`;
/// accepts CRLF and bare LF.
fn next_line(buf: &[u8], from: usize) -> Option<(usize, usize)> {
    let nl = memchr::memchr(b'\n', buf.get(from..)?)? + from;
    let text_end = if nl > from && buf[nl - 1] == b'\r' {
        nl - 1
    } else {
        nl
    };
    Some((text_end, nl + 1))
}

pub(crate) fn trim_start(buf: &[u8], mut s: usize, e: usize) -> usize {
    while s < e && matches!(buf[s], b' ' | b'\t' | b'\r' | b'\n') {
        s += 1;
    }
    s
}

pub(crate) fn trim_end(buf: &[u8], s: usize, mut e: usize) -> usize {
    while e > s && matches!(buf[e - 1], b' ' | b'\t' | b'\r' | b'\n') {
        e -= 1;
    }
    e
}

/// RFC 3261 token characters.
fn is_token(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&c)
}

/// A small decimal number; `None` when empty, not all digits or too large.
pub fn parse_u32(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 {
        return None;
    }
    let mut v: u32 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as u32;
    }
    Some(v)
}

/// Replace `at` (empty for an insertion) with `with`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub at: Range<usize>,
    pub with: Vec<u8>,
}

impl Edit {
    pub fn insert(at: usize, with: Vec<u8>) -> Edit {
        Edit { at: at..at, with }
    }
    pub fn remove(at: Range<usize>) -> Edit {
        Edit {
            at,
            with: Vec::new(),
        }
    }
}

/// Copy `buf[..end]` with the edits applied. Edits must not overlap;
/// insertions at the same offset keep the order they were given in.
pub fn apply(buf: &[u8], end: usize, edits: &mut [Edit]) -> Vec<u8> {
    edits.sort_by_key(|e| (e.at.start, e.at.end));
    let grow: usize = edits.iter().map(|e| e.with.len()).sum();
    let mut out = Vec::with_capacity(end + grow);
    let mut pos = 0;
    for e in edits.iter() {
        debug_assert!(e.at.start >= pos, "overlapping edits");
        let start = e.at.start.max(pos);
        out.extend_from_slice(&buf[pos..start]);
        out.extend_from_slice(&e.with);
        pos = e.at.end.max(start);
    }
    out.extend_from_slice(&buf[pos..end]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"INVITE sip:bob@example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK776asdhds\r\n\
v: SIP/2.0/UDP 10.0.0.9;branch=z9hG4bKxx\r\n\
Subject: folded\r\n  line\r\n\
l: 4\r\n\
\r\n\
bodyEXTRA";

    #[test]
    fn scans_lines_folding_compact_and_content_length() {
        let s = scan(MSG).unwrap();
        assert_eq!(
            &MSG[s.start_line.clone()],
            b"INVITE sip:bob@example.com SIP/2.0"
        );
        assert_eq!(s.headers.len(), 4);
        assert_eq!(s.all(MSG, "via", Some("v")).count(), 2);
        let subj = s.find(MSG, "subject", None).unwrap();
        assert_eq!(&MSG[subj.value.clone()], b"folded\r\n  line");
        assert_eq!(&MSG[s.body..s.end], b"body");
    }

    #[test]
    fn rejects_what_forwarding_cannot_trust() {
        assert_eq!(
            scan(b"INVITE x SIP/2.0\r\nVia x\r\n\r\n").unwrap_err(),
            "header_without_colon"
        );
        assert_eq!(
            scan(b"INVITE x SIP/2.0\r\nVia: x\r\n").unwrap_err(),
            "no_header_end"
        );
        assert_eq!(
            scan(b"INVITE x SIP/2.0\r\nContent-Length: 10\r\n\r\nabc").unwrap_err(),
            "body_shorter_than_content_length"
        );
        assert_eq!(scan(b"\r\nVia: x\r\n\r\n").unwrap_err(), "empty_start_line");
    }

    #[test]
    fn splices_in_order() {
        let buf = b"abcdef";
        let mut e = vec![
            Edit::insert(3, b"Y".to_vec()),
            Edit::remove(0..1),
            Edit::insert(3, b"Z".to_vec()),
            Edit {
                at: 4..6,
                with: b"!".to_vec(),
            },
        ];
        assert_eq!(apply(buf, buf.len(), &mut e), b"bcYZd!");
    }
}
