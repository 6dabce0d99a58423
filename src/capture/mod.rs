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

mod error;
#[cfg(feature = "live-capture")]
pub mod live;
mod pcap_file;

pub use error::CaptureError;

use crate::stats::Counters;
use pcap_file::FileReader;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::PathBuf;

/// Up to this many gzip files are each inflated ahead on a thread of their
/// own (about 2.3 MiB of buffers each); more are inflated by the reader,
/// keeping threads and memory bounded. Plain files are always read by the
/// reader itself: the read is a cheap copy, and the bytes it leaves in the
/// reading core's cache are what that core decodes next.
pub const READ_AHEAD_MAX_FILES: usize = 8;

/// Open capture files for replay. Every file is opened and its header
/// checked now, so a wrong path or a non-capture file fails before anything
/// is processed (`CaptureError::is_bad_input`).
///
/// Several files (rotated captures) are merged in timestamp order; on equal
/// timestamps the earlier file in `paths` goes first, and a file's own
/// record order is always kept, even where its timestamps step backwards.
pub fn open_files(paths: &[PathBuf]) -> Result<Replay, CaptureError> {
    if paths.is_empty() {
        return Err(CaptureError::NoFiles);
    }
    let mut files = paths
        .iter()
        .map(|p| FileReader::open(p))
        .collect::<Result<Vec<_>, _>>()?;
    if files.iter().filter(|f| f.is_gzip()).count() <= READ_AHEAD_MAX_FILES {
        files
            .iter_mut()
            .filter(|f| f.is_gzip())
            .for_each(FileReader::read_ahead);
    }
    Ok(Replay::start(files))
}

/// Replay a capture from a byte stream: stdin (`tcpdump -w - | trunkwatch
/// replay -`), a pipe, or memory. `name` appears in errors and warnings.
/// Plain or gzip, pcap or pcapng, exactly as for files; `bytes_total` is 0.
pub fn open_reader(
    name: &str,
    reader: Box<dyn std::io::Read + Send>,
) -> Result<Replay, CaptureError> {
    let mut f = FileReader::from_reader(std::path::Path::new(name), reader)?;
    if f.is_gzip() {
        f.read_ahead();
    }
    Ok(Replay::start(vec![f]))
}

impl Replay {
    fn start(files: Vec<FileReader>) -> Replay {
        let mut r = Replay {
            files,
            heap: BinaryHeap::new(),
            lent: None,
            number: 0,
            stats: Counters::new(),
            warnings: Vec::new(),
        };
        for i in 0..r.files.len() {
            if let Some(ts) = r.files[i].advance(&mut r.stats, &mut r.warnings) {
                r.heap.push(Reverse((ts, i)));
            }
        }
        r
    }
}

/// Frames from one or more capture files, in timestamp order.
#[derive(Debug)]
pub struct Replay {
    files: Vec<FileReader>,
    /// Next timestamp of every file that still has a packet.
    heap: BinaryHeap<Reverse<(Timestamp, usize)>>,
    /// The file whose frame was lent last; it advances on the next call.
    lent: Option<usize>,
    number: u64,
    stats: Counters,
    warnings: Vec<String>,
}

impl Replay {
    /// The next frame in timestamp order, or None when every file is done.
    /// Frame numbers count from 1 across the run, so for a single file they
    /// equal the frame numbers tshark shows.
    #[inline]
    pub fn next_frame(&mut self) -> Option<Frame<'_>> {
        if let Some(i) = self.lent.take() {
            if let Some(ts) = self.files[i].advance(&mut self.stats, &mut self.warnings) {
                if self.files.len() == 1 {
                    self.lent = Some(i);
                    self.number += 1;
                    return self.files[i].frame(self.number);
                }
                self.heap.push(Reverse((ts, i)));
            }
        }
        let Reverse((_, i)) = self.heap.pop()?;
        self.lent = Some(i);
        self.number += 1;
        self.files[i].frame(self.number)
    }

    /// Bytes consumed so far over all files (compressed bytes for `.gz`).
    pub fn bytes_read(&self) -> u64 {
        self.files.iter().map(FileReader::bytes_read).sum()
    }

    /// Size of all files on disk (compressed for `.gz`): the progress total.
    pub fn bytes_total(&self) -> u64 {
        self.files.iter().map(FileReader::bytes_total).sum()
    }

    /// Problems found since the last call (truncated tail, bad record...),
    /// each naming the file and the byte offset. Drained.
    pub fn warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    /// Counters at layer "capture": `truncated`, `bad_record`,
    /// `read_error`, `unknown_block`, `unknown_interface`.
    pub fn stats(&self) -> &Counters {
        &self.stats
    }

    /// Frames delivered so far.
    pub fn frames(&self) -> u64 {
        self.number
    }
}
