//! Sources of link-layer frames: capture files (pcap, pcapng, gzip), live
//! interfaces (feature `live-capture`). Everything here does I/O; it hands
//! [`Frame`]s to `decode`.

use crate::time::Timestamp;

/// One captured link-layer frame, borrowed from the reader's buffer.
#[derive(Copy, Clone, Debug)]
pub struct Frame<'a> {
    /// 1-based frame number across the whole run (as tshark counts them for
    /// a single file), so messages can be traced back to the capture.
    pub number: u64,
    pub ts: Timestamp,
    /// Link type (DLT/LINKTYPE number: 1 Ethernet, 113 SLL, 276 SLL2, 101 raw, 0 NULL...).
    pub linktype: u32,
    /// Captured bytes (may be shorter than `orig_len` when the snap length cut it).
    pub data: &'a [u8],
    /// Length of the frame on the wire.
    pub orig_len: u32,
}
