//! Media tracking: which RTP belongs to which call and direction, and the
//! "connects but silence" anomalies Butter documents (`no_media`,
//! `one_way_media`, `silent_media`).
//!
//! Endpoints are learned from SDP offers and answers (RFC 3264) in any
//! INVITE/ACK/PRACK/UPDATE request or 18x/2xx response. The party that sent
//! an SDP receives media at its `c=`/`m=` address, so a packet sent *to* the
//! callee's address flows caller → callee; a packet *from* it (symmetric RTP,
//! RFC 4961) flows callee → caller. RTCP is on port + 1, `a=rtcp:` or muxed.
//!
//! Memory is bounded by `max_streams` (calls + endpoints + RTP streams held);
//! beyond it the oldest call's media state is dropped and counted. RTP to
//! addresses no SDP announced is counted, never stored. Nothing here reads a
//! clock or iterates a hash map into output, so replays are deterministic.

pub mod g711;
pub mod rtp;
pub mod sdp;
mod sip_glue;

use crate::config::MediaConfig;
use crate::outcome::{Anomaly, Direction, Media, MediaLeg, MediaStream, Outcome};
use crate::stats::Counters;
use crate::time::{parse_time, Timestamp};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;

const LAYER: &str = "media";

/// A direction's silence share is judged only over at least this many G.711
/// or CN packets (one second at the usual 20 ms packetisation).
pub const MIN_SILENCE_PACKETS: u64 = 50;
/// RTP streams (SSRC + addresses) kept per call direction; more are counted
/// in the leg totals without per-stream loss.
pub const MAX_STREAMS_PER_LEG: usize = 8;
/// How long (capture time) the addresses of a call whose outcome was emitted
/// are remembered, so RTP still arriving after the BYE is counted as such
/// (`rtp_after_call_end`) rather than as an unknown stream.
pub const ENDED_KEEP_MS: i64 = 32_000;
/// Media endpoints remembered per call.
const MAX_ENDPOINTS_PER_CALL: usize = 16;

/// Index 0: caller → callee; 1: callee → caller.
const CALLER_TO_CALLEE: usize = 0;
const CALLEE_TO_CALLER: usize = 1;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Party {
    Caller = 0,
    Callee = 1,
}

impl Party {
    /// Direction index of media this party sends.
    fn sends(self) -> usize {
        match self {
            Party::Caller => CALLER_TO_CALLEE,
            Party::Callee => CALLEE_TO_CALLER,
        }
    }
    /// Direction index of media this party receives.
    fn receives(self) -> usize {
        1 - self.sends()
    }
}

/// What media tracking reads from one UDP payload, computed from its bytes
/// alone (no tracker state), so a replay's decoding thread can do it and
/// hand over a few bytes instead of the payload (see `crate::replay`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    kind: rtp::Kind,
    /// For RTP: whether the audio is silent read as G.711 u-law and as
    /// A-law (the call's SDP says which applies, if either).
    silent: [bool; 2],
    /// Payload bytes (a UDP payload: at most 64 KiB).
    len: u32,
}

impl Probe {
    /// Classify a UDP payload (RFC 7983) and, for RTP, judge its silence
    /// under both G.711 laws.
    pub fn of(payload: &[u8]) -> Probe {
        let kind = rtp::classify(payload);
        let silent = match kind {
            rtp::Kind::Rtp(r) => g711::silent_mu_a(r.payload(payload)),
            _ => [false; 2],
        };
        Probe {
            kind,
            silent,
            len: u32::try_from(payload.len()).unwrap_or(u32::MAX),
        }
    }
}

/// A hash map keyed by transport address, looked up for every UDP datagram.
/// IPv4 addresses (nearly all trunk media) are packed into one `u64`, so an
/// entry is small and a lookup touches one cache line; IPv6 keys stay whole.
#[derive(Debug)]
struct AddrMap<V> {
    v4: HashMap<u64, V, foldhash::fast::RandomState>,
    v6: HashMap<SocketAddr, V, foldhash::fast::RandomState>,
}

impl<V> Default for AddrMap<V> {
    fn default() -> Self {
        AddrMap {
            v4: HashMap::default(),
            v6: HashMap::default(),
        }
    }
}

#[inline]
fn v4_key(a: &std::net::SocketAddrV4) -> u64 {
    (u64::from(a.ip().to_bits()) << 16) | u64::from(a.port())
}

impl<V> AddrMap<V> {
    #[inline]
    fn get(&self, a: &SocketAddr) -> Option<&V> {
        match a {
            SocketAddr::V4(a) => self.v4.get(&v4_key(a)),
            SocketAddr::V6(_) => self.v6.get(a),
        }
    }

    fn contains_key(&self, a: &SocketAddr) -> bool {
        self.get(a).is_some()
    }

    fn insert(&mut self, a: SocketAddr, v: V) -> Option<V> {
        match a {
            SocketAddr::V4(a) => self.v4.insert(v4_key(&a), v),
            SocketAddr::V6(_) => self.v6.insert(a, v),
        }
    }

    fn remove(&mut self, a: &SocketAddr) -> Option<V> {
        match a {
            SocketAddr::V4(a) => self.v4.remove(&v4_key(a)),
            SocketAddr::V6(_) => self.v6.remove(a),
        }
    }

    fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Where a media address leads: the call, the party that announced it (and
/// so receives there) and whether it is the RTCP port.
/// A held call: its creation sequence number (unique, never reused: decides
/// eviction order) and its slot in [`MediaTracker::slots`] (reused after removal).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct CallRef {
    seq: u64,
    slot: u32,
}

#[derive(Copy, Clone, Debug)]
struct Binding {
    call: CallRef,
    party: Party,
    rtcp: bool,
    /// The SDP stream is RTP (a T.38 `udptl` stream is not).
    rtp: bool,
}

#[derive(Clone, Debug)]
struct Stream {
    src: SocketAddr,
    dst: SocketAddr,
    ssrc: u32,
    payload_type: u8,
    packets: u64,
    seq: rtp::SeqTracker,
}

/// A leg's streams in order of first packet. Nearly every leg carries one
/// stream: it is held inline, next to the leg's counters, so its packets touch
/// no separately allocated memory; further streams go to a vector.
#[derive(Clone, Debug, Default)]
struct Streams {
    first: Option<Stream>,
    rest: Vec<Stream>,
}

impl Streams {
    fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.rest.len()
    }

    fn iter(&self) -> impl Iterator<Item = &Stream> {
        self.first.iter().chain(self.rest.iter())
    }

    fn get(&self, i: usize) -> Option<&Stream> {
        match i {
            0 => self.first.as_ref(),
            _ => self.rest.get(i - 1),
        }
    }

    fn get_mut(&mut self, i: usize) -> Option<&mut Stream> {
        match i {
            0 => self.first.as_mut(),
            _ => self.rest.get_mut(i - 1),
        }
    }

    fn push(&mut self, s: Stream) {
        match self.first {
            None => self.first = Some(s),
            Some(_) => self.rest.push(s),
        }
    }
}

#[derive(Clone, Debug, Default)]
struct Leg {
    packets: u64,
    bytes: u64,
    rtcp_packets: u64,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    /// First RTP packet at or after the answer (as seen by this tracker).
    first_after_answer: Option<Timestamp>,
    /// Packets whose silence could be judged (G.711 or CN) and how many were silent.
    judged: u64,
    silent: u64,
    /// Payload types seen (bit per type).
    pts: u128,
    streams: Streams,
    /// Index in `streams` of the stream the last packet belonged to: checked
    /// first, so a leg carrying several streams is rarely scanned.
    last_stream: usize,
    /// Packets of streams beyond [`MAX_STREAMS_PER_LEG`].
    untracked_streams: u64,
    /// The codec of the payload type this leg carried last (a stream keeps
    /// one payload type for long stretches): saves the call's codec list.
    /// Cleared when the call's codecs change.
    codec_cache: Option<(u8, Option<sdp::Codec>)>,
}

#[derive(Clone, Debug)]
struct CallMedia {
    /// Creation sequence number (see [`CallRef`]).
    seq: u64,
    call_id: Box<[u8]>,
    caller_tag: Option<Box<[u8]>>,
    caller_sig: Option<SocketAddr>,
    answered: Option<Timestamp>,
    sdp_seen: bool,
    /// Addresses this call announced (bindings may since belong to a newer call).
    endpoints: Vec<SocketAddr>,
    codecs: Vec<(u8, sdp::Codec)>,
    legs: [Leg; 2],
    /// Another live call took over one of its media addresses.
    shared: bool,
    bye_seen: bool,
    /// By [`Party`]: whether its latest SDP lets it send / receive any stream.
    will_send: [bool; 2],
    will_receive: [bool; 2],
    /// Streams held in `legs` (for the global bound).
    streams: usize,
}

impl CallMedia {
    /// Direction `d` should not flow: its sender said it will not send, or
    /// its receiver that it will not receive (hold, recvonly, port 0...).
    fn held(&self, d: usize) -> bool {
        let (sender, receiver) = if d == CALLER_TO_CALLEE {
            (0, 1)
        } else {
            (1, 0)
        };
        !self.will_send[sender] || !self.will_receive[receiver]
    }

    /// [`codec`](Self::codec) through direction `d`'s one-entry cache.
    #[inline]
    fn leg_codec(&mut self, d: usize, pt: u8) -> Option<sdp::Codec> {
        match self.legs[d].codec_cache {
            Some((p, c)) if p == pt => c,
            _ => {
                let c = self.codec(pt);
                self.legs[d].codec_cache = Some((pt, c));
                c
            }
        }
    }

    fn codec(&self, pt: u8) -> Option<sdp::Codec> {
        self.codecs
            .iter()
            .find(|(p, _)| *p == pt)
            .map(|(_, c)| *c)
            .or_else(|| sdp::static_codec(pt))
    }
}

/// What media tracking needs from one SIP message; [`MediaTracker::on_sip`]
/// fills it from a parsed message, tests and other sources can build it directly.
#[derive(Copy, Clone, Debug)]
pub struct Signal<'a> {
    pub ts: Timestamp,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub call_id: &'a [u8],
    /// `Some(is_invite)` for requests, `None` for responses.
    pub request_invite: Option<bool>,
    pub status: Option<u16>,
    /// The CSeq method is one whose messages may carry an offer or answer
    /// (INVITE, ACK, PRACK, UPDATE).
    pub offer_answer_method: bool,
    pub cseq_invite: bool,
    /// The message is a BYE request (the call's media is over).
    pub bye: bool,
    pub from_tag: Option<&'a [u8]>,
    pub to_tag: Option<&'a [u8]>,
    /// The SDP body (already extracted from multipart), if any.
    pub sdp: Option<&'a [u8]>,
}

/// Per-call RTP accounting and "connects but silence" detection.
#[derive(Debug)]
pub struct MediaTracker {
    no_media_ms: u64,
    silence_share: f64,
    max_units: usize,
    /// Call state in a slab: an address binding names its call's slot, so a
    /// packet of a known call costs one hash lookup (its address) and an index.
    /// Freed slots are reused (LIFO), so the slab never outgrows the most
    /// calls held at once.
    slots: Vec<Option<CallMedia>>,
    free_slots: Vec<u32>,
    /// Creation sequence → slot: eviction takes the oldest, snapshots list
    /// calls in order of first sight (never in slab or hash order).
    order: BTreeMap<u64, u32>,
    by_call_id: HashMap<Box<[u8]>, CallRef, foldhash::fast::RandomState>,
    /// Looked up for every UDP datagram: foldhash (seeded per process) instead of SipHash.
    index: AddrMap<Binding>,
    next_id: u64,
    stream_units: usize,
    /// Addresses of calls already reported, with when (bounded by `max_streams`
    /// and [`ENDED_KEEP_MS`]).
    ended: AddrMap<Timestamp>,
    ended_order: VecDeque<(Timestamp, SocketAddr)>,
    /// Some RTP or RTCP datagram (any stream) was in the input: without one
    /// the capture holds signalling only and missing media means nothing.
    rtp_seen: bool,
    last_ts: Timestamp,
    stats: Counters,
}

impl MediaTracker {
    pub fn new(cfg: &MediaConfig) -> Self {
        MediaTracker {
            no_media_ms: cfg.no_media_ms,
            silence_share: cfg.silence_share,
            max_units: cfg.max_streams.max(1),
            slots: Vec::new(),
            free_slots: Vec::new(),
            order: BTreeMap::new(),
            by_call_id: HashMap::default(),
            index: AddrMap::default(),
            next_id: 0,
            stream_units: 0,
            ended: AddrMap::default(),
            ended_order: VecDeque::new(),
            rtp_seen: false,
            last_ts: Timestamp(i64::MIN),
            stats: Counters::new(),
        }
    }

    /// Problems and drops, layer `media`.
    pub fn stats(&self) -> &Counters {
        &self.stats
    }

    /// Calls whose media state is held.
    pub fn calls(&self) -> usize {
        self.order.len()
    }

    fn call(&self, c: CallRef) -> Option<&CallMedia> {
        call_in(&self.slots, c)
    }

    fn call_mut(&mut self, c: CallRef) -> Option<&mut CallMedia> {
        call_in_mut(&mut self.slots, c)
    }

    /// Media of every call still held, in order of first sight, without
    /// forgetting anything (for tests, debugging and the end-of-run summary).
    pub fn snapshot(&self) -> Vec<(String, Vec<MediaStream>, [MediaLeg; 2])> {
        self.order
            .values()
            .filter_map(|&slot| self.slots.get(slot as usize)?.as_ref())
            .map(|st| {
                let legs = [leg_out(st, 0), leg_out(st, 1)];
                let streams = legs.iter().flat_map(|l| l.streams.clone()).collect();
                (
                    String::from_utf8_lossy(&st.call_id).into_owned(),
                    streams,
                    legs,
                )
            })
            .collect()
    }

    fn units(&self) -> usize {
        self.order.len() + self.index.len() + self.stream_units
    }

    /// Drop the oldest calls (never the one with sequence `keep`) until one more unit fits.
    fn make_room(&mut self, keep: u64) -> bool {
        while self.units() >= self.max_units {
            let victim = self
                .order
                .iter()
                .find(|(&seq, _)| seq != keep)
                .map(|(&seq, &slot)| CallRef { seq, slot });
            let Some(victim) = victim else {
                return false;
            };
            let units_before = self.units();
            self.remove_call(victim);
            self.stats.add(
                LAYER,
                "streams_evicted",
                (units_before - self.units()) as u64,
            );
            self.stats.inc(LAYER, "calls_evicted");
        }
        true
    }

    fn remove_call(&mut self, id: CallRef) -> Option<CallMedia> {
        call_in(&self.slots, id)?;
        let st = self.slots[id.slot as usize].take()?;
        self.free_slots.push(id.slot);
        self.order.remove(&id.seq);
        for ep in &st.endpoints {
            if self.index.get(ep).is_some_and(|b| b.call == id) {
                self.index.remove(ep);
            }
        }
        self.stream_units -= st.streams;
        self.by_call_id.remove(&st.call_id);
        Some(st)
    }

    fn note_time(&mut self, ts: Timestamp) {
        if ts > self.last_ts {
            self.last_ts = ts;
            let horizon = ts.plus_millis(-ENDED_KEEP_MS);
            while self.ended_order.front().is_some_and(|(t, _)| *t < horizon) {
                self.pop_ended();
            }
        }
    }

    fn pop_ended(&mut self) {
        if let Some((t, a)) = self.ended_order.pop_front() {
            if self.ended.get(&a) == Some(&t) {
                self.ended.remove(&a);
            }
        }
    }

    /// Remember a reported call's addresses for a while.
    fn remember_ended(&mut self, addrs: &[SocketAddr]) {
        for &a in addrs {
            while self.ended_order.len() >= self.max_units {
                self.pop_ended();
            }
            self.ended.insert(a, self.last_ts);
            self.ended_order.push_back((self.last_ts, a));
        }
    }

    /// The transport-independent part of [`on_sip`](Self::on_sip).
    pub fn on_signal(&mut self, s: &Signal<'_>) {
        self.note_time(s.ts);
        let initial_invite = s.request_invite == Some(true) && s.to_tag.is_none();
        // SDP in a final failure response or outside offer/answer methods
        // (e.g. OPTIONS capabilities) describes no media session.
        let sdp = s
            .sdp
            .filter(|_| s.offer_answer_method && s.status.is_none_or(|c| c < 300));
        let id = match self.by_call_id.get(s.call_id) {
            Some(&id) => id,
            None => {
                if !initial_invite && sdp.is_none() {
                    return;
                }
                if !self.make_room(u64::MAX) {
                    self.stats.inc(LAYER, "call_limit");
                    return;
                }
                let seq = self.next_id;
                self.next_id += 1;
                let slot = match self.free_slots.pop() {
                    Some(slot) => slot,
                    None => {
                        self.slots.push(None);
                        (self.slots.len() - 1) as u32
                    }
                };
                let id = CallRef { seq, slot };
                self.order.insert(seq, slot);
                self.slots[slot as usize] = Some(CallMedia {
                    seq,
                    call_id: s.call_id.into(),
                    caller_tag: None,
                    caller_sig: None,
                    answered: None,
                    sdp_seen: false,
                    endpoints: Vec::new(),
                    codecs: Vec::new(),
                    legs: Default::default(),
                    shared: false,
                    bye_seen: false,
                    will_send: [true; 2],
                    will_receive: [true; 2],
                    streams: 0,
                });
                self.by_call_id.insert(s.call_id.into(), id);
                id
            }
        };
        let Some(st) = call_in_mut(&mut self.slots, id) else {
            return;
        };
        if initial_invite && st.caller_tag.is_none() && st.caller_sig.is_none() {
            st.caller_tag = s.from_tag.map(Into::into);
            st.caller_sig = Some(s.src);
        }
        if st.caller_tag.is_none() && st.caller_sig.is_none() {
            // The capture began mid-dialog, so the initial INVITE is missing:
            // take the first request's sender as the caller. Right for
            // re-INVITEs from the caller; otherwise only the leg names swap.
            if s.request_invite.is_some() {
                st.caller_tag = s.from_tag.map(Into::into);
                st.caller_sig = Some(s.src);
            }
        }
        st.bye_seen |= s.bye;
        if s.status.is_some_and(|c| (200..300).contains(&c))
            && s.cseq_invite
            && st.answered.is_none()
        {
            st.answered = Some(s.ts);
        }
        let Some(body) = sdp else {
            return;
        };
        // Which party wrote this SDP: a request comes from the party its From
        // tag names; a response from the other one.
        let from_is_caller = match (&st.caller_tag, s.from_tag) {
            (Some(ct), Some(ft)) => **ct == *ft,
            _ => st.caller_sig.is_some_and(|a| {
                if s.request_invite.is_some() {
                    a == s.src
                } else {
                    a == s.dst
                }
            }),
        };
        let party = match (s.request_invite.is_some(), from_is_caller) {
            (true, true) | (false, false) => Party::Caller,
            _ => Party::Callee,
        };
        let descs = match sdp::describe(body) {
            Ok(d) => d,
            Err(_) => {
                self.stats.inc(LAYER, "sdp_malformed");
                return;
            }
        };
        st.sdp_seen = true;
        // The party's latest SDP decides whether it sends and receives at all
        // (hold and resume are both re-offers); a rejected body (no m=) changes nothing.
        if !descs.is_empty() {
            st.will_send[party as usize] = descs.iter().any(|m| m.sends);
            st.will_receive[party as usize] = descs.iter().any(|m| m.receives);
        }
        let mut new_bindings: Vec<(SocketAddr, Binding)> = Vec::new();
        for m in &descs {
            for &(pt, c) in &m.codecs {
                if !st.codecs.iter().any(|(p, _)| *p == pt) && st.codecs.len() < 32 {
                    st.codecs.push((pt, c));
                    st.legs.iter_mut().for_each(|l| l.codec_cache = None);
                }
            }
            let Some(ip) = m.addr else { continue };
            if m.port == 0 {
                continue;
            }
            new_bindings.push((
                SocketAddr::new(ip, m.port),
                Binding {
                    call: id,
                    party,
                    rtcp: false,
                    rtp: m.rtp,
                },
            ));
            if let Some(rp) = m.rtcp_port.filter(|&p| m.rtp && p != m.port && p != 0) {
                new_bindings.push((
                    SocketAddr::new(ip, rp),
                    Binding {
                        call: id,
                        party,
                        rtcp: true,
                        rtp: m.rtp,
                    },
                ));
            }
        }
        for (addr, b) in new_bindings {
            if let Some(old) = self.index.get(&addr) {
                if old.call == id {
                    // Same call re-announcing: the latest SDP decides the party.
                    self.index.insert(addr, b);
                    continue;
                }
            }
            let Some(st) = self.call(id) else {
                return;
            };
            if st.endpoints.len() >= MAX_ENDPOINTS_PER_CALL && !st.endpoints.contains(&addr) {
                self.stats.inc(LAYER, "endpoints_per_call_limit");
                continue;
            }
            if !self.index.contains_key(&addr) && !self.make_room(id.seq) {
                self.stats.inc(LAYER, "stream_limit");
                continue;
            }
            // A newer call announcing the same address takes it over (ports
            // are reused). If the older call is answered and not yet reported,
            // both are live on one media path (B2BUA legs with direct media):
            // its missing packets then prove nothing.
            if let Some(old) = self.index.insert(addr, b) {
                if old.call != id {
                    if let Some(o) = self.call_mut(old.call) {
                        // Reported per call (`shared_path`); not a problem to count.
                        if o.answered.is_some() && !o.bye_seen {
                            o.shared = true;
                        }
                    }
                }
            }
            if let Some(st) = self.call_mut(id) {
                if !st.endpoints.contains(&addr) {
                    st.endpoints.push(addr);
                }
            }
        }
    }

    /// Every non-SIP UDP datagram. True when it matched a known media address.
    pub fn on_datagram(&mut self, d: &crate::decode::Datagram<'_>) -> bool {
        self.on_probe(d.ts, &d.src, &d.dst, &Probe::of(d.payload))
    }

    /// A datagram already reduced to its [`Probe`] (by the decoding thread of
    /// a replay): the same accounting as [`on_datagram`](Self::on_datagram).
    pub fn on_probe(
        &mut self,
        ts: Timestamp,
        src: &SocketAddr,
        dst: &SocketAddr,
        probe: &Probe,
    ) -> bool {
        self.note_time(ts);
        let kind = probe.kind;
        if matches!(kind, rtp::Kind::Rtp(_) | rtp::Kind::Rtcp { .. }) {
            self.rtp_seen = true;
        }
        // Addressed to an announced endpoint, else sent from one (symmetric RTP).
        let (b, dir) = if let Some(b) = self.index.get(dst) {
            (*b, b.party.receives())
        } else if let Some(b) = self.index.get(src) {
            (*b, b.party.sends())
        } else if self.ended.contains_key(dst) || self.ended.contains_key(src) {
            self.stats.inc(LAYER, "rtp_after_call_end");
            return true;
        } else {
            let reason = match kind {
                rtp::Kind::Rtp(_) => "rtp_unknown_stream",
                rtp::Kind::Rtcp { .. } => "rtcp_unknown_stream",
                _ => "udp_not_media",
            };
            self.stats.inc(LAYER, reason);
            return false;
        };
        if !b.rtp {
            // The SDP says T.38 (udptl) or other non-RTP media here. A valid
            // RTP header with an SSRC this leg already carries is still RTP
            // (endpoints keep sending audio while a fax switch is negotiated);
            // anything else is not counted as RTP.
            let continues = match kind {
                rtp::Kind::Rtp(r) => self.call(b.call).is_some_and(|st| {
                    st.legs[dir]
                        .streams
                        .iter()
                        .any(|s| s.ssrc == r.ssrc && s.src == *src && s.dst == *dst)
                }),
                _ => false,
            };
            if !continues {
                self.stats.inc(LAYER, "non_rtp_media");
                return true;
            }
        }
        let r = match kind {
            rtp::Kind::Rtp(r) if !b.rtcp => r,
            rtp::Kind::Rtp(_) => {
                self.stats.inc(LAYER, "rtp_on_rtcp_port");
                return true;
            }
            rtp::Kind::Rtcp { .. } => {
                if let Some(st) = self.call_mut(b.call) {
                    st.legs[dir].rtcp_packets += 1;
                }
                return true;
            }
            rtp::Kind::Stun => {
                self.stats.inc(LAYER, "stun_on_media_port");
                return true;
            }
            rtp::Kind::Dtls => {
                self.stats.inc(LAYER, "dtls_on_media_port");
                return true;
            }
            rtp::Kind::Zrtp => {
                self.stats.inc(LAYER, "zrtp_on_media_port");
                return true;
            }
            rtp::Kind::Malformed(reason) => {
                self.stats.inc(LAYER, reason);
                return true;
            }
            rtp::Kind::Other => {
                self.stats.inc(LAYER, "not_rtp_on_media_port");
                return true;
            }
        };
        // One map lookup for a packet of a known stream (the common case);
        // a new stream may evict other calls first, then looks the call up again.
        let Some(st) = call_in_mut(&mut self.slots, b.call) else {
            return false;
        };
        let is = |s: &Stream| s.ssrc == r.ssrc && s.src == *src && s.dst == *dst;
        let leg = &st.legs[dir];
        let known_stream = match leg.streams.get(leg.last_stream) {
            Some(s) if is(s) => Some(leg.last_stream),
            _ => leg.streams.iter().position(is),
        };
        let mut room = false;
        let st = if known_stream.is_none() {
            room = st.legs[dir].streams.len() < MAX_STREAMS_PER_LEG && self.make_room(b.call.seq);
            let Some(st) = call_in_mut(&mut self.slots, b.call) else {
                return false;
            };
            st
        } else {
            st
        };
        let silent = match st.leg_codec(dir, r.payload_type) {
            Some(sdp::Codec::Pcmu) => Some(probe.silent[0]),
            Some(sdp::Codec::Pcma) => Some(probe.silent[1]),
            Some(sdp::Codec::Cn) => Some(true),
            None => None,
        };
        let answered = st.answered;
        let leg = &mut st.legs[dir];
        leg.packets += 1;
        leg.bytes += probe.len as u64;
        leg.first.get_or_insert(ts);
        leg.last = Some(leg.last.map_or(ts, |l| l.max(ts)));
        if leg.first_after_answer.is_none() && answered.is_some_and(|a| ts >= a) {
            leg.first_after_answer = Some(ts);
        }
        leg.pts |= 1u128 << r.payload_type;
        if let Some(s) = silent {
            leg.judged += 1;
            leg.silent += u64::from(s);
        }
        match known_stream {
            Some(i) => {
                leg.last_stream = i;
                if let Some(s) = leg.streams.get_mut(i) {
                    s.packets += 1;
                    s.seq.update(r.seq);
                }
            }
            None if room => {
                let mut seq = rtp::SeqTracker::default();
                seq.update(r.seq);
                leg.streams.push(Stream {
                    src: *src,
                    dst: *dst,
                    ssrc: r.ssrc,
                    payload_type: r.payload_type,
                    packets: 1,
                    seq,
                });
                st.streams += 1;
                self.stream_units += 1;
            }
            None => {
                leg.untracked_streams += 1;
                self.stats.inc(LAYER, "streams_per_call_limit");
            }
        }
        true
    }

    /// Fill `outcome.media` and push media anomalies, then forget the call.
    /// With `media_visible` false (proxy mode) media is reported unknown and
    /// nothing is judged.
    pub fn annotate(&mut self, outcome: &mut Outcome, media_visible: bool) {
        let st = self
            .by_call_id
            .get(outcome.sip_call_id.as_bytes())
            .copied()
            .and_then(|id| {
                let bound: Vec<SocketAddr> = self.call(id).map_or(Vec::new(), |st| {
                    st.endpoints
                        .iter()
                        .copied()
                        .filter(|e| self.index.get(e).is_some_and(|b| b.call == id))
                        .collect()
                });
                let st = self.remove_call(id);
                self.remember_ended(&bound);
                st
            });
        if !media_visible {
            outcome.media = Some(Media {
                known: false,
                unknown_reason: Some(
                    "proxy mode: media does not pass through trunkwatch".to_string(),
                ),
                ..Media::default()
            });
            return;
        }
        if !self.rtp_seen {
            outcome.media = Some(Media {
                known: false,
                unknown_reason: Some(
                    "no RTP or RTCP anywhere in the input so far: the capture holds signalling only"
                        .to_string(),
                ),
                ..Media::default()
            });
            return;
        }
        let Some(st) = st.filter(|s| s.sdp_seen) else {
            outcome.media = Some(Media {
                known: false,
                unknown_reason: Some(
                    "no SDP seen for this call: its media addresses are unknown".to_string(),
                ),
                ..Media::default()
            });
            return;
        };
        let legs = [leg_out(&st, 0), leg_out(&st, 1)];
        // Platform side, as a party.
        let platform = match outcome.direction {
            Direction::Outbound => Some(Party::Caller),
            Direction::Inbound => Some(Party::Callee),
            Direction::Unknown => None,
        };
        let mut media = Media {
            known: true,
            unknown_reason: None,
            platform_to_carrier: platform.map(|p| legs[p.sends()].clone()),
            carrier_to_platform: platform.map(|p| legs[p.receives()].clone()),
            caller_to_callee: legs[CALLER_TO_CALLEE].clone(),
            callee_to_caller: legs[CALLEE_TO_CALLER].clone(),
            shared_path: st.shared,
        };
        let answered = outcome
            .answered_at
            .as_deref()
            .and_then(parse_time)
            .or(st.answered);
        if let Some(a) = answered {
            judge(
                &st,
                a,
                outcome,
                platform,
                self.last_ts,
                self.no_media_ms,
                self.silence_share,
            );
        }
        media.known = true;
        outcome.media = Some(media);
    }
}

/// The call `c` names, if it is still held (its slot may since hold a newer call).
fn call_in(slots: &[Option<CallMedia>], c: CallRef) -> Option<&CallMedia> {
    slots
        .get(c.slot as usize)?
        .as_ref()
        .filter(|st| st.seq == c.seq)
}

fn call_in_mut(slots: &mut [Option<CallMedia>], c: CallRef) -> Option<&mut CallMedia> {
    slots
        .get_mut(c.slot as usize)?
        .as_mut()
        .filter(|st| st.seq == c.seq)
}

fn leg_out(st: &CallMedia, d: usize) -> MediaLeg {
    let l = &st.legs[d];
    let mut payload_types = Vec::new();
    for pt in 0..128u8 {
        if l.pts & (1u128 << pt) != 0 {
            payload_types.push(pt);
        }
    }
    MediaLeg {
        packets: l.packets,
        bytes: l.bytes,
        lost: l.streams.iter().map(|s| s.seq.lost()).sum(),
        silent_share: (l.judged > 0).then(|| round4(l.silent as f64 / l.judged as f64)),
        first_at: l.first.map(|t| t.to_string()),
        last_at: l.last.map(|t| t.to_string()),
        rtcp_packets: l.rtcp_packets,
        payload_types,
        on_hold: st.held(d),
        streams: l
            .streams
            .iter()
            .map(|s| MediaStream {
                src: s.src.to_string(),
                dst: s.dst.to_string(),
                ssrc: format!("0x{:08X}", s.ssrc),
                payload_type: s.payload_type,
                packets: s.packets,
                lost: s.seq.lost(),
            })
            .collect(),
    }
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Words for each side, depending on whether the platform side is known.
fn side_name(platform: Option<Party>, p: Party) -> &'static str {
    match (platform, p) {
        (Some(pl), p) if pl == p => "the platform side",
        (Some(_), _) => "the carrier side",
        (None, Party::Caller) => "the caller side (caller_to_callee)",
        (None, Party::Callee) => "the callee side (callee_to_caller)",
    }
}

const PLATFORM_CAUSE_NONE: &str = "the Butter platform answered but its voice agent sent no audio: its LLM, speech-to-text or text-to-speech provider failed or was rate-limited";
const PLATFORM_CAUSE_SILENT: &str = "the Butter platform sends RTP but it carries only silence: the voice agent produced no speech because its LLM, speech-to-text or text-to-speech provider failed or was rate-limited";
const PLATFORM_ACTION: &str = "check the agent's stt_provider and tts_provider settings (and its LLM), the providers' API keys, status pages and rate limits, then place a test call";
const CARRIER_CAUSE_NONE: &str = "no RTP arrives from the carrier side: a firewall or NAT drops it, or the platform's SDP advertises an address the carrier cannot reach";
const CARRIER_ACTION_NONE: &str = "allow the carrier's media addresses and RTP port range through firewalls/NAT toward the platform, and check the c= address in the platform's SDP";
const CARRIER_CAUSE_SILENT: &str = "the carrier side sends only silence: the called party is muted or said nothing, or the carrier's leg lost its audio";
const CARRIER_ACTION_SILENT: &str = "if it repeats on one carrier, test that trunk's audio path; a single occurrence is usually a quiet or muted party";
const UNKNOWN_CAUSE: &str = "if the silent side is the Butter platform, its LLM, speech-to-text or text-to-speech provider failed or was rate-limited; if it is the carrier side, a firewall or NAT blocks its RTP";
const UNKNOWN_ACTION: &str = "set classify.platform_networks so the platform side is known; check the agent's stt_provider / tts_provider settings and provider rate limits, and firewall/NAT rules for RTP";
const NO_MEDIA_CAUSE: &str = "no audio flowed in either direction: the platform's LLM, speech-to-text or text-to-speech provider failed before the agent could speak, or RTP is blocked between the SDP addresses";
const NO_MEDIA_ACTION: &str = "check the agent's stt_provider and tts_provider settings and the providers' rate limits; if they are healthy, check firewall/NAT rules for RTP between the SDP addresses";

fn advice(a: Anomaly, cause: &str, action: &str) -> Anomaly {
    Anomaly {
        cause: Some(cause.to_string()),
        action: Some(action.to_string()),
        ..a
    }
}

/// Raise `no_media`, `one_way_media` and `silent_media` for an answered call.
fn judge(
    st: &CallMedia,
    answered: Timestamp,
    outcome: &mut Outcome,
    platform: Option<Party>,
    last_ts: Timestamp,
    no_media_ms: u64,
    silence_share: f64,
) {
    // How long after the answer we could have seen media: to the BYE, or
    // to the end of what was captured.
    let ended = outcome.ended_at.as_deref().and_then(parse_time);
    let horizon = ended.map_or(last_ts, |e| e.min(last_ts));
    let observed_ms = horizon.millis_since(answered);
    let deadline = answered.plus_millis(no_media_ms as i64);
    let post = |l: &Leg| -> Option<Timestamp> {
        l.first_after_answer
            .or_else(|| l.last.filter(|&t| t >= answered).map(|_| answered))
    };
    let flowing: [bool; 2] = [0, 1].map(|d| post(&st.legs[d]).is_some_and(|t| t <= deadline));
    let held = [st.held(0), st.held(1)];
    // With a media path shared by another live call, missing packets may be
    // counted on that call: only what was received (silence) is judged.
    if observed_ms >= no_media_ms && !st.shared {
        let parties = [Party::Caller, Party::Callee];
        let none_flowing = !flowing[0] && !flowing[1];
        if none_flowing && !(held[0] && held[1]) {
            let later = [0, 1]
                .iter()
                .filter_map(|&d| post(&st.legs[d]))
                .min()
                .map(|t| {
                    format!(
                        "; first RTP came {} ms after the answer",
                        t.millis_since(answered)
                    )
                })
                .unwrap_or_default();
            outcome.anomalies.push(advice(
                Anomaly::new("no_media").with_detail(format!(
                    "answered, but no RTP in either direction within {no_media_ms} ms of the answer{later}"
                )),
                NO_MEDIA_CAUSE,
                NO_MEDIA_ACTION,
            ));
        } else {
            for sender in parties {
                let d = sender.sends();
                if flowing[d] || !flowing[1 - d] || held[d] {
                    continue;
                }
                let detail = format!(
                    "no RTP from {} within {no_media_ms} ms of the answer, while {} sent {} packets",
                    side_name(platform, sender),
                    side_name(platform, if sender == Party::Caller { Party::Callee } else { Party::Caller }),
                    st.legs[1 - d].packets
                );
                let (cause, action) = match platform {
                    Some(p) if p == sender => (PLATFORM_CAUSE_NONE, PLATFORM_ACTION),
                    Some(_) => (CARRIER_CAUSE_NONE, CARRIER_ACTION_NONE),
                    None => (UNKNOWN_CAUSE, UNKNOWN_ACTION),
                };
                outcome.anomalies.push(advice(
                    Anomaly::new("one_way_media").with_detail(detail),
                    cause,
                    action,
                ));
            }
        }
    }
    for sender in [Party::Caller, Party::Callee] {
        let l = &st.legs[sender.sends()];
        if l.judged < MIN_SILENCE_PACKETS {
            continue;
        }
        let share = l.silent as f64 / l.judged as f64;
        if share <= silence_share {
            continue;
        }
        let detail = format!(
            "{:.1}% of {} G.711/CN packets from {} are silence (threshold {:.1}%, below {} dBov)",
            share * 100.0,
            l.judged,
            side_name(platform, sender),
            silence_share * 100.0,
            g711::SILENCE_DBOV
        );
        let (cause, action) = match platform {
            Some(p) if p == sender => (PLATFORM_CAUSE_SILENT, PLATFORM_ACTION),
            Some(_) => (CARRIER_CAUSE_SILENT, CARRIER_ACTION_SILENT),
            None => (UNKNOWN_CAUSE, UNKNOWN_ACTION),
        };
        outcome.anomalies.push(advice(
            Anomaly::new("silent_media").with_detail(detail),
            cause,
            action,
        ));
    }
}

#[cfg(test)]
mod tests;
