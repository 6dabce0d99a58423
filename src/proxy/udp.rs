//! UDP transport.
//!
//! Each listen address has one socket, plus one *connected* socket per
//! configured side (platform, trunk) bound to the same address with
//! `SO_REUSEPORT`. The kernel hands a connected socket every datagram from
//! its peer, and reports the peer's ICMP port-unreachable on it as a receive
//! error: that is how an INVITE to a dead next hop is answered with 503
//! instead of timing out. Sending through it keeps our source port the
//! listen port, so peers and NATs see one address.

use super::{local_for, Core, ProxyError, Verdict, LAYER};
use crate::decode::Transport;
use bytes::Bytes;
use socket2::{Domain, Protocol, Socket, Type};
use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

/// INVITEs sent to a peer are remembered this long, to be answered with 503
/// if the peer's ICMP error arrives (loopback: microseconds; WAN: one RTT).
const PENDING_FOR: Duration = Duration::from_secs(2);
/// INVITEs remembered per peer at most.
const MAX_PENDING: usize = 4096;
/// Kernel receive buffer asked for (bursts of thousands of calls per second).
const RCVBUF: usize = 4 << 20;

fn reuse_socket(addr: SocketAddr) -> io::Result<Socket> {
    let s = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    s.set_reuse_address(true)?;
    s.set_reuse_port(true)?;
    if addr.is_ipv6() {
        s.set_only_v6(true)?;
    }
    let _ = s.set_recv_buffer_size(RCVBUF);
    let _ = s.set_send_buffer_size(RCVBUF);
    s.set_nonblocking(true)?;
    s.bind(&addr.into())?;
    Ok(s)
}

fn bind_err(addr: SocketAddr) -> impl FnOnce(io::Error) -> ProxyError {
    move |source| ProxyError::Bind {
        addr,
        transport: Transport::Udp,
        source,
    }
}

/// Bind every listen address (a port of 0 gets a free port).
pub(crate) fn bind_all(
    listen: &[SocketAddr],
) -> Result<Vec<(std::net::UdpSocket, SocketAddr)>, ProxyError> {
    let mut out = Vec::new();
    for &addr in listen {
        let s = reuse_socket(addr).map_err(bind_err(addr))?;
        let std: std::net::UdpSocket = s.into();
        let local = std.local_addr().map_err(bind_err(addr))?;
        out.push((std, local));
    }
    Ok(out)
}

#[derive(Debug)]
struct Pending {
    at: Instant,
    invite: Bytes,
    src: SocketAddr,
}

/// A socket connected to one configured peer, sharing the listen port.
#[derive(Debug)]
struct Conn {
    peer: SocketAddr,
    sock: Arc<UdpSocket>,
    pending: Mutex<VecDeque<Pending>>,
}

#[derive(Debug)]
struct Listen {
    addr: SocketAddr,
    sock: Arc<UdpSocket>,
    conns: HashMap<SocketAddr, Arc<Conn>>,
}

#[derive(Debug)]
pub(crate) struct UdpNet {
    listens: Vec<Listen>,
    addrs: Vec<SocketAddr>,
    core: Arc<Core>,
    adv: Mutex<HashMap<(SocketAddr, IpAddr), SocketAddr>>,
}

impl UdpNet {
    pub(crate) fn new(
        socks: Vec<(std::net::UdpSocket, SocketAddr)>,
        core: Arc<Core>,
        peers: [Option<SocketAddr>; 2],
    ) -> Result<UdpNet, ProxyError> {
        let mut listens = Vec::new();
        for (std, addr) in socks {
            let sock = Arc::new(UdpSocket::from_std(std).map_err(bind_err(addr))?);
            let mut conns = HashMap::new();
            for peer in peers.into_iter().flatten() {
                if peer.is_ipv4() != addr.is_ipv4() || conns.contains_key(&peer) {
                    continue;
                }
                let s = reuse_socket(addr).map_err(bind_err(addr))?;
                s.connect(&peer.into()).map_err(bind_err(addr))?;
                let std: std::net::UdpSocket = s.into();
                let sock = Arc::new(UdpSocket::from_std(std).map_err(bind_err(addr))?);
                conns.insert(
                    peer,
                    Arc::new(Conn {
                        peer,
                        sock,
                        pending: Mutex::default(),
                    }),
                );
            }
            listens.push(Listen { addr, sock, conns });
        }
        let addrs = listens.iter().map(|l| l.addr).collect();
        Ok(UdpNet {
            listens,
            addrs,
            core,
            adv: Mutex::default(),
        })
    }

    pub(crate) fn listen_addrs(&self) -> Vec<SocketAddr> {
        self.addrs.clone()
    }

    /// One receive task per socket.
    pub(crate) fn spawn(self: Arc<Self>) -> Vec<JoinHandle<()>> {
        let mut tasks = Vec::new();
        for (i, l) in self.listens.iter().enumerate() {
            tasks.push(tokio::spawn(self.clone().recv_loop(i, None)));
            for c in l.conns.values() {
                tasks.push(tokio::spawn(self.clone().recv_loop(i, Some(c.clone()))));
            }
        }
        tasks
    }

    /// Index of the listen socket that sends to `to`: the one it came in
    /// on when the family matches, else the first of that family.
    fn pick(&self, prefer: usize, to: SocketAddr) -> Option<usize> {
        if self.addrs[prefer].is_ipv4() == to.is_ipv4() {
            return Some(prefer);
        }
        self.addrs.iter().position(|a| a.is_ipv4() == to.is_ipv4())
    }

    async fn recv_loop(self: Arc<Self>, li: usize, conn: Option<Arc<Conn>>) {
        let sock = match &conn {
            Some(c) => c.sock.clone(),
            None => self.listens[li].sock.clone(),
        };
        let mut buf = vec![0u8; 65_536];
        loop {
            let (n, src) = match sock.recv_from(&mut buf).await {
                Ok(x) => x,
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                    if let Some(c) = &conn {
                        self.unreachable(li, c).await;
                    }
                    continue;
                }
                Err(_) => {
                    self.core.stats.inc(LAYER, "udp_recv_error");
                    tokio::task::yield_now().await;
                    continue;
                }
            };
            if let Some(c) = &conn {
                // The peer is alive: nothing it was sent is unreachable.
                if let Ok(mut p) = c.pending.lock() {
                    p.clear();
                }
            }
            self.process(li, &buf[..n], src).await;
        }
    }

    async fn process(&self, li: usize, data: &[u8], src: SocketAddr) {
        let local_out = |d: SocketAddr| local_for(&self.addrs, self.pick(li, d), &self.adv, d);
        match self.core.handle(data, src, Transport::Udp, &local_out) {
            Verdict::Forward {
                to,
                transport: Transport::Udp,
                bytes,
                invite,
            } => {
                self.send(li, to, &bytes, invite.then_some((data, src)))
                    .await;
            }
            Verdict::Forward { .. } => self.core.stats.inc(LAYER, "dropped_transport_mismatch"),
            Verdict::Reply { bytes } => self.send(li, src, &bytes, None).await,
            Verdict::Nothing => {}
        }
    }

    /// Send through the connected socket for `to` when there is one (so an
    /// ICMP error can be caught), else through the listen socket.
    async fn send(
        &self,
        li: usize,
        to: SocketAddr,
        bytes: &[u8],
        invite: Option<(&[u8], SocketAddr)>,
    ) {
        let Some(i) = self.pick(li, to) else {
            self.core.stats.inc(LAYER, "dropped_no_socket_for_family");
            return;
        };
        let l = &self.listens[i];
        let Some(c) = l.conns.get(&to) else {
            if l.sock.send_to(bytes, to).await.is_err() {
                self.core.stats.inc(LAYER, "udp_send_error");
            }
            return;
        };
        match c.sock.send(bytes).await {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                // An earlier datagram's ICMP error surfaced here.
                self.unreachable(i, c).await;
                if c.sock.send(bytes).await.is_err() {
                    self.core.stats.inc(LAYER, "udp_send_error");
                }
            }
            Err(_) => self.core.stats.inc(LAYER, "udp_send_error"),
        }
        if let Some((inv, src)) = invite {
            let now = Instant::now();
            if let Ok(mut p) = c.pending.lock() {
                while p
                    .front()
                    .is_some_and(|f| now.duration_since(f.at) > PENDING_FOR)
                    || p.len() >= MAX_PENDING
                {
                    p.pop_front();
                }
                p.push_back(Pending {
                    at: now,
                    invite: Bytes::copy_from_slice(inv),
                    src,
                });
            }
        }
    }

    /// The peer of `c` answered with ICMP port unreachable: 503 every recent
    /// INVITE sent to it, toward whoever sent that INVITE.
    async fn unreachable(&self, li: usize, c: &Conn) {
        self.core.stats.inc(LAYER, "upstream_unreachable");
        let now = Instant::now();
        let items: Vec<Pending> = match c.pending.lock() {
            Ok(mut p) => p
                .drain(..)
                .filter(|x| now.duration_since(x.at) <= PENDING_FOR)
                .collect(),
            Err(_) => Vec::new(),
        };
        for p in items {
            let Some(i) = self.pick(li, p.src) else {
                continue;
            };
            let me = local_for(&self.addrs, Some(i), &self.adv, p.src).unwrap_or(self.addrs[i]);
            let Some(resp) = self
                .core
                .unreachable_503(&p.invite, p.src, Transport::Udp, me)
            else {
                continue;
            };
            let l = &self.listens[i];
            let r = match l.conns.get(&p.src) {
                Some(sc) if sc.peer == p.src => sc.sock.send(&resp).await,
                _ => l.sock.send_to(&resp, p.src).await,
            };
            if r.is_err() {
                self.core.stats.inc(LAYER, "udp_send_error");
            }
        }
    }
}
