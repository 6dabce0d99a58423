//! Errors that stop a capture source before it delivers anything. Problems
//! found later (a truncated tail, an absurd record length) are warnings and
//! counters instead, so every complete packet is still processed.

use std::io;
use std::path::PathBuf;

/// Why a capture source could not be opened or read.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("no capture file given")]
    NoFiles,
    #[error("{}: cannot read: {source}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{}: empty file (0 bytes{}), not a pcap or pcapng capture", path.display(), if *gzip { " after gzip decompression" } else { "" })]
    Empty { path: PathBuf, gzip: bool },
    #[error("{}: not a pcap or pcapng file ({}starts with '{found}')", path.display(), if *gzip { "gzip-compressed, " } else { "" })]
    NotCapture {
        path: PathBuf,
        /// First bytes, printable ASCII kept and the rest escaped as `\xNN`.
        found: String,
        gzip: bool,
    },
    #[error("{}: {format} file header cut short ({got} of {need} bytes)", path.display())]
    HeaderTruncated {
        path: PathBuf,
        format: &'static str,
        got: usize,
        need: usize,
    },
    #[error("{}: unsupported {format}: {what}", path.display())]
    Unsupported {
        path: PathBuf,
        format: &'static str,
        what: String,
    },
    /// Live capture: the interface cannot be opened (missing, no permission).
    #[error("interface {iface}: {msg}")]
    LiveOpen { iface: String, msg: String },
    /// Live capture: the BPF filter does not compile.
    #[error("capture filter '{filter}': {msg}")]
    LiveFilter { filter: String, msg: String },
    /// Live capture: reading failed after a successful open.
    #[error("interface {iface}: read failed: {msg}")]
    LiveRead { iface: String, msg: String },
}

impl CaptureError {
    /// True when the user gave something that cannot be read as a capture
    /// (the CLI exits with status 2); false for failures during a live read.
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, CaptureError::LiveRead { .. })
    }

    /// Short stable code, usable as a metric label.
    pub fn code(&self) -> &'static str {
        match self {
            CaptureError::NoFiles => "no_files",
            CaptureError::Open { .. } => "unreadable",
            CaptureError::Empty { .. } => "empty",
            CaptureError::NotCapture { .. } => "not_a_capture",
            CaptureError::HeaderTruncated { .. } => "header_truncated",
            CaptureError::Unsupported { .. } => "unsupported",
            CaptureError::LiveOpen { .. } => "live_open",
            CaptureError::LiveFilter { .. } => "live_filter",
            CaptureError::LiveRead { .. } => "live_read",
        }
    }
}

/// Up to 8 leading bytes shown safely: printable ASCII as is, the rest `\xNN`.
pub(crate) fn show_bytes(b: &[u8]) -> String {
    let mut s = String::new();
    for &c in b.iter().take(8) {
        if (0x20..0x7f).contains(&c) && c != b'\'' && c != b'\\' {
            s.push(c as char);
        } else {
            s.push_str(&format!("\\x{c:02x}"));
        }
    }
    s
}
