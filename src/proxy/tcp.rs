//! TCP transport: one reader task and one writer task per connection, and
//! one connection per peer reused in both directions (RFC 3261 §18: a
//! response goes back on the connection its request came on; the map is
//! keyed by the peer's address, which our `rport`/`received` stamp on the
//! sender's Via carries back to us).

use super::{local_for, Core, ProxyError, Verdict, LAYER};
use crate::decode::Transport;
use bytes::{Bytes, BytesMut};
use socket2::{Domain, Protocol, Socket, Type};
use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// Messages queued per connection before new ones are dropped (counted).
const WRITE_QUEUE: usize = 4096;
/// How long a connect to a next hop may take before it counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

fn bind_err(addr: SocketAddr) -> impl FnOnce(io::Error) -> ProxyError {
    move |source| ProxyError::Bind {
        addr,
        transport: Transport::Tcp,
        source,
    }
}

/// Listen on every address (the UDP ports, so one address serves both).
pub(crate) async fn bind_all(
    listen: &[SocketAddr],
) -> Result<Vec<(TcpListener, SocketAddr)>, ProxyError> {
    let mut out = Vec::new();
    for &addr in listen {
        let s = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))
            .map_err(bind_err(addr))?;
        s.set_reuse_address(true).map_err(bind_err(addr))?;
        if addr.is_ipv6() {
            s.set_only_v6(true).map_err(bind_err(addr))?;
        }
        s.set_nonblocking(true).map_err(bind_err(addr))?;
        s.bind(&addr.into()).map_err(bind_err(addr))?;
        s.listen(1024).map_err(bind_err(addr))?;
        let std: std::net::TcpListener = s.into();
        let l = TcpListener::from_std(std).map_err(bind_err(addr))?;
        out.push((l, addr));
    }
    Ok(out)
}

#[derive(Debug)]
pub(crate) struct TcpNet {
    listeners: Mutex<Vec<(TcpListener, SocketAddr)>>,
    addrs: Vec<SocketAddr>,
    core: Arc<Core>,
    peers: Mutex<HashMap<SocketAddr, mpsc::Sender<Bytes>>>,
    adv: Mutex<HashMap<(SocketAddr, IpAddr), SocketAddr>>,
    stop: Mutex<Option<watch::Receiver<bool>>>,
}

impl TcpNet {
    pub(crate) fn new(listeners: Vec<(TcpListener, SocketAddr)>, core: Arc<Core>) -> TcpNet {
        let addrs = listeners.iter().map(|l| l.1).collect();
        TcpNet {
            listeners: Mutex::new(listeners),
            addrs,
            core,
            peers: Mutex::default(),
            adv: Mutex::default(),
            stop: Mutex::new(None),
        }
    }

    pub(crate) fn spawn(self: Arc<Self>, stop: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
        if let Ok(mut s) = self.stop.lock() {
            *s = Some(stop);
        }
        let listeners = self
            .listeners
            .lock()
            .map(|mut l| std::mem::take(&mut *l))
            .unwrap_or_default();
        listeners
            .into_iter()
            .map(|(l, _)| tokio::spawn(self.clone().accept_loop(l)))
            .collect()
    }

    fn stop_rx(&self) -> Option<watch::Receiver<bool>> {
        self.stop.lock().ok().and_then(|s| s.clone())
    }

    async fn accept_loop(self: Arc<Self>, l: TcpListener) {
        loop {
            match l.accept().await {
                Ok((s, peer)) => {
                    if !self.core.allowed(peer.ip()) {
                        // Refused before a byte is read: never served.
                        self.core.stats.inc(LAYER, "dropped_not_allowed");
                        continue;
                    }
                    self.start(s, peer);
                }
                Err(_) => {
                    self.core.stats.inc(LAYER, "tcp_accept_error");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }
    }

    /// Register a connection under its peer address; spawn its tasks.
    fn start(self: &Arc<Self>, s: TcpStream, peer: SocketAddr) -> mpsc::Sender<Bytes> {
        let _ = s.set_nodelay(true);
        let (rd, wr) = s.into_split();
        let (tx, rx) = mpsc::channel(WRITE_QUEUE);
        if let Ok(mut p) = self.peers.lock() {
            p.insert(peer, tx.clone());
        }
        let stop = self.stop_rx();
        let me = self.clone();
        let txc = tx.clone();
        tokio::spawn(with_stop(stop.clone(), async move {
            me.read_loop(rd, peer, txc).await
        }));
        tokio::spawn(with_stop(stop, write_loop(wr, rx)));
        tx
    }

    async fn read_loop(
        self: Arc<Self>,
        mut rd: OwnedReadHalf,
        peer: SocketAddr,
        mine: mpsc::Sender<Bytes>,
    ) {
        let max = self.core.max_bytes;
        let mut buf = BytesMut::with_capacity(16 * 1024);
        'conn: loop {
            match rd.read_buf(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            // Frame with the SIP parser's stream framer (RFC 3261 §18.3).
            loop {
                match crate::sip::parse_stream(&buf) {
                    Ok(crate::sip::Status::Complete(n)) => {
                        let msg = buf.split_to(n).freeze();
                        if n > max {
                            // Framed, so only this message is lost.
                            self.core.stats.inc(LAYER, "dropped_oversize");
                            continue;
                        }
                        self.process(&msg, peer, &mine).await;
                    }
                    Ok(crate::sip::Status::Partial) => {
                        if buf.len() > max.saturating_add(64 * 1024) {
                            // No end in sight: a stream we cannot resynchronise.
                            self.core.stats.inc(LAYER, "dropped_oversize");
                            break 'conn;
                        }
                        break;
                    }
                    Err(e) => {
                        self.core.count_malformed(e.kind.code());
                        break 'conn;
                    }
                }
            }
        }
        if let Ok(mut p) = self.peers.lock() {
            if p.get(&peer).is_some_and(|t| t.same_channel(&mine)) {
                p.remove(&peer);
            }
        }
    }

    async fn process(self: &Arc<Self>, msg: &[u8], peer: SocketAddr, mine: &mpsc::Sender<Bytes>) {
        let local_out = |d: SocketAddr| {
            let i = self.addrs.iter().position(|a| a.is_ipv4() == d.is_ipv4());
            local_for(&self.addrs, i, &self.adv, d)
        };
        match self.core.handle(msg, peer, Transport::Tcp, &local_out) {
            Verdict::Forward {
                to,
                transport: Transport::Tcp,
                bytes,
                invite,
            } => {
                if !self.send(to, bytes).await {
                    self.core.stats.inc(LAYER, "upstream_unreachable");
                    if invite {
                        let me = local_out(peer).unwrap_or(peer);
                        if let Some(r) = self.core.unreachable_503(msg, peer, Transport::Tcp, me) {
                            self.queue(mine, r);
                        }
                    }
                }
            }
            Verdict::Forward { .. } => self.core.stats.inc(LAYER, "dropped_transport_mismatch"),
            Verdict::Reply { bytes } => {
                self.queue(mine, bytes);
            }
            Verdict::Nothing => {}
        }
    }

    fn queue(&self, tx: &mpsc::Sender<Bytes>, b: Bytes) -> bool {
        match tx.try_send(b) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.core.stats.inc(LAYER, "dropped_tcp_queue_full");
                true
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    /// Queue `b` on the connection to `to`, connecting when there is none.
    /// `false`: the peer cannot be reached.
    async fn send(self: &Arc<Self>, to: SocketAddr, b: Bytes) -> bool {
        let existing = self.peers.lock().ok().and_then(|p| p.get(&to).cloned());
        if let Some(tx) = existing {
            if self.queue(&tx, b.clone()) {
                return true;
            }
            if let Ok(mut p) = self.peers.lock() {
                p.remove(&to);
            }
        }
        match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(to)).await {
            Ok(Ok(s)) => {
                let tx = self.start(s, to);
                self.queue(&tx, b)
            }
            _ => false,
        }
    }
}

async fn write_loop(mut wr: OwnedWriteHalf, mut rx: mpsc::Receiver<Bytes>) {
    while let Some(b) = rx.recv().await {
        if wr.write_all(&b).await.is_err() {
            return;
        }
    }
    let _ = wr.shutdown().await;
}

/// Run `f` until it ends or the proxy stops.
async fn with_stop(stop: Option<watch::Receiver<bool>>, f: impl std::future::Future<Output = ()>) {
    match stop {
        Some(mut s) => {
            tokio::select! {
                _ = s.wait_for(|v| *v) => {}
                _ = f => {}
            }
        }
        None => f.await,
    }
}
