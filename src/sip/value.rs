//! Grammar of header values (RFC 3261 25.1): comma lists, `;params`,
//! via-parm, name-addr/addr-spec, Reason. All zero-copy; errors carry
//! offsets relative to the slice they were given.

use super::error::{Error, ErrorKind};
use super::header::{is_lws, is_token, trim};
use super::parse::parse_decimal;

/// Byte offset of `sub` inside `base` (both borrowed from the same buffer).
#[inline]
pub(crate) fn offset_in(base: &[u8], sub: &[u8]) -> usize {
    (sub.as_ptr() as usize).wrapping_sub(base.as_ptr() as usize)
}

/// Splits on `sep` outside quoted strings (with `\` escapes) and `<...>`,
/// yielding trimmed pieces (RFC 3261 7.3.1: commas inside quotes or angle
/// brackets do not separate values).
#[derive(Clone, Debug)]
pub(crate) struct Split<'a> {
    s: &'a [u8],
    pos: usize,
    sep: u8,
    done: bool,
}

impl<'a> Split<'a> {
    pub(crate) fn new(s: &'a [u8], sep: u8) -> Self {
        Split {
            s,
            pos: 0,
            sep,
            done: false,
        }
    }
}

impl<'a> Iterator for Split<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.done {
            return None;
        }
        let s = self.s;
        let start = self.pos;
        let mut i = start;
        let mut quoted = false;
        let mut angle = false;
        while i < s.len() {
            let b = s[i];
            if quoted {
                if b == b'\\' {
                    i += 1;
                } else if b == b'"' {
                    quoted = false;
                }
            } else if b == b'"' {
                quoted = true;
            } else if b == b'<' {
                angle = true;
            } else if b == b'>' {
                angle = false;
            } else if b == self.sep && !angle {
                self.pos = i + 1;
                return Some(trim(&s[start..i]));
            }
            i += 1;
        }
        self.done = true;
        Some(trim(&s[start.min(s.len())..]))
    }
}

/// End (exclusive) of the quoted string starting at `s[0] == '"'`.
fn quoted_end(s: &[u8]) -> Option<usize> {
    let mut i = 1;
    while i < s.len() {
        match s[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// Check `*( SEMI generic-param )`: `s` is empty or starts with `;`.
pub(crate) fn check_params(s: &[u8]) -> Result<(), Error> {
    if s.is_empty() {
        return Ok(());
    }
    let mut parts = Split::new(&s[1..], b';');
    for p in &mut parts {
        let at = offset_in(s, p);
        let (name, value) = split_param(p);
        if name.is_empty() || !name.iter().all(|&b| is_token(b)) {
            return Err(Error::new(ErrorKind::BadParam, at));
        }
        if let Some(v) = value {
            let vat = offset_in(s, v);
            if v.is_empty() {
                return Err(Error::new(ErrorKind::BadParam, vat));
            }
            if v[0] == b'"' {
                match quoted_end(v) {
                    Some(e) if e == v.len() => {}
                    Some(e) => return Err(Error::new(ErrorKind::BadParam, vat + e)),
                    None => return Err(Error::new(ErrorKind::UnterminatedQuote, vat)),
                }
            } else if let Some(p) = v
                .iter()
                .position(|&b| is_lws(b) || matches!(b, b'"' | b'<' | b'>' | b',') || b < 0x20)
            {
                return Err(Error::new(ErrorKind::BadParam, vat + p));
            }
        }
    }
    Ok(())
}

/// `name [ "=" value ]`, both trimmed of LWS.
#[inline]
fn split_param(p: &[u8]) -> (&[u8], Option<&[u8]>) {
    match p.iter().position(|&b| b == b'=') {
        Some(eq) => (trim(&p[..eq]), Some(trim(&p[eq + 1..]))),
        None => (trim(p), None),
    }
}

/// Value of parameter `name` (case-insensitive) in a `;a=b;c` list; a bare
/// parameter yields `Some(b"")`. Quoted values are returned with quotes.
#[inline]
pub(crate) fn find_param<'a>(s: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    if s.is_empty() {
        return None;
    }
    for p in Split::new(&s[1..], b';') {
        let (n, v) = split_param(p);
        if n.eq_ignore_ascii_case(name) {
            return Some(v.unwrap_or(b""));
        }
    }
    None
}

/// One `via-parm` of a Via header (RFC 3261 20.42).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Via<'a> {
    /// Transport token as sent (`UDP`, `TCP`, `TLS`, `SCTP`, `WS`...).
    pub transport: &'a [u8],
    /// sent-by host (an IPv6 reference keeps its brackets).
    pub host: &'a [u8],
    pub port: Option<u16>,
    pub branch: Option<&'a [u8]>,
    pub received: Option<&'a [u8]>,
    /// `Some(b"")` for a bare `rport` (RFC 3581 request).
    pub rport: Option<&'a [u8]>,
    /// All parameters, from the first `;` (empty when none).
    pub params: &'a [u8],
}

impl<'a> Via<'a> {
    /// Any Via parameter by name (case-insensitive); bare -> `Some(b"")`.
    pub fn param(&self, name: &str) -> Option<&'a [u8]> {
        find_param(self.params, name.as_bytes())
    }
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    #[inline]
    fn lws(&mut self) -> bool {
        let start = self.i;
        while self.i < self.s.len() && is_lws(self.s[self.i]) {
            self.i += 1;
        }
        self.i > start
    }
    #[inline]
    fn token(&mut self, kind: ErrorKind) -> Result<&'a [u8], Error> {
        let start = self.i;
        while self.i < self.s.len() && is_token(self.s[self.i]) {
            self.i += 1;
        }
        if self.i == start {
            return Err(Error::new(kind, start));
        }
        Ok(&self.s[start..self.i])
    }
    #[inline]
    fn expect(&mut self, b: u8, kind: ErrorKind) -> Result<(), Error> {
        if self.s.get(self.i) == Some(&b) {
            self.i += 1;
            Ok(())
        } else {
            Err(Error::new(kind, self.i))
        }
    }
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
}

/// Parse one trimmed via-parm.
pub(crate) fn parse_via(s: &[u8]) -> Result<Via<'_>, Error> {
    const K: ErrorKind = ErrorKind::BadVia;
    let mut c = Cursor { s, i: 0 };
    c.token(K)?;
    c.lws();
    c.expect(b'/', K)?;
    c.lws();
    c.token(K)?;
    c.lws();
    c.expect(b'/', K)?;
    c.lws();
    let transport = c.token(K)?;
    if !c.lws() {
        return Err(Error::new(K, c.i));
    }
    let host = host(&mut c)?;
    c.lws();
    let mut port = None;
    if c.peek() == Some(b':') {
        c.i += 1;
        c.lws();
        port = Some(port_number(&mut c)?);
        c.lws();
    }
    let params = &s[c.i..];
    if !params.is_empty() && params[0] != b';' {
        return Err(Error::new(K, c.i));
    }
    check_params(params).map_err(|e| e.shift(c.i))?;
    Ok(Via {
        transport,
        host,
        port,
        branch: find_param(params, b"branch"),
        received: find_param(params, b"received"),
        rport: find_param(params, b"rport"),
        params,
    })
}

fn host<'a>(c: &mut Cursor<'a>) -> Result<&'a [u8], Error> {
    let start = c.i;
    if c.peek() == Some(b'[') {
        while c.i < c.s.len() && c.s[c.i] != b']' {
            c.i += 1;
        }
        if c.i == c.s.len() {
            return Err(Error::new(ErrorKind::BadVia, start));
        }
        c.i += 1;
    } else {
        while c.i < c.s.len()
            && (c.s[c.i].is_ascii_alphanumeric() || matches!(c.s[c.i], b'-' | b'.' | b'_'))
        {
            c.i += 1;
        }
    }
    if c.i == start {
        return Err(Error::new(ErrorKind::BadVia, start));
    }
    Ok(&c.s[start..c.i])
}

fn port_number(c: &mut Cursor<'_>) -> Result<u16, Error> {
    let start = c.i;
    while c.i < c.s.len() && c.s[c.i].is_ascii_digit() {
        c.i += 1;
    }
    match parse_decimal(&c.s[start..c.i]) {
        Some(n) if n <= u16::MAX as u64 => Ok(n as u16),
        Some(_) => Err(Error::new(ErrorKind::Overflow, start)),
        None => Err(Error::new(ErrorKind::BadVia, start)),
    }
}

/// A From/To/Contact/Route/Record-Route value (RFC 3261 20.10, 25.1).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct NameAddr<'a> {
    /// Display name: a quoted string without its quotes (escapes kept), or
    /// the token words; `None` when absent.
    pub display: Option<&'a [u8]>,
    /// The URI (inside `<>` when bracketed); `*` for a wildcard Contact.
    pub uri: &'a [u8],
    /// Header parameters, from the first `;` after the URI (empty if none).
    pub params: &'a [u8],
}

impl<'a> NameAddr<'a> {
    /// The `tag` parameter (RFC 3261 19.3).
    #[inline]
    pub fn tag(&self) -> Option<&'a [u8]> {
        find_param(self.params, b"tag")
    }

    /// Any header parameter by name (case-insensitive); bare -> `Some(b"")`.
    pub fn param(&self, name: &str) -> Option<&'a [u8]> {
        find_param(self.params, name.as_bytes())
    }

    /// User part: `sip:USER@host`, `sips:USER@host`, `tel:NUMBER`.
    pub fn user(&self) -> Option<&'a [u8]> {
        uri_user(self.uri)
    }

    /// Host of a SIP/SIPS URI (IPv6 keeps its brackets), without the port.
    pub fn host(&self) -> Option<&'a [u8]> {
        uri_host(self.uri)
    }
}

fn split_scheme(uri: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = uri.iter().position(|&b| b == b':')?;
    Some((&uri[..colon], &uri[colon + 1..]))
}

fn is_sip(scheme: &[u8]) -> bool {
    scheme.eq_ignore_ascii_case(b"sip") || scheme.eq_ignore_ascii_case(b"sips")
}

pub(crate) fn uri_user(uri: &[u8]) -> Option<&[u8]> {
    let (scheme, rest) = split_scheme(uri)?;
    if is_sip(scheme) {
        let at = rest.iter().position(|&b| b == b'@')?;
        Some(&rest[..at])
    } else if scheme.eq_ignore_ascii_case(b"tel") {
        let end = rest.iter().position(|&b| b == b';').unwrap_or(rest.len());
        Some(&rest[..end])
    } else {
        None
    }
}

pub(crate) fn uri_host(uri: &[u8]) -> Option<&[u8]> {
    let (scheme, rest) = split_scheme(uri)?;
    if !is_sip(scheme) {
        return None;
    }
    let hostport = match rest.iter().position(|&b| b == b'@') {
        Some(at) => &rest[at + 1..],
        None => rest,
    };
    let end = if hostport.first() == Some(&b'[') {
        hostport.iter().position(|&b| b == b']').map(|p| p + 1)?
    } else {
        hostport
            .iter()
            .position(|&b| matches!(b, b':' | b';' | b'?'))
            .unwrap_or(hostport.len())
    };
    let host = &hostport[..end];
    (!host.is_empty()).then_some(host)
}

/// `scheme ":"` with `scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`.
fn has_scheme(uri: &[u8]) -> bool {
    match uri.iter().position(|&b| b == b':') {
        Some(c) if c > 0 => {
            uri[0].is_ascii_alphabetic()
                && uri[..c]
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        }
        _ => false,
    }
}

/// Parse one trimmed name-addr or addr-spec with its header parameters.
pub(crate) fn parse_name_addr(s: &[u8]) -> Result<NameAddr<'_>, Error> {
    const K: ErrorKind = ErrorKind::BadNameAddr;
    if s.is_empty() {
        return Err(Error::new(K, 0));
    }
    if s == b"*" {
        return Ok(NameAddr {
            display: None,
            uri: s,
            params: &s[1..],
        });
    }
    let (display, lt) = if s[0] == b'"' {
        let Some(end) = quoted_end(s) else {
            return Err(Error::new(ErrorKind::UnterminatedQuote, 0));
        };
        let mut i = end;
        while i < s.len() && is_lws(s[i]) {
            i += 1;
        }
        if s.get(i) != Some(&b'<') {
            return Err(Error::new(K, i));
        }
        (Some(&s[1..end - 1]), Some(i))
    } else {
        match s.iter().position(|&b| b == b'<' || b == b';') {
            Some(p) if s[p] == b'<' => {
                // display-name = *(token LWS): token words only.
                let words = trim(&s[..p]);
                if let Some(bad) = words.iter().position(|&b| !(is_token(b) || is_lws(b))) {
                    return Err(Error::new(K, bad));
                }
                ((!words.is_empty()).then_some(words), Some(p))
            }
            _ => (None, None),
        }
    };
    let (uri, rest_at) = match lt {
        Some(lt) => {
            let Some(gt) = s[lt..].iter().position(|&b| b == b'>') else {
                return Err(Error::new(K, lt));
            };
            let uri = &s[lt + 1..lt + gt];
            // LAQUOT/RAQUOT allow no LWS inside the brackets (RFC 4475 3.1.2.14).
            if uri.iter().any(|&b| is_lws(b)) {
                return Err(Error::new(K, lt + 1));
            }
            (uri, lt + gt + 1)
        }
        None => {
            let end = s.iter().position(|&b| b == b';').unwrap_or(s.len());
            let uri = trim(&s[..end]);
            // An addr-spec containing `,` `?` `;` or LWS must be bracketed
            // (RFC 3261 20.10, RFC 4475 3.1.2.13).
            if let Some(p) = uri
                .iter()
                .position(|&b| is_lws(b) || matches!(b, b',' | b'?' | b'"' | b'>'))
            {
                return Err(Error::new(K, p));
            }
            (uri, end)
        }
    };
    if !has_scheme(uri) {
        return Err(Error::new(K, offset_in(s, uri)));
    }
    let mut i = rest_at;
    while i < s.len() && is_lws(s[i]) {
        i += 1;
    }
    let params = &s[i..];
    if !params.is_empty() && params[0] != b';' {
        return Err(Error::new(K, i));
    }
    check_params(params).map_err(|e| e.shift(i))?;
    Ok(NameAddr {
        display,
        uri,
        params,
    })
}

/// One Reason value (RFC 3326): `protocol ;cause=N ;text="..."`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Reason<'a> {
    /// `SIP`, `Q.850`, ... as sent.
    pub protocol: &'a [u8],
    /// `cause`, when it is a number that fits.
    pub cause: Option<u16>,
    /// `text`, without its quotes (escapes kept).
    pub text: Option<&'a [u8]>,
}

pub(crate) fn parse_reason(s: &[u8]) -> Reason<'_> {
    let end = s.iter().position(|&b| b == b';').unwrap_or(s.len());
    let protocol = trim(&s[..end]);
    let params = &s[end..];
    let cause = find_param(params, b"cause")
        .and_then(parse_decimal)
        .and_then(|n| u16::try_from(n).ok());
    let text = find_param(params, b"text").map(|t| {
        if t.len() >= 2 && t[0] == b'"' && t[t.len() - 1] == b'"' {
            &t[1..t.len() - 1]
        } else {
            t
        }
    });
    Reason {
        protocol,
        cause,
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_respects_quotes_and_brackets() {
        let v: Vec<&[u8]> =
            Split::new(br#""a, b" <sip:x@y;p=1,2>;tag=1 , <sip:z@w>,"#, b',').collect();
        assert_eq!(
            v,
            vec![&br#""a, b" <sip:x@y;p=1,2>;tag=1"#[..], b"<sip:z@w>", b""]
        );
    }

    #[test]
    fn via_parts() {
        let v =
            parse_via(b"SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport;received=1.2.3.4").unwrap();
        assert_eq!(v.transport, b"UDP");
        assert_eq!(v.host, b"10.0.0.1");
        assert_eq!(v.port, Some(5060));
        assert_eq!(v.branch, Some(&b"z9hG4bK1"[..]));
        assert_eq!(v.rport, Some(&b""[..]));
        assert_eq!(v.received, Some(&b"1.2.3.4"[..]));
        let v = parse_via(b"SIP/2.0/TLS [2001:db8::1]:5061;branch=z9hG4bKx").unwrap();
        assert_eq!(v.host, b"[2001:db8::1]");
        assert_eq!(v.port, Some(5061));
        assert_eq!(
            parse_via(b"SIP/2.0/UDP h:70000").unwrap_err().kind,
            ErrorKind::Overflow
        );
        assert_eq!(
            parse_via(b"SIP/2.0/UDP 192.0.2.15;;").unwrap_err().kind,
            ErrorKind::BadParam
        );
    }

    #[test]
    fn name_addr_forms() {
        let n =
            parse_name_addr(br#""Alice \"A\"" <sip:alice@example.com:5060;user=phone>;tag=abc"#)
                .unwrap();
        assert_eq!(n.display, Some(&br#"Alice \"A\""#[..]));
        assert_eq!(n.uri, b"sip:alice@example.com:5060;user=phone");
        assert_eq!(n.tag(), Some(&b"abc"[..]));
        assert_eq!(n.user(), Some(&b"alice"[..]));
        assert_eq!(n.host(), Some(&b"example.com"[..]));
        let n = parse_name_addr(b"tel:+15551234567;tag=9").unwrap();
        assert_eq!(n.user(), Some(&b"+15551234567"[..]));
        assert_eq!(n.tag(), Some(&b"9"[..]));
        let n = parse_name_addr(b"caller<sip:caller@example.com>;tag=323").unwrap();
        assert_eq!(n.display, Some(&b"caller"[..]));
        assert_eq!(
            parse_name_addr(br#""Mr. J. User <sip:j.user@example.com>"#)
                .unwrap_err()
                .kind,
            ErrorKind::UnterminatedQuote
        );
        assert!(parse_name_addr(b"Bell, Alexander <sip:a@b>").is_err());
        assert!(parse_name_addr(b"< sip:a@b >").is_err());
        assert!(parse_name_addr(b"sip:user@example.com?Route=x").is_err());
    }

    #[test]
    fn reason_values() {
        let r = parse_reason(br#"Q.850;cause=17;text="User busy""#);
        assert_eq!(r.protocol, b"Q.850");
        assert_eq!(r.cause, Some(17));
        assert_eq!(r.text, Some(&b"User busy"[..]));
    }
}
