//! TCP (RFC 9293) per-direction stream reassembly and SIP framing
//! (RFC 3261 §18.3: Content-Length delimits messages on a stream).
//!
//! Each direction keeps the bytes not yet framed, segments that arrived
//! ahead of a hole, and whether it sits on a message boundary. A hole is
//! declared a gap (bytes the capture missed) when the peer acknowledges data
//! we never saw, or when too much waits behind it; decoding then resumes at
//! the next SIP start line. A direction first seen mid-stream starts at the
//! first segment that begins with a SIP start line (or a WebSocket upgrade).

use super::sipstart::{self, Start};
use super::ws::{self, WsState};
use super::{be16, be32, Ctx, Decoder, Event, SipPacket, Transport};
use crate::config::DecodeConfig;
use crate::stats::Counters;
use crate::time::Timestamp;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

/// Segments held behind one hole before it is declared a gap.
const MAX_OOO_SEGMENTS: usize = 256;
/// Capture time a hole may stay open before it is declared a gap: beyond
/// TCP's retransmission timeouts (RFC 6298: 1 s initial, backing off), so a
/// one-way mirror that never shows the peer's ACK still moves on.
const REORDER_WINDOW_NS: i64 = 3_000_000_000;
/// TCP directions tracked at once; beyond this new ones are not followed (counted).
const MAX_FLOWS: usize = 1 << 18;
/// Longest HTTP Upgrade header block waited for.
const MAX_HTTP_HEADER: usize = 16 << 10;

const FIN: u8 = 0x01;
const SYN: u8 = 0x02;
const RST: u8 = 0x04;
const ACK: u8 = 0x10;

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    src: SocketAddr,
    dst: SocketAddr,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Mode {
    /// Not yet known what the stream carries.
    Probe,
    Sip,
    WsHandshake,
    Ws,
    Tls,
    /// Neither SIP nor WebSocket: ignored.
    Other,
    /// After FIN/RST: late retransmissions are ignored until a new SYN.
    Closed,
}

#[derive(Debug)]
struct Seg {
    seq: u32,
    data: Vec<u8>,
    frame: u64,
    ts: Timestamp,
}

#[derive(Debug)]
struct Dir {
    mode: Mode,
    next_seq: Option<u32>,
    fin_seq: Option<u32>,
    buf: Vec<u8>,
    /// `buf` starts at a message boundary.
    synced: bool,
    ooo: Vec<Seg>,
    ooo_bytes: usize,
    peer_acked: Option<u32>,
    last: Timestamp,
    ws: WsState,
    /// One of the ports is a configured TLS port.
    tls_port: bool,
    /// The WebSocket handshake named the `sip` subprotocol (RFC 7118 §4.1).
    ws_sip: bool,
}

impl Dir {
    fn new(ts: Timestamp, tls_port: bool) -> Self {
        Dir {
            mode: Mode::Probe,
            next_seq: None,
            fin_seq: None,
            buf: Vec::new(),
            synced: true,
            ooo: Vec::new(),
            ooo_bytes: 0,
            peer_acked: None,
            last: ts,
            ws: WsState::default(),
            tls_port,
            ws_sip: false,
        }
    }

    fn mem(&self) -> usize {
        self.buf.len() + self.ooo_bytes + self.ws.mem()
    }

    /// Whether bytes of an unfinished message are held (keep-alive CRLFs aside).
    fn has_partial(&self) -> bool {
        self.buf.iter().any(|&b| b != b'\r' && b != b'\n') || self.ws.mem() > 0
    }

    fn clear_buffers(&mut self) {
        self.buf = Vec::new();
        self.ooo = Vec::new();
        self.ooo_bytes = 0;
        self.ws.clear();
    }
}

#[derive(Debug)]
struct Limits {
    max_flow: usize,
    tls_ports: Vec<u16>,
}

/// All TCP directions being followed.
#[derive(Debug)]
pub(super) struct Tcp {
    flows: HashMap<Key, Dir>,
    total: usize,
    max_total: usize,
    idle_ns: i64,
    lim: Limits,
}

/// One segment as seen on the wire.
struct SegIn<'a> {
    key: Key,
    seq: u32,
    flags: u8,
    payload: &'a [u8],
    tls_port: bool,
}

impl Tcp {
    pub(super) fn new(cfg: &DecodeConfig) -> Self {
        Tcp {
            flows: HashMap::new(),
            total: 0,
            max_total: cfg.max_tcp_total_bytes,
            idle_ns: (cfg.tcp_idle_timeout_ms as i64).saturating_mul(1_000_000),
            lim: Limits {
                max_flow: cfg.max_tcp_flow_bytes,
                tls_ports: cfg.tls_ports.clone(),
            },
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn segment(
        &mut self,
        c: &Ctx,
        src: SocketAddr,
        dst: SocketAddr,
        seq: u32,
        ack: u32,
        flags: u8,
        payload: &[u8],
        stats: &mut Counters,
        out: &mut dyn FnMut(Event<'_>),
    ) {
        let key = Key { src, dst };
        let rkey = Key { src: dst, dst: src };
        let mut rev_tls = false;
        if let Some(r) = self.flows.get_mut(&rkey) {
            if flags & ACK != 0 {
                r.peer_acked = Some(ack);
            }
            rev_tls = r.mode == Mode::Tls;
        }
        if flags & RST != 0 {
            for k in [key, rkey] {
                if let Some(d) = self.flows.get_mut(&k) {
                    self.total -= d.mem();
                    close(d, stats);
                }
            }
            return;
        }
        if payload.is_empty() && flags & SYN == 0 && !self.flows.contains_key(&key) {
            return; // a bare ACK/FIN of a stream we never followed
        }
        if self.flows.len() >= MAX_FLOWS && !self.flows.contains_key(&key) {
            return stats.inc("tcp", "flow_table_full");
        }
        let tls_port =
            self.lim.tls_ports.contains(&src.port()) || self.lim.tls_ports.contains(&dst.port());
        let d = self
            .flows
            .entry(key)
            .or_insert_with(|| Dir::new(c.ts, tls_port));
        let before = d.mem();
        let was_tls = d.mode == Mode::Tls;
        d.last = c.ts;
        let s = SegIn {
            key,
            seq,
            flags,
            payload,
            tls_port,
        };
        on_segment(d, &self.lim, c, &s, stats, out, true);
        if d.mode == Mode::Tls {
            if !was_tls && !rev_tls {
                stats.inc("tls", "encrypted_not_decoded");
            }
            stats.add("tls", "encrypted_bytes", payload.len() as u64);
        }
        self.total = self.total + d.mem() - before;
        if self.total > self.max_total {
            self.evict(stats);
        }
    }

    /// Over the total cap: drop the buffers of the largest flows first.
    fn evict(&mut self, stats: &mut Counters) {
        while self.total > self.max_total {
            let Some((_, d)) = self.flows.iter_mut().max_by_key(|(_, d)| d.mem()) else {
                break;
            };
            let m = d.mem();
            if m == 0 {
                break;
            }
            stats.inc("tcp", "total_buffer_evicted");
            d.clear_buffers();
            d.synced = false;
            if d.mode == Mode::Ws {
                d.mode = Mode::Other;
            }
            self.total -= m;
        }
    }

    /// Forget directions idle for longer than the timeout; what waited behind
    /// a hole is decoded first, an unfinished message is counted.
    pub(super) fn expire(
        &mut self,
        now: Timestamp,
        stats: &mut Counters,
        out: &mut dyn FnMut(Event<'_>),
    ) {
        // Holes open for longer than the reordering window are gaps.
        for (k, d) in self.flows.iter_mut() {
            while d
                .ooo
                .iter()
                .any(|h| now.0.saturating_sub(h.ts.0) > REORDER_WINDOW_NS)
            {
                let (before, held) = (d.mem(), d.ooo.len());
                gap(d, *k, &self.lim, stats, out);
                self.total = self.total + d.mem() - before;
                if d.ooo.len() == held {
                    break;
                }
            }
        }
        let idle = self.idle_ns;
        let old: Vec<Key> = self
            .flows
            .iter()
            .filter(|(_, d)| now.0.saturating_sub(d.last.0) > idle)
            .map(|(k, _)| *k)
            .collect();
        for k in old {
            if let Some(mut d) = self.flows.remove(&k) {
                self.total -= d.mem();
                flush(&mut d, k, &self.lim, stats, out);
                if d.has_partial() {
                    stats.inc("tcp", "incomplete_message_expired");
                }
            }
        }
    }

    pub(super) fn finish(&mut self, stats: &mut Counters, out: &mut dyn FnMut(Event<'_>)) {
        let mut keys: Vec<Key> = self.flows.keys().copied().collect();
        keys.sort_by_key(|k| (k.src, k.dst)); // deterministic output order
        for k in keys {
            if let Some(mut d) = self.flows.remove(&k) {
                flush(&mut d, k, &self.lim, stats, out);
                if d.has_partial() {
                    stats.inc("tcp", "incomplete_message_at_end");
                }
            }
        }
        self.total = 0;
    }
}

/// Decode what waits behind holes (each hole counted as a gap).
fn flush(
    d: &mut Dir,
    key: Key,
    lim: &Limits,
    stats: &mut Counters,
    out: &mut dyn FnMut(Event<'_>),
) {
    while !d.ooo.is_empty()
        && matches!(
            d.mode,
            Mode::Sip | Mode::Probe | Mode::WsHandshake | Mode::Ws
        )
    {
        let held = d.ooo.len();
        gap(d, key, lim, stats, out);
        if d.ooo.len() == held {
            break;
        }
    }
}

fn close(d: &mut Dir, stats: &mut Counters) {
    if matches!(d.mode, Mode::Sip | Mode::Ws | Mode::WsHandshake) && d.has_partial() {
        stats.inc("tcp", "incomplete_message_at_close");
    }
    d.clear_buffers();
    d.mode = Mode::Closed;
}

fn on_segment(
    d: &mut Dir,
    lim: &Limits,
    c: &Ctx,
    s: &SegIn<'_>,
    stats: &mut Counters,
    out: &mut dyn FnMut(Event<'_>),
    may_restart: bool,
) {
    if s.flags & SYN != 0 {
        // A new connection on this 4-tuple: whatever was pending is gone.
        if d.has_partial() {
            stats.inc("tcp", "incomplete_message_at_close");
        }
        d.clear_buffers();
        d.mode = Mode::Probe;
        d.synced = true;
        d.fin_seq = None;
        d.peer_acked = None;
        d.next_seq = Some(s.seq.wrapping_add(1));
        return;
    }
    match d.mode {
        Mode::Closed | Mode::Other => return,
        Mode::Tls => return,
        _ => {}
    }
    let len = s.payload.len() as u32;
    let next = match d.next_seq {
        Some(n) => n,
        None => {
            if s.payload.is_empty() {
                return;
            }
            match classify(s.payload, s.tls_port) {
                Class::Tls => {
                    d.mode = Mode::Tls;
                    return;
                }
                Class::Sip | Class::Ws => {
                    d.next_seq = Some(s.seq);
                    d.synced = true;
                    s.seq
                }
                // Mid-stream and not at a message start: wait for one.
                Class::Other | Class::NeedMore => return,
            }
        }
    };
    let rel = s.seq.wrapping_sub(next) as i32;
    if rel.unsigned_abs() > 1 << 30 {
        // Unrelated sequence space (4-tuple reused without a SYN seen).
        stats.inc("tcp", "sequence_jump");
        if d.has_partial() {
            stats.inc("tcp", "incomplete_message_at_close");
        }
        d.clear_buffers();
        d.next_seq = None;
        d.mode = Mode::Probe;
        if may_restart {
            on_segment(d, lim, c, s, stats, out, false);
        }
        return;
    }
    if s.flags & FIN != 0 {
        d.fin_seq = Some(s.seq.wrapping_add(len));
    }
    if len == 0 {
        if d.fin_seq == Some(next) {
            close(d, stats);
        }
        return;
    }
    if rel as i64 + len as i64 <= 0 {
        stats.inc("tcp", "retransmission");
        return;
    }
    if rel <= 0 {
        append(d, &s.payload[(-rel) as usize..]);
        drain_ooo(d);
        process(d, s.key, lim, c.frame, c.ts, stats, out);
        if d.fin_seq.is_some() && d.fin_seq == d.next_seq {
            close(d, stats);
        }
        return;
    }
    // A hole before this segment: keep it until the hole fills.
    d.ooo_bytes += s.payload.len();
    d.ooo.push(Seg {
        seq: s.seq,
        data: s.payload.to_vec(),
        frame: c.frame,
        ts: c.ts,
    });
    let acked_past_hole = d
        .peer_acked
        .is_some_and(|a| a.wrapping_sub(next) as i32 > 0);
    let waited = d
        .ooo
        .iter()
        .any(|h| c.ts.0.saturating_sub(h.ts.0) > REORDER_WINDOW_NS);
    if acked_past_hole || waited || d.ooo_bytes > lim.max_flow || d.ooo.len() > MAX_OOO_SEGMENTS {
        gap(d, s.key, lim, stats, out);
        if d.fin_seq.is_some() && d.fin_seq == d.next_seq {
            close(d, stats);
        }
    }
}

fn append(d: &mut Dir, bytes: &[u8]) {
    d.buf.extend_from_slice(bytes);
    if let Some(n) = d.next_seq.as_mut() {
        *n = n.wrapping_add(bytes.len() as u32);
    }
}

/// Take the held segment that continues the stream at `next_seq`, with how
/// many of its leading bytes the stream already has.
fn take_continuing(d: &mut Dir) -> Option<(Seg, usize)> {
    let next = d.next_seq?;
    let i = d
        .ooo
        .iter()
        .position(|s| s.seq.wrapping_sub(next) as i32 <= 0)?;
    let s = d.ooo.swap_remove(i);
    d.ooo_bytes -= s.data.len();
    let skip = next.wrapping_sub(s.seq) as usize;
    Some((s, skip))
}

/// Move held segments that now continue the stream into `buf`.
fn drain_ooo(d: &mut Dir) {
    while let Some((s, skip)) = take_continuing(d) {
        if skip < s.data.len() {
            append(d, &s.data[skip..]);
        }
    }
}

/// The capture missed bytes: skip to the first held segment and resume at
/// the next SIP start line. Each held segment keeps its own frame number.
fn gap(d: &mut Dir, key: Key, lim: &Limits, stats: &mut Counters, out: &mut dyn FnMut(Event<'_>)) {
    let Some(next) = d.next_seq else { return };
    let Some(first) = d
        .ooo
        .iter()
        .min_by_key(|s| s.seq.wrapping_sub(next))
        .map(|s| s.seq)
    else {
        return;
    };
    stats.inc("tcp", "gap");
    d.buf.clear();
    d.synced = false;
    match d.mode {
        Mode::Ws | Mode::WsHandshake => {
            // WebSocket frame boundaries cannot be found again.
            stats.inc("ws", "gap_lost_sync");
            d.mode = Mode::Other;
            d.clear_buffers();
            return;
        }
        Mode::Probe => d.mode = Mode::Sip,
        _ => {}
    }
    d.next_seq = Some(first);
    while let Some((s, skip)) = take_continuing(d) {
        if skip < s.data.len() {
            append(d, &s.data[skip..]);
            process(d, key, lim, s.frame, s.ts, stats, out);
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Class {
    Sip,
    Ws,
    Tls,
    Other,
    NeedMore,
}

/// What a stream carries, from its first bytes. SIP content wins over a TLS
/// port (plain SIP on 5061 exists); a TLS record header or a TLS port otherwise.
fn classify(b: &[u8], tls_port: bool) -> Class {
    let sip = sipstart::start(b);
    if sip == Start::Sip {
        return Class::Sip;
    }
    if tls_port || (b.len() >= 3 && (0x14..=0x17).contains(&b[0]) && b[1] == 3 && b[2] <= 4) {
        return Class::Tls;
    }
    let http =
        b.starts_with(b"GET ") || b.starts_with(b"HTTP/1.1 101") || b.starts_with(b"HTTP/1.0 101");
    if http {
        return match memchr::memmem::find(b, b"\r\n\r\n") {
            Some(end) if contains_ci(&b[..end], b"websocket") => Class::Ws,
            Some(_) => Class::Other,
            None if b.len() < MAX_HTTP_HEADER => Class::NeedMore,
            None => Class::Other,
        };
    }
    if sip == Start::NeedMore
        || b"GET ".starts_with(&b[..b.len().min(4)])
        || b"HTTP/1.1 101".starts_with(&b[..b.len().min(12)])
    {
        return Class::NeedMore;
    }
    Class::Other
}

/// Whether an HTTP header block has `Sec-WebSocket-Protocol` listing `sip`.
fn names_sip_subprotocol(headers: &[u8]) -> bool {
    const NAME: &[u8] = b"sec-websocket-protocol:";
    headers.split(|&b| b == b'\n').any(|line| {
        line.len() > NAME.len()
            && line[..NAME.len()].eq_ignore_ascii_case(NAME)
            && line[NAME.len()..]
                .split(|&b| b == b',')
                .any(|v| v.trim_ascii().eq_ignore_ascii_case(b"sip"))
    })
}

fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

#[allow(clippy::too_many_arguments)]
fn process(
    d: &mut Dir,
    key: Key,
    lim: &Limits,
    frame: u64,
    ts: Timestamp,
    stats: &mut Counters,
    out: &mut dyn FnMut(Event<'_>),
) {
    loop {
        match d.mode {
            Mode::Probe => match classify(&d.buf, d.tls_port) {
                Class::Sip => {
                    d.mode = Mode::Sip;
                    d.synced = true;
                }
                Class::Ws => d.mode = Mode::WsHandshake,
                Class::Tls => {
                    d.mode = Mode::Tls;
                    d.clear_buffers();
                    return;
                }
                Class::NeedMore => return,
                Class::Other => {
                    d.mode = Mode::Other;
                    d.clear_buffers();
                    return;
                }
            },
            Mode::Sip => return sip_frames(d, key, lim, frame, ts, stats, out),
            Mode::WsHandshake => match memchr::memmem::find(&d.buf, b"\r\n\r\n") {
                Some(end) => {
                    d.ws_sip = names_sip_subprotocol(&d.buf[..end]);
                    d.buf.drain(..end + 4);
                    d.mode = Mode::Ws;
                }
                None => {
                    if d.buf.len() > MAX_HTTP_HEADER {
                        stats.inc("ws", "bad_handshake");
                        d.mode = Mode::Other;
                        d.clear_buffers();
                    }
                    return;
                }
            },
            Mode::Ws => {
                let ws_sip = d.ws_sip;
                let mut emit = |m: &[u8]| {
                    if sipstart::looks_like_sip(m) {
                        out(Event::Sip(SipPacket {
                            ts,
                            frame,
                            src: key.src,
                            dst: key.dst,
                            transport: Transport::Ws,
                            payload: m,
                        }));
                    } else if ws_sip {
                        // Only a connection negotiated for SIP is expected to carry it.
                        stats.inc("ws", "message_not_sip");
                    }
                };
                match ws::frames(&mut d.ws, &d.buf, lim.max_flow, &mut emit) {
                    Ok(n) => {
                        d.buf.drain(..n);
                    }
                    Err(reason) => {
                        stats.inc("ws", reason);
                        d.mode = Mode::Other;
                        d.clear_buffers();
                    }
                }
                return;
            }
            Mode::Tls | Mode::Other | Mode::Closed => {
                d.clear_buffers();
                return;
            }
        }
    }
}

/// Frame SIP messages off the front of `buf`; after a gap or a framing
/// error, skip to the next line that is a SIP start line.
fn sip_frames(
    d: &mut Dir,
    key: Key,
    lim: &Limits,
    frame: u64,
    ts: Timestamp,
    stats: &mut Counters,
    out: &mut dyn FnMut(Event<'_>),
) {
    let mut pos = 0;
    loop {
        if !d.synced {
            match find_start(&d.buf[pos..]) {
                Ok(i) => {
                    pos += i;
                    d.synced = true;
                }
                Err(keep) => {
                    pos += keep;
                    break;
                }
            }
        }
        let rest = &d.buf[pos..];
        if rest.is_empty() {
            break;
        }
        // The parser's stream framer first; where it rejects the header
        // block, the lenient Content-Length scan keeps the stream in step
        // (the tracker counts the message as malformed when it parses it).
        let framed = match crate::sip::parse_stream(rest) {
            Ok(crate::sip::Status::Complete(n)) => Ok(Framed::Complete(n)),
            Ok(crate::sip::Status::Partial) => Ok(Framed::Partial),
            Err(_) => frame_sip(rest),
        };
        match framed {
            Ok(Framed::Complete(n)) => {
                let msg = trim_leading_crlf(&rest[..n]);
                if !msg.is_empty() {
                    out(Event::Sip(SipPacket {
                        ts,
                        frame,
                        src: key.src,
                        dst: key.dst,
                        transport: Transport::Tcp,
                        payload: msg,
                    }));
                }
                pos += n;
            }
            Ok(Framed::Partial) => break,
            Err(()) => {
                stats.inc("tcp", "sip_framing_error");
                d.synced = false;
                pos += 1;
            }
        }
    }
    d.buf.drain(..pos);
    if d.buf.len() > lim.max_flow {
        stats.inc("tcp", "flow_buffer_overflow");
        d.buf = Vec::new();
        d.synced = false;
    }
}

/// Offset of the first line that is a SIP start line; or, if none, how many
/// bytes can be dropped (all but a last, unfinished line that may become one).
fn find_start(b: &[u8]) -> Result<usize, usize> {
    let mut line = 0;
    loop {
        match sipstart::start(&b[line..]) {
            Start::Sip => return Ok(line),
            Start::NeedMore => return Err(line),
            Start::NotSip => {}
        }
        match memchr::memchr(b'\n', &b[line..]) {
            Some(i) => line += i + 1,
            None => return Err(b.len()),
        }
        if line >= b.len() {
            return Err(b.len());
        }
    }
}

fn trim_leading_crlf(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|&&c| c == b'\r' || c == b'\n').count();
    &b[n..]
}

enum Framed {
    Complete(usize),
    Partial,
}

/// Lenient fallback framer: headers to the blank line, plus Content-Length
/// (RFC 3261 §18.3; compact form `l`). Leading CRLF keep-alives are included.
fn frame_sip(b: &[u8]) -> Result<Framed, ()> {
    let i = b.iter().take_while(|&&c| c == b'\r' || c == b'\n').count();
    if i == b.len() {
        return Ok(Framed::Complete(i));
    }
    let rest = &b[i..];
    let Some(hend) = memchr::memmem::find(rest, b"\r\n\r\n").map(|p| p + 4) else {
        return if rest.len() > 64 << 10 {
            Err(())
        } else {
            Ok(Framed::Partial)
        };
    };
    let mut cl = 0usize;
    for line in rest[..hend].split(|&c| c == b'\n').skip(1) {
        let Some(colon) = memchr::memchr(b':', line) else {
            continue;
        };
        let name = line[..colon].trim_ascii();
        if name.eq_ignore_ascii_case(b"content-length") || name.eq_ignore_ascii_case(b"l") {
            let v = line[colon + 1..].trim_ascii();
            cl = std::str::from_utf8(v)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or(())?;
        }
    }
    let total = i + hend + cl;
    if b.len() >= total {
        Ok(Framed::Complete(total))
    } else {
        Ok(Framed::Partial)
    }
}

impl Decoder {
    pub(super) fn tcp_segment(
        &mut self,
        c: &Ctx,
        src: IpAddr,
        dst: IpAddr,
        data: &[u8],
        out: &mut dyn FnMut(Event<'_>),
    ) {
        if data.len() < 20 {
            return self.stats.inc("tcp", "truncated");
        }
        let doff = (data[12] >> 4) as usize * 4;
        if doff < 20 || doff > data.len() {
            return self.stats.inc("tcp", "bad_header_length");
        }
        let src = SocketAddr::new(src, be16(data, 0));
        let dst = SocketAddr::new(dst, be16(data, 2));
        let seq = be32(data, 4);
        let ack = be32(data, 8);
        self.tcp.segment(
            c,
            src,
            dst,
            seq,
            ack,
            data[13],
            &data[doff..],
            &mut self.stats,
            out,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_stream_starts() {
        assert_eq!(classify(b"INVITE sip:a@b SIP/2.0\r\n", true), Class::Sip);
        assert_eq!(classify(b"\x16\x03\x01\x02\x00", false), Class::Tls);
        assert_eq!(classify(b"\x17\x03\x03", false), Class::Tls);
        assert_eq!(classify(b"binary", true), Class::Tls);
        assert_eq!(
            classify(b"GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", false),
            Class::Ws
        );
        assert_eq!(
            classify(
                b"HTTP/1.1 101 Switching\r\nUpgrade: WebSocket\r\n\r\n",
                false
            ),
            Class::Ws
        );
        assert_eq!(
            classify(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", false),
            Class::Other
        );
        assert_eq!(classify(b"GET / HTTP/1.1\r\nHost:", false), Class::NeedMore);
        assert_eq!(classify(b"SSH-2.0-OpenSSH_9.2\r\n", false), Class::Other);
    }

    #[test]
    fn sip_subprotocol() {
        assert!(names_sip_subprotocol(
            b"GET / HTTP/1.1\r\nSec-WebSocket-Protocol: sip\r"
        ));
        assert!(names_sip_subprotocol(
            b"HTTP/1.1 101 OK\r\nsec-websocket-protocol: chat, SIP\r"
        ));
        assert!(!names_sip_subprotocol(
            b"GET / HTTP/1.1\r\nSec-WebSocket-Protocol: sipx\r"
        ));
        assert!(!names_sip_subprotocol(
            b"GET / HTTP/1.1\r\nUpgrade: websocket\r"
        ));
    }

    #[test]
    fn framer_fallback_and_keepalives() {
        assert!(matches!(frame_sip(b"\r\n\r\n"), Ok(Framed::Complete(4))));
        assert!(matches!(
            frame_sip(b"X a SIP/2.0\r\nl: 3\r\n\r\nabcX"),
            Ok(Framed::Complete(24))
        ));
        assert!(matches!(
            frame_sip(b"X a SIP/2.0\r\nContent-Length: 9\r\n\r\nabc"),
            Ok(Framed::Partial)
        ));
        assert!(frame_sip(b"X a SIP/2.0\r\nContent-Length: x\r\n\r\n").is_err());
        assert_eq!(find_start(b"junk\r\nbody\r\nBYE sip:a SIP/2.0\r\n"), Ok(12));
        assert_eq!(find_start(b"junk\r\nBYE sip:a SI"), Err(6));
        assert_eq!(find_start(b"junk\r\nmore"), Err(6)); // may still become a start line
        assert_eq!(find_start(b"junk\r\n\x00\x01"), Err(8));
    }
}
