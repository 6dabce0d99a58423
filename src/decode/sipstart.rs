//! SIP is recognised by its start line (RFC 3261 §7.1/§7.2), never by port:
//! `Method SP Request-URI SP SIP/2.0 CRLF` or `SIP/2.0 SP 3DIGIT SP ...`.

/// Longest start line we wait for before deciding the bytes are not SIP.
pub(crate) const MAX_START_LINE: usize = 8192;

/// Longest method name accepted: standard methods have at most 9 letters;
/// the bound keeps arbitrary token runs (bodies after a gap) from looking
/// like a start line.
const MAX_METHOD: usize = 32;

/// Outcome of looking at the first line of some bytes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Start {
    /// A SIP start line (after optional CRLF keep-alives).
    Sip,
    /// Certainly not a SIP start line.
    NotSip,
    /// The first line is not complete yet (stream transports wait for more).
    NeedMore,
}

/// Whether `buf` begins (after optional CRLF keep-alives) with a complete
/// SIP request or status line.
pub fn looks_like_sip(buf: &[u8]) -> bool {
    start(buf) == Start::Sip
}

/// Classify the first line of `buf`.
pub fn start(buf: &[u8]) -> Start {
    let mut i = 0;
    while i < buf.len() && (buf[i] == b'\r' || buf[i] == b'\n') {
        i += 1;
    }
    let rest = &buf[i..];
    if rest.is_empty() {
        return Start::NeedMore;
    }
    // Both start lines (and every prefix that could grow into one) begin
    // with a token character ('S' of "SIP/2.0" included). Media (RTP's
    // first byte is 0x80..0xBF), DTLS and STUN never do: decided here,
    // without scanning the datagram for a line end.
    if !is_token(rest[0]) {
        return Start::NotSip;
    }
    let limit = rest.len().min(MAX_START_LINE);
    // CR, LF or CRLF end a line (as tshark reads lines; a lone CR is seen in
    // damaged and in some old UAs' traffic).
    let line = match memchr::memchr2(b'\r', b'\n', &rest[..limit]) {
        Some(n) => &rest[..n],
        None => {
            // Reject early what cannot become a start line, so a binary
            // stream is not buffered waiting for a newline.
            if limit == MAX_START_LINE || !plausible_prefix(rest) {
                return Start::NotSip;
            }
            return Start::NeedMore;
        }
    };
    if is_start_line(line) {
        Start::Sip
    } else {
        Start::NotSip
    }
}

/// True for a request or status line without its line ending.
pub(crate) fn is_start_line(line: &[u8]) -> bool {
    if let Some(rest) = line.strip_prefix(b"SIP/2.0 ") {
        // Reason-Phrase is TEXT-UTF8 (no control characters but HTAB).
        return rest.len() >= 3
            && rest[..3].iter().all(u8::is_ascii_digit)
            && (rest.len() == 3 || rest[3] == b' ')
            && rest[3..]
                .iter()
                .all(|&b| b >= b' ' && b != 0x7f || b == b'\t');
    }
    let Some(sp1) = memchr::memchr(b' ', line) else {
        return false;
    };
    let method = &line[..sp1];
    if method.is_empty() || method.len() > MAX_METHOD || !method.iter().all(|&b| is_token(b)) {
        return false;
    }
    let rest = &line[sp1 + 1..];
    let Some(uri) = rest.strip_suffix(b" SIP/2.0") else {
        return false;
    };
    // Non-ASCII bytes are tolerated in the URI (broken UAs send raw UTF-8);
    // spaces and control characters are not.
    !uri.is_empty() && uri.iter().all(|&b| b > b' ' && b != 0x7f)
}

/// Could these bytes (no newline yet) still grow into a start line?
fn plausible_prefix(b: &[u8]) -> bool {
    let sip = b"SIP/2.0 ";
    let n = b.len().min(sip.len());
    if b[..n] == sip[..n] {
        return true;
    }
    match memchr::memchr(b' ', b) {
        None => b.len() <= MAX_METHOD && b.iter().all(|&c| is_token(c)),
        Some(sp) => {
            sp > 0
                && sp <= MAX_METHOD
                && b[..sp].iter().all(|&c| is_token(c))
                && b[sp..].iter().all(|&c| c >= b' ' && c != 0x7f)
        }
    }
}

/// RFC 3261 `token` characters (the parser's table: this runs for every
/// UDP datagram).
fn is_token(b: u8) -> bool {
    crate::sip::is_token(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_lines() {
        assert!(looks_like_sip(
            b"INVITE sip:bob@example.com SIP/2.0\r\nVia: x\r\n"
        ));
        assert!(looks_like_sip(b"\r\n\r\nSIP/2.0 200 OK\r\n"));
        assert!(looks_like_sip(b"SIP/2.0 180 \r\n"));
        assert!(looks_like_sip(b"OPTIONS sip:a SIP/2.0\n"));
        assert!(!looks_like_sip(b"GET / HTTP/1.1\r\n"));
        assert!(!looks_like_sip(b"SIP/2.0 20 OK\r\n"));
        assert!(!looks_like_sip(b"INVITE sip:a b SIP/2.0\r\n"));
        assert!(!looks_like_sip(b"\x80\x00\x12\x34"));
        assert_eq!(start(b"INVITE sip:bob@exa"), Start::NeedMore);
        assert_eq!(start(b"SIP/2."), Start::NeedMore);
        assert_eq!(start(b"\x16\x03\x01"), Start::NotSip);
        assert_eq!(start(b"\r\n\r\n"), Start::NeedMore);
        // RTP (version 2), even with a start line inside its payload.
        assert_eq!(start(b"\x80\x00OPTIONS sip:a SIP/2.0\r\n"), Start::NotSip);
        assert_eq!(start(b" INVITE sip:a SIP/2.0\r\n"), Start::NotSip);
    }
}
