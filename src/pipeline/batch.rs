//! Decoder output recorded to be handed to another thread: a run of frames'
//! events, each frame's end marked, so the receiver makes exactly the calls
//! it would have made decoding the frames itself, in the same order. SIP
//! payloads are copied into one buffer; a media datagram travels as its
//! [`Probe`] (RTP header fields and silence), not its payload. A media
//! datagram between IPv4 addresses (nearly every frame of a trunk mirror)
//! takes one cache line; everything else is stored aside.

use crate::decode::{Event, Transport};
use crate::media::Probe;
use crate::stats::Counters;
use crate::time::Timestamp;
use std::net::{SocketAddr, SocketAddrV4};

#[derive(Copy, Clone, Debug)]
pub(super) enum Item {
    Media4 {
        ts: Timestamp,
        src: SocketAddrV4,
        dst: SocketAddrV4,
        probe: Probe,
        /// The frame (captured at `ts`) ends with this datagram.
        frame_end: bool,
    },
    /// Index in [`EventBatch::other`].
    Other(u32),
}

#[derive(Copy, Clone, Debug)]
pub(super) enum What {
    Sip {
        frame: u64,
        transport: Transport,
        off: usize,
        len: usize,
    },
    Media(Probe),
    /// A frame that yielded no event.
    Nothing,
}

#[derive(Copy, Clone, Debug)]
pub(super) struct OtherItem {
    pub(super) ts: Timestamp,
    pub(super) src: SocketAddr,
    pub(super) dst: SocketAddr,
    pub(super) what: What,
    /// Set on a frame's last item: the frame (captured at this time) ends
    /// here. Most frames carry one event, so the mark rides on it.
    pub(super) frame_end: Option<Timestamp>,
}

/// Events of consecutive frames, owned (see the module doc).
#[derive(Debug, Default)]
pub struct EventBatch {
    data: Vec<u8>,
    items: Vec<Item>,
    other: Vec<OtherItem>,
    /// Items before this index belong to frames already ended.
    frame_first: usize,
    frames: u64,
    /// The decoder's counters after the last frame of the batch.
    pub decode_stats: Counters,
    /// Input bytes consumed so far (for progress).
    pub bytes_read: u64,
}

impl EventBatch {
    /// Empty the batch, keeping its buffers.
    pub fn clear(&mut self) {
        self.data.clear();
        self.items.clear();
        self.other.clear();
        self.frame_first = 0;
        self.frames = 0;
    }

    /// Record one event.
    pub fn push(&mut self, ev: &Event<'_>) {
        let other = match *ev {
            Event::Udp(d) => match (d.src, d.dst) {
                (SocketAddr::V4(src), SocketAddr::V4(dst)) => {
                    return self.items.push(Item::Media4 {
                        ts: d.ts,
                        src,
                        dst,
                        probe: Probe::of(d.payload),
                        frame_end: false,
                    })
                }
                _ => OtherItem {
                    ts: d.ts,
                    src: d.src,
                    dst: d.dst,
                    what: What::Media(Probe::of(d.payload)),
                    frame_end: None,
                },
            },
            Event::Sip(p) => {
                let off = self.data.len();
                self.data.extend_from_slice(p.payload);
                OtherItem {
                    ts: p.ts,
                    src: p.src,
                    dst: p.dst,
                    what: What::Sip {
                        frame: p.frame,
                        transport: p.transport,
                        off,
                        len: p.payload.len(),
                    },
                    frame_end: None,
                }
            }
        };
        self.push_other(other);
    }

    fn push_other(&mut self, it: OtherItem) {
        self.items.push(Item::Other(self.other.len() as u32));
        self.other.push(it);
    }

    /// Mark the end of a frame's events.
    pub fn end_frame(&mut self, ts: Timestamp) {
        let has_events = self.items.len() > self.frame_first;
        let marked = match self.items.last_mut() {
            Some(Item::Media4 {
                ts: t, frame_end, ..
            }) if has_events && *t == ts => {
                *frame_end = true;
                true
            }
            Some(&mut Item::Other(i)) if has_events => {
                self.other[i as usize].frame_end = Some(ts);
                true
            }
            _ => false,
        };
        if !marked {
            self.push_other(OtherItem {
                ts,
                src: UNSPECIFIED,
                dst: UNSPECIFIED,
                what: What::Nothing,
                frame_end: Some(ts),
            });
        }
        self.frame_first = self.items.len();
        self.frames += 1;
    }

    /// Frames recorded.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Payload bytes held.
    pub fn payload_bytes(&self) -> usize {
        self.data.len()
    }

    /// Items in recording order (read in place: copying them out costs
    /// more than the work they carry).
    pub(super) fn items(&self) -> &[Item] {
        &self.items
    }

    /// An item stored aside ([`Item::Other`]).
    pub(super) fn other(&self, i: u32) -> &OtherItem {
        &self.other[i as usize]
    }

    /// A SIP payload of this batch.
    pub(super) fn payload(&self, off: usize, len: usize) -> &[u8] {
        &self.data[off..off + len]
    }
}

const UNSPECIFIED: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), 0);
