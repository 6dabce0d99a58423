//! Capture files: classic pcap (both byte orders; micro-, nanosecond and
//! the "modified" Kuznetzov variant) and pcapng (several sections and
//! interfaces, per-interface `if_tsresol`/`if_tsoffset`), optionally gzip
//! compressed (detected by magic, not by name).
//!
//! Reading is done without libpcap into one reusable buffer per file: a frame
//! borrows the buffer, so no allocation happens per packet and a gzip stream
//! is handled exactly like a plain file. Record lengths come from the file
//! and are untrusted: they are checked against fixed limits before any
//! buffer is grown, so a corrupt length is a counted `bad_record`, never a
//! huge allocation or a panic.

use super::error::{show_bytes, CaptureError};
use super::Frame;
use crate::stats::Counters;
use crate::time::Timestamp;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Initial read buffer; grows only for a record larger than this. Small
/// enough to stay in a core's L2 cache next to the state being updated.
const BUF_SIZE: usize = 128 << 10;
/// Largest packet accepted whatever the header's snap length says (Wireshark's
/// standard maximum is 256 KiB; some link types legitimately go beyond).
const MAX_PACKET: u32 = 16 << 20;
/// Largest pcapng block accepted (a packet plus generous options).
const MAX_BLOCK: u32 = MAX_PACKET + (1 << 20);

const PCAPNG_SHB: u32 = 0x0A0D_0D0A;
const PCAPNG_BOM: u32 = 0x1A2B_3C4D;

/// A `Read` that counts the bytes it hands out (compressed bytes for `.gz`).
struct Counting {
    inner: Box<dyn Read + Send>,
    n: Arc<AtomicU64>,
}

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.n.fetch_add(k as u64, Ordering::Relaxed);
        Ok(k)
    }
}

/// Bytes a read-ahead chunk holds.
const CHUNK: usize = 512 << 10;
/// Room kept in front of a chunk's bytes for the unread tail of the previous
/// chunk (a record split across the boundary), so joining them copies only
/// that tail.
const HEAD: usize = 64 << 10;
/// Chunks read ahead and not yet consumed.
const AHEAD: usize = 2;

/// Where an [`Input`] gets bytes: the reader itself, or a thread that reads
/// it ahead into chunks (the read system calls and gzip inflation then run
/// on the second core while this one decodes).
enum Source {
    Direct(Box<dyn Read + Send>),
    Ahead(ReadAhead),
    /// Moved to a read-ahead thread that is starting.
    Gone,
}

/// The receiving end of a read-ahead thread.
struct ReadAhead {
    /// Filled chunks (`data` from `HEAD` to `len`); a zero-length chunk is
    /// the end of the stream; an error ends it too.
    rx: std::sync::mpsc::Receiver<io::Result<Chunk>>,
    /// Consumed chunks go back to the thread for reuse.
    recycle: std::sync::mpsc::Sender<Vec<u8>>,
}

struct Chunk {
    data: Vec<u8>,
    len: usize,
}

impl ReadAhead {
    /// Move `reader` to a thread that keeps up to [`AHEAD`] chunks ready.
    /// The thread ends at end of stream, on an error, or when the `Input`
    /// is dropped (its next send fails).
    fn spawn(slot: Arc<std::sync::Mutex<Option<Box<dyn Read + Send>>>>) -> io::Result<Self> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<io::Result<Chunk>>(AHEAD);
        let (recycle, used) = std::sync::mpsc::channel::<Vec<u8>>();
        std::thread::Builder::new()
            .name("trunkwatch-read".into())
            .spawn(move || {
                let Some(mut reader) = slot.lock().ok().and_then(|mut g| g.take()) else {
                    return;
                };
                loop {
                    let mut data = used.try_recv().unwrap_or_else(|_| vec![0; HEAD + CHUNK]);
                    let mut len = HEAD;
                    let mut err = None;
                    // Fill the chunk (fewer, larger hand-offs); stop at end of stream.
                    while len < data.len() {
                        match reader.read(&mut data[len..]) {
                            Ok(0) => break,
                            Ok(k) => len += k,
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                            Err(e) => {
                                err = Some(e);
                                break;
                            }
                        }
                    }
                    let end = len < data.len() || err.is_some();
                    if len > HEAD && tx.send(Ok(Chunk { data, len })).is_err() {
                        return;
                    }
                    if let Some(e) = err {
                        let _ = tx.send(Err(e));
                        return;
                    }
                    if end {
                        let _ = tx.send(Ok(Chunk {
                            data: Vec::new(),
                            len: 0,
                        }));
                        return;
                    }
                }
            })?;
        Ok(ReadAhead { rx, recycle })
    }
}

/// A byte stream seen through one window `buf[start..end]`.
struct Input {
    source: Source,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    /// Stream offset (decompressed for gzip) of `buf[start]`.
    offset: u64,
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Input")
            .field("offset", &self.offset)
            .field("buffered", &(self.end - self.start))
            .field("eof", &self.eof)
            .field("read_ahead", &matches!(self.source, Source::Ahead(_)))
            .finish()
    }
}

impl Input {
    fn new(reader: Box<dyn Read + Send>) -> Self {
        Input {
            source: Source::Direct(reader),
            buf: vec![0; BUF_SIZE],
            start: 0,
            end: 0,
            eof: false,
            offset: 0,
        }
    }

    /// Read the rest of the stream on a thread of its own. Bytes already
    /// in the window stay; if no thread can be started, reads stay direct.
    fn read_ahead(&mut self) {
        if self.eof || !matches!(self.source, Source::Direct(_)) {
            return;
        }
        let Source::Direct(reader) = std::mem::replace(&mut self.source, Source::Gone) else {
            return;
        };
        let slot = Arc::new(std::sync::Mutex::new(Some(reader)));
        match ReadAhead::spawn(slot.clone()) {
            Ok(ra) => self.source = Source::Ahead(ra),
            Err(_) => {
                if let Some(r) = slot.lock().ok().and_then(|mut g| g.take()) {
                    self.source = Source::Direct(r);
                }
            }
        }
    }

    #[inline]
    fn avail(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Make at least `n` bytes available unless the stream ends first;
    /// returns how many are available. `n` must already be bounded.
    #[inline]
    fn fill(&mut self, n: usize) -> io::Result<usize> {
        let have = self.end - self.start;
        if have >= n || self.eof {
            return Ok(have);
        }
        self.fill_more(n)
    }

    /// The slow part of [`fill`](Self::fill): read or receive more bytes.
    #[inline(never)]
    fn fill_more(&mut self, n: usize) -> io::Result<usize> {
        while self.end - self.start < n && !self.eof {
            match &mut self.source {
                Source::Direct(reader) => {
                    if self.start == self.end {
                        self.start = 0;
                        self.end = 0;
                    }
                    if self.buf.len() - self.start < n {
                        self.buf.copy_within(self.start..self.end, 0);
                        self.end -= self.start;
                        self.start = 0;
                        if self.buf.len() < n {
                            self.buf.resize(n.next_power_of_two(), 0);
                        }
                    }
                    match reader.read(&mut self.buf[self.end..]) {
                        Ok(0) => self.eof = true,
                        Ok(k) => self.end += k,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
                Source::Ahead(ra) => {
                    let chunk = match ra.rx.recv() {
                        Ok(Ok(c)) => c,
                        Ok(Err(e)) => {
                            self.eof = true;
                            return Err(e);
                        }
                        // The thread ended without a word: it panicked.
                        Err(_) => {
                            self.eof = true;
                            return Err(io::Error::other("read-ahead thread stopped"));
                        }
                    };
                    if chunk.len == 0 {
                        self.eof = true;
                        continue;
                    }
                    let tail = self.end - self.start;
                    if tail <= HEAD {
                        // Put the unread tail just in front of the new bytes.
                        let mut data = chunk.data;
                        data[HEAD - tail..HEAD].copy_from_slice(&self.buf[self.start..self.end]);
                        let old = std::mem::replace(&mut self.buf, data);
                        if old.len() == HEAD + CHUNK {
                            let _ = ra.recycle.send(old);
                        }
                        self.start = HEAD - tail;
                        self.end = chunk.len;
                    } else {
                        // A record larger than the headroom: grow the window.
                        self.buf.copy_within(self.start..self.end, 0);
                        self.buf.truncate(tail);
                        self.buf.extend_from_slice(&chunk.data[HEAD..chunk.len]);
                        self.start = 0;
                        self.end = self.buf.len();
                        let _ = ra.recycle.send(chunk.data);
                    }
                }
                Source::Gone => self.eof = true,
            }
        }
        Ok(self.end - self.start)
    }

    #[inline]
    fn consume(&mut self, n: usize) {
        debug_assert!(n <= self.end - self.start);
        self.start += n;
        self.offset += n as u64;
    }
}

#[derive(Copy, Clone, Debug)]
enum TsRes {
    /// Units of 10^-k seconds.
    Pow10(u32),
    /// Units of 2^-k seconds.
    Pow2(u32),
}

#[derive(Copy, Clone, Debug)]
struct Iface {
    linktype: u32,
    snaplen: u32,
    res: TsRes,
    /// `if_tsoffset`: seconds added to every timestamp.
    offset_s: i64,
}

#[derive(Debug)]
enum Format {
    Pcap {
        le: bool,
        nanos: bool,
        linktype: u32,
        /// 16, or 24 for the modified (Kuznetzov) format.
        rec_hdr: usize,
    },
    PcapNg {
        le: bool,
        ifaces: Vec<Iface>,
    },
}

/// The packet the reader is positioned on (bytes are in the window).
#[derive(Copy, Clone, Debug)]
struct Cur {
    ts: Timestamp,
    linktype: u32,
    /// Offset of the packet bytes from the window start.
    data_off: usize,
    caplen: usize,
    orig_len: u32,
    /// Whole record/block length, consumed when the reader advances.
    rec_len: usize,
}

/// One capture file being read record by record.
#[derive(Debug)]
pub(crate) struct FileReader {
    name: String,
    input: Input,
    fmt: Format,
    cur: Option<Cur>,
    done: bool,
    packets: u64,
    gzip: bool,
    compressed: Option<Arc<AtomicU64>>,
    /// Bytes on disk; None for a stream of unknown length.
    size: Option<u64>,
    last_ts: Timestamp,
}

#[inline]
fn rd16(b: &[u8], off: usize, le: bool) -> u16 {
    // One bounds check for the field, not one per byte.
    let f = &b[off..off + 2];
    let a = [f[0], f[1]];
    if le {
        u16::from_le_bytes(a)
    } else {
        u16::from_be_bytes(a)
    }
}

#[inline]
fn rd32(b: &[u8], off: usize, le: bool) -> u32 {
    let f = &b[off..off + 4];
    let a = [f[0], f[1], f[2], f[3]];
    if le {
        u32::from_le_bytes(a)
    } else {
        u32::from_be_bytes(a)
    }
}

/// The classic pcap record at the start of `h`, if it is whole there and
/// its captured length is within [`MAX_PACKET`] (the slow path reports
/// what is wrong otherwise).
#[inline]
fn pcap_record(h: &[u8], le: bool, nanos: bool, linktype: u32, rec_hdr: usize) -> Option<Cur> {
    if h.len() < rec_hdr {
        return None;
    }
    let incl = rd32(h, 8, le);
    let rec_len = rec_hdr + incl as usize;
    if incl > MAX_PACKET || h.len() < rec_len {
        return None;
    }
    let secs = rd32(h, 0, le);
    let frac = rd32(h, 4, le);
    let nanos_part = if nanos { frac } else { frac.wrapping_mul(1000) };
    Some(Cur {
        ts: Timestamp((secs as i64) * 1_000_000_000 + nanos_part as i64),
        linktype,
        data_off: rec_hdr,
        caplen: incl as usize,
        orig_len: rd32(h, 12, le),
        rec_len,
    })
}

/// Outcome of trying to position on the next packet.
enum Step {
    Packet(Cur),
    /// A non-packet block was consumed; keep going.
    Skip,
    /// Clean end of file.
    End,
    /// Stop this file: counter reason and warning detail.
    Stop(&'static str, String),
}

impl FileReader {
    /// Open a file, detect gzip and the capture format, validate the header.
    pub(crate) fn open(path: &Path) -> Result<Self, CaptureError> {
        let open_err = |e: io::Error| CaptureError::Open {
            path: path.to_path_buf(),
            source: e,
        };
        let mut file = File::open(path).map_err(open_err)?;
        let meta = file.metadata().map_err(open_err)?;
        if meta.is_dir() {
            return Err(open_err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "is a directory",
            )));
        }
        let mut magic = [0u8; 2];
        let got = read_up_to(&mut file, &mut magic).map_err(open_err)?;
        file.seek(SeekFrom::Start(0)).map_err(open_err)?;
        let gzip = got == 2 && magic == [0x1f, 0x8b];
        Self::start(path, Box::new(file), gzip, Some(meta.len()))
    }

    /// A capture from any byte stream (stdin, a pipe, memory); `name` is
    /// used in messages. Gzip is detected by magic here too.
    pub(crate) fn from_reader(
        name: &Path,
        mut reader: Box<dyn Read + Send>,
    ) -> Result<Self, CaptureError> {
        let mut magic = [0u8; 2];
        let mut got = 0;
        while got < 2 {
            match reader.read(&mut magic[got..]) {
                Ok(0) => break,
                Ok(k) => got += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(CaptureError::Open {
                        path: name.to_path_buf(),
                        source: e,
                    })
                }
            }
        }
        let gzip = got == 2 && magic == [0x1f, 0x8b];
        let head = io::Cursor::new(magic[..got].to_vec());
        Self::start(name, Box::new(head.chain(reader)), gzip, None)
    }

    fn start(
        path: &Path,
        raw: Box<dyn Read + Send>,
        gzip: bool,
        size: Option<u64>,
    ) -> Result<Self, CaptureError> {
        let (reader, compressed): (Box<dyn Read + Send>, _) = if gzip {
            let n = Arc::new(AtomicU64::new(0));
            let counting = Counting {
                inner: raw,
                n: n.clone(),
            };
            // Multi-member: `cat a.gz b.gz` and pigz output are valid gzip.
            let dec =
                flate2::read::MultiGzDecoder::new(io::BufReader::with_capacity(1 << 16, counting));
            (Box::new(dec), Some(n))
        } else {
            (raw, None)
        };
        let mut input = Input::new(reader);
        let name = path.display().to_string();
        let pb = || path.to_path_buf();
        let have = input.fill(28).map_err(|e| CaptureError::Open {
            path: pb(),
            source: e,
        })?;
        if have == 0 {
            return Err(CaptureError::Empty { path: pb(), gzip });
        }
        let head = input.avail();
        let not_capture = || CaptureError::NotCapture {
            path: pb(),
            found: show_bytes(head),
            gzip,
        };
        if have < 4 {
            return Err(not_capture());
        }
        let m_le = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        let pcap = match m_le {
            0xa1b2_c3d4 => Some((true, false, 16)),
            0xd4c3_b2a1 => Some((false, false, 16)),
            0xa1b2_3c4d => Some((true, true, 16)),
            0x4d3c_b2a1 => Some((false, true, 16)),
            0xa1b2_cd34 => Some((true, false, 24)),
            0x34cd_b2a1 => Some((false, false, 24)),
            _ => None,
        };
        let fmt = if let Some((le, nanos, rec_hdr)) = pcap {
            if have < 24 {
                return Err(CaptureError::HeaderTruncated {
                    path: pb(),
                    format: "pcap",
                    got: have,
                    need: 24,
                });
            }
            let major = rd16(head, 4, le);
            if major != 2 {
                return Err(CaptureError::Unsupported {
                    path: pb(),
                    format: "pcap",
                    what: format!("version {major}.{}", rd16(head, 6, le)),
                });
            }
            // Upper bits carry FCS information; the link type is the low 16.
            let linktype = rd32(head, 20, le) & 0xffff;
            input.consume(24);
            Format::Pcap {
                le,
                nanos,
                linktype,
                rec_hdr,
            }
        } else if m_le == PCAPNG_SHB {
            if have < 12 {
                return Err(CaptureError::HeaderTruncated {
                    path: pb(),
                    format: "pcapng",
                    got: have,
                    need: 28,
                });
            }
            let le = match u32::from_le_bytes([head[8], head[9], head[10], head[11]]) {
                PCAPNG_BOM => true,
                0x4d3c_2b1a => false,
                _ => return Err(not_capture()),
            };
            if have < 28 {
                return Err(CaptureError::HeaderTruncated {
                    path: pb(),
                    format: "pcapng",
                    got: have,
                    need: 28,
                });
            }
            let major = rd16(head, 12, le);
            if major != 1 {
                return Err(CaptureError::Unsupported {
                    path: pb(),
                    format: "pcapng",
                    what: format!("section version {major}.{}", rd16(head, 14, le)),
                });
            }
            // The SHB itself is consumed by the block loop.
            Format::PcapNg {
                le,
                ifaces: Vec::new(),
            }
        } else {
            return Err(not_capture());
        };
        Ok(FileReader {
            name,
            input,
            fmt,
            cur: None,
            done: false,
            packets: 0,
            gzip,
            compressed,
            size,
            last_ts: Timestamp(0),
        })
    }

    /// Whether the capture is gzip-compressed.
    pub(crate) fn is_gzip(&self) -> bool {
        self.gzip
    }

    /// Read (and inflate) the rest of the file on a thread of its own.
    pub(crate) fn read_ahead(&mut self) {
        self.input.read_ahead();
    }

    pub(crate) fn bytes_total(&self) -> u64 {
        self.size.unwrap_or(0)
    }

    pub(crate) fn bytes_read(&self) -> u64 {
        let n = match &self.compressed {
            Some(n) => n.load(Ordering::Relaxed),
            None => self.input.offset,
        };
        self.size.map_or(n, |s| n.min(s))
    }

    /// The frame the reader is positioned on (after `prepare` returned Some).
    #[inline]
    pub(crate) fn frame(&self, number: u64) -> Option<Frame<'_>> {
        let c = self.cur?;
        let data = &self.input.avail()[c.data_off..c.data_off + c.caplen];
        Some(Frame {
            number,
            ts: c.ts,
            linktype: c.linktype,
            data,
            orig_len: c.orig_len,
        })
    }

    /// Drop the current packet and position on the next one; returns its
    /// timestamp, or None at the end of the file (clean or not: problems
    /// are counted in `stats` and described in `warnings`).
    pub(crate) fn advance(
        &mut self,
        stats: &mut Counters,
        warnings: &mut Vec<String>,
    ) -> Option<Timestamp> {
        if let Some(c) = self.cur.take() {
            self.input.consume(c.rec_len);
        }
        // Fast path: a classic pcap record wholly in the window.
        if let Format::Pcap {
            le,
            nanos,
            linktype,
            rec_hdr,
        } = self.fmt
        {
            if !self.done {
                if let Some(c) = pcap_record(self.input.avail(), le, nanos, linktype, rec_hdr) {
                    self.packets += 1;
                    self.last_ts = c.ts;
                    self.cur = Some(c);
                    return Some(c.ts);
                }
            }
        }
        while !self.done {
            let at = self.input.offset;
            let step = match self.step(stats) {
                Ok(s) => s,
                // A gzip stream that stops early is a truncated capture too.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Step::Stop(
                    "truncated",
                    format!("truncated at byte {at} (compressed stream cut short: {e})"),
                ),
                Err(e) => Step::Stop("read_error", format!("read error at byte {at}: {e}")),
            };
            match step {
                Step::Packet(c) => {
                    self.packets += 1;
                    self.last_ts = c.ts;
                    self.cur = Some(c);
                    return Some(c.ts);
                }
                Step::Skip => {}
                Step::End => self.done = true,
                Step::Stop(reason, detail) => {
                    stats.inc("capture", reason);
                    let kept = if reason == "truncated" {
                        "complete packets read"
                    } else {
                        "packets read, rest of file skipped"
                    };
                    warnings.push(format!(
                        "{}: {detail}{}; {} {kept}",
                        self.name,
                        if self.gzip {
                            " (offset in decompressed data)"
                        } else {
                            ""
                        },
                        self.packets
                    ));
                    self.done = true;
                }
            }
        }
        None
    }

    fn step(&mut self, stats: &mut Counters) -> io::Result<Step> {
        match &mut self.fmt {
            Format::Pcap {
                le,
                nanos,
                linktype,
                rec_hdr,
            } => {
                let (le, nanos, linktype, rec_hdr) = (*le, *nanos, *linktype, *rec_hdr);
                let at = self.input.offset;
                let have = self.input.fill(rec_hdr)?;
                if have == 0 {
                    return Ok(Step::End);
                }
                if have < rec_hdr {
                    return Ok(Step::Stop(
                        "truncated",
                        format!(
                            "truncated at byte {at} (record header cut short: {have} of {rec_hdr} bytes)"
                        ),
                    ));
                }
                let h = self.input.avail();
                let incl = rd32(h, 8, le);
                if incl > MAX_PACKET {
                    return Ok(Step::Stop(
                        "bad_record",
                        format!(
                            "bad record at byte {at} (captured length {incl} exceeds the {MAX_PACKET}-byte limit)"
                        ),
                    ));
                }
                let rec_len = rec_hdr + incl as usize;
                let have = self.input.fill(rec_len)?;
                if have < rec_len {
                    return Ok(Step::Stop(
                        "truncated",
                        format!(
                            "truncated at byte {at} (packet data cut short: {} of {incl} bytes)",
                            have - rec_hdr
                        ),
                    ));
                }
                Ok(
                    pcap_record(self.input.avail(), le, nanos, linktype, rec_hdr)
                        .map_or(Step::Skip, Step::Packet),
                )
            }
            Format::PcapNg { le, ifaces } => {
                let at = self.input.offset;
                let have = self.input.fill(12)?;
                if have == 0 {
                    return Ok(Step::End);
                }
                if have < 12 {
                    return Ok(Step::Stop(
                        "truncated",
                        format!("truncated at byte {at} (block header cut short: {have} bytes)"),
                    ));
                }
                let h = self.input.avail();
                let btype = rd32(h, 0, *le);
                if btype == PCAPNG_SHB {
                    // A new section may switch byte order.
                    *le = match rd32(h, 8, true) {
                        PCAPNG_BOM => true,
                        0x4d3c_2b1a => false,
                        _ => {
                            return Ok(Step::Stop(
                                "bad_record",
                                format!(
                                    "bad section header at byte {at} (byte-order magic missing)"
                                ),
                            ))
                        }
                    };
                }
                let le = *le;
                let h = self.input.avail();
                let total = rd32(h, 4, le);
                if total < 12 || total % 4 != 0 || total > MAX_BLOCK {
                    return Ok(Step::Stop(
                        "bad_record",
                        format!("bad block at byte {at} (type 0x{btype:08x}, length {total})"),
                    ));
                }
                let total = total as usize;
                let have = self.input.fill(total)?;
                if have < total {
                    return Ok(Step::Stop(
                        "truncated",
                        format!(
                            "truncated at byte {at} (block cut short: {have} of {total} bytes)"
                        ),
                    ));
                }
                let b = &self.input.avail()[..total];
                if rd32(b, total - 4, le) as usize != total {
                    return Ok(Step::Stop(
                        "bad_record",
                        format!("bad block at byte {at} (trailing length differs from {total})"),
                    ));
                }
                let body = &b[8..total - 4];
                let bad = |what: &str| {
                    Ok(Step::Stop(
                        "bad_record",
                        format!("bad block at byte {at} ({what})"),
                    ))
                };
                let step = match btype {
                    PCAPNG_SHB => {
                        if body.len() < 16 {
                            return bad("section header too short");
                        }
                        let major = rd16(body, 4, le);
                        if major != 1 {
                            return bad(&format!("section version {major}"));
                        }
                        ifaces.clear();
                        Step::Skip
                    }
                    1 => {
                        if body.len() < 8 {
                            return bad("interface description too short");
                        }
                        let mut iface = Iface {
                            linktype: rd16(body, 0, le) as u32,
                            snaplen: rd32(body, 4, le),
                            res: TsRes::Pow10(6),
                            offset_s: 0,
                        };
                        parse_idb_options(&body[8..], le, &mut iface);
                        ifaces.push(iface);
                        Step::Skip
                    }
                    6 | 2 => {
                        // EPB: if(4) ts(8) caplen(4) len(4); obsolete PB:
                        // if(2) drops(2) ts(8) caplen(4) len(4).
                        if body.len() < 20 {
                            return bad("packet block too short");
                        }
                        let ifid = if btype == 6 {
                            rd32(body, 0, le)
                        } else {
                            rd16(body, 0, le) as u32
                        };
                        let raw = ((rd32(body, 4, le) as u64) << 32) | rd32(body, 8, le) as u64;
                        let caplen = rd32(body, 12, le);
                        let orig = rd32(body, 16, le);
                        if caplen as usize > body.len() - 20 {
                            return bad(&format!(
                                "captured length {caplen} exceeds the block ({} bytes)",
                                body.len() - 20
                            ));
                        }
                        match ifaces.get(ifid as usize) {
                            Some(iface) => Step::Packet(Cur {
                                ts: ng_ts(raw, iface),
                                linktype: iface.linktype,
                                data_off: 28,
                                caplen: caplen as usize,
                                orig_len: orig,
                                rec_len: total,
                            }),
                            None => {
                                stats.inc("capture", "unknown_interface");
                                Step::Skip
                            }
                        }
                    }
                    3 => {
                        // Simple Packet Block: interface 0, no timestamp (the
                        // previous packet's is used so merging stays ordered).
                        if body.len() < 4 {
                            return bad("simple packet block too short");
                        }
                        let orig = rd32(body, 0, le);
                        match ifaces.first() {
                            Some(iface) => {
                                let mut caplen = (orig as usize).min(body.len() - 4);
                                if iface.snaplen != 0 {
                                    caplen = caplen.min(iface.snaplen as usize);
                                }
                                Step::Packet(Cur {
                                    ts: self.last_ts,
                                    linktype: iface.linktype,
                                    data_off: 12,
                                    caplen,
                                    orig_len: orig,
                                    rec_len: total,
                                })
                            }
                            None => {
                                stats.inc("capture", "unknown_interface");
                                Step::Skip
                            }
                        }
                    }
                    // Known blocks that carry no packets: name resolution,
                    // interface statistics, systemd journal export,
                    // decryption secrets, custom blocks.
                    4 | 5 | 9 | 10 | 0x0BAD | 0x4000_0BAD => Step::Skip,
                    _ => {
                        stats.inc("capture", "unknown_block");
                        Step::Skip
                    }
                };
                if matches!(step, Step::Skip) {
                    self.input.consume(total);
                }
                Ok(step)
            }
        }
    }
}

/// IDB options: `if_tsresol` (9) and `if_tsoffset` (14); others ignored.
fn parse_idb_options(mut opts: &[u8], le: bool, iface: &mut Iface) {
    while opts.len() >= 4 {
        let code = rd16(opts, 0, le);
        let len = rd16(opts, 2, le) as usize;
        let padded = (len + 3) & !3;
        if code == 0 || opts.len() < 4 + len {
            break;
        }
        let v = &opts[4..4 + len];
        match (code, len) {
            (9, 1) => {
                iface.res = if v[0] & 0x80 != 0 {
                    TsRes::Pow2((v[0] & 0x7f) as u32)
                } else {
                    TsRes::Pow10(v[0] as u32)
                }
            }
            (14, 8) => {
                let a = [v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]];
                iface.offset_s = if le {
                    i64::from_le_bytes(a)
                } else {
                    i64::from_be_bytes(a)
                };
            }
            _ => {}
        }
        if opts.len() < 4 + padded {
            break;
        }
        opts = &opts[4 + padded..];
    }
}

/// pcapng timestamp units to nanoseconds since the epoch (saturating).
fn ng_ts(raw: u64, iface: &Iface) -> Timestamp {
    let raw = raw as i128;
    let ns: i128 = match iface.res {
        TsRes::Pow10(k) if k <= 9 => raw * 10i128.pow(9 - k),
        TsRes::Pow10(k) => match 10i128.checked_pow(k - 9) {
            Some(d) => raw / d,
            None => 0,
        },
        TsRes::Pow2(k) => (raw * 1_000_000_000) >> k.min(127),
    };
    let ns = ns + iface.offset_s as i128 * 1_000_000_000;
    Timestamp(ns.clamp(i64::MIN as i128, i64::MAX as i128) as i64)
}

fn read_up_to(f: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod read_ahead_tests {
    use super::*;
    use std::io::Write;

    /// A classic little-endian microsecond pcap with records of the given
    /// captured lengths (bytes derived from the record index).
    fn pcap(sizes: &[usize]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        v.extend_from_slice(&2u16.to_le_bytes());
        v.extend_from_slice(&4u16.to_le_bytes());
        v.extend_from_slice(&[0; 8]);
        v.extend_from_slice(&(MAX_PACKET).to_le_bytes());
        v.extend_from_slice(&1u32.to_le_bytes());
        for (i, &n) in sizes.iter().enumerate() {
            v.extend_from_slice(&(1_700_000_000u32 + i as u32).to_le_bytes());
            v.extend_from_slice(&(i as u32 % 1_000_000).to_le_bytes());
            v.extend_from_slice(&(n as u32).to_le_bytes());
            v.extend_from_slice(&(n as u32).to_le_bytes());
            v.extend((0..n).map(|k| (k as u8) ^ (i as u8)));
        }
        v
    }

    type Read = (Vec<(i64, Vec<u8>)>, Vec<String>, Counters);

    fn read_all(bytes: &[u8], ahead: bool) -> Read {
        let mut r =
            FileReader::from_reader(Path::new("mem"), Box::new(io::Cursor::new(bytes.to_vec())))
                .expect("valid capture");
        if ahead {
            r.read_ahead();
            assert!(matches!(r.input.source, Source::Ahead(_)));
        }
        let (mut stats, mut warnings, mut frames) = (Counters::new(), Vec::new(), Vec::new());
        while let Some(ts) = r.advance(&mut stats, &mut warnings) {
            let f = r.frame(0).expect("positioned");
            frames.push((ts.0, f.data.to_vec()));
        }
        (frames, warnings, stats)
    }

    /// Records straddling chunk boundaries, larger than the headroom and
    /// larger than a chunk, and a cut last record: read ahead on a thread
    /// gives exactly what direct reads give, down to the truncation offset.
    #[test]
    fn read_ahead_equals_direct() {
        let mut sizes = vec![60, 1500, HEAD + 1, 40, CHUNK + HEAD + 3, 0, 214];
        sizes.extend((0..12_000).map(|i| 60 + (i * 37) % 1400));
        sizes.push(3 * CHUNK);
        sizes.extend([214; 500]);
        let whole = pcap(&sizes);
        let direct = read_all(&whole, false);
        assert_eq!(direct.0.len(), sizes.len());
        assert!(direct.1.is_empty());
        assert_eq!(read_all(&whole, true), direct);

        let cut = &whole[..whole.len() - 100];
        let direct = read_all(cut, false);
        assert_eq!(direct.0.len(), sizes.len() - 1);
        assert_eq!(direct.1.len(), 1, "{:?}", direct.1);
        assert_eq!(read_all(cut, true), direct);

        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&whole).unwrap();
        let gz = gz.finish().unwrap();
        let plain = read_all(&whole, false);
        let (frames, warnings, _) = read_all(&gz, true);
        assert_eq!(frames, plain.0);
        assert!(warnings.is_empty());
    }

    /// A reader that fails mid-stream: the error reaches the consumer, after
    /// every packet that was whole before it.
    #[test]
    fn read_ahead_reports_read_errors() {
        struct Failing(io::Cursor<Vec<u8>>);
        impl io::Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                match self.0.read(buf)? {
                    0 => Err(io::Error::other("disk on fire")),
                    k => Ok(k),
                }
            }
        }
        let bytes = pcap(&[100; 5000]);
        let mut r =
            FileReader::from_reader(Path::new("mem"), Box::new(Failing(io::Cursor::new(bytes))))
                .expect("valid capture");
        r.read_ahead();
        let (mut stats, mut warnings, mut n) = (Counters::new(), Vec::new(), 0);
        while r.advance(&mut stats, &mut warnings).is_some() {
            n += 1;
        }
        assert_eq!(n, 5000);
        assert_eq!(stats.get("capture", "read_error"), 1);
        assert!(warnings[0].contains("disk on fire"), "{warnings:?}");
    }
}
