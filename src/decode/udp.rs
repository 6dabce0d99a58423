//! UDP (RFC 768): SIP by content, HEP3 by its magic, GTP-U and VXLAN tunnels by their ports,
//! everything else handed on as a media candidate.

use super::tunnel::{GTPU_PORT, VXLAN_PORT};
use super::{be16, sipstart, Ctx, Datagram, Decoder, Event, SipPacket, Transport};
use std::net::{IpAddr, SocketAddr};

impl Decoder {
    pub(super) fn udp(
        &mut self,
        c: &Ctx,
        src: IpAddr,
        dst: IpAddr,
        data: &[u8],
        depth: u8,
        out: &mut dyn FnMut(Event<'_>),
    ) {
        if data.len() < 8 {
            return self.stats.inc("udp", "truncated");
        }
        let sport = be16(data, 0);
        let dport = be16(data, 2);
        let ulen = be16(data, 4) as usize;
        let end = if ulen == 0 {
            data.len() // jumbogram or offload
        } else if ulen < 8 {
            return self.stats.inc("udp", "bad_length");
        } else if ulen > data.len() {
            self.stats.inc("udp", "truncated_payload");
            data.len()
        } else {
            ulen
        };
        let payload = &data[8..end];
        if (sport == GTPU_PORT || dport == GTPU_PORT) && self.gtpu(c, payload, depth, out) {
            return;
        }
        if (sport == VXLAN_PORT || dport == VXLAN_PORT) && self.vxlan(c, payload, depth, out) {
            return;
        }
        if payload.starts_with(b"HEP3") && super::hep::hep3(c, payload, &mut self.stats, out) {
            return;
        }
        let src = SocketAddr::new(src, sport);
        let dst = SocketAddr::new(dst, dport);
        if sipstart::looks_like_sip(payload) {
            out(Event::Sip(SipPacket {
                ts: c.ts,
                frame: c.frame,
                src,
                dst,
                transport: Transport::Udp,
                payload,
            }));
        } else {
            out(Event::Udp(Datagram {
                ts: c.ts,
                frame: c.frame,
                src,
                dst,
                payload,
            }));
        }
    }
}
