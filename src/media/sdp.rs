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
    /// The transport is RTP (`RTP/AVP`, `RTP/SAVP`, `UDP/TLS/RTP/SAVPF`...),
    /// not e.g. T.38 `udptl`.
    pub rtp: bool,
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

/// Attributes the SIP layer's SDP reader does not keep, per `m=` section.
#[derive(Default)]
struct Attrs {
    rtcp: Option<u16>,
    mux: bool,
    codecs: Vec<(u8, Codec)>,
}

/// `a=rtcp`, `a=rtcp-mux` and `a=rtpmap` of each `m=` section, in order.
fn scan_attrs(body: &[u8]) -> Vec<Attrs> {
    let mut out: Vec<Attrs> = Vec::new();
    for raw in body.split(|&b| b == b'\n') {
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if line.starts_with(b"m=") {
            if out.len() == MAX_MEDIA {
                break;
            }
            out.push(Attrs::default());
            continue;
        }
        let (Some(p), Some(v)) = (out.last_mut(), line.strip_prefix(b"a=")) else {
            continue;
        };
        let (name, value) = match memchr::memchr(b':', v) {
            Some(i) => (&v[..i], Some(&v[i + 1..])),
            None => (v, None),
        };
        match (name, value) {
            (b"rtcp-mux", _) => p.mux = true,
            (b"rtcp", Some(val)) => {
                let port = val.split(|&b| b == b' ').next().unwrap_or(val);
                p.rtcp = std::str::from_utf8(port)
                    .ok()
                    .and_then(|s| s.trim().parse().ok());
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
                let codec = match enc {
                    Some(e) if e.eq_ignore_ascii_case(b"PCMU") => Some(Codec::Pcmu),
                    Some(e) if e.eq_ignore_ascii_case(b"PCMA") => Some(Codec::Pcma),
                    Some(e) if e.eq_ignore_ascii_case(b"CN") => Some(Codec::Cn),
                    _ => None,
                };
                if let (Some(pt @ 0..=127), Some(c)) = (pt, codec) {
                    if p.codecs.len() < 16 {
                        p.codecs.push((pt, c));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn ip(addr: &[u8]) -> Option<IpAddr> {
    std::str::from_utf8(addr).ok()?.parse().ok()
}

/// Read the media sections of an SDP body with the SIP layer's reader
/// ([`crate::sip::sdp`]), plus the RTCP and rtpmap attributes.
pub fn describe(body: &[u8]) -> Result<Vec<MediaDesc>, crate::sip::Error> {
    use crate::sip::sdp::Direction as Dir;
    let s = crate::sip::sdp::parse(body)?;
    let attrs = scan_attrs(body);
    Ok(s.media()
        .take(MAX_MEDIA)
        .zip(attrs)
        .map(|(m, a)| {
            let addr = m.connection.or(s.connection()).and_then(ip);
            let dir = m.direction.unwrap_or(s.direction());
            // RFC 3264 §8.4: an unspecified address (0.0.0.0) means "do not send to me".
            let unspecified = addr.is_some_and(|a| a.is_unspecified());
            let receives =
                m.port != 0 && !unspecified && matches!(dir, Dir::SendRecv | Dir::RecvOnly);
            let sends = m.port != 0 && matches!(dir, Dir::SendRecv | Dir::SendOnly);
            MediaDesc {
                audio: m.kind.eq_ignore_ascii_case(b"audio"),
                rtp: m.proto.windows(3).any(|w| w.eq_ignore_ascii_case(b"RTP")),
                port: m.port,
                addr: if unspecified { None } else { addr },
                rtcp_port: if a.mux {
                    None
                } else {
                    Some(a.rtcp.unwrap_or(m.port.wrapping_add(1)))
                },
                sends,
                receives,
                codecs: a.codecs,
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
    fn malformed_is_an_error() {
        assert!(describe(b"v=0\nm=audio x RTP/AVP 0\n").is_err());
        assert!(describe(b"v=0\r\ngarbage\r\n").is_err());
        assert!(describe(b"v=0\nc=IN\n").is_err());
        assert!(describe(b"").is_err());
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
