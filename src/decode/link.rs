//! Link layers: Ethernet (802.1Q/802.1ad/QinQ tags), Linux cooked SLL and
//! SLL2, raw IP, BSD loopback (NULL/LOOP), PPP; and the ethertype dispatch
//! shared with tunnels (GRE, PPPoE, MPLS, ERSPAN...).

use super::{be16, be32, Ctx, Decoder, Event, MAX_DEPTH};

/// LINKTYPE_* numbers (tcpdump.org/linktypes.html) and their DLT_* aliases.
pub(super) mod linktype {
    pub const NULL: u32 = 0;
    pub const ETHERNET: u32 = 1;
    pub const PPP: u32 = 9;
    pub const DLT_RAW_12: u32 = 12;
    pub const DLT_RAW_14: u32 = 14;
    pub const PPP_HDLC: u32 = 50;
    pub const RAW: u32 = 101;
    pub const LOOP: u32 = 108;
    pub const LINUX_SLL: u32 = 113;
    pub const IPV4: u32 = 228;
    pub const IPV6: u32 = 229;
    pub const LINUX_SLL2: u32 = 276;
}

/// Ethertypes handled (IEEE registry plus the GRE protocol types that reuse it).
pub(super) mod ethertype {
    pub const IPV4: u16 = 0x0800;
    pub const IPV6: u16 = 0x86dd;
    pub const VLAN: u16 = 0x8100;
    pub const QINQ: u16 = 0x88a8;
    pub const QINQ_OLD: u16 = 0x9100;
    pub const QINQ_OLD2: u16 = 0x9200;
    pub const PPPOE_SESSION: u16 = 0x8864;
    pub const MPLS: u16 = 0x8847;
    pub const MPLS_MC: u16 = 0x8848;
    pub const TEB: u16 = 0x6558;
    pub const PPP: u16 = 0x880b;
}

impl Decoder {
    pub(super) fn link(&mut self, c: &Ctx, lt: u32, data: &[u8], out: &mut dyn FnMut(Event<'_>)) {
        use linktype::*;
        match lt {
            ETHERNET => self.ethernet(c, data, 0, out),
            LINUX_SLL => {
                // packet type, ARPHRD, address length, 8 address bytes, protocol.
                if data.len() < 16 {
                    return self.stats.inc("link", "truncated_sll");
                }
                self.ethertype(c, be16(data, 14), &data[16..], 0, out)
            }
            LINUX_SLL2 => {
                // protocol, reserved, ifindex, ARPHRD, packet type, address length, 8 address bytes.
                if data.len() < 20 {
                    return self.stats.inc("link", "truncated_sll2");
                }
                self.ethertype(c, be16(data, 0), &data[20..], 0, out)
            }
            RAW | DLT_RAW_12 | DLT_RAW_14 | IPV4 | IPV6 => self.raw_ip(c, data, 0, out),
            NULL | LOOP => self.null(c, lt, data, out),
            PPP | PPP_HDLC => self.ppp(c, data, 0, out),
            _ => {
                self.stats.inc("link", "unknown_linktype");
                if !self.unknown_linktypes.contains(&lt) {
                    self.unknown_linktypes.push(lt);
                    tracing::warn!(
                        linktype = lt,
                        "unknown link type: frames not decoded (counted as link/unknown_linktype)"
                    );
                }
            }
        }
    }

    pub(super) fn ethernet(
        &mut self,
        c: &Ctx,
        data: &[u8],
        depth: u8,
        out: &mut dyn FnMut(Event<'_>),
    ) {
        if data.len() < 14 {
            return self.stats.inc("link", "truncated_ethernet");
        }
        self.ethertype(c, be16(data, 12), &data[14..], depth, out)
    }

    /// IP version from the first nibble (raw IP link types, MPLS, GTP-U).
    pub(super) fn raw_ip(
        &mut self,
        c: &Ctx,
        data: &[u8],
        depth: u8,
        out: &mut dyn FnMut(Event<'_>),
    ) {
        match data.first().map(|b| b >> 4) {
            Some(4) => self.ipv4(c, data, depth, out),
            Some(6) => self.ipv6(c, data, depth, out),
            Some(_) => self.stats.inc("ip", "bad_version"),
            None => self.stats.inc("ip", "truncated"),
        }
    }

    /// BSD loopback: a 4-byte address family, host byte order of the writer
    /// for NULL, network order for LOOP; both orders are accepted. AF_INET is
    /// 2 everywhere; AF_INET6 is 10 (Linux), 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS).
    fn null(&mut self, c: &Ctx, lt: u32, data: &[u8], out: &mut dyn FnMut(Event<'_>)) {
        if data.len() < 4 {
            return self.stats.inc("link", "truncated_null");
        }
        let le = u32::from_le_bytes([data[0], data[1], data[2], data[3]]);
        let be = be32(data, 0);
        let af = if lt == linktype::LOOP || le > 0xffff {
            be
        } else {
            le
        };
        let payload = &data[4..];
        match af {
            2 => self.ipv4(c, payload, 0, out),
            10 | 24 | 28 | 30 => self.ipv6(c, payload, 0, out),
            _ => self.stats.inc("link", "not_ip"),
        }
    }

    /// PPP (RFC 1661/1662): optional 0xff 0x03 address/control, then a 1- or
    /// 2-byte protocol (protocol-field compression: odd first byte = 1 byte).
    pub(super) fn ppp(&mut self, c: &Ctx, data: &[u8], depth: u8, out: &mut dyn FnMut(Event<'_>)) {
        let d = if data.len() >= 2 && data[0] == 0xff && data[1] == 0x03 {
            &data[2..]
        } else {
            data
        };
        let Some(&b0) = d.first() else {
            return self.stats.inc("link", "truncated_ppp");
        };
        let (proto, rest) = if b0 & 1 == 1 {
            (b0 as u16, &d[1..])
        } else if d.len() >= 2 {
            (be16(d, 0), &d[2..])
        } else {
            return self.stats.inc("link", "truncated_ppp");
        };
        match proto {
            0x0021 => self.ipv4(c, rest, depth + 1, out),
            0x0057 => self.ipv6(c, rest, depth + 1, out),
            _ => self.stats.inc("link", "ppp_not_ip"),
        }
    }

    /// Dispatch on an ethertype; also used for SLL, GRE and PPPoE payloads.
    pub(super) fn ethertype(
        &mut self,
        c: &Ctx,
        et: u16,
        data: &[u8],
        depth: u8,
        out: &mut dyn FnMut(Event<'_>),
    ) {
        use ethertype::*;
        if depth > MAX_DEPTH {
            return self.stats.inc("link", "too_many_layers");
        }
        match et {
            IPV4 => self.ipv4(c, data, depth, out),
            IPV6 => self.ipv6(c, data, depth, out),
            VLAN | QINQ | QINQ_OLD | QINQ_OLD2 => {
                if data.len() < 4 {
                    return self.stats.inc("link", "truncated_vlan");
                }
                self.ethertype(c, be16(data, 2), &data[4..], depth + 1, out)
            }
            PPPOE_SESSION => {
                // ver/type, code, session id, length (RFC 2516), then PPP.
                if data.len() < 8 {
                    return self.stats.inc("link", "truncated_pppoe");
                }
                let len = be16(data, 4) as usize;
                let body = &data[6..];
                let body = if len <= body.len() {
                    &body[..len]
                } else {
                    body
                };
                self.ppp(c, body, depth + 1, out)
            }
            MPLS | MPLS_MC => {
                // Labels until bottom-of-stack; the payload's first nibble names it.
                let mut off = 0;
                loop {
                    if data.len() < off + 4 {
                        return self.stats.inc("link", "truncated_mpls");
                    }
                    let bos = data[off + 2] & 1 == 1;
                    off += 4;
                    if bos {
                        break;
                    }
                }
                self.raw_ip(c, &data[off..], depth + 1, out)
            }
            TEB => self.ethernet(c, data, depth + 1, out),
            PPP => self.ppp(c, data, depth, out),
            _ => self.stats.inc("link", "not_ip"),
        }
    }
}
