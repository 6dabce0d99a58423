//! Deterministic generator of large, realistic SIP trunk captures (pcap,
//! Ethernet) for benchmarks and end-to-end tests.
//!
//! ```text
//! cargo run --release --example gen_capture -- --calls 10000 --seed 7 --out big.pcap \
//!     [--target-bytes 1000000000] [--rtp] [--cps 20] [--truth big.truth.jsonl] \
//!     [--mix 200=55,486=8,404=5,480=6,408=3,503=4,603=5,cancel=8,none=3]
//! ```
//!
//! Calls between a carrier SBC and the Butter platform, both directions,
//! over UDP and TCP (one connection per call, full handshake, MSS-sized
//! segments, ACKs and FIN), interleaved in time. Outcomes follow the mix:
//! answered calls ended by a BYE from either side, 486/404/480/408/503/603
//! rejections, CANCEL + 487, and INVITEs nobody answers (retransmitted on
//! Timer A's schedule over UDP). Some outbound calls are challenged with 407
//! and re-sent with credentials; some UDP INVITEs and 200s are retransmitted;
//! some INVITEs carry an SDP large enough (> 1500 bytes) to be sent as IPv4
//! fragments. With `--rtp`, answered calls carry G.711 RTP both ways.
//!
//! Alongside the capture a JSONL "truth" file gets one line per call with
//! the expected outcome (`sip_call_id`, `status`, `sip_code`, ...), and the
//! last line on stdout is a JSON summary of what was written (frames, SIP
//! messages...). The same seed and arguments always give the same bytes.

use std::collections::BinaryHeap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

/// xorshift64* seeded through splitmix64: small, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
    fn hex(&mut self, n: usize) -> String {
        let mut s = String::with_capacity(n);
        while s.len() < n {
            let _ = write!(s, "{:016x}", self.next());
        }
        s.truncate(n);
        s
    }
    /// A North American E.164 number.
    fn e164(&mut self) -> String {
        format!(
            "+1{}{:02}{}{:02}{:04}",
            self.range(2, 9),
            self.below(100),
            self.range(2, 9),
            self.below(100),
            self.below(10_000)
        )
    }
    fn fill(&mut self, buf: &mut [u8]) {
        for c in buf.chunks_mut(8) {
            let v = self.next().to_le_bytes();
            c.copy_from_slice(&v[..c.len()]);
        }
    }
}

const MS: i64 = 1_000_000;
const SEC: i64 = 1_000_000_000;
/// 2026-01-15T14:00:00Z: fixed, so the output does not depend on the clock.
const BASE_NS: i64 = 1_768_485_600 * SEC;
const MSS: usize = 1460;
/// IPv4 payload per fragment on a 1500-byte MTU (a multiple of 8).
const FRAG: usize = 1480;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scenario {
    Answered,
    Reject(u16),
    Cancel,
    NoResponse,
}

impl Scenario {
    fn parse(k: &str) -> Option<Scenario> {
        Some(match k {
            "200" | "completed" => Scenario::Answered,
            "cancel" | "487" => Scenario::Cancel,
            "none" | "no_response" => Scenario::NoResponse,
            c => match c.parse::<u16>() {
                Ok(code @ (404 | 408 | 480 | 486 | 503 | 603)) => Scenario::Reject(code),
                _ => return None,
            },
        })
    }
    fn name(self) -> String {
        match self {
            Scenario::Answered => "completed".into(),
            Scenario::Reject(c) => format!("reject_{c}"),
            Scenario::Cancel => "cancel".into(),
            Scenario::NoResponse => "no_response".into(),
        }
    }
}

struct Args {
    calls: u64,
    seed: u64,
    out: String,
    truth: String,
    target_bytes: Option<u64>,
    rtp: bool,
    cps: f64,
    mix: Vec<(Scenario, u32)>,
    tcp_share: f64,
}

const DEFAULT_MIX: &str = "200=55,486=8,404=5,480=6,408=3,503=4,603=5,cancel=8,none=3";

fn parse_mix(s: &str) -> Result<Vec<(Scenario, u32)>, String> {
    let mut v = Vec::new();
    for part in s.split(',').filter(|p| !p.is_empty()) {
        let (k, w) = part
            .split_once('=')
            .ok_or_else(|| format!("mix entry '{part}': expected NAME=WEIGHT"))?;
        let sc = Scenario::parse(k.trim()).ok_or_else(|| {
            format!("mix entry '{part}': unknown outcome (200, 404, 408, 480, 486, 503, 603, cancel, none)")
        })?;
        let w: u32 = w
            .trim()
            .parse()
            .map_err(|_| format!("mix entry '{part}': bad weight"))?;
        v.push((sc, w));
    }
    if v.iter().map(|(_, w)| *w).sum::<u32>() == 0 {
        return Err("mix: weights sum to zero".into());
    }
    Ok(v)
}

fn parse_args(argv: &[String]) -> Result<Args, String> {
    let mut a = Args {
        calls: 1000,
        seed: 1,
        out: String::new(),
        truth: String::new(),
        target_bytes: None,
        rtp: false,
        cps: 20.0,
        mix: parse_mix(DEFAULT_MIX)?,
        tcp_share: 0.3,
    };
    let mut it = argv.iter().cloned();
    while let Some(k) = it.next() {
        let mut val = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        let num = |s: String, name: &str| {
            s.parse::<u64>()
                .map_err(|_| format!("{name}: not a number: {s}"))
        };
        match k.as_str() {
            "--calls" => a.calls = num(val("--calls")?, "--calls")?,
            "--seed" => a.seed = num(val("--seed")?, "--seed")?,
            "--out" => a.out = val("--out")?,
            "--truth" => a.truth = val("--truth")?,
            "--target-bytes" => {
                a.target_bytes = Some(num(val("--target-bytes")?, "--target-bytes")?)
            }
            "--rtp" => a.rtp = true,
            "--cps" => {
                a.cps = val("--cps")?
                    .parse()
                    .map_err(|_| "--cps: not a number".to_string())?;
                if a.cps <= 0.0 {
                    return Err("--cps must be positive".into());
                }
            }
            "--tcp-share" => {
                a.tcp_share = val("--tcp-share")?
                    .parse()
                    .map_err(|_| "--tcp-share: not a number".to_string())?
            }
            "--mix" => a.mix = parse_mix(&val("--mix")?)?,
            "-h" | "--help" => {
                return Err(format!(
                    "usage: gen_capture --calls N --seed S --out FILE [--target-bytes B] [--rtp] \
                     [--cps R] [--tcp-share F] [--truth FILE] [--mix {DEFAULT_MIX}]"
                ))
            }
            other => return Err(format!("unknown argument {other} (try --help)")),
        }
    }
    if a.out.is_empty() {
        return Err("--out FILE is required".into());
    }
    if a.truth.is_empty() {
        a.truth = format!("{}.truth.jsonl", a.out);
    }
    Ok(a)
}

/// One end of a call.
#[derive(Clone)]
struct Host {
    mac: [u8; 6],
    ip: [u8; 4],
    port: u16,
    user: String,
    ua: &'static str,
}

impl Host {
    fn ip_str(&self) -> String {
        let [a, b, c, d] = self.ip;
        format!("{a}.{b}.{c}.{d}")
    }
}

/// Internet checksum over several slices.
fn checksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u32 = 0;
    let mut odd: Option<u8> = None;
    for p in parts {
        for &b in p.iter() {
            match odd.take() {
                Some(hi) => sum += u16::from_be_bytes([hi, b]) as u32,
                None => odd = Some(b),
            }
        }
    }
    if let Some(hi) = odd {
        sum += (hi as u32) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn ipv4_frame(src: &Host, dst: &Host, proto: u8, id: u16, frag: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(34 + payload.len());
    f.extend_from_slice(&dst.mac);
    f.extend_from_slice(&src.mac);
    f.extend_from_slice(&[0x08, 0x00]);
    let total = (20 + payload.len()) as u16;
    let mut h = [0u8; 20];
    h[0] = 0x45;
    h[1] = 0x68; // DSCP AF31, as SIP signalling is usually marked.
    h[2..4].copy_from_slice(&total.to_be_bytes());
    h[4..6].copy_from_slice(&id.to_be_bytes());
    h[6..8].copy_from_slice(&frag.to_be_bytes());
    h[8] = 62;
    h[9] = proto;
    h[12..16].copy_from_slice(&src.ip);
    h[16..20].copy_from_slice(&dst.ip);
    let c = checksum(&[&h]);
    h[10..12].copy_from_slice(&c.to_be_bytes());
    f.extend_from_slice(&h);
    f.extend_from_slice(payload);
    f
}

fn pseudo(src: &Host, dst: &Host, proto: u8, len: usize) -> [u8; 12] {
    let mut p = [0u8; 12];
    p[0..4].copy_from_slice(&src.ip);
    p[4..8].copy_from_slice(&dst.ip);
    p[9] = proto;
    p[10..12].copy_from_slice(&(len as u16).to_be_bytes());
    p
}

/// UDP datagram as one frame, or as IPv4 fragments when it exceeds the MTU.
fn udp_frames(
    src: &Host,
    dst: &Host,
    sport: u16,
    dport: u16,
    id: u16,
    payload: &[u8],
    csum: bool,
) -> Vec<Vec<u8>> {
    let len = 8 + payload.len();
    let mut d = Vec::with_capacity(len);
    d.extend_from_slice(&sport.to_be_bytes());
    d.extend_from_slice(&dport.to_be_bytes());
    d.extend_from_slice(&(len as u16).to_be_bytes());
    d.extend_from_slice(&[0, 0]);
    d.extend_from_slice(payload);
    if csum {
        let mut c = checksum(&[&pseudo(src, dst, 17, len), &d]);
        if c == 0 {
            c = 0xffff;
        }
        d[6..8].copy_from_slice(&c.to_be_bytes());
    }
    if d.len() <= FRAG {
        return vec![ipv4_frame(src, dst, 17, id, 0x4000, &d)]; // DF
    }
    d.chunks(FRAG)
        .enumerate()
        .map(|(i, chunk)| {
            let more = (i + 1) * FRAG < d.len();
            let frag = ((i * FRAG / 8) as u16) | if more { 0x2000 } else { 0 };
            ipv4_frame(src, dst, 17, id, frag, chunk)
        })
        .collect()
}

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const PSH: u8 = 0x08;
const FIN: u8 = 0x01;

#[allow(clippy::too_many_arguments)]
fn tcp_frame(
    src: &Host,
    dst: &Host,
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    id: u16,
    payload: &[u8],
) -> Vec<u8> {
    let opts: &[u8] = if flags & SYN != 0 {
        &[2, 4, 0x05, 0xb4, 1, 1, 4, 2]
    } else {
        &[]
    };
    let hl = 20 + opts.len();
    let mut t = Vec::with_capacity(hl + payload.len());
    t.extend_from_slice(&sport.to_be_bytes());
    t.extend_from_slice(&dport.to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&ack.to_be_bytes());
    t.push(((hl / 4) as u8) << 4);
    t.push(flags);
    t.extend_from_slice(&64240u16.to_be_bytes());
    t.extend_from_slice(&[0, 0, 0, 0]);
    t.extend_from_slice(opts);
    t.extend_from_slice(payload);
    let c = checksum(&[&pseudo(src, dst, 6, t.len()), &t]);
    t[16..18].copy_from_slice(&c.to_be_bytes());
    ipv4_frame(src, dst, 6, id, 0x4000, &t)
}

/// A G.711 stream, emitted lazily so memory stays flat however long the call.
struct Rtp {
    src: Host,
    dst: Host,
    sport: u16,
    dport: u16,
    ssrc: u32,
    seq: u16,
    ts: u32,
    next: i64,
    end: i64,
    id: u16,
}

enum Item {
    Frame(Vec<u8>),
    Rtp(Box<Rtp>),
}

struct Ev {
    ts: i64,
    order: u64,
    item: Item,
}
impl PartialEq for Ev {
    fn eq(&self, o: &Self) -> bool {
        (self.ts, self.order) == (o.ts, o.order)
    }
}
impl Eq for Ev {}
impl PartialOrd for Ev {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Ev {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (o.ts, o.order).cmp(&(self.ts, self.order)) // min-heap
    }
}

struct Out {
    w: BufWriter<File>,
    heap: BinaryHeap<Ev>,
    order: u64,
    frames: u64,
    bytes: u64,
    sip: u64,
    rtp_frames: u64,
    fragments: u64,
    /// Bytes written plus bytes already scheduled (for `--target-bytes`).
    planned: u64,
    payload: Vec<u8>,
    rng: Rng,
}

impl Out {
    fn push(&mut self, ts: i64, item: Item) {
        self.planned += match &item {
            Item::Frame(f) => 16 + f.len() as u64,
            Item::Rtp(_) => 0, // planned once, when the stream is created
        };
        self.order += 1;
        self.heap.push(Ev {
            ts,
            order: self.order,
            item,
        });
    }
    fn write_frame(&mut self, ts: i64, f: &[u8]) -> io::Result<()> {
        let mut h = [0u8; 16];
        h[0..4].copy_from_slice(&((ts / SEC) as u32).to_le_bytes());
        h[4..8].copy_from_slice(&(((ts % SEC) / 1000) as u32).to_le_bytes());
        h[8..12].copy_from_slice(&(f.len() as u32).to_le_bytes());
        h[12..16].copy_from_slice(&(f.len() as u32).to_le_bytes());
        self.w.write_all(&h)?;
        self.w.write_all(f)?;
        self.frames += 1;
        self.bytes += 16 + f.len() as u64;
        Ok(())
    }
    /// Write every event earlier than `until` in time order.
    fn flush_until(&mut self, until: i64) -> io::Result<()> {
        while self.heap.peek().is_some_and(|e| e.ts < until) {
            let ev = self.heap.pop().expect("peeked");
            match ev.item {
                Item::Frame(f) => self.write_frame(ev.ts, &f)?,
                Item::Rtp(mut r) => {
                    let mut p = std::mem::take(&mut self.payload);
                    p.clear();
                    p.extend_from_slice(&[0x80, 0x00]);
                    p.extend_from_slice(&r.seq.to_be_bytes());
                    p.extend_from_slice(&r.ts.to_be_bytes());
                    p.extend_from_slice(&r.ssrc.to_be_bytes());
                    let at = p.len();
                    p.resize(at + 160, 0);
                    self.rng.fill(&mut p[at..]);
                    let f = udp_frames(&r.src, &r.dst, r.sport, r.dport, r.id, &p, false);
                    self.payload = p;
                    self.write_frame(ev.ts, &f[0])?;
                    self.rtp_frames += 1;
                    r.seq = r.seq.wrapping_add(1);
                    r.ts = r.ts.wrapping_add(160);
                    r.id = r.id.wrapping_add(1);
                    r.next += 20 * MS;
                    if r.next < r.end {
                        let t = r.next + self.rng.below(400_000) as i64;
                        self.push(t, Item::Rtp(r));
                    }
                }
            }
        }
        Ok(())
    }
}

/// TCP connection state for one call (the caller connected to the callee).
struct Tcp {
    cport: u16,
    seq: [u32; 2],
}

/// Builds one call's packets on a time cursor.
struct Call<'a> {
    rng: &'a mut Rng,
    out: &'a mut Out,
    /// 0 = caller (sent the INVITE), 1 = callee.
    ends: [Host; 2],
    tcp: Option<Tcp>,
    ip_id: [u16; 2],
    t: i64,
    fragmented: bool,
}

impl Call<'_> {
    fn frame(&mut self, ts: i64, f: Vec<u8>) {
        self.out.push(ts, Item::Frame(f));
    }

    fn next_id(&mut self, side: usize) -> u16 {
        self.ip_id[side] = self.ip_id[side].wrapping_add(1);
        self.ip_id[side]
    }

    /// Send one SIP message from `side` at the cursor.
    fn send(&mut self, side: usize, msg: &[u8]) {
        self.out.sip += 1;
        let (src, dst) = (self.ends[side].clone(), self.ends[1 - side].clone());
        let id = self.next_id(side);
        let t = self.t;
        match &mut self.tcp {
            None => {
                let frames = udp_frames(&src, &dst, src.port, dst.port, id, msg, true);
                if frames.len() > 1 {
                    self.fragmented = true;
                    self.out.fragments += frames.len() as u64;
                }
                for (i, f) in frames.into_iter().enumerate() {
                    self.frame(t + i as i64 * 3_000, f);
                }
            }
            Some(tcp) => {
                let (sport, dport) = if side == 0 {
                    (tcp.cport, 5060)
                } else {
                    (5060, tcp.cport)
                };
                let ack = tcp.seq[1 - side];
                let mut seq = tcp.seq[side];
                let mut frames = Vec::new();
                let n = msg.len().div_ceil(MSS);
                for (i, seg) in msg.chunks(MSS).enumerate() {
                    let flags = if i + 1 == n { ACK | PSH } else { ACK };
                    frames.push(tcp_frame(
                        &src,
                        &dst,
                        sport,
                        dport,
                        seq,
                        ack,
                        flags,
                        id.wrapping_add(i as u16),
                        seg,
                    ));
                    seq = seq.wrapping_add(seg.len() as u32);
                }
                tcp.seq[side] = seq;
                self.ip_id[side] = id.wrapping_add(n as u16);
                let back = tcp_frame(
                    &dst,
                    &src,
                    dport,
                    sport,
                    ack,
                    seq,
                    ACK,
                    self.ip_id[1 - side].wrapping_add(1),
                    &[],
                );
                self.ip_id[1 - side] = self.ip_id[1 - side].wrapping_add(1);
                for (i, f) in frames.into_iter().enumerate() {
                    self.frame(t + i as i64 * 20_000, f);
                }
                self.frame(t + n as i64 * 20_000 + 200_000, back);
            }
        }
    }

    fn tcp_control(&mut self, side: usize, flags: u8, at: i64) {
        let (src, dst) = (self.ends[side].clone(), self.ends[1 - side].clone());
        let id = self.next_id(side);
        let tcp = self.tcp.as_mut().expect("tcp call");
        let (sport, dport) = if side == 0 {
            (tcp.cport, 5060)
        } else {
            (5060, tcp.cport)
        };
        let seq = tcp.seq[side];
        let ack = if flags == SYN { 0 } else { tcp.seq[1 - side] };
        if flags & (SYN | FIN) != 0 {
            tcp.seq[side] = seq.wrapping_add(1);
        }
        let f = tcp_frame(&src, &dst, sport, dport, seq, ack, flags, id, &[]);
        self.frame(at, f);
    }

    fn advance(&mut self, lo_ms: u64, hi_ms: u64) {
        self.t += self.rng.range(lo_ms, hi_ms) as i64 * MS + self.rng.below(1000) as i64 * 1000;
    }
}

struct Dialog {
    call_id: String,
    branch: String,
    from_tag: String,
    to_tag: String,
    cseq: u32,
    /// Proxy-Authorization for the re-sent INVITE after a 407.
    auth_hdr: String,
    record_route: String,
    x_butter: Option<String>,
    caller_contact: String,
    callee_contact: String,
    sdp_port: [u16; 2],
}

fn sdp(rng: &mut Rng, h: &Host, port: u16, big: bool, answer: bool) -> String {
    let sess = rng.range(1_000_000, 9_999_999);
    let ip = h.ip_str();
    let mut s = format!(
        "v=0\r\no=- {sess} {sess} IN IP4 {ip}\r\ns={}\r\nc=IN IP4 {ip}\r\nt=0 0\r\n",
        if answer { "SBC" } else { "-" }
    );
    if !big {
        let _ = write!(
            s,
            "m=audio {port} RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n\
             a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n"
        );
        return s;
    }
    // A WebRTC-gateway style offer: many codecs, SRTP keys, ICE candidates.
    let _ = write!(
        s,
        "a=ice-ufrag:{}\r\na=ice-pwd:{}\r\na=msid-semantic: WMS {}\r\n\
         m=audio {port} RTP/AVP 111 9 0 8 18 104 103 13 110 112 113 126 101\r\n\
         a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1;maxaveragebitrate=20000\r\n\
         a=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n\
         a=rtpmap:18 G729/8000\r\na=fmtp:18 annexb=no\r\na=rtpmap:104 ISAC/32000\r\n\
         a=rtpmap:103 ISAC/16000\r\na=rtpmap:13 CN/8000\r\na=rtpmap:110 telephone-event/48000\r\n\
         a=rtpmap:112 telephone-event/32000\r\na=rtpmap:113 telephone-event/16000\r\n\
         a=rtpmap:126 telephone-event/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n\
         a=ptime:20\r\na=maxptime:60\r\na=sendrecv\r\na=rtcp:{} IN IP4 {ip}\r\na=rtcp-mux\r\n",
        rng.hex(16),
        rng.hex(24),
        rng.hex(36),
        port + 1
    );
    for tag in 1..=3 {
        let _ = write!(
            s,
            "a=crypto:{tag} AES_CM_128_HMAC_SHA1_{} inline:{}{}\r\n",
            if tag == 2 { 32 } else { 80 },
            rng.hex(30),
            rng.hex(10)
        );
    }
    for (i, kind) in [
        "host", "srflx", "relay", "host", "srflx", "relay", "host", "srflx",
    ]
    .iter()
    .enumerate()
    {
        let _ = write!(
            s,
            "a=candidate:{} {} udp {} {ip} {} typ {kind} generation 0 network-id {}\r\n",
            rng.range(100_000_000, 4_000_000_000),
            1 + i % 2,
            rng.range(1_000_000, 2_130_706_431),
            port as u64 + 2 * i as u64,
            1 + i / 4
        );
    }
    s
}

#[allow(clippy::too_many_arguments)] // mirrors the header fields of a request
fn request(
    method: &str,
    ruri: &str,
    from_side: &Host,
    via: &str,
    from: &str,
    to: &str,
    d: &Dialog,
    cseq: u32,
    extra: &str,
    body: &str,
) -> Vec<u8> {
    let mut m = String::with_capacity(900 + body.len());
    let _ = write!(
        m,
        "{method} {ruri} SIP/2.0\r\n{via}Max-Forwards: 70\r\nFrom: {from}\r\nTo: {to}\r\n\
         Call-ID: {}\r\nCSeq: {cseq} {method}\r\n",
        d.call_id
    );
    if method == "INVITE" {
        // Only the caller sends INVITEs here (no re-INVITEs).
        let contact = &d.caller_contact;
        let _ = write!(
            m,
            "Contact: {contact}\r\nAllow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, REFER, NOTIFY\r\n\
             Supported: timer, replaces, 100rel\r\nSession-Expires: 1800;refresher=uac\r\nMin-SE: 90\r\n\
             P-Asserted-Identity: <sip:{}@{}>\r\n",
            from_side.user,
            from_side.ip_str()
        );
    }
    let _ = write!(m, "User-Agent: {}\r\n{extra}", from_side.ua);
    if !body.is_empty() {
        m.push_str("Content-Type: application/sdp\r\n");
    }
    let _ = write!(m, "Content-Length: {}\r\n\r\n{body}", body.len());
    m.into_bytes()
}

#[allow(clippy::too_many_arguments)] // mirrors the header fields of a response
fn response(
    code: u16,
    reason: &str,
    vias: &str,
    from: &str,
    to: &str,
    d: &Dialog,
    cseq: u32,
    method: &str,
    server: &str,
    extra: &str,
    body: &str,
) -> Vec<u8> {
    let mut m = String::with_capacity(600 + body.len());
    let _ = write!(
        m,
        "SIP/2.0 {code} {reason}\r\n{vias}{}From: {from}\r\nTo: {to}\r\nCall-ID: {}\r\nCSeq: {cseq} {method}\r\n\
         Server: {server}\r\n{extra}",
        d.record_route, d.call_id
    );
    if !body.is_empty() {
        m.push_str("Content-Type: application/sdp\r\n");
    }
    let _ = write!(m, "Content-Length: {}\r\n\r\n{body}", body.len());
    m.into_bytes()
}

fn reason(code: u16) -> &'static str {
    match code {
        100 => "Trying",
        180 => "Ringing",
        183 => "Session Progress",
        200 => "OK",
        404 => "Not Found",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        480 => "Temporarily Unavailable",
        486 => "Busy Here",
        487 => "Request Terminated",
        503 => "Service Unavailable",
        603 => "Decline",
        _ => "Unknown",
    }
}

struct Truth {
    sip_call_id: String,
    status: &'static str,
    sip_code: Option<u16>,
    scenario: String,
    direction: &'static str,
    transport: &'static str,
    butter_call_id: Option<String>,
    invite_time: i64,
    auth_challenge: bool,
    retransmissions: bool,
    fragmented: bool,
    bye_from: Option<&'static str>,
}

/// Generate one call starting at `t0`; its packets go to the heap.
#[allow(clippy::too_many_lines)]
fn gen_call(rng: &mut Rng, out: &mut Out, args: &Args, t0: i64) -> Truth {
    let total: u32 = args.mix.iter().map(|(_, w)| *w).sum();
    let mut pick = rng.below(total as u64) as u32;
    let mut scenario = args.mix[0].0;
    for (s, w) in &args.mix {
        if pick < *w {
            scenario = *s;
            break;
        }
        pick -= w;
    }
    let outbound = rng.chance(0.6);
    let tcp = rng.chance(args.tcp_share);
    let transport = if tcp { "TCP" } else { "UDP" };
    let tl = if tcp { "tcp" } else { "udp" };
    let carriers: [[u8; 4]; 3] = [[203, 0, 113, 50], [203, 0, 113, 51], [198, 51, 100, 7]];
    let platform = Host {
        mac: [0x02, 0x42, 0xac, 0x11, 0x00, 0x0a],
        ip: [10, 20, 0, 10],
        port: 5060,
        user: String::new(),
        ua: "Butter-SIP/2.4.1",
    };
    let carrier = Host {
        mac: [0x00, 0x1b, 0x17, 0x00, 0x01, 0x32],
        ip: carriers[rng.below(3) as usize],
        port: 5060,
        user: String::new(),
        ua: "CarrierSBC 7.2.0",
    };
    let (mut caller, mut callee) = if outbound {
        (platform, carrier)
    } else {
        (carrier, platform)
    };
    caller.user = rng.e164();
    callee.user = rng.e164();
    let big_sdp = !tcp && rng.chance(0.05) || tcp && rng.chance(0.05);
    let mut d = Dialog {
        call_id: if outbound {
            format!("{}-{}@{}", rng.hex(8), rng.hex(12), caller.ip_str())
        } else {
            format!("{}@{}", rng.hex(32), caller.ip_str())
        },
        branch: String::new(),
        from_tag: rng.hex(10),
        to_tag: rng.hex(8),
        cseq: rng.range(1, 200) as u32,
        auth_hdr: String::new(),
        record_route: String::new(),
        x_butter: outbound.then(|| format!("call_{}", rng.hex(16))),
        caller_contact: format!(
            "<sip:{}@{}:5060;transport={tl}>",
            caller.user,
            caller.ip_str()
        ),
        callee_contact: format!(
            "<sip:{}@{}:5060;transport={tl}>",
            callee.user,
            callee.ip_str()
        ),
        sdp_port: [
            2 * rng.range(5000, 14999) as u16,
            2 * rng.range(5000, 14999) as u16,
        ],
    };
    if !outbound {
        // Carrier proxies record-route themselves on inbound calls.
        d.record_route = format!(
            "Record-Route: <sip:{};lr;ftag={}>\r\n",
            caller.ip_str(),
            d.from_tag
        );
    }
    let ruri = format!(
        "sip:{}@{}:5060;transport={tl}",
        callee.user,
        callee.ip_str()
    );
    let from = format!(
        "<sip:{}@{}>;tag={}",
        caller.user,
        caller.ip_str(),
        d.from_tag
    );
    let to0 = format!("<sip:{}@{}>", callee.user, callee.ip_str());
    let to1 = format!("{to0};tag={}", d.to_tag);
    let extra_hdr = d
        .x_butter
        .as_ref()
        .map(|x| format!("X-Butter-Call-Id: {x}\r\n"))
        .unwrap_or_default();
    let mut tcp_state = None;
    if tcp {
        tcp_state = Some(Tcp {
            cport: rng.range(20_000, 60_000) as u16,
            seq: [rng.next() as u32, rng.next() as u32],
        });
    }
    let mut c = Call {
        ip_id: [rng.next() as u16, rng.next() as u16],
        rng,
        out,
        ends: [caller.clone(), callee.clone()],
        tcp: tcp_state,
        t: t0,
        fragmented: false,
    };
    if tcp {
        c.tcp_control(0, SYN, c.t);
        c.tcp_control(1, SYN | ACK, c.t + 300_000);
        c.tcp_control(0, ACK, c.t + 600_000);
        c.t += MS;
    }
    let invite_time = c.t;
    let via_for = |rng: &mut Rng, h: &Host, branch: &str| -> String {
        let _ = rng;
        format!(
            "Via: SIP/2.0/{transport} {}:5060;branch={branch};rport\r\n",
            h.ip_str()
        )
    };
    let retrans = !tcp && c.rng.chance(0.1);
    let auth = outbound && c.rng.chance(0.15);
    let offer = sdp(c.rng, &caller, d.sdp_port[0], big_sdp, false);
    if auth {
        d.branch = format!("z9hG4bK{}", c.rng.hex(20));
        let via = via_for(c.rng, &caller, &d.branch);
        let inv = request(
            "INVITE", &ruri, &caller, &via, &from, &to0, &d, d.cseq, &extra_hdr, &offer,
        );
        c.send(0, &inv);
        c.advance(15, 60);
        let nonce = c.rng.hex(32);
        let chal = format!(
            "Proxy-Authenticate: Digest realm=\"sip.carrier.example\", nonce=\"{nonce}\", algorithm=MD5, qop=\"auth\"\r\n"
        );
        let r = response(
            407,
            reason(407),
            &via,
            &from,
            &to1,
            &d,
            d.cseq,
            "INVITE",
            callee.ua,
            &chal,
            "",
        );
        c.send(1, &r);
        c.advance(1, 5);
        let ack = request("ACK", &ruri, &caller, &via, &from, &to1, &d, d.cseq, "", "");
        c.send(0, &ack);
        c.advance(1, 10);
        d.cseq += 1;
        d.auth_hdr = format!(
            "Proxy-Authorization: Digest username=\"butter-trunk\", realm=\"sip.carrier.example\", nonce=\"{nonce}\", \
             uri=\"{ruri}\", response=\"{}\", algorithm=MD5, cnonce=\"{}\", qop=auth, nc=00000001\r\n",
            c.rng.hex(32),
            c.rng.hex(16)
        );
    }
    d.branch = format!("z9hG4bK{}", c.rng.hex(20));
    let via = via_for(c.rng, &caller, &d.branch);
    let mut inv_extra = extra_hdr.clone();
    inv_extra.push_str(&d.auth_hdr);
    let invite = request(
        "INVITE", &ruri, &caller, &via, &from, &to0, &d, d.cseq, &inv_extra, &offer,
    );
    // Responses carry the Via (and Record-Route) of the INVITE.
    let cseq = d.cseq;
    c.send(0, &invite);
    let mut truth = Truth {
        sip_call_id: d.call_id.clone(),
        status: "failed",
        sip_code: None,
        scenario: scenario.name(),
        direction: if outbound { "outbound" } else { "inbound" },
        transport,
        butter_call_id: d.x_butter.clone(),
        invite_time,
        auth_challenge: auth,
        retransmissions: retrans,
        fragmented: false,
        bye_from: None,
    };
    if scenario == Scenario::NoResponse {
        if !tcp {
            // Timer A: T1 = 500 ms, doubling, until Timer B (64*T1) fires.
            let mut gap = 500 * MS;
            let start = c.t;
            let mut at = start;
            while at + gap < start + 32 * SEC {
                at += gap;
                c.t = at;
                c.send(0, &invite);
                gap *= 2;
            }
        } else {
            c.advance(32_000, 32_000);
        }
        truth.fragmented = c.fragmented;
        finish_tcp(&mut c);
        return truth;
    }
    if retrans {
        c.t += 500 * MS;
        c.send(0, &invite);
    }
    c.advance(10, 80);
    let trying = response(
        100,
        reason(100),
        &via,
        &from,
        &to0,
        &d,
        cseq,
        "INVITE",
        callee.ua,
        "",
        "",
    );
    c.send(1, &trying);
    let ringing_first = !matches!(scenario, Scenario::Reject(404) | Scenario::Reject(503));
    if ringing_first {
        c.advance(300, 3000);
        let rr = format!("Contact: {}\r\n", d.callee_contact);
        let ring = response(
            180,
            reason(180),
            &via,
            &from,
            &to1,
            &d,
            cseq,
            "INVITE",
            callee.ua,
            &rr,
            "",
        );
        c.send(1, &ring);
    }
    let ack_non2xx = |c: &mut Call, d: &Dialog| {
        c.advance(1, 20);
        let ack = request("ACK", &ruri, &caller, &via, &from, &to1, d, cseq, "", "");
        c.send(0, &ack);
    };
    match scenario {
        Scenario::Reject(code) => {
            c.advance(
                if code == 408 { 20_000 } else { 200 },
                if code == 408 { 30_000 } else { 8000 },
            );
            let extra = if code == 503 {
                "Retry-After: 30\r\n"
            } else {
                ""
            };
            let extra = if code == 480 {
                "Reason: Q.850;cause=19;text=\"No answer from user\"\r\n".to_string()
            } else {
                extra.to_string()
            };
            let r = response(
                code,
                reason(code),
                &via,
                &from,
                &to1,
                &d,
                cseq,
                "INVITE",
                callee.ua,
                &extra,
                "",
            );
            c.send(1, &r);
            ack_non2xx(&mut c, &d);
            truth.sip_code = Some(code);
            truth.status = match code {
                486 | 603 => "busy",
                408 | 480 => "no-answer",
                _ => "failed",
            };
        }
        Scenario::Cancel => {
            c.advance(2000, 10_000);
            let cancel = request(
                "CANCEL", &ruri, &caller, &via, &from, &to0, &d, cseq, "", "",
            );
            c.send(0, &cancel);
            c.advance(5, 40);
            let ok = response(
                200,
                reason(200),
                &via,
                &from,
                &to0,
                &d,
                cseq,
                "CANCEL",
                callee.ua,
                "",
                "",
            );
            c.send(1, &ok);
            c.advance(1, 10);
            let r = response(
                487,
                reason(487),
                &via,
                &from,
                &to1,
                &d,
                cseq,
                "INVITE",
                callee.ua,
                "",
                "",
            );
            c.send(1, &r);
            ack_non2xx(&mut c, &d);
            truth.sip_code = Some(487);
            truth.status = "canceled";
        }
        Scenario::Answered => {
            c.advance(1000, 12_000);
            let answer = sdp(c.rng, &callee, d.sdp_port[1], false, true);
            let ct = format!(
                "Contact: {}\r\nSupported: timer\r\nSession-Expires: 1800;refresher=uac\r\n",
                d.callee_contact
            );
            let ok = response(
                200,
                reason(200),
                &via,
                &from,
                &to1,
                &d,
                cseq,
                "INVITE",
                callee.ua,
                &ct,
                &answer,
            );
            c.send(1, &ok);
            let answered_at = c.t;
            if retrans {
                // The ACK was late: the 200 is retransmitted (RFC 3261 13.3.1.4).
                c.t += 500 * MS;
                c.send(1, &ok);
            }
            c.advance(5, 60);
            let callee_uri = format!(
                "sip:{}@{}:5060;transport={tl}",
                callee.user,
                callee.ip_str()
            );
            let ack_branch = format!("z9hG4bK{}", c.rng.hex(20));
            let via_ack = via_for(c.rng, &caller, &ack_branch);
            let ack = request(
                "ACK",
                &callee_uri,
                &caller,
                &via_ack,
                &from,
                &to1,
                &d,
                cseq,
                "",
                "",
            );
            c.send(0, &ack);
            let dur = c.rng.range(5_000, 60_000) as i64 * MS;
            if args.rtp {
                let id = c.rng.next() as u16;
                for (s, (a, b)) in [(0usize, (&caller, &callee)), (1, (&callee, &caller))] {
                    let r = Rtp {
                        src: a.clone(),
                        dst: b.clone(),
                        sport: d.sdp_port[s],
                        dport: d.sdp_port[1 - s],
                        ssrc: c.rng.next() as u32,
                        seq: c.rng.next() as u16,
                        ts: c.rng.next() as u32,
                        next: answered_at + 30 * MS + s as i64 * 7 * MS,
                        end: c.t + dur,
                        id: id.wrapping_add(s as u16 * 7919),
                    };
                    let first = r.next;
                    // 16 record + 14 Ethernet + 20 IP + 8 UDP + 12 RTP + 160 bytes.
                    c.out.planned += ((r.end - r.next) / (20 * MS)).max(1) as u64 * 230;
                    c.out.push(first, Item::Rtp(Box::new(r)));
                }
            }
            c.t += dur;
            let from_callee = c.rng.chance(0.4);
            let br = format!("z9hG4bK{}", c.rng.hex(20));
            if from_callee {
                // The callee's own request: From/To swapped, its own CSeq space.
                let v = via_for(c.rng, &callee, &br);
                let caller_uri = format!(
                    "sip:{}@{}:5060;transport={tl}",
                    caller.user,
                    caller.ip_str()
                );
                let cs = c.rng.range(1, 100) as u32;
                let bye = request("BYE", &caller_uri, &callee, &v, &to1, &from, &d, cs, "", "");
                c.send(1, &bye);
                c.advance(5, 50);
                let ok = response(
                    200,
                    reason(200),
                    &v,
                    &to1,
                    &from,
                    &d,
                    cs,
                    "BYE",
                    caller.ua,
                    "",
                    "",
                );
                c.send(0, &ok);
                truth.bye_from = Some("callee");
            } else {
                let v = via_for(c.rng, &caller, &br);
                let reason_hdr = "Reason: Q.850;cause=16;text=\"Normal call clearing\"\r\n";
                let bye = request(
                    "BYE",
                    &callee_uri,
                    &caller,
                    &v,
                    &from,
                    &to1,
                    &d,
                    cseq + 1,
                    reason_hdr,
                    "",
                );
                c.send(0, &bye);
                c.advance(5, 50);
                let ok = response(
                    200,
                    reason(200),
                    &v,
                    &from,
                    &to1,
                    &d,
                    cseq + 1,
                    "BYE",
                    callee.ua,
                    "",
                    "",
                );
                c.send(1, &ok);
                truth.bye_from = Some("caller");
            }
            truth.sip_code = Some(200);
            truth.status = "completed";
        }
        Scenario::NoResponse => unreachable!("handled above"),
    }
    truth.fragmented = c.fragmented;
    finish_tcp(&mut c);
    truth
}

fn finish_tcp(c: &mut Call) {
    if c.tcp.is_some() {
        c.advance(50, 500);
        let t = c.t;
        c.tcp_control(0, FIN | ACK, t);
        c.tcp_control(1, FIN | ACK, t + 400_000);
        c.tcp_control(0, ACK, t + 800_000);
    }
}

fn run(args: &Args) -> io::Result<String> {
    let mut rng = Rng::new(args.seed);
    let mut out = Out {
        w: BufWriter::with_capacity(1 << 20, File::create(&args.out)?),
        heap: BinaryHeap::new(),
        order: 0,
        frames: 0,
        bytes: 24,
        sip: 0,
        rtp_frames: 0,
        fragments: 0,
        planned: 24,
        payload: Vec::with_capacity(200),
        rng: Rng::new(args.seed ^ 0x5eed),
    };
    let mut truth = BufWriter::new(File::create(&args.truth)?);
    // Classic little-endian microsecond pcap, as tcpdump writes it.
    let mut hdr = Vec::with_capacity(24);
    hdr.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    hdr.extend_from_slice(&2u16.to_le_bytes());
    hdr.extend_from_slice(&4u16.to_le_bytes());
    hdr.extend_from_slice(&[0; 8]);
    hdr.extend_from_slice(&262_144u32.to_le_bytes());
    hdr.extend_from_slice(&1u32.to_le_bytes());
    out.w.write_all(&hdr)?;
    let mut t = BASE_NS;
    let mean_gap = SEC as f64 / args.cps;
    let mut calls = 0u64;
    let mut by_status = std::collections::BTreeMap::<&str, u64>::new();
    while calls < args.calls || args.target_bytes.is_some_and(|b| out.planned < b) {
        // Exponential inter-arrival times (Poisson arrivals).
        let u = (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
        t += (-(1.0 - u).ln() * mean_gap) as i64;
        out.flush_until(t)?;
        let tr = gen_call(&mut rng, &mut out, args, t);
        calls += 1;
        *by_status.entry(tr.status).or_default() += 1;
        let line = serde_json::json!({
            "sip_call_id": tr.sip_call_id,
            "status": tr.status,
            "sip_code": tr.sip_code,
            "scenario": tr.scenario,
            "direction": tr.direction,
            "transport": tr.transport,
            "butter_call_id": tr.butter_call_id,
            "invite_time": tr.invite_time as f64 / 1e9,
            "auth_challenge": tr.auth_challenge,
            "retransmissions": tr.retransmissions,
            "fragmented": tr.fragmented,
            "bye_from": tr.bye_from,
        });
        writeln!(truth, "{line}")?;
    }
    out.flush_until(i64::MAX)?;
    out.w.flush()?;
    truth.flush()?;
    Ok(serde_json::json!({
        "out": args.out,
        "truth": args.truth,
        "calls": calls,
        "statuses": by_status,
        "frames": out.frames,
        "sip_messages": out.sip,
        "rtp_frames": out.rtp_frames,
        "fragment_frames": out.fragments,
        "bytes": out.bytes,
    })
    .to_string())
}

/// Parse `argv` (without the program name), write the capture and the truth
/// file, return the JSON summary. Used by `main` and by the tests.
pub fn generate(argv: &[String]) -> Result<String, String> {
    let args = parse_args(argv)?;
    run(&args).map_err(|e| format!("{}: {e}", args.out))
}

#[allow(dead_code)] // the tests include this file as a module
fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    match generate(&argv) {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen_capture: {e}");
            ExitCode::from(2)
        }
    }
}
