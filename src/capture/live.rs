//! Live capture from a network interface with libpcap (feature
//! `live-capture`; the default build stays pure Rust).
//!
//! Frames are lent from libpcap's own ring buffer, so nothing is copied or
//! allocated per packet. The read timeout makes `next_frame` return `None`
//! regularly, so the caller can check for shutdown and run packet-time
//! timers even when the link is quiet. libpcap's own timeout is not enough
//! for that: on Linux (TPACKET_V3) it only runs once a packet has arrived,
//! so an idle interface would block forever. The handle is therefore
//! non-blocking and the wait is a `poll(2)` on its descriptor.

use super::{CaptureError, Frame};
use crate::stats::Counters;
use crate::time::Timestamp;
use pcap::{Active, Capture, Device, Precision};
use rustix::event::{PollFd, PollFlags};

/// Default BPF filter: every UDP, TCP and SCTP packet, plus every IPv4
/// fragment and all IPv6.
///
/// Not `port 5060`: SIP runs on any port (carriers use 5080, 5160, 6060...)
/// and trunkwatch finds it by content. Worse, a port filter silently loses
/// fragmented INVITEs: only the first IPv4 fragment carries the UDP header,
/// so `udp port 5060` drops every later fragment and the datagram can never
/// be reassembled. `ip[6:2] & 0x1fff != 0` keeps IPv4 fragments with a
/// non-zero offset; IPv6 fragments sit behind an extension header a simple
/// BPF expression cannot follow, so all IPv6 is kept.
pub const DEFAULT_FILTER: &str = "udp or tcp or sctp or (ip[6:2] & 0x1fff != 0) or ip6";
/// Default snap length: whole frames, including jumbo and offloaded (GRO) ones.
pub const DEFAULT_SNAPLEN: u32 = 262_144;
/// Default read timeout: how often an idle capture hands control back.
pub const DEFAULT_TIMEOUT_MS: u32 = 250;

/// How to open an interface.
#[derive(Clone, Debug)]
pub struct LiveOptions {
    /// Interface name (`eth0`, `lo`, `any`).
    pub iface: String,
    /// BPF filter; `None` means [`DEFAULT_FILTER`], `Some("")` captures all.
    pub filter: Option<String>,
    pub snaplen: u32,
    /// Promiscuous mode: needed on a mirror (SPAN) port, where the traffic
    /// is not addressed to this host.
    pub promisc: bool,
    /// Deliver packets as they arrive instead of batching them in the kernel.
    pub immediate: bool,
    /// Read timeout, milliseconds (> 0).
    pub timeout_ms: u32,
    /// Kernel buffer size in bytes; `None` keeps libpcap's default (2 MiB).
    pub buffer_bytes: Option<u32>,
}

impl LiveOptions {
    /// Defaults for `iface`: default filter and snap length, promiscuous,
    /// immediate mode, 250 ms timeout, 16 MiB kernel buffer.
    pub fn new(iface: &str) -> Self {
        LiveOptions {
            iface: iface.to_string(),
            filter: None,
            snaplen: DEFAULT_SNAPLEN,
            promisc: true,
            immediate: true,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            buffer_bytes: Some(16 << 20),
        }
    }
}

/// An open interface. Drop counts are read from libpcap and kept in
/// [`LiveCapture::stats`] as ("capture", "kernel_drop") and
/// ("capture", "interface_drop").
pub struct LiveCapture {
    cap: Capture<Active>,
    iface: String,
    linktype: u32,
    number: u64,
    drops: (u64, u64),
    refresh_due: bool,
    /// The last read found the ring empty: wait on the descriptor first.
    idle: bool,
    timeout: rustix::event::Timespec,
    stats: Counters,
}

impl std::fmt::Debug for LiveCapture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveCapture")
            .field("iface", &self.iface)
            .field("linktype", &self.linktype)
            .field("frames", &self.number)
            .field("drops", &self.drops)
            .finish()
    }
}

/// Refresh the drop counters every this many packets, besides every timeout.
const STATS_EVERY: u64 = 1 << 16;

impl LiveCapture {
    /// Open `iface` with `filter` (None: [`DEFAULT_FILTER`]) and the other
    /// defaults of [`LiveOptions::new`].
    pub fn open(
        iface: &str,
        filter: Option<&str>,
        snaplen: u32,
        promisc: bool,
    ) -> Result<Self, CaptureError> {
        let mut o = LiveOptions::new(iface);
        o.filter = filter.map(str::to_string);
        o.snaplen = snaplen;
        o.promisc = promisc;
        Self::open_with(&o)
    }

    pub fn open_with(o: &LiveOptions) -> Result<Self, CaptureError> {
        let open_err = |e: pcap::Error| {
            let mut msg = e.to_string();
            if let Ok(list) = Device::list() {
                if !list.iter().any(|d| d.name == o.iface) {
                    let names: Vec<_> = list.iter().map(|d| d.name.as_str()).collect();
                    msg = format!("{msg} (no such interface; available: {})", names.join(", "));
                }
            }
            CaptureError::LiveOpen {
                iface: o.iface.clone(),
                msg,
            }
        };
        let mut inactive = Capture::from_device(o.iface.as_str())
            .map_err(open_err)?
            .snaplen(o.snaplen.min(i32::MAX as u32) as i32)
            .promisc(o.promisc)
            .immediate_mode(o.immediate)
            .timeout(o.timeout_ms.clamp(1, i32::MAX as u32) as i32)
            .precision(Precision::Nano);
        if let Some(b) = o.buffer_bytes {
            inactive = inactive.buffer_size(b.min(i32::MAX as u32) as i32);
        }
        let mut cap = inactive
            .open()
            .and_then(|c| c.setnonblock())
            .map_err(open_err)?;
        let filter = o.filter.as_deref().unwrap_or(DEFAULT_FILTER);
        if !filter.is_empty() {
            cap.filter(filter, true)
                .map_err(|e| CaptureError::LiveFilter {
                    filter: filter.to_string(),
                    msg: e.to_string(),
                })?;
        }
        let linktype = cap.get_datalink().0 as u32;
        Ok(LiveCapture {
            cap,
            iface: o.iface.clone(),
            linktype,
            number: 0,
            drops: (0, 0),
            refresh_due: false,
            idle: true,
            timeout: rustix::event::Timespec {
                tv_sec: (o.timeout_ms / 1000) as _,
                tv_nsec: ((o.timeout_ms % 1000) * 1_000_000) as _,
            },
            stats: Counters::new(),
        })
    }

    /// The next frame, or `None` when the read timeout expired with no
    /// packet (check for shutdown, then call again).
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, CaptureError> {
        if self.refresh_due || self.number % STATS_EVERY == STATS_EVERY - 1 {
            self.refresh_due = false;
            self.refresh_drops();
        }
        // Fields borrowed apart: the frame borrows `cap` alone.
        let LiveCapture {
            cap,
            number,
            linktype,
            refresh_due,
            iface,
            idle,
            timeout,
            ..
        } = self;
        if *idle {
            let mut fds = [PollFd::new(&*cap, PollFlags::IN)];
            match rustix::event::poll(&mut fds, Some(timeout)) {
                Ok(0) => {
                    *refresh_due = true;
                    return Ok(None);
                }
                Ok(_) => {}
                Err(e) if e == rustix::io::Errno::INTR => return Ok(None),
                Err(e) => {
                    return Err(CaptureError::LiveRead {
                        iface: iface.clone(),
                        msg: format!("poll: {e}"),
                    })
                }
            }
        }
        match cap.next_packet() {
            Ok(p) => {
                *idle = false;
                *number += 1;
                // Nanosecond precision was requested: tv_usec holds nanoseconds.
                let ts = Timestamp::from_secs_nanos(p.header.ts.tv_sec, p.header.ts.tv_usec as u32);
                Ok(Some(Frame {
                    number: *number,
                    ts,
                    linktype: *linktype,
                    data: p.data,
                    orig_len: p.header.len,
                }))
            }
            Err(pcap::Error::TimeoutExpired) => {
                // Non-blocking read, ring empty: the next call waits.
                *idle = true;
                Ok(None)
            }
            Err(e) => Err(CaptureError::LiveRead {
                iface: iface.clone(),
                msg: e.to_string(),
            }),
        }
    }

    /// Read libpcap's statistics now; returns (kernel drops, interface drops).
    pub fn refresh_drops(&mut self) -> (u64, u64) {
        if let Ok(s) = self.cap.stats() {
            self.drops = (s.dropped as u64, s.if_dropped as u64);
            self.stats.set("capture", "kernel_drop", self.drops.0);
            self.stats.set("capture", "interface_drop", self.drops.1);
        }
        self.drops
    }

    /// Packets dropped (kernel buffer full, interface/driver) as of the last
    /// refresh (after every read timeout and every 65536 packets; call
    /// [`LiveCapture::refresh_drops`] for the current values).
    pub fn drops(&self) -> (u64, u64) {
        self.drops
    }

    pub fn stats(&self) -> &Counters {
        &self.stats
    }

    pub fn linktype(&self) -> u32 {
        self.linktype
    }

    pub fn iface(&self) -> &str {
        &self.iface
    }
}
