//! Grammar of header values (RFC 3261 25.1): comma lists, `;params`,
//! via-parm, name-addr/addr-spec, Reason. All zero-copy; errors carry
//! offsets relative to the slice they were given.

use super::error::{Error, ErrorKind};
use super::header::{is_lws, is_token, trim, TOKEN};
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
#[inline]
fn quoted_end(s: &[u8]) -> Option<usize> {
    let mut i = 1;
    loop {
        i = scan_end(&QTEXT, s, i, qtext_sure);
        match s.get(i)? {
            b'\\' => i += 2,
            _ => return Some(i + 1),
        }
    }
}

/// Bytes of a quoted string that need no attention (not `"` or `\`).
const fn qtext_table() -> [bool; 256] {
    let mut t = [true; 256];
    t[b'"' as usize] = false;
    t[b'\\' as usize] = false;
    t
}

static QTEXT: [bool; 256] = qtext_table();

/// First index at or after `i` whose byte is not in `table`, or `s.len()`:
/// one bounds check per 8 bytes instead of per byte.
#[inline(always)]
pub(crate) fn run_end(table: &[bool; 256], s: &[u8], mut i: usize) -> usize {
    // No word is known good in advance: every byte is looked up.
    while i < s.len() && table[s[i] as usize] {
        i += 1;
    }
    i
}

/// Bytes allowed in an unquoted parameter value: `token`, `host` (IPv6
/// brackets, `:`), and, leniently, any other byte a real UA puts there
/// (an OmniPCX PBX sends raw control bytes in To tags), except LWS and the
/// separators `; , " < >`.
const fn pvalue_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = !matches!(
            b,
            b' ' | b'\t' | b'\r' | b'\n' | b';' | b',' | b'"' | b'<' | b'>'
        );
        c += 1;
    }
    t
}

pub(crate) static PVALUE: [bool; 256] = pvalue_table();

/// End of an unquoted parameter value starting at `s[i]`.
#[inline(always)]
fn pvalue_end(s: &[u8], i: usize) -> usize {
    super::scan::pvalue_end(s, i)
}

/// First index at or after `i` whose byte is not in `table`, or `s.len()`.
/// `sure(w)` sets the high bit of each byte of the little-endian word `w`
/// that is surely in `table`; a word of such bytes is skipped whole, any
/// other word is checked byte by byte.
#[inline(always)]
pub(crate) fn scan_end(
    table: &[bool; 256],
    s: &[u8],
    mut i: usize,
    sure: impl Fn(u64) -> u64,
) -> usize {
    const HI: u64 = 0x8080_8080_8080_8080;
    let len = s.len();
    // The first byte in a word, among the unsure ones, that is not in the
    // table (bytes before it are sure or looked up).
    let first_out = |w: u64, mut unsure: u64| -> Option<usize> {
        while unsure != 0 {
            let k = (unsure.trailing_zeros() / 8) as usize;
            if !table[(w >> (8 * k)) as u8 as usize] {
                return Some(k);
            }
            unsure &= unsure - 1;
        }
        None
    };
    while let Some(b) = s.get(i..i + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(b);
        let w = u64::from_le_bytes(w);
        if let Some(k) = first_out(w, !sure(w) & HI) {
            return i + k;
        }
        i += 8;
    }
    if i >= len {
        return len;
    }
    if len < 8 {
        return run_end(table, s, i);
    }
    // The last 1..=7 bytes: the final word shifted down (no byte loop, no
    // read past the end), the bytes beyond the end marked as stops.
    let mut w = [0u8; 8];
    w.copy_from_slice(&s[len - 8..]);
    let n = len - i;
    let w = u64::from_le_bytes(w) >> (8 * (8 - n));
    match first_out(w, !sure(w) & HI & !(HI << (8 * n))) {
        Some(k) => i + k,
        None => len,
    }
}

/// `0x0101..01 * b`.
#[inline(always)]
const fn rep(b: u8) -> u64 {
    0x0101_0101_0101_0101u64 * b as u64
}

/// High bit of each byte that is at least `?` (0x3F) or within `-`..`:`
/// (0x2D..0x3A): letters, digits, `-` `.` and most URI characters, never
/// LWS or a separator of parameters or lists. No carry crosses a byte.
#[inline(always)]
pub(crate) fn wordy(w: u64) -> u64 {
    let x = w & rep(0x7F);
    let ge_3f = (x + rep(0x80 - 0x3F)) | w;
    let ge_2d = x + rep(0x80 - 0x2D);
    let ge_3b = x + rep(0x80 - 0x3B);
    ge_3f | (ge_2d & !ge_3b)
}

/// High bit of each byte that is a letter, a digit or `-` (most of a
/// header or parameter name), exactly.
#[inline(always)]
pub(crate) fn token_wordy(w: u64) -> u64 {
    let x = w & rep(0x7F);
    let y = x | rep(0x20);
    let ge = |v: u64, b: u8| v + rep(0x80 - b);
    let letter = ge(x, 0x41) & ge(y, 0x61) & !ge(y, 0x7B);
    let digit = ge(x, 0x30) & !ge(x, 0x3A);
    // Exact zero-byte test (no borrow between bytes).
    let z = x ^ rep(b'-');
    let dash = !((z + rep(0x7F)) | z);
    (letter | digit | dash) & !w
}

/// High bit of each byte of `w` that is not zero, exactly.
#[inline(always)]
const fn nonzero(w: u64) -> u64 {
    ((w & rep(0x7F)) + rep(0x7F)) | w
}

/// High bit of each byte that is neither `"` nor `\\`, exactly.
#[inline(always)]
pub(crate) fn qtext_sure(w: u64) -> u64 {
    nonzero(w ^ rep(b'"')) & nonzero(w ^ rep(b'\\'))
}

/// High bit of each letter, digit, `-` or `.` (most of a host name or an
/// IPv4 address), exactly.
#[inline(always)]
pub(crate) fn host_wordy(w: u64) -> u64 {
    token_wordy(w) | !nonzero(w ^ rep(b'.'))
}

/// [`wordy`] without DEL (0x7F), for URIs.
#[inline(always)]
pub(crate) fn uri_wordy(w: u64) -> u64 {
    let z = w ^ rep(0x7F);
    // High bit set on a DEL byte (and maybe above one: only ever safe).
    let del = z.wrapping_sub(rep(1)) & !z;
    wordy(w) & !del
}

/// hostname / IPv4 characters (plus `_`, seen in the wild).
pub(crate) static HOST: [bool; 256] = super::header::alnum_and(b"-._");

#[inline(always)]
fn skip_lws(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && is_lws(s[i]) {
        i += 1;
    }
    i
}

/// Name, value (`None` when bare) and the index after a parameter.
type Param<'a> = (&'a [u8], Option<&'a [u8]>, usize);

/// One `SEMI param` at `s[i] == ';'`: name, value (`None` when bare) and
/// the index after it (and after any LWS), with its syntax checked: `name
/// [= value]`, the value a token-ish word or a complete quoted string.
#[inline(always)]
fn next_param(s: &[u8], i: usize) -> Result<Param<'_>, Error> {
    let len = s.len();
    let ns = skip_lws(s, i + 1);
    let mut i = scan_end(&TOKEN, s, ns, token_wordy);
    if i == ns {
        return Err(Error::new(ErrorKind::BadParam, ns));
    }
    let name = &s[ns..i];
    i = skip_lws(s, i);
    let mut value = None;
    if i < len && s[i] == b'=' {
        let vs = skip_lws(s, i + 1);
        i = vs;
        if i < len && s[i] == b'"' {
            match quoted_end(&s[i..]) {
                Some(e) => i += e,
                None => return Err(Error::new(ErrorKind::UnterminatedQuote, vs)),
            }
        } else {
            i = pvalue_end(s, i);
            if i == vs {
                return Err(Error::new(ErrorKind::BadParam, vs));
            }
        }
        value = Some(&s[vs..i]);
        i = skip_lws(s, i);
    }
    Ok((name, value, i))
}

/// Walk `*( SEMI param )` starting at `s[i] == ';'`, calling `f(name,
/// value)` for each, checking the syntax on the way. Stops at the end or at
/// a `,` that ends the list element; returns that index.
#[inline(always)]
pub(crate) fn walk_params<'a>(
    s: &'a [u8],
    mut i: usize,
    mut f: impl FnMut(&'a [u8], Option<&'a [u8]>),
) -> Result<usize, Error> {
    loop {
        let (name, value, next) = next_param(s, i)?;
        f(name, value);
        i = next;
        match s.get(i) {
            None | Some(b',') => return Ok(i),
            Some(b';') => {}
            Some(_) => return Err(Error::new(ErrorKind::BadParam, i)),
        }
    }
}

/// Parameter name `n` (a token) equals the lowercase letters `lower` (at
/// most 8) ignoring ASCII case, in one word compare instead of a byte loop:
/// `| 0x20` maps only `A-Z` onto `a-z`, so the fold is exact for letters.
#[inline(always)]
fn param_is(n: &[u8], lower: &[u8]) -> bool {
    if n.len() != lower.len() || n.len() > 8 || n.is_empty() {
        return false;
    }
    let word = |b: &[u8]| {
        let mut w = [0u8; 8];
        w[..b.len()].copy_from_slice(b);
        u64::from_le_bytes(w)
    };
    let fold = 0x2020_2020_2020_2020u64 >> (8 * (8 - n.len()));
    word(n) | fold == word(lower)
}

/// Value of parameter `name` (case-insensitive) in a `;a=b;c` list; a bare
/// parameter yields `Some(b"")`. Quoted values are returned with quotes.
#[inline]
pub(crate) fn find_param<'a>(s: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    if s.first() != Some(&b';') {
        return None;
    }
    let mut found = None;
    let _ = walk_params(s, 0, |n, v| {
        if found.is_none() && n.len() == name.len() && n.eq_ignore_ascii_case(name) {
            found = Some(v.unwrap_or(b""));
        }
    });
    found
}

/// One `via-parm` of a Via header (RFC 3261 20.42).
///
/// Sent-protocol and sent-by are checked when the Via is read; parameters
/// are tokenised only when one is asked for ([`Via::branch`], ...), and
/// [`Via::check_params`] (run by [`Message::validate`]) checks them all.
///
/// [`Message::validate`]: super::Message::validate
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Via<'a> {
    /// Transport token as sent (`UDP`, `TCP`, `TLS`, `SCTP`, `WS`...).
    pub transport: &'a [u8],
    /// sent-by host (an IPv6 reference keeps its brackets).
    pub host: &'a [u8],
    pub port: Option<u16>,
    /// From the first `;` on: the parameters, and for the top Via maybe
    /// the via-parms after them too (their `,` is found only when
    /// [`Via::params`] is asked for; a parameter lookup stops at it anyway).
    tail: &'a [u8],
}

impl<'a> Via<'a> {
    /// All parameters, from the first `;` up to the `,` that ends this
    /// via-parm (empty when none), not yet checked.
    #[inline]
    pub fn params(&self) -> &'a [u8] {
        let t = self.tail;
        if t.is_empty() {
            return t;
        }
        trim(&t[..element_end(t, 0)])
    }

    /// The `branch` parameter (RFC 3261 8.1.1.7).
    #[inline]
    pub fn branch(&self) -> Option<&'a [u8]> {
        lookup_param(self.tail, b"branch")
    }

    /// The `received` parameter (RFC 3261 18.2.1).
    #[inline]
    pub fn received(&self) -> Option<&'a [u8]> {
        lookup_param(self.tail, b"received")
    }

    /// The `rport` parameter; `Some(b"")` for a bare `rport` (RFC 3581
    /// request).
    #[inline]
    pub fn rport(&self) -> Option<&'a [u8]> {
        lookup_param(self.tail, b"rport")
    }

    /// Any Via parameter by name (case-insensitive); bare -> `Some(b"")`.
    pub fn param(&self, name: &str) -> Option<&'a [u8]> {
        find_param(self.params(), name.as_bytes())
    }

    /// Check the syntax of every parameter (`name [= token / host /
    /// quoted-string]`); the error offset is relative to [`Via::params`].
    pub fn check_params(&self) -> Result<(), Error> {
        let params = self.params();
        if params.is_empty() {
            return Ok(());
        }
        let end = walk_params(params, 0, |_, _| {})?;
        if end == params.len() {
            Ok(())
        } else {
            Err(Error::new(ErrorKind::BadParam, end))
        }
    }
}

/// [`find_param`] for a lowercase `name` of at most 8 letters, stopping at
/// the first match: the walk usually ends at the first parameter.
#[inline]
fn lookup_param<'a>(s: &'a [u8], lower: &[u8]) -> Option<&'a [u8]> {
    if s.first() != Some(&b';') {
        return None;
    }
    // `;name=value` first, without LWS (as the branch nearly always is).
    let vs = lower.len() + 2;
    if s.get(vs - 1) == Some(&b'=') && param_is(&s[1..vs - 1], lower) {
        let e = pvalue_end(s, vs);
        if e > vs {
            return Some(&s[vs..e]);
        }
    }
    let mut i = 0;
    loop {
        let (name, value, next) = next_param(s, i).ok()?;
        if param_is(name, lower) {
            return Some(value.unwrap_or(b""));
        }
        i = next;
        if s.get(i) != Some(&b';') {
            return None;
        }
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
        self.i = skip_lws(self.s, self.i);
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

/// Parse the via-parm at the start of `s` (leading LWS allowed). Returns it
/// and the index where it ends: `s.len()` or the `,` before the next one.
/// The parameters are only bounded here (by the first `,` outside a quoted
/// string), not tokenised.
pub(crate) fn parse_via(s: &[u8]) -> Result<(Via<'_>, usize), Error> {
    let (mut via, end) = match via_fast(s) {
        Some(hit) => hit,
        None => via_general(s)?,
    };
    // A list walk needs the end of this via-parm now; bound the tail.
    let end = match end {
        Some(end) => end,
        None => {
            let at = offset_in(s, via.tail);
            let end = element_end(s, at);
            via.tail = trim(&s[at..end]);
            end
        }
    };
    Ok((via, end))
}

/// The first via-parm of `s`, its parameters left unbounded (the top Via:
/// nothing after its parameters is read).
#[inline]
pub(crate) fn parse_top_via(s: &[u8]) -> Result<Via<'_>, Error> {
    match via_fast(s) {
        Some((via, _)) => Ok(via),
        None => via_general(s).map(|(via, _)| via),
    }
}

/// [`parse_via`] for the shape nearly every stack sends: `SIP/2.0/` +
/// transport, one space, a host name or IPv4 address, an optional port,
/// then `;` parameters with no whitespace around them. Gives the same
/// answer as the general parser or `None` (then the general parser
/// decides, errors included).
#[inline(always)]
fn via_fast(s: &[u8]) -> Option<(Via<'_>, Option<usize>)> {
    if !is_sip20_slash(s, 0) {
        return None;
    }
    // `UDP` / `TCP` / `TLS` and a space from one compare, so the sent-by
    // scan starts at a known offset; any other transport is scanned.
    let t_end = match s.get(8..12) {
        Some(&[a, b, c, b' '])
            if matches!(
                [a | 0x20, b | 0x20, c | 0x20],
                [b'u', b'd', b'p'] | [b't', b'c', b'p'] | [b't', b'l', b's']
            ) =>
        {
            11
        }
        _ => scan_end(&TOKEN, s, 8, token_wordy),
    };
    if t_end == 8 || s.get(t_end) != Some(&b' ') {
        return None;
    }
    let h = t_end + 1;
    let mut i = super::scan::host_end(s, h);
    if i == h {
        return None;
    }
    let host = &s[h..i];
    let mut port = None;
    if s.get(i) == Some(&b':') {
        let (n, end) = digits(s, i + 1);
        let more = s
            .get(end)
            .is_some_and(|&b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
        if end == i + 1 || more || n > u64::from(u16::MAX) {
            return None;
        }
        port = Some(n as u16);
        i = end;
    }
    let (tail, end) = match s.get(i) {
        None | Some(b',') => (&s[i..i], Some(i)),
        // Bounded later, and only if asked.
        Some(b';') => (&s[i..], None),
        Some(_) => return None,
    };
    Some((
        Via {
            transport: &s[8..t_end],
            host,
            port,
            tail,
        },
        end,
    ))
}

/// The general via-parm parser (LWS anywhere the grammar allows it, IPv6
/// references, unbracketed IPv6 as some phones send it).
#[inline(never)]
fn via_general(s: &[u8]) -> Result<(Via<'_>, Option<usize>), Error> {
    const K: ErrorKind = ErrorKind::BadVia;
    let mut c = Cursor { s, i: 0 };
    c.lws();
    if is_sip20_slash(s, c.i) {
        c.i += 8;
    } else {
        // sent-protocol with LWS around the slashes (RFC 4475 3.1.1.1).
        c.token(K)?;
        c.lws();
        c.expect(b'/', K)?;
        c.lws();
        c.token(K)?;
        c.lws();
        c.expect(b'/', K)?;
        c.lws();
    }
    let transport = c.token(K)?;
    if !c.lws() {
        return Err(Error::new(K, c.i));
    }
    let host_at = c.i;
    let mut host = host(&mut c)?;
    let mut port = None;
    if c.peek() == Some(b':') {
        let (n, end) = digits(s, c.i + 1);
        // Can this be an unbracketed IPv6 address rather than `host ":"
        // port`? Only if the hex/colon/dot run goes on past the digits.
        let more = s
            .get(end)
            .is_some_and(|&b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
        if end == c.i + 1 || more {
            if let Some((h, p, end)) = bare_ipv6(s, host_at) {
                // Unbracketed IPv6 sent-by (invalid, but sent by real phones).
                host = h;
                port = p;
                c.i = end;
            }
        } else if n > u16::MAX as u64 {
            return Err(Error::new(ErrorKind::Overflow, c.i + 1));
        } else {
            port = Some(n as u16);
            c.i = end;
        }
    }
    c.lws();
    if port.is_none() && c.peek() == Some(b':') {
        c.i += 1;
        c.lws();
        port = Some(port_number(&mut c)?);
        c.lws();
    }
    let params_at = c.i;
    let (tail, end) = match c.peek() {
        None | Some(b',') => (&s[params_at..params_at], Some(params_at)),
        Some(b';') => (&s[params_at..], None),
        Some(_) => return Err(Error::new(K, c.i)),
    };
    Ok((
        Via {
            transport,
            host,
            port,
            tail,
        },
        end,
    ))
}

/// `s[at..]` starts with `SIP/2.0/`, letters in any case: one word
/// compare, folding case only where the pattern has letters.
#[inline(always)]
fn is_sip20_slash(s: &[u8], at: usize) -> bool {
    let Some(b) = s.get(at..at + 8) else {
        return false;
    };
    let mut w = [0u8; 8];
    w.copy_from_slice(b);
    u64::from_le_bytes(w) | 0x20_2020 == u64::from_le_bytes(*b"sip/2.0/")
}

/// The decimal number at `s[at..]` (saturating far above any port or
/// sequence number) and where its digits end.
#[inline(always)]
pub(crate) fn digits(s: &[u8], at: usize) -> (u64, usize) {
    let mut n: u64 = 0;
    let mut i = at;
    while let Some(&b) = s.get(i) {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        n = (n * 10 + d as u64).min(1 << 40);
        i += 1;
    }
    (n, i)
}

/// End of a list element whose parameters start at `s[at]`: the first `,`
/// outside a quoted string (a `,` cannot occur in an unquoted parameter),
/// or `s.len()`. An unterminated quote runs to the end.
#[inline]
pub(crate) fn element_end(s: &[u8], at: usize) -> usize {
    let mut i = at;
    loop {
        let Some(p) = super::scan::find2(s, i, b',', b'"') else {
            return s.len();
        };
        i = p;
        if s[i] == b',' {
            return i;
        }
        match quoted_end(&s[i..]) {
            Some(q) => i += q,
            None => return s.len(),
        }
    }
}

/// An unbracketed IPv6 address at `s[at..]` (two or more colons before the
/// parameters). With 8 colons and no `::` the last group is the port.
fn bare_ipv6(s: &[u8], at: usize) -> Option<(&[u8], Option<u16>, usize)> {
    let len = s[at..]
        .iter()
        .position(|&b| !(b.is_ascii_hexdigit() || b == b':' || b == b'.'))
        .unwrap_or(s.len() - at);
    let word = &s[at..at + len];
    let colons = word.iter().filter(|&&b| b == b':').count();
    if colons < 2 {
        return None;
    }
    let compressed = word.windows(2).any(|w| w == b"::");
    if colons == 8 && !compressed {
        let last = word.iter().rposition(|&b| b == b':')?;
        let port = parse_decimal(&word[last + 1..]).and_then(|p| u16::try_from(p).ok())?;
        return Some((&word[..last], Some(port), at + len));
    }
    Some((word, None, at + len))
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
        c.i = scan_end(&HOST, c.s, c.i, host_wordy);
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
    /// `tag`, found while the parameters were checked.
    tag: Option<&'a [u8]>,
}

impl<'a> NameAddr<'a> {
    /// The `tag` parameter (RFC 3261 19.3).
    #[inline]
    pub fn tag(&self) -> Option<&'a [u8]> {
        self.tag
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
    // `sip:` in any case (nearly every URI) from one compare.
    if let Some(p) = uri.get(..4) {
        if u32::from_le_bytes([p[0], p[1], p[2], p[3]]) | 0x20_2020 == u32::from_le_bytes(*b"sip:")
        {
            return true;
        }
    }
    match uri.iter().position(|&b| b == b':') {
        Some(c) if c > 0 => {
            uri[0].is_ascii_alphabetic()
                && uri[..c].iter().all(|&b| super::parse::SCHEME[b as usize])
        }
        _ => false,
    }
}

/// Parse the name-addr or addr-spec at the start of `s` (leading LWS
/// allowed) with its header parameters. Returns it and the index where it
/// ends: `s.len()` or the `,` before the next list element.
pub(crate) fn parse_name_addr(s: &[u8]) -> Result<(NameAddr<'_>, usize), Error> {
    if let Some(hit) = name_addr_fast(s) {
        return Ok(hit);
    }
    name_addr_general(s)
}

/// [`parse_name_addr`] for the shape nearly every stack sends:
/// `["display" [SP]]<uri>[;name[=value]]...` with no other whitespace, no
/// escapes in the display name and no quoted parameter values. Gives the
/// same answer as the general parser or `None` (then the general parser
/// decides, errors included).
#[inline(always)]
fn name_addr_fast(s: &[u8]) -> Option<(NameAddr<'_>, usize)> {
    // The first `>` is looked for from the start, not after the `<`: the
    // two searches then run side by side. A `>` inside a quoted display
    // name puts it before the `<`, and the general parser takes over.
    let gt = super::scan::find2(s, 1, b'>', b'>')?;
    let (display, lt) = match *s.first()? {
        b'<' => (None, 0),
        b'"' => {
            let q = super::scan::find2(s, 1, b'"', b'\\')?;
            if s[q] != b'"' {
                return None;
            }
            let lt = q + 1 + usize::from(s.get(q + 1) == Some(&b' '));
            if *s.get(lt)? != b'<' {
                return None;
            }
            (Some(&s[1..q]), lt)
        }
        _ => return None,
    };
    if gt <= lt {
        return None;
    }
    let uri = &s[lt + 1..gt];
    if *uri.first()? <= b' ' || *uri.last()? <= b' ' || !has_scheme(uri) {
        return None;
    }
    let params_at = gt + 1;
    // `;tag=value` as the only parameter (what a dialog's From and To
    // nearly always carry): one compare for the name.
    if let Some(w) = s.get(params_at..params_at + 5) {
        let w = u64::from(u32::from_le_bytes([w[0], w[1], w[2], w[3]])) | u64::from(w[4]) << 32;
        if w | 0x0000_2020_2000 == u64::from_le_bytes(*b";tag=\0\0\0") {
            let vs = params_at + 5;
            let e = pvalue_end(s, vs);
            if e > vs && e == s.len() {
                return Some((
                    NameAddr {
                        display,
                        uri,
                        params: &s[params_at..],
                        tag: Some(&s[vs..]),
                    },
                    e,
                ));
            }
        }
    }
    let mut i = params_at;
    let mut tag = None;
    while let Some(&c) = s.get(i) {
        match c {
            b',' => break,
            b';' => {}
            _ => return None,
        }
        let ns = i + 1;
        i = scan_end(&TOKEN, s, ns, token_wordy);
        if i == ns {
            return None;
        }
        let name = &s[ns..i];
        let mut value = None;
        if s.get(i) == Some(&b'=') {
            let vs = i + 1;
            i = pvalue_end(s, vs);
            if i == vs {
                return None;
            }
            value = Some(&s[vs..i]);
        }
        if tag.is_none() && param_is(name, b"tag") {
            tag = Some(value.unwrap_or(b""));
        }
    }
    Some((
        NameAddr {
            display,
            uri,
            params: &s[params_at..i],
            tag,
        },
        i,
    ))
}

/// The general name-addr / addr-spec parser (any LWS, escapes, quoted
/// parameter values, bare addr-spec, wildcard).
#[inline(never)]
fn name_addr_general(s: &[u8]) -> Result<(NameAddr<'_>, usize), Error> {
    const K: ErrorKind = ErrorKind::BadNameAddr;
    let len = s.len();
    let start = skip_lws(s, 0);
    if start == len {
        return Err(Error::new(K, start));
    }
    if s[start] == b'*' {
        let end = skip_lws(s, start + 1);
        if end == len || s[end] == b',' {
            return Ok((
                NameAddr {
                    display: None,
                    uri: &s[start..start + 1],
                    params: b"",
                    tag: None,
                },
                end,
            ));
        }
    }
    let mut display = None;
    let mut lt = None;
    if s[start] == b'<' {
        lt = Some(start);
    } else if s[start] == b'"' {
        let Some(q) = quoted_end(&s[start..]) else {
            return Err(Error::new(ErrorKind::UnterminatedQuote, start));
        };
        display = Some(&s[start + 1..start + q - 1]);
        let i = skip_lws(s, start + q);
        if s.get(i) != Some(&b'<') {
            return Err(Error::new(K, i));
        }
        lt = Some(i);
    } else {
        // display-name = *(token LWS); anything else means addr-spec.
        let mut i = start;
        while i < len && (is_token(s[i]) || is_lws(s[i])) {
            i += 1;
        }
        if i < len && s[i] == b'<' {
            let words = trim(&s[start..i]);
            display = (!words.is_empty()).then_some(words);
            lt = Some(i);
        }
    }
    let (uri, mut i) = match lt {
        Some(lt) => {
            let Some(gt) = memchr::memchr(b'>', &s[lt + 1..]) else {
                return Err(Error::new(K, lt));
            };
            let uri = &s[lt + 1..lt + 1 + gt];
            // LAQUOT/RAQUOT allow no LWS inside the brackets (RFC 4475 3.1.2.14).
            match (uri.first(), uri.last()) {
                (Some(&f), Some(&l)) if !is_lws(f) && !is_lws(l) => {}
                _ => return Err(Error::new(K, lt + 1)),
            }
            (uri, lt + gt + 2)
        }
        None => {
            // An addr-spec containing `,` `?` `;` must be bracketed
            // (RFC 3261 20.10, RFC 4475 3.1.2.13): it ends at `;`, `,`, LWS.
            let mut i = start;
            while i < len && !matches!(s[i], b';' | b',') && !is_lws(s[i]) {
                if matches!(s[i], b'?' | b'"' | b'<' | b'>') {
                    return Err(Error::new(K, i));
                }
                i += 1;
            }
            (&s[start..i], i)
        }
    };
    if !has_scheme(uri) {
        return Err(Error::new(K, offset_in(s, uri)));
    }
    i = skip_lws(s, i);
    let params_at = i;
    let mut tag = None;
    let end = match s.get(i) {
        None | Some(b',') => i,
        Some(b';') => walk_params(s, i, |n, v| {
            if tag.is_none() && param_is(n, b"tag") {
                tag = Some(v.unwrap_or(b""));
            }
        })?,
        Some(_) => return Err(Error::new(K, i)),
    };
    Ok((
        NameAddr {
            display,
            uri,
            params: trim(&s[params_at..end]),
            tag,
        },
        end,
    ))
}

/// A single-valued name-addr header (From, To): a `,` after it is an error.
pub(crate) fn parse_name_addr_single(s: &[u8]) -> Result<NameAddr<'_>, Error> {
    let (n, end) = parse_name_addr(s)?;
    if end != s.len() {
        return Err(Error::new(ErrorKind::BadNameAddr, end));
    }
    Ok(n)
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

    /// Values built from the bytes and pieces that steer the name-addr and
    /// Via grammars, in any order.
    fn steering_value() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let piece = prop::sample::select(vec![
            &b"\""[..],
            b"\\",
            b"<",
            b">",
            b" ",
            b"\t",
            b"\r\n ",
            b";",
            b",",
            b"=",
            b":",
            b"tag",
            b"TAG",
            b"branch",
            b"sip:",
            b"SIP/2.0/",
            b"UDP",
            b"a",
            b"@",
            b"[::1]",
            b"10.0.0.1",
            b"5060",
            b"99999",
            b"*",
            b"\x01",
            b"\xc3\xa9",
            b"?",
            b"_",
            b"\"Butter AI\" <sip:+1415@203.0.113.10>;tag=as5f",
            b"SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bK-1;rport",
        ]);
        prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(20_000))]

        /// Each fast path answers exactly as the general parser does
        /// whenever it answers at all.
        #[test]
        fn fast_paths_agree_with_general_parsers(v in steering_value()) {
            if let Some(fast) = name_addr_fast(&v) {
                proptest::prop_assert_eq!(Ok(fast), name_addr_general(&v));
            }
            if let Some(fast) = via_fast(&v) {
                proptest::prop_assert_eq!(Ok(fast), via_general(&v));
            }
        }
    }

    /// The shapes the fast paths exist for do take them.
    #[test]
    fn fast_paths_take_the_common_shapes() {
        for v in [
            &b"\"Butter AI\" <sip:+14155550123@203.0.113.10>;tag=as5f3c2b1d"[..],
            b"<sip:+12125550199@sip.carrier.example.net>;tag=gK0e8b7a31",
            b"<sip:+12125550199@sip.carrier.example.net>",
            b"\"x\"<sip:a@b;lr>;tag=1;x;y=2,<sip:c@d>",
        ] {
            assert!(name_addr_fast(v).is_some(), "{v:?}");
        }
        for v in [
            &b"SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bK-1;rport;received=1.2.3.4"[..],
            b"SIP/2.0/TCP host.example.com;branch=z9hG4bK-2",
            b"SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-3,SIP/2.0/UDP 10.0.0.2",
        ] {
            assert!(via_fast(v).is_some(), "{v:?}");
        }
    }

    /// The word-at-a-time scanners agree with the byte tables for every
    /// byte value at every position of a word, after runs of any length.
    #[test]
    fn word_scans_match_byte_tables() {
        for fill in [b'a', b'7', b'-', b'~', b'.', b'"', 0x80, 0x01] {
            for len in 0..20 {
                for at in 0..len {
                    for b in 0..=255u8 {
                        let mut s = vec![fill; len];
                        s[at] = b;
                        let naive = |t: &[bool; 256]| s.iter().position(|&c| !t[c as usize]);
                        let want = naive(&PVALUE).unwrap_or(len);
                        assert_eq!(pvalue_end(&s, 0), want, "{s:?}");
                        let t: [bool; 256] = std::array::from_fn(|c| {
                            (c as u8).is_ascii_alphanumeric() || c as u8 == b'-'
                        });
                        let want = s.iter().position(|&c| !t[c as usize]).unwrap_or(len);
                        assert_eq!(scan_end(&t, &s, 0, token_wordy), want, "{s:?}");
                        assert_eq!(scan_end(&TOKEN, &s, 0, token_wordy), run_end(&TOKEN, &s, 0));
                        let uric = |c: u8| !(c <= b' ' || c == 0x7f || b"<>\"".contains(&c));
                        let want = s.iter().position(|&c| !uric(c)).unwrap_or(len);
                        let t: [bool; 256] = std::array::from_fn(|c| uric(c as u8));
                        assert_eq!(scan_end(&t, &s, 0, uri_wordy), want, "{s:?}");
                        assert_eq!(run_end(&QTEXT, &s, 0), naive(&QTEXT).unwrap_or(len));
                        let want = naive(&QTEXT).unwrap_or(len);
                        assert_eq!(scan_end(&QTEXT, &s, 0, qtext_sure), want, "{s:?}");
                        let want = naive(&HOST).unwrap_or(len);
                        assert_eq!(scan_end(&HOST, &s, 0, host_wordy), want, "{s:?}");
                    }
                }
            }
        }
        assert_eq!(digits(b"05060;", 0), (5060, 5));
        for (uri, ok) in [
            (&b"sip:a"[..], true),
            (b"SIP:a", true),
            (b"sIp:", true),
            (b"sips:a", true),
            (b"tel:+1", true),
            (b"s1p:a", true),
            (b"sip", false),
            (b"si\x10:", false),
            (b":a", false),
            (b"1sip:a", false),
        ] {
            assert_eq!(has_scheme(uri), ok, "{uri:?}");
        }
        assert_eq!(digits(b"99999999999999999999999", 0).0, 1 << 40);
    }

    #[test]
    fn param_names_fold_case_exactly() {
        assert!(param_is(b"BrAnCh", b"branch") && param_is(b"tag", b"tag"));
        assert!(param_is(b"RECEIVED", b"received") && param_is(b"rPort", b"rport"));
        assert!(!param_is(b"brancg", b"branch") && !param_is(b"tags", b"tag"));
        // Token bytes that `| 0x20` must not turn into letters.
        assert!(!param_is(b"t_g", b"tag") && !param_is(b"", b"") && !param_is(b"t", b"tag"));
    }

    #[test]
    fn via_parts() {
        let v = parse_via(b"SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport;received=1.2.3.4")
            .unwrap()
            .0;
        assert_eq!(v.transport, b"UDP");
        assert_eq!(v.host, b"10.0.0.1");
        assert_eq!(v.port, Some(5060));
        assert_eq!(v.branch(), Some(&b"z9hG4bK1"[..]));
        assert_eq!(v.rport(), Some(&b""[..]));
        assert_eq!(v.received(), Some(&b"1.2.3.4"[..]));
        v.check_params().unwrap();
        // Lower case sent-protocol, LWS around the slashes, quoted values.
        let (v, end) = parse_via(b"sip/2.0/tcp h;Branch=\"a,b\";x , SIP / 2.0 / UDP g").unwrap();
        assert_eq!((v.transport, v.host), (&b"tcp"[..], &b"h"[..]));
        assert_eq!(v.branch(), Some(&b"\"a,b\""[..]));
        assert_eq!(v.params(), b";Branch=\"a,b\";x");
        assert_eq!(end, 29);
        let v = parse_via(b"SIP / 2.0 / UDP g").unwrap().0;
        assert_eq!(
            (v.transport, v.host, v.branch()),
            (&b"UDP"[..], &b"g"[..], None)
        );
        let v = parse_via(b"SIP/2.0/UDP fe80:0:0:0:21a:a0ff:fe07:32e0:5060;branch=z9hG4bKb")
            .unwrap()
            .0;
        assert_eq!(
            (v.host, v.port),
            (&b"fe80:0:0:0:21a:a0ff:fe07:32e0"[..], Some(5060))
        );
        let v = parse_via(b"SIP/2.0/UDP fe80::1;branch=z9hG4bKb").unwrap().0;
        assert_eq!((v.host, v.port), (&b"fe80::1"[..], None));
        let v = parse_via(b"SIP/2.0/TLS [2001:db8::1]:5061;branch=z9hG4bKx")
            .unwrap()
            .0;
        assert_eq!(v.host, b"[2001:db8::1]");
        assert_eq!(v.port, Some(5061));
        assert_eq!(
            parse_via(b"SIP/2.0/UDP h:70000").unwrap_err().kind,
            ErrorKind::Overflow
        );
        // Parameters are checked only when asked for (RFC 4475 3.1.2.1).
        let v = parse_via(b"SIP/2.0/UDP 192.0.2.15;;").unwrap().0;
        assert_eq!(
            (v.branch(), v.check_params().unwrap_err().kind),
            (None, ErrorKind::BadParam)
        );
        let v = parse_via(b"SIP/2.0/UDP h;branch=z9;x=\"open").unwrap().0;
        assert_eq!(v.branch(), Some(&b"z9"[..]));
        assert_eq!(
            v.check_params().unwrap_err().kind,
            ErrorKind::UnterminatedQuote
        );
        let v = parse_via(b"SIP/2.0/UDP h;branch=\"q\";rport= 1").unwrap().0;
        assert_eq!(
            (v.branch(), v.rport()),
            (Some(&b"\"q\""[..]), Some(&b"1"[..]))
        );
        let v = parse_via(b"SIP/2.0/UDP h;branch=;branch=x").unwrap().0;
        assert_eq!(v.branch(), None);
        let v = parse_via(b"SIP/2.0/UDP h;BRANCH=z9hG4bK-x.1~;rport")
            .unwrap()
            .0;
        assert_eq!(v.branch(), Some(&b"z9hG4bK-x.1~"[..]));
        let v = parse_via(b"SIP/2.0/UDP h;rport;branch=").unwrap().0;
        assert_eq!((v.rport(), v.branch()), (Some(&b""[..]), None));
    }

    #[test]
    fn name_addr_forms() {
        let n = parse_name_addr_single(
            br#""Alice \"A\"" <sip:alice@example.com:5060;user=phone>;tag=abc"#,
        )
        .unwrap();
        assert_eq!(n.display, Some(&br#"Alice \"A\""#[..]));
        assert_eq!(n.uri, b"sip:alice@example.com:5060;user=phone");
        assert_eq!(n.tag(), Some(&b"abc"[..]));
        assert_eq!(n.user(), Some(&b"alice"[..]));
        assert_eq!(n.host(), Some(&b"example.com"[..]));
        let n = parse_name_addr_single(b"tel:+15551234567;tag=9").unwrap();
        assert_eq!(n.user(), Some(&b"+15551234567"[..]));
        assert_eq!(n.tag(), Some(&b"9"[..]));
        let n = parse_name_addr_single(b"caller<sip:caller@example.com>;tag=323").unwrap();
        assert_eq!(n.display, Some(&b"caller"[..]));
        assert_eq!(
            parse_name_addr_single(br#""Mr. J. User <sip:j.user@example.com>"#)
                .unwrap_err()
                .kind,
            ErrorKind::UnterminatedQuote
        );
        assert!(parse_name_addr_single(b"Bell, Alexander <sip:a@b>").is_err());
        assert!(parse_name_addr_single(b"< sip:a@b >").is_err());
        assert!(parse_name_addr_single(b"sip:user@example.com?Route=x").is_err());
    }

    #[test]
    fn reason_values() {
        let r = parse_reason(br#"Q.850;cause=17;text="User busy""#);
        assert_eq!(r.protocol, b"Q.850");
        assert_eq!(r.cause, Some(17));
        assert_eq!(r.text, Some(&b"User busy"[..]));
    }
}
