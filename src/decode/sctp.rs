//! SCTP (RFC 9260): SIP in DATA chunks (and I-DATA, RFC 8260), bundled
//! chunks, and user messages fragmented over several chunks (B/E flags).

use super::{be16, be32, sipstart, Ctx, Decoder, Event, SipPacket, Transport};
use crate::stats::Counters;
use crate::time::Timestamp;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

/// Bytes held for fragmented SCTP user messages over all associations.
const MAX_PENDING: usize = 16 << 20;

#[derive(Debug)]
struct Frag {
    next_tsn: u32,
    data: Vec<u8>,
    first: Timestamp,
}

/// Fragmented user messages being reassembled, by (src, dst, stream, SSN/MID).
#[derive(Debug, Default)]
pub(super) struct Sctp {
    frags: HashMap<(SocketAddr, SocketAddr, u16, u32), Frag>,
    bytes: usize,
}

impl Sctp {
    /// Drop user messages whose first fragment is older than `timeout_ns`.
    pub(super) fn expire(&mut self, now: Timestamp, timeout_ns: i64, stats: &mut Counters) {
        let mut freed = 0;
        self.frags.retain(|_, f| {
            let keep = now.0.saturating_sub(f.first.0) <= timeout_ns;
            if !keep {
                freed += f.data.len();
                stats.inc("sctp", "fragment_timeout");
            }
            keep
        });
        self.bytes -= freed;
    }

    pub(super) fn finish(&mut self, stats: &mut Counters) {
        stats.add(
            "sctp",
            "fragment_incomplete_at_end",
            self.frags.len() as u64,
        );
        self.frags.clear();
        self.bytes = 0;
    }

    /// Returns the whole user message once its last fragment arrived.
    fn fragment(
        &mut self,
        key: (SocketAddr, SocketAddr, u16, u32),
        flags: u8,
        tsn: u32,
        user: &[u8],
        now: Timestamp,
        stats: &mut Counters,
    ) -> Option<Vec<u8>> {
        if flags & 0x02 != 0 {
            if let Some(old) = self.frags.remove(&key) {
                self.bytes -= old.data.len();
                stats.inc("sctp", "fragment_incomplete");
            }
            self.bytes += user.len();
            self.frags.insert(
                key,
                Frag {
                    next_tsn: tsn.wrapping_add(1),
                    data: user.to_vec(),
                    first: now,
                },
            );
        } else {
            let Some(f) = self.frags.get_mut(&key) else {
                stats.inc("sctp", "fragment_without_first");
                return None;
            };
            if f.next_tsn != tsn {
                if tsn.wrapping_sub(f.next_tsn) as i32 >= 0 {
                    stats.inc("sctp", "fragment_missing");
                    let f = self.frags.remove(&key)?;
                    self.bytes -= f.data.len();
                } else {
                    stats.inc("sctp", "fragment_duplicate");
                }
                return None;
            }
            f.next_tsn = tsn.wrapping_add(1);
            f.data.extend_from_slice(user);
            self.bytes += user.len();
            if flags & 0x01 != 0 {
                let f = self.frags.remove(&key)?;
                self.bytes -= f.data.len();
                return Some(f.data);
            }
        }
        if self.bytes > MAX_PENDING {
            stats.add("sctp", "fragment_evicted", self.frags.len() as u64);
            self.frags.clear();
            self.bytes = 0;
        }
        None
    }
}

impl Decoder {
    pub(super) fn sctp_packet(
        &mut self,
        c: &Ctx,
        src: IpAddr,
        dst: IpAddr,
        p: &[u8],
        out: &mut dyn FnMut(Event<'_>),
    ) {
        if p.len() < 12 {
            return self.stats.inc("sctp", "truncated");
        }
        let src = SocketAddr::new(src, be16(p, 0));
        let dst = SocketAddr::new(dst, be16(p, 2));
        let mut off = 12;
        while off + 4 <= p.len() {
            let ty = p[off];
            let flags = p[off + 1];
            let clen = be16(p, off + 2) as usize;
            if clen < 4 || off + clen > p.len() {
                self.stats.inc("sctp", "bad_chunk_length");
                break;
            }
            let chunk = &p[off..off + clen];
            // DATA: TSN, stream, SSN, PPID (16-byte header). I-DATA: TSN,
            // stream, reserved, MID, PPID/FSN (20 bytes).
            let parsed = match ty {
                0 if clen >= 16 => Some((
                    be32(chunk, 4),
                    be16(chunk, 8),
                    be16(chunk, 10) as u32,
                    &chunk[16..],
                )),
                64 if clen >= 20 => Some((
                    be32(chunk, 4),
                    be16(chunk, 8),
                    be32(chunk, 12),
                    &chunk[20..],
                )),
                0 | 64 => {
                    self.stats.inc("sctp", "bad_chunk_length");
                    None
                }
                _ => None,
            };
            if let Some((tsn, stream, ssn, user)) = parsed {
                if flags & 0x03 == 0x03 {
                    emit(c, src, dst, user, out);
                } else if let Some(whole) = self.sctp.fragment(
                    (src, dst, stream, ssn),
                    flags,
                    tsn,
                    user,
                    c.ts,
                    &mut self.stats,
                ) {
                    emit(c, src, dst, &whole, out);
                }
            }
            off += (clen + 3) & !3;
        }
    }
}

fn emit(c: &Ctx, src: SocketAddr, dst: SocketAddr, user: &[u8], out: &mut dyn FnMut(Event<'_>)) {
    if sipstart::looks_like_sip(user) {
        out(Event::Sip(SipPacket {
            ts: c.ts,
            frame: c.frame,
            src,
            dst,
            transport: Transport::Sctp,
            payload: user,
        }));
    }
}
