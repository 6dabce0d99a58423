//! The single pass over start line and header block.
//!
//! `parse` and `parse_stream` share [`parse_head`]: it validates the start
//! line and the syntax of every header line (`token LWS ":" value`, with
//! folding) and records where the well-known headers are, without looking
//! inside their values. Everything else is done lazily by the accessors.

use super::error::{Error, ErrorKind};
use super::header::{is_lws, is_token, known, Known, KNOWN_COUNT, TOKEN};
use super::message::{Index, Message, Span};
use super::scan::LineEnds;
use super::value::{run_end, scan_end, token_wordy, uri_wordy};
use super::{Method, StartLine};
use memchr::memchr;

/// Result of the stream framer.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// A whole message: its length, counting the CRLF keep-alives before it.
    Complete(usize),
    /// More bytes are needed.
    Partial,
}

/// Number of leading CR/LF bytes (RFC 3261 7.5: ignored before a start line;
/// RFC 5626 3.5.1: CRLF keep-alives).
#[inline]
fn leading_crlf(buf: &[u8]) -> usize {
    buf.iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count()
}

/// Parse one message from a datagram (UDP, SCTP chunk, WebSocket frame, HEP
/// payload). The body is bounded by Content-Length; octets after it are
/// ignored (RFC 4475 3.1.1.8); without Content-Length the body is the rest
/// of the datagram (RFC 3261 18.3).
#[inline]
pub fn parse(buf: &[u8]) -> Result<Message<'_>, Error> {
    let skip = leading_crlf(buf);
    if skip == buf.len() {
        return Err(Error::new(ErrorKind::Empty, skip));
    }
    if buf.len() > u32::MAX as usize {
        return Err(Error::new(ErrorKind::TooLarge, 0));
    }
    parse_head(&buf[skip..], skip as u32, true).map_err(|e| e.shift(skip))
}

/// Frame one message at the start of a stream buffer (TCP, TLS).
///
/// Leading CRLF keep-alives are counted in `Complete(len)`; incomplete input
/// is `Partial`, never an error. A missing Content-Length counts as 0
/// (RFC 3261 18.3 requires it on streams). Call [`parse`] on
/// `&buf[..len]` to read the message.
pub fn parse_stream(buf: &[u8]) -> Result<Status, Error> {
    let skip = leading_crlf(buf);
    if skip == buf.len() {
        return Ok(Status::Partial);
    }
    let msg = &buf[skip..];
    let head = match parse_head(msg, 0, false) {
        Ok(h) => h,
        Err(e) if e.kind == ErrorKind::Truncated => return Ok(Status::Partial),
        Err(e) => return Err(e.shift(skip)),
    };
    let cl = head.content_length.map_err(|e| e.shift(skip))?.unwrap_or(0) as usize;
    let total = skip + head.body_start as usize + cl;
    if total <= buf.len() {
        Ok(Status::Complete(total))
    } else {
        Ok(Status::Partial)
    }
}

/// Validate start line and header syntax and index the well-known headers.
/// `ErrorKind::Truncated` means the input ended first (the framer turns it
/// into `Partial`). In a `datagram` the end of the buffer is authoritative:
/// a datagram that ends right after a complete header line is a message
/// without body even though the blank line is missing.
///
/// For a datagram the message is also bounded: the body by Content-Length
/// (octets after it are ignored, RFC 4475 3.1.1.8), or without it by the
/// end of the datagram (RFC 3261 18.3). `base` is the number of bytes
/// skipped before `buf` (errors are relative to `buf`).
#[inline(always)]
pub(crate) fn parse_head(buf: &[u8], base: u32, datagram: bool) -> Result<Message<'_>, Error> {
    if buf.len() > u32::MAX as usize {
        return Err(Error::new(ErrorKind::TooLarge, 0));
    }
    let mut ends = LineEnds::new(buf);
    let Some(lf0) = ends.find(0) else {
        return Err(Error::new(ErrorKind::Truncated, buf.len()));
    };
    let (start, mut pos) = match status_line_fast(buf, lf0) {
        Some(hit) => hit,
        None => parse_start_line(buf, lf0)?,
    };
    let headers_start = pos;
    let mut idx = Index::default();
    let (headers_end, body_start) = loop {
        // Nearly every line is a well-known header as stacks send it.
        if let Some((k, vs, ve, next)) = fast_line(buf, pos, &mut ends) {
            if let Some(k) = k {
                idx.record(k, Span::new(vs, ve));
            }
            pos = next;
            continue;
        }
        if buf.get(pos..pos + 2) == Some(b"\r\n") {
            break (pos, pos + 2);
        }
        match other_line(buf, pos, datagram)? {
            Step::End {
                headers_end,
                body_start,
            } => break (headers_end, body_start),
            Step::Line {
                known,
                vs,
                ve,
                next,
            } => {
                if let Some(k) = known {
                    idx.record(k, Span::new(vs, ve));
                }
                pos = next;
            }
        }
    };
    let content_length = content_length(buf, &idx, headers_start, headers_end);
    let end = if datagram {
        match content_length {
            Ok(Some(n)) => {
                let end = body_start + n as usize;
                if end > buf.len() {
                    return Err(Error::new(ErrorKind::Truncated, buf.len()));
                }
                end
            }
            Ok(None) => buf.len(),
            // A datagram has a natural end: keep the message, report the
            // conflict through `content_length()`.
            Err(e) if e.kind == ErrorKind::ConflictingContentLength => buf.len(),
            Err(e) => return Err(e),
        }
    } else {
        buf.len()
    };
    Ok(Message {
        buf: &buf[..end],
        base,
        start,
        headers_start: headers_start as u32,
        headers_end: headers_end as u32,
        body_start: body_start as u32,
        idx,
        content_length,
    })
}

/// A header line as stacks send it (`Name: value`, the name a token right
/// before the colon, one line, another line after it): its kind if
/// well-known, the raw value bounds (after the colon up to the LF; see
/// [`Index::get`]) and the start of the next line. `None` sends anything
/// else (space before the colon, folding, the end of the block or of the
/// input, errors) to [`other_line`], which handles every case.
#[inline(always)]
fn fast_line(
    buf: &[u8],
    pos: usize,
    ends: &mut LineEnds<'_>,
) -> Option<(Option<Known>, usize, usize, usize)> {
    // The line end first, from the line start alone: the next line's start
    // then does not wait for this line's name to be read, so consecutive
    // lines overlap in the CPU. The name ends at a `:` before the LF (an
    // LF is neither a name byte nor a colon).
    let lf = ends.find(pos)?;
    let next = lf + 1;
    if matches!(buf.get(next), None | Some(b' ' | b'\t')) {
        return None;
    }
    let (colon, k) = match fast_name(buf, pos) {
        Some(hit) => hit,
        None => token_name(buf, pos)?,
    };
    Some((k, colon + 1, lf, next))
}

/// A header name (a token) right before its colon: the colon and the kind
/// if well-known.
#[inline(always)]
fn token_name(buf: &[u8], pos: usize) -> Option<(usize, Option<Known>)> {
    if !is_token(*buf.get(pos)?) {
        return None;
    }
    let end = super::scan::token_end(buf, pos);
    if buf.get(end) != Some(&b':') {
        return None;
    }
    Some((end, known(&buf[pos..end])))
}

/// What [`other_line`] found at the start of a line.
enum Step {
    /// The blank line (or, in a datagram, the end of the input).
    End {
        headers_end: usize,
        body_start: usize,
    },
    Line {
        known: Option<Known>,
        vs: usize,
        ve: usize,
        next: usize,
    },
}

/// The general case of one line of the header block.
#[inline(never)]
fn other_line(buf: &[u8], pos: usize, datagram: bool) -> Result<Step, Error> {
    let len = buf.len();
    let Some(&b) = buf.get(pos) else {
        if datagram {
            return Ok(Step::End {
                headers_end: len,
                body_start: len,
            });
        }
        return Err(Error::new(ErrorKind::Truncated, len));
    };
    if b == b'\n' {
        return Ok(Step::End {
            headers_end: pos,
            body_start: pos + 1,
        });
    }
    if b == b'\r' {
        return match buf.get(pos + 1) {
            Some(b'\n') => Ok(Step::End {
                headers_end: pos,
                body_start: pos + 2,
            }),
            Some(_) => Err(Error::new(ErrorKind::BadHeader, pos)),
            None => Err(Error::new(ErrorKind::Truncated, len)),
        };
    }
    if let Some((colon, k)) = fast_name(buf, pos) {
        let (vs, ve, next) = header_value(buf, colon + 1, datagram)?;
        return Ok(Step::Line {
            known: k,
            vs,
            ve,
            next,
        });
    }
    let line = header_line(buf, pos, datagram)?;
    Ok(Step::Line {
        known: known(&buf[line.name.0..line.name.1]),
        vs: line.value.0,
        ve: line.value.1,
        next: line.next,
    })
}

/// One logical header line (folding included).
pub(crate) struct Line {
    pub(crate) name: (usize, usize),
    pub(crate) value: (usize, usize),
    pub(crate) next: usize,
}

/// Scan the header line starting at `pos` (not a blank line).
#[inline(always)]
pub(crate) fn header_line(buf: &[u8], pos: usize, datagram: bool) -> Result<Line, Error> {
    let len = buf.len();
    let mut i = pos;
    while i < len && is_token(buf[i]) {
        i += 1;
    }
    if i == len {
        return Err(Error::new(ErrorKind::Truncated, len));
    }
    if i == pos {
        return Err(Error::new(ErrorKind::BadHeader, pos));
    }
    let name_end = i;
    while i < len && (buf[i] == b' ' || buf[i] == b'\t') {
        i += 1;
    }
    if i == len {
        return Err(Error::new(ErrorKind::Truncated, len));
    }
    if buf[i] != b':' {
        return Err(Error::new(ErrorKind::BadHeader, i));
    }
    let (vs, ve, next) = header_value(buf, i + 1, datagram)?;
    Ok(Line {
        name: (pos, name_end),
        value: (vs, ve),
        next,
    })
}

/// The value starting right after the colon at `vs - 1`: trimmed bounds and
/// the start of the next line (continuation lines included).
#[inline(always)]
fn header_value(buf: &[u8], mut vs: usize, datagram: bool) -> Result<(usize, usize, usize), Error> {
    let len = buf.len();
    let mut j = vs;
    let (line_end, next) = loop {
        let Some(lf) = find_lf(buf, j) else {
            return Err(Error::new(ErrorKind::Truncated, len));
        };
        match buf.get(lf + 1) {
            Some(b' ' | b'\t') => j = lf + 1,
            Some(_) => break (lf, lf + 1),
            None if datagram => break (lf, lf + 1),
            // The next line may be a continuation: cannot tell yet.
            None => return Err(Error::new(ErrorKind::Truncated, len)),
        }
    };
    // Trim LWS (`value CRLF` and `: value` are the common shapes).
    let mut ve = line_end;
    if ve > vs && buf[ve - 1] == b'\r' {
        ve -= 1;
    }
    while ve > vs && is_lws(buf[ve - 1]) {
        ve -= 1;
    }
    if vs < ve && buf[vs] == b' ' {
        vs += 1;
    }
    while vs < ve && is_lws(buf[vs]) {
        vs += 1;
    }
    Ok((vs, ve, next))
}

/// Little-endian word of up to 8 bytes and the mask of its length.
const fn pat(s: &[u8]) -> (u64, u64) {
    let mut v = 0u64;
    let mut i = 0;
    while i < s.len() {
        v |= (s[i] as u64) << (8 * i);
        i += 1;
    }
    let mask = if s.len() == 8 {
        !0
    } else {
        (1u64 << (8 * s.len())) - 1
    };
    (v, mask)
}

#[inline(always)]
fn load8(buf: &[u8], at: usize) -> Option<u64> {
    let b = buf.get(at..at + 8)?;
    let mut w = [0u8; 8];
    w.copy_from_slice(b);
    Some(u64::from_le_bytes(w))
}

#[inline(always)]
fn is(w: u64, p: (u64, u64)) -> bool {
    w & p.1 == p.0
}

/// `buf[at..]` starts with the (lowercase) pattern `p`, the bytes selected
/// by `fold` compared case-insensitively (`| 0x20` is exact on letters).
/// Needs 8 readable bytes unless the pattern ends the buffer.
#[inline(always)]
fn word_is(buf: &[u8], at: usize, p: (u64, u64), fold: u64) -> bool {
    let n = (64 - p.1.leading_zeros()) as usize / 8;
    let Some(b) = buf.get(at..at + n) else {
        return false;
    };
    let mut w = [0u8; 8];
    w[..n].copy_from_slice(b);
    (u64::from_le_bytes(w) | (fold & p.1)) == p.0
}

/// Recognise a header name written in its canonical spelling with the
/// colon right after it (what nearly every stack sends), from one or two
/// word compares: the indexed headers, and the unindexed ones that ride on
/// nearly every INVITE and 2xx (Allow, Supported, Require, Session-Expires,
/// Min-SE, Expires, Date), which then need no byte-by-byte name scan.
/// Returns the colon's index and the kind if indexed. Anything else (other
/// names, odd case, compact forms, space before the colon) takes the
/// general path.
#[inline(always)]
fn fast_name(buf: &[u8], pos: usize) -> Option<(usize, Option<Known>)> {
    let w = load8(buf, pos)?;
    let hit = |n: usize, k| Some((pos + n, Some(k)));
    let other = |n: usize| Some((pos + n, None));
    match w as u8 {
        b'V' if is(w, pat(b"Via:")) => hit(3, Known::Via),
        b'F' if is(w, pat(b"From:")) => hit(4, Known::From),
        b'T' if is(w, pat(b"To:")) => hit(2, Known::To),
        b'C' => {
            if is(w, pat(b"Call-ID:")) {
                hit(7, Known::CallId)
            } else if is(w, pat(b"CSeq:")) {
                hit(4, Known::CSeq)
            } else if is(w, pat(b"Contact:")) {
                hit(7, Known::Contact)
            } else if is(w, pat(b"Content-")) {
                let w2 = load8(buf, pos + 8)?;
                if is(w2, pat(b"Length:")) {
                    hit(14, Known::ContentLength)
                } else if is(w2, pat(b"Type:")) {
                    hit(12, Known::ContentType)
                } else {
                    None
                }
            } else {
                None
            }
        }
        b'M' => {
            if is(w, pat(b"Max-Forw")) && is(load8(buf, pos + 8)?, pat(b"ards:")) {
                hit(12, Known::MaxForwards)
            } else if is(w, pat(b"Min-SE:")) {
                other(6)
            } else {
                None
            }
        }
        b'R' => {
            if is(w, pat(b"Reason:")) {
                hit(6, Known::Reason)
            } else if is(w, pat(b"Route:")) {
                hit(5, Known::Route)
            } else if is(w, pat(b"Record-R")) && is(load8(buf, pos + 8)?, pat(b"oute:")) {
                hit(12, Known::RecordRoute)
            } else if is(w, pat(b"Require:")) {
                other(7)
            } else {
                None
            }
        }
        b'S' => {
            if is(w, pat(b"Server:")) {
                hit(6, Known::Server)
            } else if is(w, pat(b"Supporte")) && is(load8(buf, pos + 8)?, pat(b"d:")) {
                other(9)
            } else if is(w, pat(b"Session-")) && is(load8(buf, pos + 8)?, pat(b"Expires:")) {
                other(15)
            } else {
                None
            }
        }
        b'U' if is(w, pat(b"User-Age")) && is(load8(buf, pos + 8)?, pat(b"nt:")) => {
            hit(10, Known::UserAgent)
        }
        b'A' if is(w, pat(b"Allow:")) => other(5),
        b'E' if is(w, pat(b"Expires:")) => other(7),
        b'D' if is(w, pat(b"Date:")) => other(4),
        _ => None,
    }
}

/// Index of the first `\n` at or after `from`.
#[inline(always)]
fn find_lf(buf: &[u8], from: usize) -> Option<usize> {
    find_byte(buf, from, b'\n')
}

/// Index of the first `byte` at or after `from` (the 16-byte scan the
/// header values use; no call, no set-up for the short runs of a line).
#[inline(always)]
pub(crate) fn find_byte(buf: &[u8], from: usize, byte: u8) -> Option<usize> {
    super::scan::find2(buf, from, byte, byte)
}

/// Content-Length from the index; on several lines every value must agree.
#[inline(always)]
fn content_length(
    buf: &[u8],
    idx: &Index,
    headers_start: usize,
    headers_end: usize,
) -> Result<Option<u32>, Error> {
    let Some(first) = idx.get(Known::ContentLength, buf) else {
        return Ok(None);
    };
    let n = parse_content_length(buf, first)?;
    if !idx.is_multi(Known::ContentLength) {
        return Ok(Some(n));
    }
    all_content_lengths(buf, headers_start, headers_end, n)
}

/// Every Content-Length line must say `n`.
#[inline(never)]
fn all_content_lengths(
    buf: &[u8],
    headers_start: usize,
    headers_end: usize,
    n: u32,
) -> Result<Option<u32>, Error> {
    let mut pos = headers_start;
    while pos < headers_end {
        let Ok(line) = header_line(buf, pos, true) else {
            break;
        };
        if known(&buf[line.name.0..line.name.1]) == Some(Known::ContentLength) {
            let v = Span::new(line.value.0, line.value.1);
            if parse_content_length(buf, v)? != n {
                return Err(Error::new(
                    ErrorKind::ConflictingContentLength,
                    line.value.0,
                ));
            }
        }
        pos = line.next;
    }
    Ok(Some(n))
}

fn parse_content_length(buf: &[u8], v: Span) -> Result<u32, Error> {
    let s = v.slice(buf);
    match parse_decimal(s) {
        Some(n) if n <= u32::MAX as u64 => Ok(n as u32),
        Some(_) => Err(Error::new(ErrorKind::Overflow, v.s as usize)),
        None => Err(Error::new(ErrorKind::BadContentLength, v.s as usize)),
    }
}

/// `1*DIGIT` (leading zeros allowed), saturating at 2^60 (far above any
/// limit a caller checks) so an overlarge value is never wrapped into a
/// plausible one.
#[inline]
pub(crate) fn parse_decimal(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &b in s {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n = (n * 10 + d as u64).min(1 << 60);
    }
    Some(n)
}

/// A status line as stacks send it (`SIP/2.0 NNN reason`, upper case, a
/// reason phrase): the start line and the next line's offset, or `None`
/// for anything else (then [`parse_start_line`] decides).
#[inline(always)]
fn status_line_fast(buf: &[u8], lf: usize) -> Option<(StartLine<'_>, usize)> {
    let line_end = lf - usize::from(lf > 0 && buf[lf - 1] == b'\r');
    let line = buf.get(..line_end)?;
    if load8(line, 0)? != u64::from_le_bytes(*b"SIP/2.0 ") {
        return None;
    }
    let c = line.get(8..12)?;
    let d = [
        c[0].wrapping_sub(b'0'),
        c[1].wrapping_sub(b'0'),
        c[2].wrapping_sub(b'0'),
    ];
    if d.iter().any(|&x| x > 9) || c[3] != b' ' {
        return None;
    }
    let code = u16::from(d[0]) * 100 + u16::from(d[1]) * 10 + u16::from(d[2]);
    if !(100..=699).contains(&code) {
        return None;
    }
    let reason = &line[12..];
    if first_ctl(reason).is_some() {
        return None;
    }
    Some((StartLine::Response { code, reason }, lf + 1))
}

/// Returns the start line and the offset of the first header line; `lf`
/// is the first LF of `buf`.
fn parse_start_line(buf: &[u8], lf: usize) -> Result<(StartLine<'_>, usize), Error> {
    let line_end = if lf > 0 && buf[lf - 1] == b'\r' {
        lf - 1
    } else {
        lf
    };
    let line = &buf[..line_end];
    let next = lf + 1;
    if line.len() >= 4 && word_is(line, 0, pat(b"sip/"), 0x20_2020) {
        return parse_status_line(line).map(|s| (s, next));
    }
    // Request-Line = Method SP Request-URI SP SIP-Version (RFC 3261 7.1):
    // exactly two single spaces, no LWS anywhere else.
    let Some(sp1) = find_byte(line, 0, b' ') else {
        return Err(Error::new(ErrorKind::BadStartLine, line_end));
    };
    let method = &line[..sp1];
    if method.is_empty() {
        return Err(Error::new(ErrorKind::BadStartLine, 0));
    }
    let bad = scan_end(&TOKEN, method, 0, token_wordy);
    if bad != method.len() {
        return Err(Error::new(ErrorKind::BadMethod, bad));
    }
    let uri_at = sp1 + 1;
    // The space ending the URI is the first byte a URI may not contain,
    // unless the URI is bad; then the checks below find what is wrong.
    let stop = scan_end(&URIC, line, uri_at, uri_wordy);
    let clean = line.get(stop) == Some(&b' ');
    let sp2 = if clean {
        stop
    } else {
        match find_byte(line, uri_at, b' ') {
            Some(sp2) => sp2,
            None => return Err(Error::new(ErrorKind::BadStartLine, line_end)),
        }
    };
    let uri = &line[uri_at..sp2];
    check_request_uri(uri, clean).map_err(|e| e.shift(uri_at))?;
    let version = &line[sp2 + 1..];
    let version_at = sp2 + 1;
    let is_v20 = version.len() == 7 && word_is(buf, version_at, pat(b"sip/2.0"), 0x20_2020);
    if !is_v20 {
        let looks_like_version = version.len() >= 4
            && version[..4].eq_ignore_ascii_case(b"SIP/")
            && !version.iter().any(|&b| b == b' ' || b == b'\t');
        let kind = if looks_like_version {
            ErrorKind::BadVersion
        } else {
            ErrorKind::BadStartLine
        };
        return Err(Error::new(kind, version_at));
    }
    Ok((
        StartLine::Request {
            method: Method::from_bytes(method),
            uri,
        },
        next,
    ))
}

/// Index of the first control byte other than HT (not allowed in a reason
/// phrase), a word at a time (the last word overlapping the one before,
/// so there is no byte loop): words without any byte below 0x20 are
/// skipped whole.
#[inline]
fn first_ctl(s: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    // High bit set for the bytes below 0x20 (exact for the first).
    let below = |w: u64| w.wrapping_sub(LO * 0x20) & !w & HI;
    let word = |at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[at..at + 8]);
        u64::from_le_bytes(w)
    };
    let len = s.len();
    let slow = |from: usize| {
        s[from..]
            .iter()
            .position(|&b| b < 0x20 && b != b'\t')
            .map(|p| from + p)
    };
    if len < 8 {
        return slow(0);
    }
    let mut i = 0;
    while i + 8 < len {
        if below(word(i)) != 0 {
            return slow(i);
        }
        i += 8;
    }
    if below(word(len - 8)) != 0 {
        return slow(i.min(len - 8));
    }
    None
}

/// Status-Line = SIP-Version SP Status-Code SP Reason-Phrase.
fn parse_status_line(line: &[u8]) -> Result<StartLine<'_>, Error> {
    if !word_is(line, 0, pat(b"sip/2.0 "), 0x20_2020) {
        return Err(Error::new(ErrorKind::BadVersion, 0));
    }
    // `NNN` then SP or the end, from one 4-byte load.
    let c = match line.get(8..12) {
        Some(b) => [b[0], b[1], b[2], b[3]],
        None => short_code(line),
    };
    let d = [
        c[0].wrapping_sub(b'0'),
        c[1].wrapping_sub(b'0'),
        c[2].wrapping_sub(b'0'),
    ];
    if d.iter().any(|&x| x > 9) || c[3].is_ascii_digit() {
        return Err(Error::new(ErrorKind::BadStatusCode, 8));
    }
    let code = u16::from(d[0]) * 100 + u16::from(d[1]) * 10 + u16::from(d[2]);
    if !(100..=699).contains(&code) {
        return Err(Error::new(ErrorKind::BadStatusCode, 8));
    }
    let reason: &[u8] = match line.get(11) {
        None => b"",
        Some(b' ') => &line[12..],
        Some(_) => return Err(Error::new(ErrorKind::BadStartLine, 11)),
    };
    if let Some(bad) = first_ctl(reason) {
        return Err(Error::new(ErrorKind::BadStartLine, 12 + bad));
    }
    Ok(StartLine::Response { code, reason })
}

/// The status code bytes of a status line shorter than 12 bytes, padded
/// with spaces.
#[cold]
fn short_code(line: &[u8]) -> [u8; 4] {
    let mut c = [b' '; 4];
    for (d, &b) in c.iter_mut().zip(line.get(8..).unwrap_or_default()) {
        *d = b;
    }
    c
}

/// A Request-URI is an absolute URI without LWS or `<>` (RFC 3261 7.1,
/// RFC 4475 3.1.2.7/3.1.2.8); a SIP/SIPS URI there must not carry escaped
/// headers (RFC 3261 19.1.1, RFC 4475 3.1.2.11). One pass over the URI.
/// `clean`: the caller has checked that no byte is one a URI may not
/// contain.
fn check_request_uri(uri: &[u8], clean: bool) -> Result<(), Error> {
    let bad = |at| Err(Error::new(ErrorKind::BadRequestUri, at));
    match uri.first() {
        None => return bad(0),
        Some(b) if !b.is_ascii_alphabetic() => return bad(0),
        _ => {}
    }
    let colon = run_end(&SCHEME, uri, 0);
    if uri.get(colon) != Some(&b':') {
        // A scheme byte that is not allowed, or no `:` at all.
        return match memchr(b':', &uri[colon..]) {
            Some(_) => bad(colon),
            None => bad(uri.len()),
        };
    }
    let scheme = &uri[..colon];
    let sip = scheme.eq_ignore_ascii_case(b"sip") || scheme.eq_ignore_ascii_case(b"sips");
    if sip && uri.len() == colon + 1 {
        return bad(colon + 1);
    }
    if !clean {
        if let Some(p) = first_uri_bad(uri, colon + 1) {
            return bad(p);
        }
    }
    if sip {
        // userinfo may contain `?` (RFC 4475 3.1.1.2); headers follow the host.
        let host_at = memchr(b'@', uri).map_or(colon + 1, |a| a + 1);
        if let Some(p) = memchr(b'?', &uri[host_at..]) {
            return bad(host_at + p);
        }
    }
    Ok(())
}

/// First byte at or after `from` that no URI may contain: controls, SP,
/// DEL, `<`, `>`, `"`.
#[inline]
fn first_uri_bad(uri: &[u8], from: usize) -> Option<usize> {
    let p = scan_end(&URIC, uri, from, uri_wordy);
    (p < uri.len()).then_some(p)
}

/// `scheme` characters after the first: `ALPHA / DIGIT / "+" / "-" / "."`.
pub(crate) static SCHEME: [bool; 256] = super::header::alnum_and(b"+-.");

/// Bytes a Request-URI may contain (anything but controls, SP, DEL, `<>"`).
static URIC: [bool; 256] = {
    let mut t = [true; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = !(b <= b' ' || b == 0x7f || matches!(b, b'<' | b'>' | b'"'));
        c += 1;
    }
    t
};

impl Index {
    #[inline]
    pub(crate) fn record(&mut self, k: Known, span: Span) {
        let bit = 1u16 << (k as u8);
        if self.present & bit == 0 {
            self.present |= bit;
            self.spans[k as usize] = span;
        } else {
            self.multi |= bit;
        }
    }
}

// Keep the index small enough to be a cheap `Copy`.
const _: () = assert!(KNOWN_COUNT <= 16);

#[cfg(test)]
mod tests {
    use super::*;

    /// Whenever the fast path takes a line, the general path gives the same
    /// kind, value bounds and next line.
    #[test]
    fn fast_line_agrees_with_general_path() {
        let names = [
            "Via",
            "From",
            "To",
            "Call-ID",
            "CSeq",
            "Contact",
            "Content-Length",
            "v",
            "cseq",
            "X-Odd.Name_1",
            "Session-Expires",
            "P-Asserted-Identity",
            "Allow",
            "Supported",
            "Require",
            "Min-SE",
            "Expires",
            "Date",
            "Server",
        ];
        let values = [
            "",
            " ",
            "  ",
            "\t",
            "x",
            " x",
            "  x",
            "\tx",
            " x ",
            " x\t",
            " \rx",
            " a b ",
            " \x01x",
            " x\x01",
            " \x7fx\u{80}",
        ];
        let ends = ["\r\n", "\n", " \r\n", "\r\r\n"];
        let nexts = ["X: y\r\n", " folded\r\n", "\r\n", ""];
        let mut taken = 0;
        let mut named = 0;
        for n in names {
            for v in values {
                for e in ends {
                    for x in nexts {
                        let line = format!("{n}:{v}{e}{x}");
                        let b = line.as_bytes();
                        // The word-compare names agree with the scan.
                        if let Some(hit) = fast_name(b, 0) {
                            assert_eq!(Some(hit), token_name(b, 0), "{line:?}");
                            named += 1;
                        }
                        let Some((k, vs, ve, next)) = fast_line(b, 0, &mut LineEnds::new(b)) else {
                            continue;
                        };
                        taken += 1;
                        let Ok(Step::Line {
                            known: gk,
                            vs: gs,
                            ve: ge,
                            next: gn,
                        }) = other_line(b, 0, true)
                        else {
                            panic!("{line:?}");
                        };
                        // The fast path leaves trimming to the reader.
                        let t = Span::new(vs, ve).trimmed(b);
                        let (vs, ve) = (t.s as usize, t.e as usize);
                        assert_eq!((k, vs, ve, next), (gk, gs, ge, gn), "{line:?}");
                    }
                }
            }
        }
        assert!(taken >= 100, "{taken}");
        assert!(named >= 1000, "{named}");
    }

    /// The one-pass Request-URI check against the straightforward
    /// definition, on URIs built from the interesting bytes.
    #[test]
    fn request_uri_check_matches_definition() {
        fn reference(uri: &[u8]) -> Result<(), usize> {
            match uri.first() {
                Some(b) if b.is_ascii_alphabetic() => {}
                _ => return Err(0),
            }
            let Some(colon) = uri.iter().position(|&b| b == b':') else {
                return Err(uri.len());
            };
            let scheme = &uri[..colon];
            let ok = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.');
            if let Some(p) = scheme.iter().position(|&b| !ok(b)) {
                return Err(p);
            }
            let badb = |b: u8| b <= b' ' || b == 0x7f || matches!(b, b'<' | b'>' | b'"');
            if let Some(p) = uri.iter().position(|&b| badb(b)) {
                return Err(p);
            }
            let sip = scheme.eq_ignore_ascii_case(b"sip") || scheme.eq_ignore_ascii_case(b"sips");
            if sip && uri.len() == colon + 1 {
                return Err(colon + 1);
            }
            if sip {
                let host_at = uri
                    .iter()
                    .position(|&b| b == b'@')
                    .map_or(colon + 1, |a| a + 1);
                if let Some(p) = uri[host_at..].iter().position(|&b| b == b'?') {
                    return Err(host_at + p);
                }
            }
            Ok(())
        }
        let parts: [&[u8]; 14] = [
            b"sip", b"SIPS", b"tel", b"x+y", b":", b"@", b"?", b"a", b" ", b"<", b"\"", b"\x7f",
            b"1", b"%",
        ];
        let mut n = 0;
        for a in parts {
            for b in parts {
                for c in parts {
                    for d in parts {
                        let uri = [a, b, c, d].concat();
                        let got = check_request_uri(&uri, false).map_err(|e| e.offset);
                        let clean = first_uri_bad(&uri, 0).is_none();
                        if clean {
                            let got = check_request_uri(&uri, true).map_err(|e| e.offset);
                            assert_eq!(got, reference(&uri));
                        }
                        assert_eq!(got, reference(&uri), "{:?}", String::from_utf8_lossy(&uri));
                        n += 1;
                    }
                }
            }
        }
        assert_eq!(n, 14usize.pow(4));
    }

    /// The inline scan finds the same byte as `memchr` wherever it is,
    /// including past the inline window and in the last partial word.
    #[test]
    fn find_byte_matches_memchr() {
        for len in 0..300usize {
            for at in (0..len).step_by(7).chain(len.saturating_sub(9)..len) {
                let mut s = vec![b'x'; len];
                s[at] = b'\n';
                if at + 3 < len {
                    s[at + 3] = b'\n';
                }
                for from in [0, 1, 5, at.saturating_sub(1), at, at + 1] {
                    let want = s
                        .get(from..)
                        .and_then(|t| memchr(b'\n', t))
                        .map(|p| p + from);
                    assert_eq!(
                        find_byte(&s, from, b'\n'),
                        want,
                        "len {len} at {at} from {from}"
                    );
                }
            }
        }
        for r in [
            &b"Busy Here"[..],
            b"",
            b"\t\x01",
            b"0123456789abcdef\x1f",
            b"\xd0\xbd\xd0\xbe\t",
        ] {
            let want = r.iter().position(|&b| b < 0x20 && b != b'\t');
            assert_eq!(first_ctl(r), want, "{r:?}");
        }
        assert_eq!(parse_decimal(b"0042"), Some(42));
        assert_eq!(parse_decimal(b"99999999999999999999999999"), Some(1 << 60));
        assert_eq!(
            (
                parse_decimal(b""),
                parse_decimal(b"1a"),
                parse_decimal(b"-1")
            ),
            (None, None, None)
        );
        // 0x0B right after a match must not hide or fake one.
        assert_eq!(find_byte(b"ab\n\x0b\ncdefghijklmnopq", 3, b'\n'), Some(4));
    }
}
