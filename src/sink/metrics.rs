//! Prometheus metrics: `/metrics` over HTTP, fed per outcome and per batch.
//!
//! [`install`] sets the process-wide `metrics` recorder (one per process)
//! and serves it with metrics-exporter-prometheus on its own thread with its
//! own single-threaded tokio runtime. It therefore works the same from a
//! plain synchronous `main` and from inside a tokio runtime (it never spawns
//! onto, or blocks, the caller's runtime), and the endpoint keeps serving
//! while the pipeline thread is busy. The `observe_*` functions are cheap
//! no-ops when nothing is installed, so callers need not check.
//!
//! Every label value comes from a small fixed set (see [`crate::telemetry`]);
//! Call-IDs, numbers and addresses never become labels.

use crate::outcome::Outcome;
use crate::stats::Counters;
use crate::telemetry::{self as t};
use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread;

/// Why `/metrics` could not be served.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error("cannot serve /metrics on {addr}: {reason}")]
    Listen { addr: SocketAddr, reason: String },
    #[error("cannot start the metrics thread: {0}")]
    Thread(String),
    #[error("a metrics recorder is already installed in this process")]
    AlreadyInstalled,
}

/// The running exporter.
#[derive(Debug)]
pub struct MetricsServer {
    addr: SocketAddr,
}

impl MetricsServer {
    /// The address `/metrics` is served on (as requested).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

/// Serve `http://ADDR/metrics` and install the global recorder. Fails if the
/// address cannot be bound or a recorder is already installed.
pub fn install(addr: SocketAddr) -> Result<MetricsServer, MetricsError> {
    let builder = PrometheusBuilder::new()
        .with_http_listener(addr)
        .set_buckets_for_metric(
            Matcher::Full(t::POST_DIAL_DELAY.to_string()),
            t::POST_DIAL_DELAY_BUCKETS,
        )
        .and_then(|b| {
            b.set_buckets_for_metric(
                Matcher::Full(t::CALL_DURATION.to_string()),
                t::CALL_DURATION_BUCKETS,
            )
        })
        .map_err(|e| MetricsError::Thread(e.to_string()))?;

    let (tx, rx) = mpsc::sync_channel(1);
    thread::Builder::new()
        .name("trunkwatch-metrics".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = tx.send(Err(MetricsError::Thread(e.to_string())));
                    return;
                }
            };
            // `build` binds the listener and spawns upkeep on the ambient runtime.
            let built = {
                let _guard = rt.enter();
                builder.build()
            };
            match built {
                Ok((recorder, exporter)) => {
                    if tx.send(Ok(recorder)).is_err() {
                        return;
                    }
                    if let Err(e) = rt.block_on(exporter) {
                        tracing::error!(error = ?e, "metrics endpoint stopped");
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(MetricsError::Listen {
                        addr,
                        reason: e.to_string(),
                    }));
                }
            }
        })
        .map_err(|e| MetricsError::Thread(e.to_string()))?;

    let recorder = rx
        .recv()
        .map_err(|_| MetricsError::Thread("metrics thread exited".into()))??;
    metrics::set_global_recorder(recorder).map_err(|_| MetricsError::AlreadyInstalled)?;
    t::describe_all();
    gauge!(t::CALLS_OPEN).set(0.0);
    Ok(MetricsServer { addr })
}

/// Label for a SIP code: the number for real codes, `none` for no final
/// response, `other` for anything outside 100-699 (bounded cardinality).
pub fn code_label(code: Option<u16>) -> String {
    match code {
        Some(c @ 100..=699) => c.to_string(),
        Some(_) => "other".into(),
        None => "none".into(),
    }
}

const TRANSPORTS: [&str; 7] = ["udp", "tcp", "sctp", "ws", "wss", "tls", "other"];

/// Transport label from a fixed set (`other` for anything unexpected).
pub fn transport_label(transport: &str) -> &'static str {
    TRANSPORTS
        .iter()
        .find(|t| t.eq_ignore_ascii_case(transport))
        .copied()
        .unwrap_or("other")
}

/// Methods that get their own label; everything else is `OTHER`.
pub const METHODS: [&str; 15] = [
    "INVITE",
    "ACK",
    "BYE",
    "CANCEL",
    "REGISTER",
    "OPTIONS",
    "PRACK",
    "UPDATE",
    "INFO",
    "SUBSCRIBE",
    "NOTIFY",
    "REFER",
    "MESSAGE",
    "PUBLISH",
    "OTHER",
];

/// Method label (method names are case-sensitive, RFC 3261 section 7.1).
pub fn method_label(method: &[u8]) -> &'static str {
    METHODS[method_index(method)]
}

fn method_index(method: &[u8]) -> usize {
    METHODS[..METHODS.len() - 1]
        .iter()
        .position(|m| m.as_bytes() == method)
        .unwrap_or(METHODS.len() - 1)
}

const CLASSES: [&str; 8] = ["request", "1xx", "2xx", "3xx", "4xx", "5xx", "6xx", "other"];

/// Record one call's outcome: calls ended, post-dial delay, talk time,
/// retransmissions.
pub fn observe_outcome(o: &Outcome) {
    let direction = o.direction.as_str();
    counter!(
        t::CALLS_ENDED,
        "status" => o.status.as_str(),
        "code" => code_label(o.sip_code),
        "code_class" => o.code_class(),
        "direction" => direction,
        "transport" => transport_label(&o.transport),
    )
    .increment(1);
    if let Some(ms) = o.post_dial_delay_ms {
        histogram!(t::POST_DIAL_DELAY, "direction" => direction).record(ms as f64 / 1000.0);
    }
    if let Some(ms) = o.talk_ms {
        histogram!(t::CALL_DURATION, "direction" => direction).record(ms as f64 / 1000.0);
    }
    counter!(t::SIP_RETRANSMISSIONS, "direction" => direction)
        .increment(u64::from(o.retransmissions));
}

/// Calls currently tracked (`Tracker::open_calls()`).
pub fn set_open_calls(n: usize) {
    gauge!(t::CALLS_OPEN).set(n as f64);
}

/// Per-message counts kept in a fixed array on the hot path and handed to
/// the recorder once per batch by [`observe_messages`] (a recorder lookup
/// per SIP message would cost more than parsing it).
#[derive(Clone)]
pub struct MessageTally {
    counts: Box<[[[u64; TRANSPORTS.len()]; CLASSES.len()]; METHODS.len()]>,
    any: bool,
}

impl std::fmt::Debug for MessageTally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageTally")
            .field("total", &self.total())
            .finish()
    }
}

impl Default for MessageTally {
    fn default() -> Self {
        MessageTally {
            counts: Box::new([[[0; TRANSPORTS.len()]; CLASSES.len()]; METHODS.len()]),
            any: false,
        }
    }
}

impl MessageTally {
    pub fn new() -> Self {
        Self::default()
    }

    /// Count one message: a request (`status` None, `method` its method) or a
    /// response (`status` its code, `method` the CSeq method).
    #[inline]
    pub fn record(&mut self, method: &[u8], status: Option<u16>, transport: &str) {
        let class = match status {
            None => 0,
            Some(c @ 100..=699) => usize::from(c / 100),
            Some(_) => 7,
        };
        let tr = TRANSPORTS
            .iter()
            .position(|t| t.eq_ignore_ascii_case(transport))
            .unwrap_or(TRANSPORTS.len() - 1);
        self.counts[method_index(method)][class][tr] += 1;
        self.any = true;
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().flatten().flatten().sum()
    }

    pub fn is_empty(&self) -> bool {
        !self.any
    }
}

/// Add a batch of message counts to the metrics and clear the tally.
pub fn observe_messages(tally: &mut MessageTally) {
    if !tally.any {
        return;
    }
    for (m, per_class) in tally.counts.iter_mut().enumerate() {
        for (c, per_tr) in per_class.iter_mut().enumerate() {
            for (tr, n) in per_tr.iter_mut().enumerate() {
                if *n > 0 {
                    counter!(
                        t::SIP_MESSAGES,
                        "method" => METHODS[m],
                        "class" => CLASSES[c],
                        "transport" => TRANSPORTS[tr],
                    )
                    .increment(*n);
                    *n = 0;
                }
            }
        }
    }
    tally.any = false;
}

/// Publish problem counters as absolute values (they are totals since the
/// start). Pass all layers merged into one `Counters` (each key must come
/// from one source). Layer `webhook` is skipped: the webhook sink exports
/// its own metrics as it goes.
pub fn observe_counters(c: &Counters) {
    for (layer, reason, n) in c.iter() {
        if layer == "webhook" {
            continue;
        }
        counter!(t::DECODE_ERRORS, "layer" => layer, "reason" => reason).absolute(n);
    }
}

/// Packets lost before trunkwatch saw them (libpcap's kernel and interface
/// drop totals since the start).
pub fn observe_capture_drops(kernel: u64, interface: u64) {
    counter!(t::CAPTURE_DROPS, "where" => "kernel").absolute(kernel);
    counter!(t::CAPTURE_DROPS, "where" => "interface").absolute(interface);
}

pub(crate) fn webhook_delivered() {
    counter!(t::WEBHOOK_DELIVERIES).increment(1);
}

/// `reason`: `rejected`, `retries_exhausted`, `queue_full` or `deadline`.
pub(crate) fn webhook_failed(reason: &'static str, n: u64) {
    counter!(t::WEBHOOK_FAILURES, "reason" => reason).increment(n);
}

pub(crate) fn webhook_retry() {
    counter!(t::WEBHOOK_RETRIES).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_bounded() {
        assert_eq!(code_label(Some(486)), "486");
        assert_eq!(code_label(Some(99)), "other");
        assert_eq!(code_label(Some(700)), "other");
        assert_eq!(code_label(None), "none");
        assert_eq!(method_label(b"INVITE"), "INVITE");
        assert_eq!(method_label(b"invite"), "OTHER");
        assert_eq!(method_label(b"FOO"), "OTHER");
        assert_eq!(transport_label("UDP"), "udp");
        assert_eq!(transport_label("carrier-pigeon"), "other");
    }

    #[test]
    fn tally_counts_and_clears() {
        let mut t = MessageTally::new();
        assert!(t.is_empty());
        t.record(b"INVITE", None, "udp");
        t.record(b"INVITE", Some(180), "udp");
        t.record(b"XYZ", Some(999), "quic");
        assert_eq!(t.total(), 3);
        observe_messages(&mut t); // no recorder installed: still clears
        assert!(t.is_empty());
        assert_eq!(t.total(), 0);
    }
}
