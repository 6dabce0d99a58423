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
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
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
    // Checked first so a second call does not leave a listener behind.
    if INSTALLED.swap(true, Ordering::AcqRel) {
        return Err(MetricsError::AlreadyInstalled);
    }
    let result = start(addr);
    if result.is_err() {
        INSTALLED.store(false, Ordering::Release);
    }
    result
}

static INSTALLED: AtomicBool = AtomicBool::new(false);

fn start(addr: SocketAddr) -> Result<MetricsServer, MetricsError> {
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
    // Fails only if someone else installed a recorder: the listener stays
    // up serving nothing, which cannot be undone, so it is reported.
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

const CLASSES: [&str; 6] = ["1xx", "2xx", "3xx", "4xx", "5xx", "6xx"];

/// Publish SIP message totals since the start (the pipeline counts them in
/// plain integers on the hot path and calls this once per batch): requests
/// by method name (anything outside [`METHODS`] is folded into `OTHER`),
/// responses by class, `responses[0]` being 1xx.
pub fn observe_messages(requests: &BTreeMap<&'static str, u64>, responses: &[u64; 6]) {
    let mut by_method = [0u64; METHODS.len()];
    for (m, n) in requests {
        by_method[method_index(m.as_bytes())] += n;
    }
    for (m, n) in METHODS.iter().zip(by_method) {
        if n > 0 {
            counter!(t::SIP_REQUESTS, "method" => *m).absolute(n);
        }
    }
    for (c, &n) in CLASSES.iter().zip(responses) {
        if n > 0 {
            counter!(t::SIP_RESPONSES, "class" => *c).absolute(n);
        }
    }
}

/// Publish problem counters as absolute values (they are totals since the
/// start). Pass all layers merged into one `Counters` (each key must come
/// from one source). `("capture", "kernel_drops" | "interface_drops")` go to
/// the capture drop metric; layer `webhook` is skipped (the webhook sink
/// exports its own metrics as it goes); everything else is a decode error.
pub fn observe_counters(c: &Counters) {
    for (layer, reason, n) in c.iter() {
        match (layer, reason) {
            ("webhook", _) => {}
            ("capture", "kernel_drops") => {
                counter!(t::CAPTURE_DROPS, "where" => "kernel").absolute(n)
            }
            ("capture", "interface_drops") => {
                counter!(t::CAPTURE_DROPS, "where" => "interface").absolute(n)
            }
            _ => counter!(t::DECODE_ERRORS, "layer" => layer, "reason" => reason).absolute(n),
        }
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
}
