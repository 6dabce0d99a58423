//! Frames to SIP messages: link layers, tunnels, IP (with defragmentation),
//! UDP, TCP (with stream reassembly and SIP framing), WebSocket, SCTP.
//! No I/O; all timers run on frame timestamps.

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
