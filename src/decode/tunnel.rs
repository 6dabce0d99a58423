//! Tunnels met on mirror ports: GRE (RFC 2784/2890, PPTP enhanced GRE
//! RFC 2637, transparent Ethernet bridging, ERSPAN type I/II/III), GTP-U
//! (3GPP TS 29.281, UDP 2152) and VXLAN (RFC 7348, UDP 4789). IP-in-IP is in
//! `ip.rs`, PPPoE and MPLS in `link.rs`.

use super::{be16, Ctx, Decoder, Event};

/// GRE protocol types that are not plain ethertypes.
const ERSPAN_II: u16 = 0x88be;
const ERSPAN_III: u16 = 0x22eb;

pub(super) const GTPU_PORT: u16 = 2152;
pub(super) const VXLAN_PORT: u16 = 4789;

impl Decoder {
    pub(super) fn gre(&mut self, c: &Ctx, data: &[u8], depth: u8, out: &mut dyn FnMut(Event<'_>)) {
        if data.len() < 4 {
            return self.stats.inc("gre", "truncated");
        }
        let flags = be16(data, 0);
        let version = flags & 0x7;
        let proto = be16(data, 2);
        let mut off = 4;
        if flags & 0x8000 != 0 || (version == 0 && flags & 0x4000 != 0) {
            off += 4; // checksum (+ reserved1), or routing offset
        }
        if flags & 0x2000 != 0 {
            off += 4; // key (version 1: payload length + call id)
        }
        let seq = flags & 0x1000 != 0;
        if seq {
            off += 4;
        }
        if version == 1 && flags & 0x0080 != 0 {
            off += 4; // acknowledgment number (PPTP)
        }
        if version > 1 {
            return self.stats.inc("gre", "unknown_version");
        }
        if version == 0 && flags & 0x4000 != 0 {
            return self.stats.inc("gre", "source_routing_unsupported");
        }
        if data.len() < off {
            return self.stats.inc("gre", "truncated");
        }
        let inner = &data[off..];
        match proto {
            // ERSPAN type I has no header (and no GRE sequence number); type II
            // an 8-byte header; type III 12 bytes plus an optional 8-byte
            // platform sub-header (O flag). Then the mirrored Ethernet frame.
            ERSPAN_II => {
                let h = if seq { 8 } else { 0 };
                if inner.len() < h {
                    return self.stats.inc("gre", "truncated_erspan");
                }
                self.ethernet(c, &inner[h..], depth + 1, out)
            }
            ERSPAN_III => {
                if inner.len() < 12 {
                    return self.stats.inc("gre", "truncated_erspan");
                }
                let h = if inner[11] & 0x01 != 0 { 20 } else { 12 };
                if inner.len() < h {
                    return self.stats.inc("gre", "truncated_erspan");
                }
                self.ethernet(c, &inner[h..], depth + 1, out)
            }
            _ => self.ethertype(c, proto, inner, depth + 1, out),
        }
    }

    /// GTP-U G-PDU: decode the user packet inside. Returns false when the
    /// datagram is not GTP-U version 1, so it is handled as plain UDP.
    pub(super) fn gtpu(
        &mut self,
        c: &Ctx,
        p: &[u8],
        depth: u8,
        out: &mut dyn FnMut(Event<'_>),
    ) -> bool {
        if p.len() < 8 || p[0] >> 5 != 1 || p[0] & 0x10 == 0 {
            return false;
        }
        if p[1] != 0xff {
            return true; // echo, error indication, end marker: signalling, no user data
        }
        let len = be16(p, 2) as usize;
        let end = (8 + len).min(p.len());
        let mut off = 8;
        if p[0] & 0x07 != 0 {
            if end < 12 {
                self.stats.inc("gtp", "truncated");
                return true;
            }
            let mut next = p[11];
            off = 12;
            while next != 0 {
                let Some(&units) = p.get(off) else {
                    self.stats.inc("gtp", "truncated");
                    return true;
                };
                let l = units as usize * 4;
                if l == 0 || off + l > end {
                    self.stats.inc("gtp", "bad_extension_header");
                    return true;
                }
                next = p[off + l - 1];
                off += l;
            }
        }
        if off > end {
            self.stats.inc("gtp", "truncated");
            return true;
        }
        self.raw_ip(c, &p[off..end], depth + 1, out);
        true
    }

    /// VXLAN: I flag set, then an Ethernet frame. False if the flag is absent.
    pub(super) fn vxlan(
        &mut self,
        c: &Ctx,
        p: &[u8],
        depth: u8,
        out: &mut dyn FnMut(Event<'_>),
    ) -> bool {
        if p.len() < 8 + 14 || p[0] & 0x08 == 0 {
            return false;
        }
        self.ethernet(c, &p[8..], depth + 1, out);
        true
    }
}
