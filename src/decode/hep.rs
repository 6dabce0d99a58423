//! HEP version 3 (Homer Encapsulation Protocol, as sent by heplify, Kamailio
//! siptrace, OpenSIPS, FreeSWITCH): SIP captured elsewhere and mirrored over
//! UDP. Recognised by its "HEP3" magic, not by port; the inner addresses,
//! transport and capture time are the agent's.

use super::{be16, be32, sipstart, Ctx, Event, SipPacket, Transport};
use crate::stats::Counters;
use crate::time::Timestamp;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Decode one HEP3 packet; false if `p` is not HEP3.
pub(super) fn hep3(
    c: &Ctx,
    p: &[u8],
    stats: &mut Counters,
    out: &mut dyn FnMut(Event<'_>),
) -> bool {
    if p.len() < 6 || &p[..4] != b"HEP3" {
        return false;
    }
    let total = be16(p, 4) as usize;
    if total < 6 || total > p.len() {
        stats.inc("hep", "bad_length");
        return true;
    }
    let (mut src_ip, mut dst_ip): (Option<IpAddr>, Option<IpAddr>) = (None, None);
    let (mut sport, mut dport) = (0u16, 0u16);
    let (mut secs, mut usecs) = (None, 0u32);
    let mut proto = 17u8;
    let mut kind = None;
    let mut payload: Option<&[u8]> = None;
    let mut off = 6;
    while off + 6 <= total {
        let vendor = be16(p, off);
        let ty = be16(p, off + 2);
        let len = be16(p, off + 4) as usize;
        if len < 6 || off + len > total {
            stats.inc("hep", "bad_chunk_length");
            return true;
        }
        let v = &p[off + 6..off + len];
        if vendor == 0 {
            match (ty, v.len()) {
                (2, 1) => proto = v[0],
                (3, 4) => src_ip = Some(Ipv4Addr::new(v[0], v[1], v[2], v[3]).into()),
                (4, 4) => dst_ip = Some(Ipv4Addr::new(v[0], v[1], v[2], v[3]).into()),
                (5, 16) | (6, 16) => {
                    let mut a = [0u8; 16];
                    a.copy_from_slice(v);
                    let ip = Some(Ipv6Addr::from(a).into());
                    if ty == 5 {
                        src_ip = ip;
                    } else {
                        dst_ip = ip;
                    }
                }
                (7, 2) => sport = be16(v, 0),
                (8, 2) => dport = be16(v, 0),
                (9, 4) => secs = Some(be32(v, 0)),
                (10, 4) => usecs = be32(v, 0),
                (11, 1) => kind = Some(v[0]),
                (15, _) => payload = Some(v),
                (16, _) => {
                    stats.inc("hep", "compressed_not_decoded");
                    return true;
                }
                _ => {}
            }
        }
        off += len;
    }
    let (Some(src_ip), Some(dst_ip), Some(body)) = (src_ip, dst_ip, payload) else {
        stats.inc("hep", "missing_chunk");
        return true;
    };
    // Protocol type 1 is SIP; other types (RTCP reports, logs) are not ours.
    if kind.is_some_and(|k| k != 1) || !sipstart::looks_like_sip(body) {
        return true;
    }
    let ts = match secs {
        Some(s) => Timestamp::from_secs_nanos(s as i64, usecs.min(999_999) * 1000),
        None => c.ts,
    };
    let transport = match proto {
        6 => Transport::Tcp,
        132 => Transport::Sctp,
        _ => Transport::Udp,
    };
    out(Event::Sip(SipPacket {
        ts,
        frame: c.frame,
        src: SocketAddr::new(src_ip, sport),
        dst: SocketAddr::new(dst_ip, dport),
        transport,
        payload: body,
    }));
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(ty: u16, v: &[u8]) -> Vec<u8> {
        let mut c = vec![0, 0];
        c.extend(ty.to_be_bytes());
        c.extend(((6 + v.len()) as u16).to_be_bytes());
        c.extend_from_slice(v);
        c
    }

    #[test]
    fn decodes_hep3_sip() {
        let sip = b"BYE sip:a@b SIP/2.0\r\nCall-ID: h\r\nContent-Length: 0\r\n\r\n";
        let mut body = Vec::new();
        body.extend(chunk(1, &[2]));
        body.extend(chunk(2, &[6]));
        body.extend(chunk(3, &[10, 0, 0, 1]));
        body.extend(chunk(4, &[10, 0, 0, 2]));
        body.extend(chunk(7, &5060u16.to_be_bytes()));
        body.extend(chunk(8, &5070u16.to_be_bytes()));
        body.extend(chunk(9, &1_700_000_000u32.to_be_bytes()));
        body.extend(chunk(10, &250_000u32.to_be_bytes()));
        body.extend(chunk(11, &[1]));
        body.extend(chunk(15, sip));
        let mut p = b"HEP3".to_vec();
        p.extend(((6 + body.len()) as u16).to_be_bytes());
        p.extend(body);
        let c = Ctx {
            ts: Timestamp(0),
            frame: 9,
        };
        let mut stats = Counters::new();
        let mut got = Vec::new();
        assert!(hep3(&c, &p, &mut stats, &mut |e| {
            if let Event::Sip(s) = e {
                got.push((
                    s.frame,
                    s.transport,
                    s.src.to_string(),
                    s.dst.to_string(),
                    s.ts,
                    s.payload.to_vec(),
                ));
            }
        }));
        assert_eq!(
            got,
            vec![(
                9,
                Transport::Tcp,
                "10.0.0.1:5060".into(),
                "10.0.0.2:5070".into(),
                Timestamp::from_secs_nanos(1_700_000_000, 250_000_000),
                sip.to_vec()
            )]
        );
        assert!(stats.is_empty());
        // Cut short: counted, not decoded.
        assert!(hep3(&c, &p[..p.len() - 3], &mut stats, &mut |_| panic!(
            "nothing expected"
        )));
        assert_eq!(stats.get("hep", "bad_length"), 1);
        assert!(!hep3(&c, b"HEP2....", &mut stats, &mut |_| {}));
    }
}
