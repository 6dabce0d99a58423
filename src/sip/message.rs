//! A parsed message: the bytes plus a fixed-size index of the well-known
//! headers. Typed accessors tokenise values only when asked.

use super::error::{Error, ErrorKind};
use super::header::{is_lws, known, known_checked, name_eq, Known, KNOWN_COUNT, TOKEN};
use super::parse::parse_decimal;
use super::value::{
    digits, offset_in, parse_name_addr, parse_name_addr_single, parse_reason, parse_top_via,
    parse_via, run_end, NameAddr, Reason, Split, Via,
};
use super::{Method, StartLine};
use memchr::memchr;

/// A `[s, e)` byte range of the message.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) s: u32,
    pub(crate) e: u32,
}

impl Span {
    #[inline]
    pub(crate) fn new(s: usize, e: usize) -> Self {
        Span {
            s: s as u32,
            e: e as u32,
        }
    }
    #[inline]
    pub(crate) fn slice<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        buf.get(self.s as usize..self.e as usize).unwrap_or(b"")
    }
}

/// Value span of the first occurrence of each [`Known`] header, and which
/// occur more than once.
#[derive(Copy, Clone, Debug, Default)]
pub(crate) struct Index {
    pub(crate) spans: [Span; KNOWN_COUNT],
    pub(crate) present: u16,
    pub(crate) multi: u16,
}

impl Span {
    /// The span without trailing, then leading LWS (an all-LWS value
    /// becomes empty where it starts, as the general header path has it).
    #[inline]
    pub(crate) fn trimmed(self, buf: &[u8]) -> Span {
        let mut v = self.slice(buf);
        // `: value CRLF` as stacks send it: one space, then a CR.
        let a = usize::from(v.first() == Some(&b' '));
        let b = usize::from(v.last() == Some(&b'\r'));
        if let Some(t) = v.get(a..v.len().wrapping_sub(b)) {
            if let (Some(&f), Some(&l)) = (t.first(), t.last()) {
                if f > b' ' && l > b' ' {
                    let s = self.s as usize + a;
                    return Span::new(s, s + t.len());
                }
            }
        }
        while let [rest @ .., last] = v {
            if !is_lws(*last) {
                break;
            }
            v = rest;
        }
        let e = self.s as usize + v.len();
        while let [first, rest @ ..] = v {
            if !is_lws(*first) {
                break;
            }
            v = rest;
        }
        Span::new(e - v.len(), e)
    }
}

impl Index {
    /// The value of the first `k` line, trimmed of LWS: the header pass
    /// records the raw bytes after the colon (up to the line end) and
    /// leaves trimming to the few values that are read.
    #[inline]
    pub(crate) fn get(&self, k: Known, buf: &[u8]) -> Option<Span> {
        (self.present & (1 << k as u8) != 0).then(|| self.spans[k as usize].trimmed(buf))
    }
    #[inline]
    pub(crate) fn has(&self, k: Known) -> bool {
        self.present & (1 << k as u8) != 0
    }
    #[inline]
    pub(crate) fn is_multi(&self, k: Known) -> bool {
        self.multi & (1 << k as u8) != 0
    }
}

/// One parsed SIP message borrowing the input. Cheap to copy.
#[derive(Copy, Clone, Debug)]
pub struct Message<'a> {
    /// Start line to end of body.
    pub(crate) buf: &'a [u8],
    /// Bytes skipped before the start line (CRLF keep-alives), so errors
    /// report offsets into the caller's buffer.
    pub(crate) base: u32,
    pub(crate) start: StartLine<'a>,
    pub(crate) headers_start: u32,
    pub(crate) headers_end: u32,
    pub(crate) body_start: u32,
    pub(crate) idx: Index,
    pub(crate) content_length: Result<Option<u32>, Error>,
}

/// `CSeq: number method` (RFC 3261 20.16).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct CSeq<'a> {
    /// At most 2^31-1 (RFC 3261 8.1.1.5).
    pub seq: u32,
    pub method: Method<'a>,
}

/// One header line as sent.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Header<'a> {
    /// Name as sent (may be a compact form).
    pub name: &'a [u8],
    /// Value with surrounding LWS trimmed; a folded value keeps its inner
    /// CRLF + whitespace.
    pub value: &'a [u8],
}

impl<'a> Message<'a> {
    #[inline]
    fn err(&self, kind: ErrorKind, at: usize) -> Error {
        Error::new(kind, at + self.base as usize)
    }

    #[inline]
    fn known(&self, k: Known) -> Option<&'a [u8]> {
        self.idx.get(k, self.buf).map(|s| s.slice(self.buf))
    }

    #[inline]
    pub fn start_line(&self) -> StartLine<'a> {
        self.start
    }

    #[inline]
    pub fn is_request(&self) -> bool {
        matches!(self.start, StartLine::Request { .. })
    }

    #[inline]
    pub fn is_response(&self) -> bool {
        !self.is_request()
    }

    /// Requests only.
    #[inline]
    pub fn method(&self) -> Option<Method<'a>> {
        match self.start {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }

    /// Responses only.
    #[inline]
    pub fn status(&self) -> Option<u16> {
        match self.start {
            StartLine::Response { code, .. } => Some(code),
            StartLine::Request { .. } => None,
        }
    }

    /// Responses only; may be empty or UTF-8 (RFC 4475 3.1.1.12/13).
    #[inline]
    pub fn reason_phrase(&self) -> Option<&'a [u8]> {
        match self.start {
            StartLine::Response { reason, .. } => Some(reason),
            StartLine::Request { .. } => None,
        }
    }

    /// Requests only.
    #[inline]
    pub fn request_uri(&self) -> Option<&'a [u8]> {
        match self.start {
            StartLine::Request { uri, .. } => Some(uri),
            StartLine::Response { .. } => None,
        }
    }

    /// The message, start line to end of body (keep-alives before it and
    /// octets after the body excluded).
    #[inline]
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }

    /// The header block (without the blank line).
    #[inline]
    pub fn header_block(&self) -> &'a [u8] {
        &self.buf[self.headers_start as usize..self.headers_end as usize]
    }

    /// Every header line in order.
    #[inline]
    pub fn headers(&self) -> Headers<'a> {
        Headers {
            buf: self.buf,
            pos: self.headers_start as usize,
            end: self.headers_end as usize,
        }
    }

    /// First value of a header, case-insensitive, compact forms equivalent.
    #[inline]
    pub fn header(&self, name: &str) -> Option<&'a [u8]> {
        match known_checked(name.as_bytes()) {
            Some(k) => self.known(k),
            None => self.header_all(name).next(),
        }
    }

    /// Every line with that name, in order.
    pub fn header_all<'n>(&self, name: &'n str) -> HeaderValues<'a, 'n> {
        match known_checked(name.as_bytes()) {
            Some(k) => self.known_all(k),
            None => HeaderValues {
                first: None,
                rest: Some(self.headers()),
                name: Name::Other(name.as_bytes()),
            },
        }
    }

    /// Lines of a well-known header: starts at the indexed first line, and
    /// scans further only when the header occurs more than once.
    fn known_all(&self, k: Known) -> HeaderValues<'a, 'static> {
        let Some(span) = self.idx.get(k, self.buf) else {
            return HeaderValues {
                first: None,
                rest: None,
                name: Name::Known(k),
            };
        };
        let rest = self.idx.is_multi(k).then(|| {
            let after = span.e as usize;
            let end = self.headers_end as usize;
            let pos = memchr(b'\n', &self.buf[after..end]).map_or(end, |p| after + p + 1);
            Headers {
                buf: self.buf,
                pos,
                end,
            }
        });
        HeaderValues {
            first: Some(span.slice(self.buf)),
            rest,
            name: Name::Known(k),
        }
    }

    #[inline]
    pub fn call_id(&self) -> Option<&'a [u8]> {
        self.known(Known::CallId)
    }

    /// CSeq; a number above 2^31-1 is `Overflow`, never wrapped.
    #[inline]
    pub fn cseq(&self) -> Result<CSeq<'a>, Error> {
        let Some(span) = self.idx.get(Known::CSeq, self.buf) else {
            return Err(self.err(ErrorKind::MissingHeader, self.headers_end as usize));
        };
        let v = span.slice(self.buf);
        let at = span.s as usize;
        // Saturates far above 2^31: an overlarge number is never wrapped.
        let (seq, digits) = digits(v, 0);
        if digits == 0 {
            return Err(self.err(ErrorKind::BadCSeq, at));
        }
        if seq > i32::MAX as u64 {
            return Err(self.err(ErrorKind::Overflow, at));
        }
        let mut i = digits;
        while i < v.len() && is_lws(v[i]) {
            i += 1;
        }
        if i == digits || i == v.len() {
            return Err(self.err(ErrorKind::BadCSeq, at + i));
        }
        let m = &v[i..];
        let method = Method::from_bytes(m);
        // A known method is a token; only an extension one needs the check.
        if let Method::Other(_) = method {
            let bad = run_end(&TOKEN, m, 0);
            if bad != m.len() {
                return Err(self.err(ErrorKind::BadCSeq, at + i + bad));
            }
        }
        Ok(CSeq {
            seq: seq as u32,
            method,
        })
    }

    /// The first via-parm of the first Via line: sent-protocol and sent-by
    /// are checked, the parameters only when read (see [`Via`]).
    #[inline]
    pub fn top_via(&self) -> Result<Via<'a>, Error> {
        let Some(span) = self.idx.get(Known::Via, self.buf) else {
            return Err(self.err(ErrorKind::MissingHeader, self.headers_end as usize));
        };
        let v = span.slice(self.buf);
        parse_top_via(v).map_err(|e| e.shift(span.s as usize + self.base as usize))
    }

    /// Every via-parm of every Via line, top first.
    pub fn vias(&self) -> Vias<'a> {
        Vias(ListIter::new(*self, Known::Via))
    }

    #[inline]
    pub fn from(&self) -> Result<NameAddr<'a>, Error> {
        self.name_addr(Known::From)
    }

    #[inline]
    pub fn to(&self) -> Result<NameAddr<'a>, Error> {
        self.name_addr(Known::To)
    }

    #[inline]
    fn name_addr(&self, k: Known) -> Result<NameAddr<'a>, Error> {
        let Some(span) = self.idx.get(k, self.buf) else {
            return Err(self.err(ErrorKind::MissingHeader, self.headers_end as usize));
        };
        parse_name_addr_single(span.slice(self.buf))
            .map_err(|e| e.shift(span.s as usize + self.base as usize))
    }

    pub fn contacts(&self) -> NameAddrs<'a> {
        NameAddrs(ListIter::new(*self, Known::Contact))
    }

    pub fn record_routes(&self) -> NameAddrs<'a> {
        NameAddrs(ListIter::new(*self, Known::RecordRoute))
    }

    pub fn routes(&self) -> NameAddrs<'a> {
        NameAddrs(ListIter::new(*self, Known::Route))
    }

    /// Max-Forwards; above 255 is `Overflow` (RFC 4475 3.1.2.4).
    pub fn max_forwards(&self) -> Result<Option<u32>, Error> {
        let Some(span) = self.idx.get(Known::MaxForwards, self.buf) else {
            return Ok(None);
        };
        match parse_decimal(span.slice(self.buf)) {
            Some(n) if n <= 255 => Ok(Some(n as u32)),
            Some(_) => Err(self.err(ErrorKind::Overflow, span.s as usize)),
            None => Err(self.err(ErrorKind::BadMaxForwards, span.s as usize)),
        }
    }

    /// Content-Length as declared (`None` when absent); several values that
    /// disagree are `ConflictingContentLength`.
    pub fn content_length(&self) -> Result<Option<usize>, Error> {
        match self.content_length {
            Ok(v) => Ok(v.map(|n| n as usize)),
            Err(e) => Err(e.shift(self.base as usize)),
        }
    }

    #[inline]
    pub fn content_type(&self) -> Option<&'a [u8]> {
        self.known(Known::ContentType)
    }

    /// Every Reason value of every Reason line (RFC 3326).
    pub fn reasons(&self) -> Reasons<'a> {
        Reasons {
            lines: self.known_all(Known::Reason),
            cur: None,
        }
    }

    #[inline]
    pub fn user_agent(&self) -> Option<&'a [u8]> {
        self.known(Known::UserAgent)
    }

    #[inline]
    pub fn server(&self) -> Option<&'a [u8]> {
        self.known(Known::Server)
    }

    #[inline]
    pub fn body(&self) -> &'a [u8] {
        &self.buf[self.body_start as usize..]
    }

    /// Strict check of everything the typed accessors read, plus the CSeq
    /// method of a request matching its method (RFC 3261 8.1.1.5). `parse`
    /// only checks framing and header syntax; a monitor keeps messages that
    /// fail here and counts them.
    pub fn validate(&self) -> Result<(), Error> {
        if self.idx.has(Known::CSeq) {
            let cseq = self.cseq()?;
            if let Some(m) = self.method() {
                if m != cseq.method {
                    let at = self
                        .idx
                        .get(Known::CSeq, self.buf)
                        .map_or(0, |s| s.s as usize);
                    return Err(self.err(ErrorKind::CSeqMethodMismatch, at));
                }
            }
        }
        for k in [Known::From, Known::To] {
            if self.idx.has(k) {
                self.name_addr(k)?;
            }
        }
        for v in self.vias() {
            let v = v?;
            v.check_params()
                .map_err(|e| e.shift(offset_in(self.buf, v.params()) + self.base as usize))?;
        }
        for list in [self.contacts(), self.record_routes(), self.routes()] {
            for n in list {
                n?;
            }
        }
        self.max_forwards()?;
        self.content_length()?;
        Ok(())
    }
}

/// Iterator over all header lines.
#[derive(Clone, Debug)]
pub struct Headers<'a> {
    buf: &'a [u8],
    pos: usize,
    end: usize,
}

impl<'a> Iterator for Headers<'a> {
    type Item = Header<'a>;
    fn next(&mut self) -> Option<Header<'a>> {
        let buf = self.buf;
        loop {
            if self.pos >= self.end {
                return None;
            }
            let lf = memchr(b'\n', &buf[self.pos..self.end]).map_or(self.end, |p| self.pos + p);
            // A continuation line left over from a trimmed value.
            if matches!(buf[self.pos], b' ' | b'\t') {
                self.pos = lf + 1;
                continue;
            }
            let line_start = self.pos;
            let mut line_end = lf;
            while line_end + 1 < self.end && matches!(buf[line_end + 1], b' ' | b'\t') {
                line_end = memchr(b'\n', &buf[line_end + 1..self.end])
                    .map_or(self.end, |p| line_end + 1 + p);
            }
            self.pos = line_end + 1;
            let line = &buf[line_start..line_end.min(self.end)];
            let Some(colon) = memchr(b':', line) else {
                continue;
            };
            let name = super::header::trim(&line[..colon]);
            let value = super::header::trim(&line[colon + 1..]);
            return Some(Header { name, value });
        }
    }
}

#[derive(Copy, Clone, Debug)]
enum Name<'n> {
    Known(Known),
    Other(&'n [u8]),
}

/// Values of every line with one header name.
#[derive(Clone, Debug)]
pub struct HeaderValues<'a, 'n> {
    first: Option<&'a [u8]>,
    rest: Option<Headers<'a>>,
    name: Name<'n>,
}

impl<'a> Iterator for HeaderValues<'a, '_> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        if let Some(f) = self.first.take() {
            return Some(f);
        }
        let rest = self.rest.as_mut()?;
        for h in rest {
            let hit = match self.name {
                Name::Known(k) => known(h.name) == Some(k),
                Name::Other(n) => name_eq(h.name, n),
            };
            if hit {
                return Some(h.value);
            }
        }
        self.rest = None;
        None
    }
}

/// Comma-separated elements over every line of a list header. Elements
/// are parsed in place: each parser stops at the `,` that ends its element.
#[derive(Clone, Debug)]
struct ListIter<'a> {
    buf: &'a [u8],
    base: usize,
    lines: HeaderValues<'a, 'static>,
    /// Rest of the current line after the last `,`.
    rest: Option<&'a [u8]>,
}

impl<'a> ListIter<'a> {
    fn new(m: Message<'a>, k: Known) -> Self {
        ListIter {
            buf: m.buf,
            base: m.base as usize,
            lines: m.known_all(k),
            rest: None,
        }
    }

    fn next_with<T>(
        &mut self,
        parse: impl Fn(&'a [u8]) -> Result<(T, usize), Error>,
    ) -> Option<Result<T, Error>> {
        let rest = match self.rest.take() {
            Some(r) => r,
            None => self.lines.next()?,
        };
        match parse(rest) {
            Ok((item, end)) => {
                if end < rest.len() {
                    self.rest = Some(&rest[end + 1..]);
                }
                Some(Ok(item))
            }
            // The rest of a malformed line cannot be split reliably.
            Err(e) => Some(Err(e.shift(offset_in(self.buf, rest) + self.base))),
        }
    }
}

/// Every via-parm, top first.
#[derive(Clone, Debug)]
pub struct Vias<'a>(ListIter<'a>);

impl<'a> Iterator for Vias<'a> {
    type Item = Result<Via<'a>, Error>;
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next_with(parse_via)
    }
}

/// Every name-addr of a Contact/Route/Record-Route list.
#[derive(Clone, Debug)]
pub struct NameAddrs<'a>(ListIter<'a>);

impl<'a> Iterator for NameAddrs<'a> {
    type Item = Result<NameAddr<'a>, Error>;
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next_with(parse_name_addr)
    }
}

/// Every Reason value.
#[derive(Clone, Debug)]
pub struct Reasons<'a> {
    lines: HeaderValues<'a, 'static>,
    cur: Option<Split<'a>>,
}

impl<'a> Iterator for Reasons<'a> {
    type Item = Reason<'a>;
    fn next(&mut self) -> Option<Reason<'a>> {
        loop {
            if let Some(e) = self.cur.as_mut().and_then(Iterator::next) {
                if !e.is_empty() {
                    return Some(parse_reason(e));
                }
                continue;
            }
            self.cur = Some(Split::new(self.lines.next()?, b','));
        }
    }
}
