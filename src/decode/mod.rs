//! Frames to SIP messages: link layers, tunnels, IP (with defragmentation),
//! UDP, TCP (with stream reassembly and SIP framing), WebSocket, SCTP.
//! No I/O; all timers run on frame timestamps.

mod hep;
mod ip;
mod link;
mod sctp;
mod sipstart;
mod tcp;
mod tunnel;
mod udp;
mod ws;

pub use sipstart::{looks_like_sip, Start};

use crate::config::DecodeConfig;
use crate::stats::Counters;
use crate::time::Timestamp;
use std::fmt;
use std::net::SocketAddr;

/// Transport a SIP message arrived on.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Transport {
    Udp,
    Tcp,
    Sctp,
    /// SIP over WebSocket (RFC 7118), on TCP.
    Ws,
    /// TLS: only seen by the proxy, never decoded passively.
    Tls,
}

impl Transport {
    /// Lowercase name, also the metric label.
    pub const fn as_str(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
            Transport::Sctp => "sctp",
            Transport::Ws => "ws",
            Transport::Tls => "tls",
        }
    }

    /// Stream transports carry several messages per read and need framing.
    pub const fn is_stream(self) -> bool {
        matches!(self, Transport::Tcp | Transport::Tls)
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One SIP message as it crossed the wire.
///
/// For UDP, SCTP and WebSocket `payload` is the whole datagram/chunk/frame
/// payload; for TCP it is exactly one framed message.
#[derive(Copy, Clone, Debug)]
pub struct SipPacket<'a> {
    pub ts: Timestamp,
    /// Frame number that completed this message (last fragment or segment).
    pub frame: u64,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub transport: Transport,
    pub payload: &'a [u8],
}

/// A UDP datagram that is not SIP (RTP/RTCP candidates for media tracking).
#[derive(Copy, Clone, Debug)]
pub struct Datagram<'a> {
    pub ts: Timestamp,
    pub frame: u64,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub payload: &'a [u8],
}

/// What the decoder hands on.
#[derive(Copy, Clone, Debug)]
pub enum Event<'a> {
    Sip(SipPacket<'a>),
    Udp(Datagram<'a>),
}

/// Encapsulations (VLAN tags, tunnels, MPLS labels) followed at most per frame;
/// deeper nesting is counted as `("link", "too_many_layers")`, which also bounds
/// recursion on hostile input.
const MAX_DEPTH: u8 = 12;

/// Capture time between two sweeps of the fragment and TCP flow tables.
const SWEEP_EVERY_NS: i64 = 1_000_000_000;

/// Where and when the frame being decoded was captured.
#[derive(Copy, Clone, Debug)]
struct Ctx {
    ts: Timestamp,
    frame: u64,
}

/// Turns link-layer frames into SIP messages and media candidates.
///
/// Holds the state that spans frames (IP fragments, TCP streams, SCTP
/// fragments); every timer runs on frame timestamps, so a replay is
/// deterministic. Anything that cannot be decoded is counted in [`stats`](Self::stats).
#[derive(Debug)]
pub struct Decoder {
    stats: Counters,
    defrag: ip::Defrag,
    tcp: tcp::Tcp,
    sctp: sctp::Sctp,
    unknown_linktypes: Vec<u32>,
    last_sweep: Option<Timestamp>,
    /// SCTP user messages expire like IP fragments.
    fragment_timeout_ns: i64,
}

impl Decoder {
    pub fn new(cfg: &DecodeConfig) -> Self {
        Decoder {
            stats: Counters::new(),
            defrag: ip::Defrag::new(cfg.max_fragment_bytes, cfg.fragment_timeout_ms),
            tcp: tcp::Tcp::new(cfg),
            sctp: sctp::Sctp::default(),
            unknown_linktypes: Vec::new(),
            last_sweep: None,
            fragment_timeout_ns: (cfg.fragment_timeout_ms as i64).saturating_mul(1_000_000),
        }
    }

    /// Decode one frame; every SIP message it completes and every non-SIP UDP
    /// datagram is handed to `out` before this returns.
    pub fn decode(&mut self, frame: &crate::capture::Frame<'_>, out: &mut dyn FnMut(Event<'_>)) {
        let c = Ctx {
            ts: frame.ts,
            frame: frame.number,
        };
        self.sweep(c.ts, out);
        if frame.linktype == link::linktype::ETHERNET {
            if let Some((src, dst, payload)) = plain_udp4(frame.data) {
                return out(Event::Udp(Datagram {
                    ts: c.ts,
                    frame: c.frame,
                    src,
                    dst,
                    payload,
                }));
            }
        }
        self.link(&c, frame.linktype, frame.data, out);
    }

    /// [`decode`](Self::decode) without the fast path (tests compare the two).
    #[cfg(test)]
    pub(crate) fn decode_general(
        &mut self,
        frame: &crate::capture::Frame<'_>,
        out: &mut dyn FnMut(Event<'_>),
    ) {
        let c = Ctx {
            ts: frame.ts,
            frame: frame.number,
        };
        self.sweep(c.ts, out);
        self.link(&c, frame.linktype, frame.data, out);
    }

    /// End of input: messages still waiting behind a TCP hole are decoded
    /// (the hole counted as a gap), everything still incomplete is counted.
    pub fn finish(&mut self, out: &mut dyn FnMut(Event<'_>)) {
        self.defrag.finish(&mut self.stats);
        self.tcp.finish(&mut self.stats, out);
        self.sctp.finish(&mut self.stats);
    }

    /// Problems seen so far, by layer and reason.
    pub fn stats(&self) -> &Counters {
        &self.stats
    }

    /// Link types met that this decoder does not know (each reported once).
    pub fn unknown_linktypes(&self) -> &[u32] {
        &self.unknown_linktypes
    }

    /// Expire fragments and idle TCP flows at most once per second of capture
    /// time (a full table scan each frame would cost more than decoding).
    fn sweep(&mut self, now: Timestamp, out: &mut dyn FnMut(Event<'_>)) {
        match self.last_sweep {
            // A clock step backwards also sweeps (and restarts the interval).
            Some(t) if now.0 >= t.0 && now.0 - t.0 < SWEEP_EVERY_NS => {}
            _ => {
                self.last_sweep = Some(now);
                self.defrag.expire(now, &mut self.stats);
                self.tcp.expire(now, &mut self.stats, out);
                self.sctp
                    .expire(now, self.fragment_timeout_ns, &mut self.stats);
            }
        }
    }
}

/// The frame most traffic is (RTP on a trunk): untagged Ethernet, IPv4
/// without options or fragmentation, UDP with consistent lengths, not a
/// tunnel or HEP port, a payload that cannot start a SIP line. Returns its
/// addresses and payload, which is exactly what the general path yields for
/// it (an RTP candidate, nothing counted); anything else returns None and
/// takes the general path.
#[inline]
fn plain_udp4(data: &[u8]) -> Option<(SocketAddr, SocketAddr, &[u8])> {
    let ip = data.get(14..)?;
    if be16(data, 12) != link::ethertype::IPV4 || ip.len() < 20 || ip[0] != 0x45 || ip[9] != 17 {
        return None;
    }
    let total = be16(ip, 2) as usize;
    // No fragment offset, no more-fragments flag (DF may be set).
    if total < 28 || total > ip.len() || be16(ip, 6) & 0x3fff != 0 {
        return None;
    }
    let udp = &ip[20..total];
    let ulen = be16(udp, 4) as usize;
    if ulen < 9 || ulen > udp.len() {
        return None;
    }
    let (sport, dport) = (be16(udp, 0), be16(udp, 2));
    let payload = &udp[8..ulen];
    let first = payload[0];
    if [sport, dport]
        .iter()
        .any(|p| *p == tunnel::GTPU_PORT || *p == tunnel::VXLAN_PORT)
        || first == b'\r'
        || first == b'\n'
        || crate::sip::is_token(first)
    {
        return None;
    }
    let src = std::net::Ipv4Addr::new(ip[12], ip[13], ip[14], ip[15]);
    let dst = std::net::Ipv4Addr::new(ip[16], ip[17], ip[18], ip[19]);
    Some((
        SocketAddr::new(src.into(), sport),
        SocketAddr::new(dst.into(), dport),
        payload,
    ))
}

#[inline]
fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

#[inline]
fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

#[cfg(test)]
mod tests;
