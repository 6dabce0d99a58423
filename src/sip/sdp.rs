//! Minimal zero-copy SDP reader (RFC 8866) for media tracking: session and
//! media `c=` addresses, `m=` lines and direction attributes.
//!
//! A held call is visible as `c=IN IP4 0.0.0.0` through
//! [`Sdp::connection`]/[`Media::connection`] (RFC 3264 8.4, older UAs) or as
//! a `sendonly`/`inactive` direction.

use super::error::{Error, ErrorKind};
use super::parse::parse_decimal;
use memchr::memchr;

/// Media direction attribute (RFC 3264 5.1).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum Direction {
    #[default]
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    fn from_attr(a: &[u8]) -> Option<Direction> {
        match a {
            b"sendrecv" => Some(Direction::SendRecv),
            b"sendonly" => Some(Direction::SendOnly),
            b"recvonly" => Some(Direction::RecvOnly),
            b"inactive" => Some(Direction::Inactive),
            _ => None,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }
}

/// A parsed SDP body.
#[derive(Copy, Clone, Debug)]
pub struct Sdp<'a> {
    body: &'a [u8],
    connection: Option<&'a [u8]>,
    direction: Direction,
    /// Offset of the first `m=` line (`body.len()` when none).
    media_start: usize,
}

/// One `m=` section.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Media<'a> {
    /// `audio`, `video`, `image` (T.38), `application`...
    pub kind: &'a [u8],
    /// 0 means the stream is rejected/disabled (RFC 3264 6).
    pub port: u16,
    /// `RTP/AVP`, `RTP/SAVP`, `udptl`...
    pub proto: &'a [u8],
    /// The format list as sent (space separated).
    pub formats: &'a [u8],
    /// Media-level `c=` address, `None` when the session level applies.
    pub connection: Option<&'a [u8]>,
    /// Media-level direction attribute, if any.
    pub direction: Option<Direction>,
}

impl<'a> Media<'a> {
    /// RTP payload types of the format list (non-numeric formats skipped).
    pub fn payload_types(&self) -> impl Iterator<Item = u8> + 'a {
        self.formats
            .split(|&b| b == b' ')
            .filter_map(|f| parse_decimal(f).filter(|&n| n <= 127).map(|n| n as u8))
    }
}

/// Lines of an SDP body: `(offset, line)` without the CR/LF.
#[derive(Clone, Debug)]
struct Lines<'a> {
    body: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Lines<'a> {
    type Item = (usize, &'a [u8]);
    fn next(&mut self) -> Option<(usize, &'a [u8])> {
        if self.pos >= self.body.len() {
            return None;
        }
        let start = self.pos;
        let rest = &self.body[start..];
        let (mut line, next) = match memchr(b'\n', rest) {
            Some(lf) => (&rest[..lf], start + lf + 1),
            None => (rest, self.body.len()),
        };
        if let [l @ .., b'\r'] = line {
            line = l;
        }
        self.pos = next;
        Some((start, line))
    }
}

/// Parse an SDP body. Every non-empty line must be `<letter>=...`;
/// `c=` and `m=` lines must be well formed.
pub fn parse(body: &[u8]) -> Result<Sdp<'_>, Error> {
    let mut connection = None;
    let mut direction = Direction::SendRecv;
    let mut media_start = None;
    let mut seen = false;
    for (at, line) in (Lines { body, pos: 0 }) {
        if line.is_empty() {
            continue;
        }
        if line.len() < 2 || !line[0].is_ascii_lowercase() || line[1] != b'=' {
            return Err(Error::new(ErrorKind::BadSdp, at));
        }
        seen = true;
        let v = &line[2..];
        match line[0] {
            b'm' => {
                media_line(v).map_err(|e| e.shift(at + 2))?;
                media_start.get_or_insert(at);
            }
            b'c' => {
                let addr = connection_address(v).map_err(|e| e.shift(at + 2))?;
                if media_start.is_none() {
                    connection = Some(addr);
                }
            }
            b'a' if media_start.is_none() => {
                if let Some(d) = Direction::from_attr(v) {
                    direction = d;
                }
            }
            _ => {}
        }
    }
    if !seen {
        return Err(Error::new(ErrorKind::BadSdp, 0));
    }
    Ok(Sdp {
        body,
        connection,
        direction,
        media_start: media_start.unwrap_or(body.len()),
    })
}

/// Whitespace-separated fields of a line value.
fn fields(v: &[u8]) -> impl Iterator<Item = &[u8]> {
    v.split(|&b| b == b' ' || b == b'\t')
        .filter(|f| !f.is_empty())
}

/// `c=<nettype> <addrtype> <address>[/ttl[/n]]` -> address.
fn connection_address(v: &[u8]) -> Result<&[u8], Error> {
    let mut f = fields(v);
    let (Some(_net), Some(_addr_type), Some(addr)) = (f.next(), f.next(), f.next()) else {
        return Err(Error::new(ErrorKind::BadSdp, 0));
    };
    let end = memchr(b'/', addr).unwrap_or(addr.len());
    Ok(&addr[..end])
}

/// `m=<media> <port>[/<n>] <proto> <fmt> ...`.
fn media_line(v: &[u8]) -> Result<Media<'_>, Error> {
    let bad = |at| Error::new(ErrorKind::BadSdp, at);
    let mut f = fields(v);
    let (Some(kind), Some(port), Some(proto)) = (f.next(), f.next(), f.next()) else {
        return Err(bad(0));
    };
    let port_at = port.as_ptr() as usize - v.as_ptr() as usize;
    let port_num = &port[..memchr(b'/', port).unwrap_or(port.len())];
    let port = match parse_decimal(port_num) {
        Some(p) if p <= u16::MAX as u64 => p as u16,
        _ => return Err(bad(port_at)),
    };
    let proto_end = proto.as_ptr() as usize - v.as_ptr() as usize + proto.len();
    let formats = trim_sp(&v[proto_end..]);
    Ok(Media {
        kind,
        port,
        proto,
        formats,
        connection: None,
        direction: None,
    })
}

fn trim_sp(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

impl<'a> Sdp<'a> {
    /// Session-level `c=` address (`0.0.0.0` for an RFC 2543-style hold).
    #[inline]
    pub fn connection(&self) -> Option<&'a [u8]> {
        self.connection
    }

    /// Session-level direction; `SendRecv` when absent.
    #[inline]
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// The `m=` sections in order.
    pub fn media(&self) -> MediaIter<'a> {
        MediaIter {
            lines: Lines {
                body: self.body,
                pos: self.media_start,
            },
            pending: None,
        }
    }
}

/// Iterator over `m=` sections.
#[derive(Clone, Debug)]
pub struct MediaIter<'a> {
    lines: Lines<'a>,
    /// An `m=` line read while finishing the previous section.
    pending: Option<&'a [u8]>,
}

impl<'a> Iterator for MediaIter<'a> {
    type Item = Media<'a>;
    fn next(&mut self) -> Option<Media<'a>> {
        let mline = match self.pending.take() {
            Some(l) => l,
            None => loop {
                let (_, l) = self.lines.next()?;
                if l.starts_with(b"m=") {
                    break l;
                }
            },
        };
        // `parse` validated every m= line.
        let mut media = media_line(&mline[2..]).ok()?;
        for (_, l) in self.lines.by_ref() {
            if l.starts_with(b"m=") {
                self.pending = Some(l);
                break;
            }
            if let Some(c) = l.strip_prefix(b"c=") {
                media.connection = connection_address(c).ok();
            } else if let Some(a) = l.strip_prefix(b"a=") {
                if let Some(d) = Direction::from_attr(a) {
                    media.direction = Some(d);
                }
            }
        }
        Some(media)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offer_with_hold_and_two_streams() {
        let body = b"v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\na=sendonly\r\n\
m=audio 49170 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n\
m=video 0 RTP/AVP 31\r\nc=IN IP4 192.0.2.9/127\r\na=inactive\r\n";
        let s = parse(body).unwrap();
        assert_eq!(s.connection(), Some(&b"0.0.0.0"[..]));
        assert_eq!(s.direction(), Direction::SendOnly);
        let m: Vec<_> = s.media().collect();
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].kind, b"audio");
        assert_eq!(m[0].port, 49170);
        assert_eq!(m[0].proto, b"RTP/AVP");
        assert_eq!(m[0].payload_types().collect::<Vec<_>>(), vec![0, 8, 101]);
        assert_eq!(m[0].connection, None);
        assert_eq!(m[0].direction, None);
        assert_eq!(m[1].port, 0);
        assert_eq!(m[1].connection, Some(&b"192.0.2.9"[..]));
        assert_eq!(m[1].direction, Some(Direction::Inactive));
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(parse(b"").unwrap_err().kind, ErrorKind::BadSdp);
        assert_eq!(parse(b"v=0\r\nhello\r\n").unwrap_err().offset, 5);
        assert_eq!(
            parse(b"v=0\r\nm=audio x RTP/AVP 0\r\n").unwrap_err().offset,
            13
        );
        assert_eq!(
            parse(b"v=0\r\nc=IN IP4\r\n").unwrap_err().kind,
            ErrorKind::BadSdp
        );
    }
}
