//! Inline stateless SIP edge proxy (RFC 3261 §16.11) between the platform
//! side and the carrier trunk, over UDP and TCP, IPv4 and IPv6.
//!
//! Requests from the platform side go to the trunk and the other way round;
//! responses follow their Via. Only the header edits a stateless proxy must
//! make are spliced into the original bytes ([`routing`], [`splice`]).
//! Every forwarded or self-generated message is copied to the monitor
//! through a bounded queue ([`Tap`]); a full queue is a counted drop, so
//! monitoring never slows forwarding.
//!
//! Ordering: each socket (and each TCP connection) is read by one task that
//! handles and sends its messages one after the other, so the messages one
//! peer sends about a call leave in the order they arrived.

pub mod routing;
pub mod splice;
mod tcp;
mod udp;

use crate::config::ProxyConfig;
use crate::decode::Transport;
use crate::stats::Counters;
use crate::time::Timestamp;
use bytes::Bytes;
use ipnet::IpNet;
use routing::{Decision, Hop, Kind};
use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Counter layer of everything here.
pub const LAYER: &str = "proxy";
/// Per-reason layer of malformed drops (`proxy_malformed`, e.g. `bad_via`).
pub const LAYER_MALFORMED: &str = "proxy_malformed";
/// Largest message accepted unless configured (the largest UDP payload).
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 65_535;
/// Monitor queue length unless configured.
pub const DEFAULT_MONITOR_QUEUE: usize = 65_536;
/// `Retry-After` seconds in our 503 when the next hop is unreachable.
pub const RETRY_AFTER_SECS: u32 = 30;

/// A copy of one message the proxy sent, for the monitor.
#[derive(Clone, Debug)]
pub struct Tapped {
    pub ts: Timestamp,
    /// The original sender (our own address for a 483/503 we generated).
    pub src: SocketAddr,
    /// Where it was sent.
    pub dst: SocketAddr,
    pub transport: Transport,
    /// The bytes as sent (with our Via/Record-Route edits).
    pub bytes: Bytes,
}

/// The monitor's end of the proxy: a bounded queue and its drop count.
#[derive(Clone, Debug)]
pub struct Tap {
    tx: Option<tokio::sync::mpsc::Sender<Tapped>>,
    dropped: Arc<AtomicU64>,
}

impl Tap {
    /// A tap with room for `capacity` messages and the receiving end.
    pub fn new(capacity: usize) -> (Tap, tokio::sync::mpsc::Receiver<Tapped>) {
        let (tx, rx) = tokio::sync::mpsc::channel(capacity.max(1));
        (
            Tap {
                tx: Some(tx),
                dropped: Arc::default(),
            },
            rx,
        )
    }

    /// Sized by `monitor_queue` in the configuration.
    pub fn from_config(cfg: &ProxyConfig) -> (Tap, tokio::sync::mpsc::Receiver<Tapped>) {
        Tap::new(cfg.monitor_queue.unwrap_or(DEFAULT_MONITOR_QUEUE))
    }

    /// No monitor: forward only.
    pub fn disabled() -> Tap {
        Tap {
            tx: None,
            dropped: Arc::default(),
        }
    }

    /// Messages lost because the queue was full (or the monitor had gone).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Never waits: a full queue drops the copy and counts it.
    fn send(&self, t: Tapped) {
        if let Some(tx) = &self.tx {
            if tx.try_send(t).is_err() {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// Why the proxy could not start.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("proxy: nothing to listen on (set proxy.listen / --listen)")]
    NoListen,
    #[error("proxy: neither a platform nor a trunk address is configured (--platform, --trunk)")]
    NoRoute,
    #[error("proxy: cannot listen on {transport} {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        transport: Transport,
        source: std::io::Error,
    },
}

/// What the proxy did, returned when it stops.
#[derive(Clone, Debug, Default)]
pub struct ProxyStats {
    /// Layer `proxy` (forwarded, dropped_*, rate_limited, tap_full,
    /// upstream_unreachable_503, max_forwards_483...) and `proxy_malformed`.
    pub counters: Counters,
}

/// Hot counters are atomics; rare ones share a mutex-guarded [`Counters`].
#[derive(Debug, Default)]
struct Stats {
    forwarded: AtomicU64,
    forwarded_requests: AtomicU64,
    forwarded_responses: AtomicU64,
    rare: Mutex<Counters>,
}

impl Stats {
    fn inc(&self, layer: &'static str, reason: &'static str) {
        if let Ok(mut c) = self.rare.lock() {
            c.inc(layer, reason);
        }
    }
}

/// Live view of the counters while the proxy runs.
#[derive(Clone, Debug)]
pub struct ProxyHandle {
    stats: Arc<Stats>,
    tap: Tap,
}

impl ProxyHandle {
    /// A snapshot of every counter (layer `proxy` and `proxy_malformed`).
    pub fn counters(&self) -> Counters {
        let mut c = self
            .stats
            .rare
            .lock()
            .map(|c| c.clone())
            .unwrap_or_default();
        c.set(
            LAYER,
            "forwarded",
            self.stats.forwarded.load(Ordering::Relaxed),
        );
        c.set(
            LAYER,
            "forwarded_requests",
            self.stats.forwarded_requests.load(Ordering::Relaxed),
        );
        c.set(
            LAYER,
            "forwarded_responses",
            self.stats.forwarded_responses.load(Ordering::Relaxed),
        );
        c.set(LAYER, "tap_full", self.tap.dropped());
        c
    }
}

/// Which side a source belongs to.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Side {
    Platform,
    Trunk,
}

/// Token bucket per source address (burst: one second's worth).
#[derive(Debug)]
struct Limiter {
    rate: f64,
    buckets: HashMap<IpAddr, (f64, Instant)>,
}

/// Sources remembered by the rate limiter at most (only allowed sources get
/// here, so this bounds a misconfigured wide allow list).
const MAX_BUCKETS: usize = 65_536;

impl Limiter {
    fn allow(&mut self, ip: IpAddr, now: Instant) -> bool {
        if self.rate <= 0.0 {
            return true;
        }
        if self.buckets.len() >= MAX_BUCKETS && !self.buckets.contains_key(&ip) {
            // Keep only sources seen in the last second; the rest start full again.
            self.buckets
                .retain(|_, (_, t)| now.duration_since(*t).as_secs_f64() < 1.0);
        }
        let rate = self.rate;
        let (tokens, last) = self.buckets.entry(ip).or_insert((rate, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * rate).min(rate);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Everything a socket task needs to decide about one message.
#[derive(Debug)]
pub(crate) struct Core {
    platform: Option<SocketAddr>,
    trunk: Option<SocketAddr>,
    allow: Vec<IpNet>,
    max_bytes: usize,
    secret: [u8; 32],
    /// Addresses that are us (Route and Via checks).
    ours: Vec<SocketAddr>,
    /// Sources on the trunk side besides the trunk address itself.
    trunk_nets: Vec<IpNet>,
    stats: Arc<Stats>,
    tap: Tap,
    limiter: Mutex<Limiter>,
}

/// What a socket task should do with one message.
#[derive(Debug)]
pub(crate) enum Verdict {
    Forward {
        to: SocketAddr,
        transport: Transport,
        bytes: Bytes,
        invite: bool,
    },
    Reply {
        bytes: Bytes,
    },
    Nothing,
}

impl Core {
    fn new(cfg: &ProxyConfig, ours: Vec<SocketAddr>, tap: Tap) -> Core {
        let mut allow = cfg.allow.clone();
        for a in [cfg.platform, cfg.trunk].into_iter().flatten() {
            allow.push(IpNet::from(a.ip()));
        }
        allow.extend(cfg.trunk_networks.iter().copied());
        Core {
            platform: cfg.platform,
            trunk: cfg.trunk,
            allow,
            max_bytes: cfg.max_message_bytes.unwrap_or(DEFAULT_MAX_MESSAGE_BYTES),
            secret: random_secret(),
            ours,
            trunk_nets: cfg.trunk_networks.clone(),
            stats: Arc::new(Stats::default()),
            tap,
            limiter: Mutex::new(Limiter {
                rate: cfg.rate_limit_per_source as f64,
                buckets: HashMap::new(),
            }),
        }
    }

    fn allowed(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.allow.iter().any(|n| n.contains(&ip))
    }

    /// The side a source is on: its exact address, else its IP, else (any
    /// other allowed source) the platform side, which is usually many nodes.
    fn side_of(&self, src: SocketAddr) -> Side {
        let trunk_nets = &self.trunk_nets;
        if Some(src) == self.trunk {
            return Side::Trunk;
        }
        if Some(src) == self.platform {
            return Side::Platform;
        }
        let ip = canonical(src.ip());
        let is_trunk_ip =
            self.trunk.is_some_and(|t| t.ip() == ip) || trunk_nets.iter().any(|n| n.contains(&ip));
        let is_platform_ip = self.platform.is_some_and(|p| p.ip() == ip);
        if is_trunk_ip && !is_platform_ip {
            Side::Trunk
        } else {
            Side::Platform
        }
    }

    fn count_malformed(&self, reason: &'static str) {
        self.stats.inc(LAYER, "dropped_malformed");
        self.stats.inc(LAYER_MALFORMED, reason);
    }

    fn tap(&self, src: SocketAddr, dst: SocketAddr, transport: Transport, bytes: &Bytes) {
        self.tap.send(Tapped {
            ts: Timestamp::now(),
            src,
            dst,
            transport,
            bytes: bytes.clone(),
        });
    }

    /// Decide about one message from `src`. `local_out` gives our address
    /// as seen from a destination (None: no socket of that family).
    pub(crate) fn handle(
        &self,
        buf: &[u8],
        src: SocketAddr,
        transport: Transport,
        local_out: &dyn Fn(SocketAddr) -> Option<SocketAddr>,
    ) -> Verdict {
        if !self.allowed(src.ip()) {
            self.stats.inc(LAYER, "dropped_not_allowed");
            return Verdict::Nothing;
        }
        if buf.len() > self.max_bytes {
            self.stats.inc(LAYER, "dropped_oversize");
            return Verdict::Nothing;
        }
        if let Ok(mut l) = self.limiter.lock() {
            if !l.allow(src.ip(), Instant::now()) {
                drop(l);
                self.stats.inc(LAYER, "rate_limited");
                return Verdict::Nothing;
            }
        }
        if buf
            .iter()
            .all(|c| matches!(c, b'\r' | b'\n' | b' ' | b'\t' | 0))
        {
            // RFC 5626 keep-alives; nothing to forward.
            self.stats.inc(LAYER, "keepalive");
            return Verdict::Nothing;
        }
        // Strict syntax check by the SIP parser; the splice scan below only
        // finds where the headers we edit are.
        let skip = buf
            .iter()
            .take_while(|c| matches!(c, b'\r' | b'\n'))
            .count();
        let buf = &buf[skip..];
        if let Err(e) = crate::sip::parse(buf) {
            self.count_malformed(e.kind.code());
            return Verdict::Nothing;
        }
        let sc = match splice::scan(buf) {
            Ok(s) => s,
            Err(e) => {
                self.count_malformed(e);
                return Verdict::Nothing;
            }
        };
        let kind = match routing::kind(buf, &sc) {
            Ok(k) => k,
            Err(e) => {
                self.count_malformed(e);
                return Verdict::Nothing;
            }
        };
        let decision = match kind {
            Kind::Request { .. } => {
                let dest = match self.side_of(src) {
                    Side::Platform => self.trunk,
                    Side::Trunk => self.platform,
                };
                let Some(dest) = dest else {
                    self.stats.inc(LAYER, "dropped_no_route");
                    return Verdict::Nothing;
                };
                if dest == src {
                    self.stats.inc(LAYER, "dropped_loop");
                    return Verdict::Nothing;
                }
                let (Some(local_out), Some(local_in)) = (local_out(dest), local_out(src)) else {
                    self.stats.inc(LAYER, "dropped_no_socket_for_family");
                    return Verdict::Nothing;
                };
                let hop = Hop {
                    transport,
                    src,
                    local_in,
                    local_out,
                    dest,
                    ours: &self.ours,
                    secret: &self.secret,
                };
                routing::route_request(buf, &sc, &hop)
            }
            Kind::Response { .. } => routing::route_response(buf, &sc, &self.ours),
        };
        match decision {
            Decision::Forward {
                bytes,
                to,
                transport: out_t,
                invite,
            } => {
                // Never an open relay: a response only goes to an allowed address.
                if !self.allowed(to.ip()) {
                    self.stats.inc(LAYER, "dropped_destination_not_allowed");
                    return Verdict::Nothing;
                }
                let bytes = Bytes::from(bytes);
                self.stats.forwarded.fetch_add(1, Ordering::Relaxed);
                match kind {
                    Kind::Request { .. } => self
                        .stats
                        .forwarded_requests
                        .fetch_add(1, Ordering::Relaxed),
                    Kind::Response { .. } => self
                        .stats
                        .forwarded_responses
                        .fetch_add(1, Ordering::Relaxed),
                };
                // The monitor sees every message as it is on the sender's
                // leg: requests as received (before our Via), responses as
                // sent (after removing it). Both then carry the same top Via,
                // as do the 483/503 we answer ourselves, so the tracker
                // matches responses to their requests.
                match kind {
                    Kind::Request { .. } => {
                        self.tap(src, to, out_t, &Bytes::copy_from_slice(buf));
                    }
                    Kind::Response { .. } => self.tap(src, to, out_t, &bytes),
                }
                Verdict::Forward {
                    to,
                    transport: out_t,
                    bytes,
                    invite,
                }
            }
            Decision::Reply { code, bytes } => {
                if code == 483 {
                    self.stats.inc(LAYER, "max_forwards_483");
                }
                let bytes = Bytes::from(bytes);
                let me = local_out(src).unwrap_or(src);
                self.tap(me, src, transport, &bytes);
                Verdict::Reply { bytes }
            }
            Decision::Drop(reason) => {
                match reason {
                    "response_not_ours" | "response_no_next_via" => {
                        self.stats.inc(LAYER, "dropped_response_not_ours")
                    }
                    "max_forwards_ack" => self.stats.inc(LAYER, "dropped_ack_max_forwards"),
                    "unsupported_transport" | "via_host_not_ip" => {
                        self.stats.inc(LAYER, "dropped_unroutable_response")
                    }
                    r => self.count_malformed(r),
                }
                Verdict::Nothing
            }
        }
    }

    /// 503 for an INVITE whose next hop is unreachable (tapped and counted).
    pub(crate) fn unreachable_503(
        &self,
        invite: &[u8],
        src: SocketAddr,
        transport: Transport,
        me: SocketAddr,
    ) -> Option<Bytes> {
        let sc = splice::scan(invite).ok()?;
        let retry = format!("Retry-After: {RETRY_AFTER_SECS}");
        let bytes = Bytes::from(routing::synth_response(
            invite,
            &sc,
            503,
            "Service Unavailable",
            src,
            transport.is_stream(),
            &self.secret,
            &[&retry],
        ));
        self.stats.inc(LAYER, "upstream_unreachable_503");
        self.tap(me, src, transport, &bytes);
        Some(bytes)
    }
}

/// IPv4-mapped IPv6 (`::ffff:a.b.c.d`) as plain IPv4, so allow lists match.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Key of the Via branch hash: random per process (retransmissions within
/// a run get the same branch; a restart changes it, which only matters for
/// transactions in flight across the restart).
fn random_secret() -> [u8; 32] {
    use std::hash::{BuildHasher, Hasher};
    let mut out = [0u8; 32];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        use std::io::Read;
        if f.read_exact(&mut out).is_ok() {
            return out;
        }
    }
    for (i, chunk) in out.chunks_mut(8).enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_usize(i);
        h.write_u128(Timestamp::now().as_nanos() as u128);
        chunk.copy_from_slice(&h.finish().to_le_bytes());
    }
    out
}

/// Our address as a peer sees it: the listen address, or for a wildcard
/// listen the source IP the kernel would pick toward that peer.
fn advertised(listen: SocketAddr, peer: SocketAddr) -> SocketAddr {
    if !listen.ip().is_unspecified() {
        return listen;
    }
    let probe = |bind: SocketAddr| -> Option<IpAddr> {
        let s = std::net::UdpSocket::bind(bind).ok()?;
        s.connect(peer).ok()?;
        Some(s.local_addr().ok()?.ip())
    };
    let bind = SocketAddr::new(listen.ip(), 0);
    SocketAddr::new(probe(bind).unwrap_or(listen.ip()), listen.port())
}

/// Our address toward `dest` from listen address `listens[i]`, cached
/// (a wildcard listen needs a routing look-up per destination IP).
fn local_for(
    listens: &[SocketAddr],
    i: Option<usize>,
    cache: &Mutex<HashMap<(SocketAddr, IpAddr), SocketAddr>>,
    dest: SocketAddr,
) -> Option<SocketAddr> {
    let l = *listens.get(i?)?;
    if !l.ip().is_unspecified() {
        return Some(l);
    }
    if let Some(a) = cache.lock().ok()?.get(&(l, dest.ip())) {
        return Some(*a);
    }
    let a = advertised(l, dest);
    if let Ok(mut c) = cache.lock() {
        if c.len() < 4096 {
            c.insert((l, dest.ip()), a);
        }
    }
    Some(a)
}

/// A bound proxy, ready to run.
#[derive(Debug)]
pub struct Proxy {
    core: Arc<Core>,
    udp: Arc<udp::UdpNet>,
    tcp: Arc<tcp::TcpNet>,
}

impl Proxy {
    /// Bind every listen address on UDP and TCP.
    pub async fn bind(cfg: &ProxyConfig, tap: Tap) -> Result<Proxy, ProxyError> {
        if cfg.listen.is_empty() {
            return Err(ProxyError::NoListen);
        }
        if cfg.platform.is_none() && cfg.trunk.is_none() {
            return Err(ProxyError::NoRoute);
        }
        // Bind first (port 0 becomes a real port), then learn what is us.
        let udp_socks = udp::bind_all(&cfg.listen)?;
        let listens: Vec<SocketAddr> = udp_socks.iter().map(|s| s.1).collect();
        let tcp_listeners = tcp::bind_all(&listens).await?;
        let mut ours = Vec::new();
        for l in &listens {
            ours.push(*l);
            for p in [cfg.platform, cfg.trunk].into_iter().flatten() {
                if p.is_ipv4() == l.is_ipv4() {
                    ours.push(advertised(*l, p));
                }
            }
        }
        ours.sort();
        ours.dedup();
        let core = Arc::new(Core::new(cfg, ours, tap));
        let udp = Arc::new(udp::UdpNet::new(
            udp_socks,
            core.clone(),
            [cfg.platform, cfg.trunk],
        )?);
        let tcp = Arc::new(tcp::TcpNet::new(tcp_listeners, core.clone()));
        Ok(Proxy { core, udp, tcp })
    }

    /// The UDP/TCP listen addresses (with real ports when 0 was asked).
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.udp.listen_addrs()
    }

    pub fn handle(&self) -> ProxyHandle {
        ProxyHandle {
            stats: self.core.stats.clone(),
            tap: self.core.tap.clone(),
        }
    }

    /// Forward until `shutdown` resolves; then stop every socket task.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<ProxyStats, ProxyError> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut tasks = self.udp.clone().spawn();
        tasks.extend(self.tcp.clone().spawn(stop_rx));
        shutdown.await;
        let _ = stop_tx.send(true);
        for t in &tasks {
            t.abort();
        }
        for t in tasks {
            let _ = t.await;
        }
        let h = self.handle();
        Ok(ProxyStats {
            counters: h.counters(),
        })
    }
}

/// Bind, forward until `shutdown` resolves, return the counters.
pub async fn run(
    cfg: &ProxyConfig,
    tap: Tap,
    shutdown: impl Future<Output = ()>,
) -> Result<ProxyStats, ProxyError> {
    Proxy::bind(cfg, tap).await?.run(shutdown).await
}

#[cfg(test)]
mod tests;
