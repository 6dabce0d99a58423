//! Glue: frames → decoder → parser → tracker → classifier → sinks.
//!
//! One [`Pipeline`] serves every mode: replay and live capture push frames,
//! the proxy pushes SIP messages it forwarded. The pipeline itself does no
//! I/O beyond handing outcomes to the [`Sinks`], and reads no clock: time is
//! whatever the frames say, so the same capture gives the same bytes out.

use crate::capture::Frame;
use crate::classify::Classifier;
use crate::config::Config;
use crate::decode::{Decoder, Event, SipPacket};

mod batch;
use crate::media::MediaTracker;
use crate::outcome::Outcome;
use crate::stats::Counters;
use crate::time::Timestamp;
use crate::track::{CallRecord, Tracker};
pub use batch::EventBatch;
use batch::{Item, What};
use std::io;
use std::net::SocketAddr;

/// Where outcomes go: JSON lines, the summary, a webhook, metrics.
#[derive(Debug)]
pub struct Sinks {
    pub jsonl: Option<crate::sink::jsonl::JsonlSink>,
    pub summary: crate::sink::summary::Summary,
    pub webhook: Option<crate::sink::webhook::WebhookSink>,
    /// Export to the Prometheus recorder (only when `--metrics-listen` is set).
    pub metrics: bool,
    /// First error writing the JSON lines (e.g. a closed pipe); the run ends
    /// with exit code 1 when set.
    pub write_error: Option<io::Error>,
}

impl Sinks {
    pub fn new(
        jsonl: Option<crate::sink::jsonl::JsonlSink>,
        webhook: Option<crate::sink::webhook::WebhookSink>,
        metrics: bool,
    ) -> Self {
        Sinks {
            jsonl,
            summary: crate::sink::summary::Summary::default(),
            webhook,
            metrics,
            write_error: None,
        }
    }

    /// One outcome to every sink. Never blocks on the network.
    pub fn emit(&mut self, o: &Outcome) {
        if let Some(j) = self.jsonl.as_mut() {
            if let Err(e) = j.write(o) {
                if self.write_error.is_none() {
                    self.write_error = Some(e);
                }
                self.jsonl = None;
            }
        }
        self.summary.add(o);
        if let Some(w) = self.webhook.as_mut() {
            w.send(o);
        }
        if self.metrics {
            crate::sink::metrics::observe_outcome(o);
        }
    }

    fn batch_done(&mut self, open_calls: usize, messages: &MessageCounts) {
        if let Some(j) = self.jsonl.as_mut() {
            if let Err(e) = j.flush() {
                if self.write_error.is_none() {
                    self.write_error = Some(e);
                }
                self.jsonl = None;
            }
        }
        if self.metrics {
            crate::sink::metrics::set_open_calls(open_calls);
            crate::sink::metrics::observe_messages(&messages.requests, &messages.responses);
        }
    }

    fn set_problems(&mut self, problems: &Counters) {
        if self.metrics {
            crate::sink::metrics::observe_counters(problems);
        }
    }
}

/// How often (in capture time) the tracker's timers are run.
const ADVANCE_EVERY_NS: i64 = 100_000_000;

/// Messages seen, by method (requests) or class (responses); flushed to
/// metrics per batch rather than per message.
#[derive(Debug, Default, Clone)]
pub struct MessageCounts {
    pub requests: std::collections::BTreeMap<&'static str, u64>,
    pub responses: [u64; 6],
}

impl MessageCounts {
    pub fn total(&self) -> u64 {
        self.requests.values().sum::<u64>() + self.responses.iter().sum::<u64>()
    }
}

/// Everything between a frame and an outcome.
#[derive(Debug)]
pub struct Pipeline {
    decoder: Decoder,
    tracker: Tracker,
    media: MediaTracker,
    classifier: Classifier,
    sinks: Sinks,
    /// Problems found here (SIP messages that did not parse), by reason.
    problems: Counters,
    messages: MessageCounts,
    pending: Vec<CallRecord>,
    last_advance: Timestamp,
    last_ts: Timestamp,
    frames: u64,
    outcomes: u64,
    /// False in proxy mode: media does not pass through trunkwatch.
    media_visible: bool,
    /// The counters of a decoder on another thread ([`on_batch`](Self::on_batch)).
    remote_decode_stats: Option<Counters>,
}

impl Pipeline {
    pub fn new(cfg: &Config, classifier: Classifier, sinks: Sinks) -> Self {
        Pipeline {
            decoder: Decoder::new(&cfg.decode),
            tracker: Tracker::new(&cfg.track),
            media: MediaTracker::new(&cfg.media),
            classifier,
            sinks,
            problems: Counters::new(),
            messages: MessageCounts::default(),
            pending: Vec::new(),
            last_advance: Timestamp(i64::MIN),
            last_ts: Timestamp(i64::MIN),
            frames: 0,
            outcomes: 0,
            media_visible: true,
            remote_decode_stats: None,
        }
    }

    /// Say whether RTP can be seen at all (not in proxy mode).
    pub fn set_media_visible(&mut self, visible: bool) {
        self.media_visible = visible;
    }

    /// Run the decoder (`drive`) and hand every event it yields on: SIP to
    /// the parser, tracker and media tracker, other UDP to media tracking.
    fn with_events(&mut self, drive: impl FnOnce(&mut Decoder, &mut dyn FnMut(Event<'_>))) {
        let Self {
            decoder,
            tracker,
            media,
            problems,
            messages,
            pending,
            ..
        } = self;
        drive(decoder, &mut |ev| {
            handle_event(tracker, media, problems, messages, pending, ev)
        });
    }

    /// One captured frame (replay, live capture).
    pub fn on_frame(&mut self, frame: &Frame<'_>) {
        self.frames += 1;
        self.with_events(|decoder, out| decoder.decode(frame, out));
        self.tick(frame.ts);
    }

    /// Frames decoded elsewhere (the replay's decoding thread): the same
    /// calls, in the same order, as [`on_frame`](Self::on_frame) on each of
    /// them, so the output is the same byte for byte.
    pub fn on_batch(&mut self, batch: &EventBatch) {
        for it in batch.items() {
            let (what, ts, frame_end) = match *it {
                Item::Media4 {
                    ts,
                    src,
                    dst,
                    ref probe,
                    frame_end,
                } => {
                    self.media
                        .on_probe(ts, &SocketAddr::V4(src), &SocketAddr::V4(dst), probe);
                    if frame_end {
                        self.frames += 1;
                        self.tick(ts);
                    }
                    continue;
                }
                Item::Other(i) => {
                    let o = batch.other(i);
                    (o, o.ts, o.frame_end)
                }
            };
            match what.what {
                What::Sip {
                    frame,
                    transport,
                    off,
                    len,
                } => handle_sip(
                    &mut self.tracker,
                    &mut self.media,
                    &mut self.problems,
                    &mut self.messages,
                    &mut self.pending,
                    &SipPacket {
                        ts,
                        frame,
                        src: what.src,
                        dst: what.dst,
                        transport,
                        payload: batch.payload(off, len),
                    },
                ),
                What::Media(ref probe) => {
                    self.media.on_probe(ts, &what.src, &what.dst, probe);
                }
                What::Nothing => {}
            }
            if let Some(ts) = frame_end {
                self.frames += 1;
                self.tick(ts);
            }
        }
        self.remote_decode_stats = Some(batch.decode_stats.clone());
    }

    /// One SIP message seen without a capture (the proxy's tap).
    pub fn on_sip(&mut self, pkt: &SipPacket<'_>) {
        handle_sip(
            &mut self.tracker,
            &mut self.media,
            &mut self.problems,
            &mut self.messages,
            &mut self.pending,
            pkt,
        );
        self.tick(pkt.ts);
    }

    /// Run timers up to `now` even when no packet arrives (live modes).
    pub fn idle(&mut self, now: Timestamp) {
        if now > self.last_ts {
            self.tick(now);
        }
        self.flush_metrics();
    }

    /// Push message and problem counts to the metrics recorder (per batch,
    /// never per message).
    pub fn flush_metrics(&mut self) {
        if self.sinks.metrics {
            let problems = self.problems();
            self.sinks
                .batch_done(self.tracker.open_calls(), &self.messages);
            self.sinks.set_problems(&problems);
        }
    }

    fn tick(&mut self, ts: Timestamp) {
        if ts > self.last_ts {
            self.last_ts = ts;
        }
        if self.last_ts.0.saturating_sub(self.last_advance.0) >= ADVANCE_EVERY_NS {
            self.last_advance = self.last_ts;
            self.tracker.advance(self.last_ts, &mut self.pending);
        }
        // Checked here, inline: this runs for every frame.
        if !self.pending.is_empty() {
            self.emit_pending();
        }
    }

    fn emit_pending(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let mut recs = std::mem::take(&mut self.pending);
        for rec in recs.drain(..) {
            let mut outcome: Outcome = self.classifier.classify(&rec);
            self.media.annotate(&mut outcome, self.media_visible);
            self.outcomes += 1;
            self.sinks.emit(&outcome);
        }
        self.pending = recs;
        self.sinks
            .batch_done(self.tracker.open_calls(), &self.messages);
    }

    /// End of input: flush the decoder and emit every call still open, as open.
    pub fn finish(&mut self) {
        self.with_events(|decoder, out| decoder.finish(out));
        self.tracker.advance(self.last_ts, &mut self.pending);
        self.tracker.finish(&mut self.pending);
        self.emit_pending();
        let problems = self.problems();
        self.sinks.batch_done(0, &self.messages);
        self.sinks.set_problems(&problems);
    }

    /// Every problem counted anywhere in the pipeline, by layer and reason.
    pub fn problems(&self) -> Counters {
        let mut all = Counters::new();
        all.merge(self.decoder.stats());
        if let Some(remote) = &self.remote_decode_stats {
            all.merge(remote);
        }
        all.merge(self.tracker.stats());
        all.merge(self.media.stats());
        all.merge(&self.problems);
        all
    }

    pub fn sinks(&self) -> &Sinks {
        &self.sinks
    }

    pub fn sinks_mut(&mut self) -> &mut Sinks {
        &mut self.sinks
    }

    pub fn into_sinks(self) -> Sinks {
        self.sinks
    }

    pub fn frames(&self) -> u64 {
        self.frames
    }

    pub fn outcomes(&self) -> u64 {
        self.outcomes
    }

    pub fn open_calls(&self) -> usize {
        self.tracker.open_calls()
    }

    pub fn messages(&self) -> &MessageCounts {
        &self.messages
    }
}

/// A decoder event to its consumer: SIP to the parser, tracker and media
/// tracker, other UDP to media tracking.
#[inline]
fn handle_event(
    tracker: &mut Tracker,
    media: &mut MediaTracker,
    problems: &mut Counters,
    messages: &mut MessageCounts,
    pending: &mut Vec<CallRecord>,
    ev: Event<'_>,
) {
    match ev {
        Event::Sip(pkt) => handle_sip(tracker, media, problems, messages, pending, &pkt),
        Event::Udp(d) => {
            media.on_datagram(&d);
        }
    }
}

fn handle_sip(
    tracker: &mut Tracker,
    media: &mut MediaTracker,
    problems: &mut Counters,
    messages: &mut MessageCounts,
    pending: &mut Vec<CallRecord>,
    pkt: &SipPacket<'_>,
) {
    match crate::sip::parse(pkt.payload) {
        Ok(msg) => {
            if let Some(m) = msg.method() {
                *messages.requests.entry(m.label()).or_insert(0) += 1;
            } else if let Some(code) = msg.status() {
                let class = (code / 100).clamp(1, 6) as usize - 1;
                messages.responses[class] += 1;
            }
            media.on_sip(pkt, &msg);
            tracker.on_sip(pkt, &msg, pending);
        }
        Err(e) => problems.inc("sip", e.kind.code()),
    }
}
