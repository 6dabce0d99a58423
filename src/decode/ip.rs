//! IPv4 (RFC 791) and IPv6 (RFC 8200, extension headers) with fragment
//! reassembly for both, and the dispatch to transports and IP tunnels.
//!
//! Reassembly is written here rather than with `etherparse::defrag`, which
//! has no memory cap with counted evictions and no expiry on capture time.

use super::{be16, be32, Ctx, Decoder, Event, MAX_DEPTH};
use crate::stats::Counters;
use crate::time::Timestamp;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Largest reassembled payload (the IP length fields are 16 bits).
const MAX_DATAGRAM: usize = 65_535;

impl Decoder {
    pub(super) fn ipv4(&mut self, c: &Ctx, data: &[u8], depth: u8, out: &mut dyn FnMut(Event<'_>)) {
        if data.len() < 20 {
            return self.stats.inc("ip", "truncated");
        }
        if data[0] >> 4 != 4 {
            return self.stats.inc("ip", "bad_version");
        }
        let ihl = (data[0] & 0x0f) as usize * 4;
        if ihl < 20 || ihl > data.len() {
            return self.stats.inc("ip", "bad_header_length");
        }
        let total = be16(data, 2) as usize;
        // Total length 0 is what segmentation offload leaves in captures.
        let end = if total == 0 {
            data.len()
        } else if total < ihl {
            return self.stats.inc("ip", "bad_total_length");
        } else if total > data.len() {
            self.stats.inc("ip", "truncated_payload");
            data.len()
        } else {
            total
        };
        let src = Ipv4Addr::new(data[12], data[13], data[14], data[15]);
        let dst = Ipv4Addr::new(data[16], data[17], data[18], data[19]);
        let proto = data[9];
        let frag = be16(data, 6);
        let more = frag & 0x2000 != 0;
        let offset = (frag & 0x1fff) as usize * 8;
        let payload = &data[ihl..end];
        if more || offset > 0 {
            if end < total {
                // A cut fragment would leave a hole that looks like data.
                return self.stats.inc("ip", "fragment_truncated");
            }
            let key = FragKey::V4 {
                src: src.octets(),
                dst: dst.octets(),
                proto,
                id: be16(data, 4),
            };
            if let Some((whole, _)) =
                self.defrag
                    .add(key, offset, more, proto, payload, c, &mut self.stats)
            {
                self.ip_payload(c, src.into(), dst.into(), proto, &whole, depth, out);
            }
            return;
        }
        self.ip_payload(c, src.into(), dst.into(), proto, payload, depth, out)
    }

    pub(super) fn ipv6(&mut self, c: &Ctx, data: &[u8], depth: u8, out: &mut dyn FnMut(Event<'_>)) {
        if data.len() < 40 {
            return self.stats.inc("ip", "truncated");
        }
        if data[0] >> 4 != 6 {
            return self.stats.inc("ip", "bad_version");
        }
        let plen = be16(data, 4) as usize;
        let nh = data[6];
        let end = if plen == 0 {
            data.len() // jumbogram (hop-by-hop option) or offload
        } else if 40 + plen > data.len() {
            self.stats.inc("ip", "truncated_payload");
            data.len()
        } else {
            40 + plen
        };
        let mut s = [0u8; 16];
        let mut d = [0u8; 16];
        s.copy_from_slice(&data[8..24]);
        d.copy_from_slice(&data[24..40]);
        let truncated = end < 40 + plen;
        self.ipv6_chain(c, s, d, nh, &data[40..end], truncated, depth, out)
    }

    /// Walk IPv6 extension headers from `nh`; reassemble at a fragment header.
    #[allow(clippy::too_many_arguments)]
    fn ipv6_chain(
        &mut self,
        c: &Ctx,
        s: [u8; 16],
        d: [u8; 16],
        mut nh: u8,
        data: &[u8],
        truncated: bool,
        depth: u8,
        out: &mut dyn FnMut(Event<'_>),
    ) {
        let (src, dst) = (IpAddr::V6(Ipv6Addr::from(s)), IpAddr::V6(Ipv6Addr::from(d)));
        let mut off = 0;
        loop {
            match nh {
                // hop-by-hop, routing, destination options, mobility, HIP, shim6
                0 | 43 | 60 | 135 | 139 | 140 | 51 => {
                    if data.len() < off + 2 {
                        return self.stats.inc("ip", "truncated_ext_header");
                    }
                    let len = if nh == 51 {
                        (data[off + 1] as usize + 2) * 4
                    } else {
                        (data[off + 1] as usize + 1) * 8
                    };
                    nh = data[off];
                    off += len;
                    if off > data.len() {
                        return self.stats.inc("ip", "truncated_ext_header");
                    }
                }
                44 => {
                    if data.len() < off + 8 {
                        return self.stats.inc("ip", "truncated_ext_header");
                    }
                    let next = data[off];
                    let fo = be16(data, off + 2);
                    let offset = (fo & 0xfff8) as usize;
                    let more = fo & 1 != 0;
                    let id = be32(data, off + 4);
                    off += 8;
                    if offset == 0 && !more {
                        nh = next; // atomic fragment (RFC 6946)
                        continue;
                    }
                    if truncated {
                        return self.stats.inc("ip", "fragment_truncated");
                    }
                    let key = FragKey::V6 { src: s, dst: d, id };
                    if let Some((whole, first_nh)) =
                        self.defrag
                            .add(key, offset, more, next, &data[off..], c, &mut self.stats)
                    {
                        if depth >= MAX_DEPTH {
                            return self.stats.inc("link", "too_many_layers");
                        }
                        self.ipv6_chain(c, s, d, first_nh, &whole, false, depth + 1, out);
                    }
                    return;
                }
                59 => return, // no next header
                50 => return self.stats.inc("ip", "esp_encrypted"),
                _ => break,
            }
        }
        self.ip_payload(c, src, dst, nh, &data[off..], depth, out)
    }

    #[allow(clippy::too_many_arguments)]
    fn ip_payload(
        &mut self,
        c: &Ctx,
        src: IpAddr,
        dst: IpAddr,
        proto: u8,
        p: &[u8],
        depth: u8,
        out: &mut dyn FnMut(Event<'_>),
    ) {
        if depth >= MAX_DEPTH && matches!(proto, 4 | 41 | 47) {
            return self.stats.inc("link", "too_many_layers");
        }
        match proto {
            17 => self.udp(c, src, dst, p, depth, out),
            6 => self.tcp_segment(c, src, dst, p, out),
            132 => self.sctp_packet(c, src, dst, p, out),
            4 => self.ipv4(c, p, depth + 1, out),
            41 => self.ipv6(c, p, depth + 1, out),
            47 => self.gre(c, p, depth, out),
            50 => self.stats.inc("ip", "esp_encrypted"),
            _ => self.stats.inc("ip", "other_protocol"),
        }
    }
}

/// Identifies the fragments of one datagram (RFC 791 §3.2, RFC 8200 §4.5).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub(super) enum FragKey {
    V4 {
        src: [u8; 4],
        dst: [u8; 4],
        proto: u8,
        id: u16,
    },
    V6 {
        src: [u8; 16],
        dst: [u8; 16],
        id: u32,
    },
}

#[derive(Debug)]
struct Pending {
    first: Timestamp,
    /// Arrival order, for evicting the oldest first.
    order: u64,
    data: Vec<u8>,
    /// Byte ranges received, sorted and disjoint.
    have: Vec<(usize, usize)>,
    total: Option<usize>,
    /// Protocol / next header (IPv6: from the fragment with offset 0).
    proto: Option<u8>,
}

/// Pending fragmented datagrams, bounded in bytes and time.
#[derive(Debug)]
pub(super) struct Defrag {
    map: HashMap<FragKey, Pending>,
    bytes: usize,
    max_bytes: usize,
    timeout_ns: i64,
    order: u64,
}

impl Defrag {
    pub(super) fn new(max_bytes: usize, timeout_ms: u64) -> Self {
        Defrag {
            map: HashMap::new(),
            bytes: 0,
            max_bytes,
            timeout_ns: (timeout_ms as i64).saturating_mul(1_000_000),
            order: 0,
        }
    }

    /// Add one fragment; returns the reassembled payload and its protocol when
    /// this fragment completes the datagram. Duplicates are ignored, overlaps
    /// keep the bytes that arrived first (never re-written, so an overlap
    /// cannot change what was already accepted); both are counted.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn add(
        &mut self,
        key: FragKey,
        offset: usize,
        more: bool,
        proto: u8,
        payload: &[u8],
        c: &Ctx,
        stats: &mut Counters,
    ) -> Option<(Vec<u8>, u8)> {
        let end = offset + payload.len();
        if end > MAX_DATAGRAM {
            stats.inc("ip", "fragment_too_large");
            return None;
        }
        if more && payload.len() % 8 != 0 {
            stats.inc("ip", "fragment_bad_length");
            return None;
        }
        if payload.is_empty() && more {
            stats.inc("ip", "fragment_empty");
            return None;
        }
        let order = self.order;
        self.order += 1;
        let p = self.map.entry(key).or_insert_with(|| Pending {
            first: c.ts,
            order,
            data: Vec::new(),
            have: Vec::new(),
            total: None,
            proto: None,
        });
        let inconsistent = if more {
            p.total.is_some_and(|t| end > t)
        } else {
            p.total.is_some_and(|t| t != end) || p.have.last().is_some_and(|&(_, e)| e > end)
        };
        if inconsistent {
            stats.inc("ip", "fragment_inconsistent");
            let p = self.map.remove(&key)?;
            self.bytes -= p.data.len();
            return None;
        }
        if !more {
            p.total = Some(end);
        }
        if offset == 0 {
            p.proto = Some(proto);
        }
        let before = p.data.len();
        if p.data.len() < end {
            p.data.resize(end, 0);
        }
        self.bytes += p.data.len() - before;
        // Copy only the parts not received yet.
        let mut covered = 0;
        let mut gaps = Vec::new();
        let mut pos = offset;
        for &(s, e) in &p.have {
            if e <= pos || s >= end {
                continue;
            }
            if s > pos {
                gaps.push((pos, s));
            }
            covered += e.min(end) - s.max(pos);
            pos = pos.max(e);
        }
        if pos < end {
            gaps.push((pos, end));
        }
        if covered == payload.len() && !payload.is_empty() && p.data[offset..end] == *payload {
            stats.inc("ip", "fragment_duplicate");
        } else if covered > 0 {
            stats.inc("ip", "fragment_overlap");
        }
        for &(s, e) in &gaps {
            p.data[s..e].copy_from_slice(&payload[s - offset..e - offset]);
            p.have.push((s, e));
        }
        if !gaps.is_empty() {
            p.have.sort_unstable();
            let mut merged: Vec<(usize, usize)> = Vec::with_capacity(p.have.len());
            for &(s, e) in &p.have {
                match merged.last_mut() {
                    Some(last) if s <= last.1 => last.1 = last.1.max(e),
                    _ => merged.push((s, e)),
                }
            }
            p.have = merged;
        }
        if let (Some(t), Some(pr)) = (p.total, p.proto) {
            if p.have.len() == 1 && p.have[0] == (0, t) {
                let p = self.map.remove(&key)?;
                self.bytes -= p.data.len();
                return Some((p.data, pr));
            }
        }
        while self.bytes > self.max_bytes {
            let Some(oldest) = self
                .map
                .iter()
                .min_by_key(|(_, p)| p.order)
                .map(|(k, _)| *k)
            else {
                break;
            };
            if let Some(p) = self.map.remove(&oldest) {
                self.bytes -= p.data.len();
                stats.inc("ip", "fragment_evicted");
            }
        }
        None
    }

    /// Drop datagrams whose first fragment is older than the timeout.
    pub(super) fn expire(&mut self, now: Timestamp, stats: &mut Counters) {
        let limit = self.timeout_ns;
        let mut freed = 0;
        self.map.retain(|_, p| {
            let keep = now.0.saturating_sub(p.first.0) <= limit;
            if !keep {
                freed += p.data.len();
                stats.inc("ip", "fragment_timeout");
            }
            keep
        });
        self.bytes -= freed;
    }

    pub(super) fn finish(&mut self, stats: &mut Counters) {
        stats.add("ip", "fragment_incomplete_at_end", self.map.len() as u64);
        self.map.clear();
        self.bytes = 0;
    }

    #[cfg(test)]
    pub(super) fn pending_bytes(&self) -> usize {
        self.bytes
    }
}
