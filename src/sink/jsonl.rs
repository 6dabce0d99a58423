//! JSON lines: one outcome per line, fields in the order of [`Outcome`].

use crate::outcome::Outcome;
use std::fmt;
use std::io::{self, BufWriter, Write};

/// Writes outcomes as newline-delimited JSON through a buffer; call
/// [`JsonlSink::flush`] at the end (and whenever a reader should see
/// everything so far, e.g. after each batch in live mode).
pub struct JsonlSink {
    out: BufWriter<Box<dyn Write + Send>>,
    written: u64,
}

impl fmt::Debug for JsonlSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsonlSink")
            .field("written", &self.written)
            .finish_non_exhaustive()
    }
}

impl JsonlSink {
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        JsonlSink {
            out: BufWriter::with_capacity(64 * 1024, out),
            written: 0,
        }
    }

    /// Append one outcome as a single line.
    pub fn write(&mut self, outcome: &Outcome) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, outcome).map_err(io::Error::from)?;
        self.out.write_all(b"\n")?;
        self.written += 1;
        Ok(())
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Outcomes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }
}
