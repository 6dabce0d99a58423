//! Replay on two cores: one thread reads the capture files and decodes the
//! frames (link, IP, UDP/TCP reassembly), the caller's thread parses SIP,
//! tracks calls and media and writes outcomes. The decoder's events cross
//! over in batches ([`EventBatch`]) in frame order, so the output is the same
//! byte for byte as decoding on one thread ([`Pipeline::on_frame`]).
//!
//! This is an edge: it owns a thread and the file reads. The stages it
//! connects stay plain functions driven by frame timestamps.

use crate::capture::Replay;
use crate::config::DecodeConfig;
use crate::decode::Decoder;
use crate::pipeline::{EventBatch, Pipeline};
use crate::stats::Counters;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;

/// Frames per batch: large enough that hand-offs cost nothing per frame,
/// small enough that a batch stays in cache between the two cores.
const BATCH_FRAMES: u64 = 1024;
/// Payload bytes per batch (a few large TCP messages fill one sooner).
const BATCH_BYTES: usize = 512 << 10;
/// Batches decoded ahead of the analysis.
const BATCHES_AHEAD: usize = 4;

/// What the capture layer reported once the input ended.
#[derive(Debug, Default)]
pub struct Finished {
    /// Truncations and read errors, each naming the file and byte offset.
    pub warnings: Vec<String>,
    /// Counters at layer "capture".
    pub capture_stats: Counters,
    /// Frames read.
    pub frames: u64,
}

enum Msg {
    Batch(EventBatch),
    Last(EventBatch, Finished),
}

/// Run `replay` to its end (or until `stop` is set): decode on a thread of
/// its own, analyse in `pipeline` on this one. `progress(pipeline, frames,
/// bytes_read)` is called after every batch. The pipeline is not finished
/// here (the caller does that, as after [`Pipeline::on_frame`]).
pub fn run(
    mut replay: Replay,
    decode: &DecodeConfig,
    pipeline: &mut Pipeline,
    stop: Arc<AtomicBool>,
    mut progress: impl FnMut(&mut Pipeline, u64, u64),
) -> std::io::Result<Finished> {
    let (tx, rx) = mpsc::sync_channel::<Msg>(BATCHES_AHEAD);
    let (recycle, used) = mpsc::channel::<EventBatch>();
    let mut decoder = Decoder::new(decode);
    let worker = std::thread::Builder::new()
        .name("trunkwatch-decode".into())
        .spawn(move || {
            let mut batch = EventBatch::default();
            loop {
                let mut end = stop.load(Ordering::Relaxed);
                while !end && batch.frames() < BATCH_FRAMES && batch.payload_bytes() < BATCH_BYTES {
                    match replay.next_frame() {
                        Some(frame) => {
                            decoder.decode(&frame, &mut |ev| batch.push(&ev));
                            batch.end_frame(frame.ts);
                        }
                        None => end = true,
                    }
                }
                if end {
                    decoder.finish(&mut |ev| batch.push(&ev));
                }
                batch.decode_stats.clone_from(decoder.stats());
                batch.bytes_read = replay.bytes_read();
                if end {
                    let fin = Finished {
                        warnings: replay.warnings(),
                        capture_stats: replay.stats().clone(),
                        frames: replay.frames(),
                    };
                    let _ = tx.send(Msg::Last(batch, fin));
                    return;
                }
                if tx.send(Msg::Batch(batch)).is_err() {
                    return; // the analysis side is gone
                }
                batch = used.try_recv().unwrap_or_default();
                batch.clear();
            }
        })?;
    let mut frames = 0;
    let fin = loop {
        match rx.recv() {
            Ok(Msg::Batch(b)) => {
                pipeline.on_batch(&b);
                frames += b.frames();
                progress(pipeline, frames, b.bytes_read);
                let _ = recycle.send(b);
            }
            Ok(Msg::Last(b, fin)) => {
                pipeline.on_batch(&b);
                progress(pipeline, fin.frames, b.bytes_read);
                break fin;
            }
            // The decoding thread ended without its last batch: it panicked.
            Err(_) => {
                let _ = worker.join();
                return Err(std::io::Error::other(
                    "the decoding thread stopped unexpectedly",
                ));
            }
        }
    };
    let _ = worker.join();
    Ok(fin)
}
