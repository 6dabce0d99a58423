//! RTP counted per call and direction, matched by the addresses the SDP
//! offer/answer announced (RTP is sent to the announced address).

use super::record::CallMedia;
use crate::decode::Datagram;
use crate::outcome::MediaLeg;
use crate::sip::{self, Message};
use crate::time::Timestamp;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

/// Whose SDP announced an endpoint.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Side {
    Caller,
    Callee,
}

/// The audio endpoint of an SDP body: the first audio stream with a port.
pub fn sdp_endpoint(msg: &Message<'_>) -> Option<SocketAddr> {
    let ct = msg.content_type()?;
    if !ct
        .to_ascii_lowercase()
        .windows(15)
        .any(|w| w == b"application/sdp")
    {
        return None;
    }
    let sdp = sip::sdp::parse(msg.body()).ok()?;
    let m = sdp.media().find(|m| m.kind == b"audio" && m.port != 0)?;
    let addr = m.connection.or(sdp.connection())?;
    let ip: IpAddr = std::str::from_utf8(addr).ok()?.trim().parse().ok()?;
    if ip.is_unspecified() {
        return None;
    }
    Some(SocketAddr::new(ip, m.port))
}

#[derive(Clone, Debug, Default)]
struct Leg {
    packets: u64,
    bytes: u64,
    silent: u64,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    base_seq: u32,
    max_seq: u32,
    started: bool,
}

impl Leg {
    fn to_leg(&self) -> MediaLeg {
        let expected = if self.started {
            (self.max_seq - self.base_seq) as u64 + 1
        } else {
            0
        };
        MediaLeg {
            packets: self.packets,
            bytes: self.bytes,
            lost: expected.saturating_sub(self.packets),
            silent_share: if self.packets == 0 {
                None
            } else {
                Some((self.silent as f64 / self.packets as f64 * 1000.0).round() / 1000.0)
            },
            first_at: self.first.map(|t| t.to_rfc3339()),
            last_at: self.last.map(|t| t.to_rfc3339()),
            ..MediaLeg::default()
        }
    }
}

/// Media state of one call.
#[derive(Clone, Debug, Default)]
pub struct CallMediaState {
    caller_ep: Option<SocketAddr>,
    callee_ep: Option<SocketAddr>,
    caller_to_callee: Leg,
    callee_to_caller: Leg,
}

impl CallMediaState {
    /// Record an endpoint; returns the one it replaces when it changed
    /// (`Some(None)` for a first endpoint), `None` when unchanged.
    pub fn set_endpoint(&mut self, side: Side, ep: SocketAddr) -> Option<Option<SocketAddr>> {
        let slot = match side {
            Side::Caller => &mut self.caller_ep,
            Side::Callee => &mut self.callee_ep,
        };
        if *slot == Some(ep) {
            return None;
        }
        Some(slot.replace(ep))
    }

    pub fn endpoints(&self) -> impl Iterator<Item = SocketAddr> + '_ {
        self.caller_ep.iter().chain(self.callee_ep.iter()).copied()
    }

    /// Count an RTP packet sent to `side`'s endpoint.
    pub fn count(&mut self, side: Side, d: &Datagram<'_>) {
        let p = d.payload;
        // RTP v2, not RTCP (payload types 200-204 read as 72-76 with the marker bit).
        if p.len() < 12 || p[0] >> 6 != 2 || (72..=76).contains(&(p[1] & 0x7f)) {
            return;
        }
        let leg = match side {
            Side::Caller => &mut self.callee_to_caller,
            Side::Callee => &mut self.caller_to_callee,
        };
        let pt = p[1] & 0x7f;
        let seq = u16::from_be_bytes([p[2], p[3]]) as u32;
        let cc = (p[0] & 0x0f) as usize;
        let payload = p.get(12 + 4 * cc..).unwrap_or(&[]);
        leg.packets += 1;
        leg.bytes += p.len() as u64;
        leg.first.get_or_insert(d.ts);
        leg.last = Some(d.ts);
        // Extended sequence number (RFC 3550 A.1, simplified: forward wraps).
        if !leg.started {
            leg.started = true;
            leg.base_seq = seq;
            leg.max_seq = seq;
        } else {
            let cur = leg.max_seq & 0xffff;
            let delta = (seq as i32 - cur as i32).rem_euclid(65536);
            if delta > 0 && delta < 32768 {
                leg.max_seq += delta as u32;
            }
        }
        if is_silent(pt, payload) {
            leg.silent += 1;
        }
    }

    pub fn to_record(&self) -> CallMedia {
        CallMedia {
            known: self.caller_ep.is_some() && self.callee_ep.is_some(),
            caller_to_callee: self.caller_to_callee.to_leg(),
            callee_to_caller: self.callee_to_caller.to_leg(),
        }
    }
}

/// Comfort noise, tiny (DTX) frames, or G.711 audio below about -50 dBFS.
fn is_silent(pt: u8, payload: &[u8]) -> bool {
    match pt {
        13 => true,
        0 | 8 if !payload.is_empty() => {
            let sum: u64 = payload
                .iter()
                .map(|&b| {
                    if pt == 0 {
                        ulaw(b).unsigned_abs() as u64
                    } else {
                        alaw(b).unsigned_abs() as u64
                    }
                })
                .sum();
            sum / (payload.len() as u64) < 100
        }
        _ => payload.len() <= 3,
    }
}

fn ulaw(b: u8) -> i16 {
    let u = !b;
    let t = ((((u & 0x0f) as i16) << 3) + 0x84) << ((u & 0x70) >> 4);
    if u & 0x80 != 0 {
        0x84 - t
    } else {
        t - 0x84
    }
}

fn alaw(b: u8) -> i16 {
    let a = b ^ 0x55;
    let seg = (a & 0x70) >> 4;
    let mut t = ((a & 0x0f) as i16) << 4;
    t = match seg {
        0 => t + 8,
        1 => t + 0x108,
        _ => (t + 0x108) << (seg - 1),
    };
    if a & 0x80 != 0 {
        t
    } else {
        -t
    }
}

/// Announced endpoint → (call, side).
#[derive(Debug, Default)]
pub struct MediaIndex {
    map: HashMap<SocketAddr, (u64, Side)>,
    /// Any RTP-looking datagram seen at all: without it the capture simply
    /// has no media and no call's media is judged.
    pub rtp_seen: bool,
}

impl MediaIndex {
    pub fn insert(&mut self, ep: SocketAddr, seq: u64, side: Side) {
        self.map.insert(ep, (seq, side));
    }

    pub fn remove(&mut self, ep: &SocketAddr, seq: u64) {
        if self.map.get(ep).is_some_and(|(s, _)| *s == seq) {
            self.map.remove(ep);
        }
    }

    pub fn remove_call(&mut self, m: Option<&CallMediaState>, seq: u64) {
        if let Some(m) = m {
            for ep in m.endpoints() {
                self.remove(&ep, seq);
            }
        }
    }

    pub fn lookup(&self, dst: &SocketAddr) -> Option<(u64, Side)> {
        self.map.get(dst).copied()
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g711_silence_and_speech() {
        // 0xff (µ-law) and 0xd5 (A-law) encode zero.
        assert_eq!(ulaw(0xff), 0);
        assert_eq!(alaw(0xd5), 8);
        assert!(is_silent(0, &[0xff; 160]));
        assert!(is_silent(8, &[0xd5; 160]));
        assert!(!is_silent(0, &[0x10; 160]));
        assert!(is_silent(13, &[0x40]));
    }
}
