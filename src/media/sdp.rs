//! What media tracking needs from an SDP body (RFC 4566, RFC 3264): where
//! each party receives RTP and RTCP, whether it sends or receives at all
//! (hold), and which payload types are G.711 or comfort noise.
//!
//! Works on borrowed bytes and allocates only the small result.

use std::net::IpAddr;

/// What a payload type carries, as far as silence detection cares.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Codec {
    Pcmu,
    Pcma,
    /// Comfort noise (RFC 3389): silence by definition.
    Cn,
}

/// Payload types fixed by RFC 3551 that matter here.
pub fn static_codec(pt: u8) -> Option<Codec> {
    match pt {
        0 => Some(Codec::Pcmu),
        8 => Some(Codec::Pcma),
        13 => Some(Codec::Cn),
        _ => None,
    }
}

/// One `m=` section, resolved against the session level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaDesc {
    pub audio: bool,
    pub port: u16,
    /// `None` when there is no usable address: `c=` missing or a host name.
    pub addr: Option<IpAddr>,
    /// RTCP port: `a=rtcp:` or port + 1; `None` with `a=rtcp-mux`.
    pub rtcp_port: Option<u16>,
    /// This party will send on this stream (not `recvonly`/`inactive`).
    pub sends: bool,
    /// This party wants to receive (not `sendonly`/`inactive`, not `c=0.0.0.0`, port not 0).
    pub receives: bool,
    /// Dynamic payload types bound to G.711 or CN by `a=rtpmap`.
    pub codecs: Vec<(u8, Codec)>,
}

/// Largest number of `m=` sections kept from one body.
pub const MAX_MEDIA: usize = 8;

#[derive(Copy, Clone, PartialEq, Eq)]
enum Dir {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

fn parse_dir(attr: &[u8]) -> Option<Dir> {
    match attr {
        b"sendrecv" => Some(Dir::SendRecv),
        b"sendonly" => Some(Dir::SendOnly),
        b"recvonly" => Some(Dir::RecvOnly),
        b"inactive" => Some(Dir::Inactive),
        _ => None,
    }
}

/// `IN IP4 1.2.3.4[/ttl]` → the address; `Ok(None)` for a name we cannot use.
fn parse_connection(v: &[u8]) -> Result<Option<IpAddr>, &'static str> {
    let mut it = v.split(|&b| b == b' ').filter(|s| !s.is_empty());
    let (Some(net), Some(_atype), Some(addr)) = (it.next(), it.next(), it.next()) else {
        return Err("sdp_bad_connection");
    };
    if net != b"IN" {
        return Ok(None);
    }
    let addr = addr.split(|&b| b == b'/').next().unwrap_or(addr);
    Ok(std::str::from_utf8(addr)
        .ok()
        .and_then(|s| s.parse::<IpAddr>().ok()))
}

struct Pending {
    audio: bool,
    port: u16,
    conn: Option<Option<IpAddr>>,
    dir: Option<Dir>,
    rtcp: Option<u16>,
    mux: bool,
    codecs: Vec<(u8, Codec)>,
}

/// Read the media sections of an SDP body. Errors are short stable codes
/// (counted as `("media", code)`).
pub fn describe(body: &[u8]) -> Result<Vec<MediaDesc>, &'static str> {
    let mut session_conn: Option<Option<IpAddr>> = None;
    let mut session_dir = Dir::SendRecv;
    let mut cur: Option<Pending> = None;
    let mut done: Vec<Pending> = Vec::new();
    let mut saw_version = false;
    for raw in body.split(|&b| b == b'\n') {
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if line.is_empty() {
            continue;
        }
        if line.len() < 2 || line[1] != b'=' {
            return Err("sdp_bad_line");
        }
        let (t, v) = (line[0], &line[2..]);
        match t {
            b'v' => saw_version = true,
            b'm' => {
                if let Some(p) = cur.take() {
                    done.push(p);
                }
                let mut it = v.split(|&b| b == b' ').filter(|s| !s.is_empty());
                let kind = it.next().ok_or("sdp_bad_media")?;
                let port = it.next().ok_or("sdp_bad_media")?;
                let port = port.split(|&b| b == b'/').next().unwrap_or(port);
                let port: u16 = std::str::from_utf8(port)
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .ok_or("sdp_bad_media_port")?;
                it.next().ok_or("sdp_bad_media")?; // proto
                cur = Some(Pending {
                    audio: kind.eq_ignore_ascii_case(b"audio"),
                    port,
                    conn: None,
                    dir: None,
                    rtcp: None,
                    mux: false,
                    codecs: Vec::new(),
                });
            }
            b'c' => {
                let c = parse_connection(v)?;
                match cur.as_mut() {
                    Some(p) => p.conn = Some(c),
                    None => session_conn = Some(c),
                }
            }
            b'a' => {
                let (name, value) = match memchr::memchr(b':', v) {
                    Some(i) => (&v[..i], Some(&v[i + 1..])),
                    None => (v, None),
                };
                if let Some(d) = parse_dir(name) {
                    match cur.as_mut() {
                        Some(p) => p.dir = Some(d),
                        None => session_dir = d,
                    }
                    continue;
                }
                let Some(p) = cur.as_mut() else { continue };
                match (name, value) {
                    (b"rtcp-mux", _) => p.mux = true,
                    (b"rtcp", Some(val)) => {
                        let port = val.split(|&b| b == b' ').next().unwrap_or(val);
                        p.rtcp = std::str::from_utf8(port).ok().and_then(|s| s.parse().ok());
                    }
                    (b"rtpmap", Some(val)) => {
                        let mut it = val.splitn(2, |&b| b == b' ');
                        let pt = it
                            .next()
                            .and_then(|s| std::str::from_utf8(s).ok())
                            .and_then(|s| s.parse::<u8>().ok());
                        let enc = it
                            .next()
                            .map(|e| e.split(|&b| b == b'/').next().unwrap_or(e));
                        if let (Some(pt), Some(enc)) = (pt, enc) {
                            let codec = if enc.eq_ignore_ascii_case(b"PCMU") {
                                Some(Codec::Pcmu)
                            } else if enc.eq_ignore_ascii_case(b"PCMA") {
                                Some(Codec::Pcma)
                            } else if enc.eq_ignore_ascii_case(b"CN") {
                                Some(Codec::Cn)
                            } else {
                                None
                            };
                            if let Some(c) = codec {
                                if p.codecs.len() < 16 && pt < 128 {
                                    p.codecs.push((pt, c));
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    if let Some(p) = cur.take() {
        done.push(p);
    }
    if !saw_version {
        return Err("sdp_no_version");
    }
    Ok(done
        .into_iter()
        .take(MAX_MEDIA)
        .map(|p| {
            let addr = p.conn.or(session_conn).flatten();
            let dir = p.dir.unwrap_or(session_dir);
            // RFC 3264 §8.4: an unspecified address (0.0.0.0) means "do not send to me".
            let unspecified = addr.is_some_and(|a| a.is_unspecified());
            let receives =
                p.port != 0 && !unspecified && matches!(dir, Dir::SendRecv | Dir::RecvOnly);
            let sends = p.port != 0 && matches!(dir, Dir::SendRecv | Dir::SendOnly);
            MediaDesc {
                audio: p.audio,
                port: p.port,
                addr: if unspecified { None } else { addr },
                rtcp_port: if p.mux {
                    None
                } else {
                    Some(p.rtcp.unwrap_or(p.port.wrapping_add(1)))
                },
                sends,
                receives,
                codecs: p.codecs,
            }
        })
        .collect())
}

/// The SDP part of a message body: the body itself for `application/sdp`
/// (or no Content-Type and a body starting with `v=`), the SDP part of a
/// `multipart/*` body (SIP-I carries SDP next to ISUP), else `None`.
pub fn sdp_body<'a>(content_type: Option<&[u8]>, body: &'a [u8]) -> Option<&'a [u8]> {
    if body.is_empty() {
        return None;
    }
    let ct = content_type.unwrap_or(b"");
    let ct_main = ct.split(|&b| b == b';').next().unwrap_or(ct).trim_ascii();
    if ct_main.eq_ignore_ascii_case(b"application/sdp")
        || (ct.is_empty() && body.starts_with(b"v="))
    {
        return Some(body);
    }
    if ct_main.len() >= 10 && ct_main[..10].eq_ignore_ascii_case(b"multipart/") {
        // The SDP part starts at a line `v=0` and ends at the next boundary line.
        let start = if body.starts_with(b"v=0") {
            0
        } else {
            memchr::memmem::find(body, b"\nv=0")? + 1
        };
        let rest = &body[start..];
        let end = memchr::memmem::find(rest, b"\n--").map_or(rest.len(), |i| i + 1);
        return Some(&rest[..end]);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &[u8] = b"v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
m=audio 6000 RTP/AVP 0 8 101 96\r\na=rtpmap:101 telephone-event/8000\r\na=rtpmap:96 PCMU/16000\r\n\
m=video 6002 RTP/AVP 34\r\nc=IN IP4 10.0.0.9\r\na=rtcp:7000\r\na=recvonly\r\n";

    #[test]
    fn session_and_media_level() {
        let m = describe(OFFER).unwrap();
        assert_eq!(m.len(), 2);
        assert!(m[0].audio && m[0].sends && m[0].receives);
        assert_eq!(m[0].addr, Some("10.0.0.1".parse().unwrap()));
        assert_eq!((m[0].port, m[0].rtcp_port), (6000, Some(6001)));
        assert_eq!(m[0].codecs, vec![(96, Codec::Pcmu)]);
        assert!(!m[1].audio && !m[1].sends && m[1].receives);
        assert_eq!(m[1].addr, Some("10.0.0.9".parse().unwrap()));
        assert_eq!(m[1].rtcp_port, Some(7000));
    }

    #[test]
    fn hold_mux_and_ipv6() {
        let b = b"v=0\nc=IN IP4 0.0.0.0\nm=audio 4000 RTP/AVP 0\na=sendonly\n";
        let m = &describe(b).unwrap()[0];
        assert!(m.sends && !m.receives && m.addr.is_none());
        let b = b"v=0\na=inactive\nm=audio 4000 RTP/AVP 0\nc=IN IP6 2001:db8::1\na=rtcp-mux\n";
        let m = &describe(b).unwrap()[0];
        assert!(!m.sends && !m.receives);
        assert_eq!(m.addr, Some("2001:db8::1".parse().unwrap()));
        assert_eq!(m.rtcp_port, None);
    }

    #[test]
    fn malformed_is_an_error_code() {
        assert_eq!(
            describe(b"v=0\nm=audio x RTP/AVP 0\n"),
            Err("sdp_bad_media_port")
        );
        assert_eq!(describe(b"v=0\r\ngarbage\r\n"), Err("sdp_bad_line"));
        assert_eq!(describe(b"m=audio 1 RTP/AVP 0\n"), Err("sdp_no_version"));
        assert_eq!(describe(b"v=0\nc=IN\n"), Err("sdp_bad_connection"));
    }

    #[test]
    fn finds_sdp_in_multipart() {
        let body = b"--b1\r\nContent-Type: application/sdp\r\n\r\nv=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 5 RTP/AVP 8\r\n--b1\r\nContent-Type: application/isup\r\n\r\n\x01\x02\r\n--b1--\r\n";
        let s = sdp_body(Some(b"multipart/mixed;boundary=b1"), body).unwrap();
        assert!(s.starts_with(b"v=0") && s.ends_with(b"RTP/AVP 8\r\n"));
        assert_eq!(describe(s).unwrap()[0].port, 5);
        assert!(sdp_body(Some(b"application/isup"), b"v=0").is_none());
        assert!(sdp_body(Some(b"Application/SDP"), b"v=0").is_some());
    }
}
