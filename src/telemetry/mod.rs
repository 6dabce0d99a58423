//! Telemetry: logging set-up and every metric name in one place.
//!
//! Names follow Prometheus conventions (`trunkwatch_<what>_<unit>`, counters
//! end in `_total`). Labels come only from small fixed sets (see
//! [`crate::sink::metrics`]), never a Call-ID, number or address, so the
//! series count stays bounded whatever the traffic.

use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
use tracing_subscriber::EnvFilter;

/// Calls that produced an outcome, by `status`, `code`, `code_class`, `direction`, `transport`.
pub const CALLS_ENDED: &str = "trunkwatch_calls_ended_total";
/// Calls being tracked right now (gauge).
pub const CALLS_OPEN: &str = "trunkwatch_calls_open";
/// INVITE to first provisional (not 100) or final response, by `direction`.
pub const POST_DIAL_DELAY: &str = "trunkwatch_post_dial_delay_seconds";
/// Answer to end of an answered call, by `direction`.
pub const CALL_DURATION: &str = "trunkwatch_call_duration_seconds";
/// SIP requests seen (retransmissions included), by `method`.
pub const SIP_REQUESTS: &str = "trunkwatch_sip_requests_total";
/// SIP responses seen (retransmissions included), by `class` (`1xx`..`6xx`).
pub const SIP_RESPONSES: &str = "trunkwatch_sip_responses_total";
/// Retransmitted INVITE-transaction messages, summed per call, by `direction`.
pub const SIP_RETRANSMISSIONS: &str = "trunkwatch_sip_retransmissions_total";
/// Problems counted by the capture/decode/sip/track layers, by `layer` and `reason`.
pub const DECODE_ERRORS: &str = "trunkwatch_decode_errors_total";
/// Packets the capture lost before trunkwatch saw them, by `where` (`kernel`, `interface`).
pub const CAPTURE_DROPS: &str = "trunkwatch_capture_drops_total";
/// Outcomes the webhook receiver accepted (2xx).
pub const WEBHOOK_DELIVERIES: &str = "trunkwatch_webhook_deliveries_total";
/// Outcomes never delivered, by `reason` (`rejected`, `retries_exhausted`,
/// `queue_full`, `deadline`).
pub const WEBHOOK_FAILURES: &str = "trunkwatch_webhook_failures_total";
/// Webhook attempts after the first one.
pub const WEBHOOK_RETRIES: &str = "trunkwatch_webhook_retries_total";

/// Post-dial delay buckets (s): carriers answer with 180/183 within a few
/// seconds; anything past 10 s is a routing problem worth seeing.
pub const POST_DIAL_DELAY_BUCKETS: &[f64] =
    &[0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 20.0, 30.0];
/// Talk time buckets (s): from a few seconds (voicemail, hang-ups) to hours.
pub const CALL_DURATION_BUCKETS: &[f64] = &[
    1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0, 7200.0,
];

/// Every metric with its help text, for the README table and tests:
/// `(name, type, labels, help)`.
pub const METRICS: &[(&str, &str, &str, &str)] = &[
    (
        CALLS_ENDED,
        "counter",
        "status, code, code_class, direction, transport",
        "Calls that produced an outcome (final or flushed open at the end).",
    ),
    (
        CALLS_OPEN,
        "gauge",
        "",
        "Calls currently tracked and not yet ended.",
    ),
    (
        POST_DIAL_DELAY,
        "histogram",
        "direction",
        "Seconds from the initial INVITE to the first ringing/progress or final response.",
    ),
    (
        CALL_DURATION,
        "histogram",
        "direction",
        "Talk time of answered calls in seconds (answer to BYE).",
    ),
    (
        SIP_REQUESTS,
        "counter",
        "method",
        "SIP requests seen on the wire, retransmissions included.",
    ),
    (
        SIP_RESPONSES,
        "counter",
        "class",
        "SIP responses seen on the wire, retransmissions included.",
    ),
    (
        SIP_RETRANSMISSIONS,
        "counter",
        "direction",
        "Retransmissions in INVITE transactions, summed over calls.",
    ),
    (
        DECODE_ERRORS,
        "counter",
        "layer, reason",
        "Packets or messages that could not be used, by layer and reason.",
    ),
    (
        CAPTURE_DROPS,
        "counter",
        "where",
        "Packets lost by the capture before trunkwatch saw them.",
    ),
    (
        WEBHOOK_DELIVERIES,
        "counter",
        "",
        "Outcomes accepted by the webhook receiver.",
    ),
    (
        WEBHOOK_FAILURES,
        "counter",
        "reason",
        "Outcomes never delivered to the webhook receiver.",
    ),
    (
        WEBHOOK_RETRIES,
        "counter",
        "",
        "Webhook POST attempts after the first one.",
    ),
];

/// Register help text and units with the installed recorder. Call once after
/// installing it (a no-op without a recorder).
pub fn describe_all() {
    for &(name, kind, _, help) in METRICS {
        let unit = if name.ends_with("_seconds") {
            Unit::Seconds
        } else {
            Unit::Count
        };
        match kind {
            "counter" => describe_counter!(name, unit, help),
            "gauge" => describe_gauge!(name, unit, help),
            _ => describe_histogram!(name, unit, help),
        }
    }
}

/// Error from [`init_logging`].
#[derive(Debug, thiserror::Error)]
pub enum LoggingError {
    #[error("RUST_LOG={value:?} is not a valid log filter: {reason}")]
    BadFilter { value: String, reason: String },
    #[error("a logger is already installed")]
    AlreadyInstalled,
}

/// Install the global tracing subscriber: compact lines on stderr (stdout is
/// for outcomes). `RUST_LOG` wins when set; otherwise `verbosity` (the number
/// of `-v`) picks the level for trunkwatch: 0 warn, 1 info, 2 debug, 3+ trace.
/// Other crates stay at warn unless `RUST_LOG` says otherwise.
///
/// Logging is never a reason to stop: an invalid `RUST_LOG` is reported in
/// one line on stderr and the `-v` level is used instead; a second call is a
/// no-op. Use [`try_init_logging`] to handle those cases yourself.
pub fn init_logging(verbosity: u8) {
    match try_init_logging(verbosity) {
        Ok(()) | Err(LoggingError::AlreadyInstalled) => {}
        Err(e @ LoggingError::BadFilter { .. }) => {
            eprintln!("trunkwatch: warning: {e}; using the -v level instead");
            let _ = install_subscriber(EnvFilter::new(default_directive(verbosity)));
        }
    }
}

/// [`init_logging`] that reports instead of recovering.
pub fn try_init_logging(verbosity: u8) -> Result<(), LoggingError> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(value) if !value.trim().is_empty() => {
            EnvFilter::try_new(&value).map_err(|e| LoggingError::BadFilter {
                value: value.clone(),
                reason: e.to_string(),
            })?
        }
        _ => EnvFilter::new(default_directive(verbosity)),
    };
    install_subscriber(filter)
}

fn install_subscriber(filter: EnvFilter) -> Result<(), LoggingError> {
    tracing_subscriber::fmt()
        .compact()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .map_err(|_| LoggingError::AlreadyInstalled)
}

/// Filter directive for `-v` counts (pure, so it is testable).
pub fn default_directive(verbosity: u8) -> &'static str {
    match verbosity {
        0 => "warn",
        1 => "warn,trunkwatch=info",
        2 => "warn,trunkwatch=debug",
        _ => "info,trunkwatch=trace",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_prometheus_style_and_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for &(name, kind, _, help) in METRICS {
            assert!(name.starts_with("trunkwatch_"), "{name}");
            assert!(seen.insert(name), "duplicate {name}");
            assert!(!help.is_empty());
            assert_eq!(kind == "counter", name.ends_with("_total"), "{name}");
            assert!(name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit()));
        }
        assert!(POST_DIAL_DELAY_BUCKETS.windows(2).all(|w| w[0] < w[1]));
        assert!(CALL_DURATION_BUCKETS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn verbosity_directives_parse() {
        for v in 0..5 {
            tracing_subscriber::EnvFilter::try_new(default_directive(v)).unwrap();
        }
    }
}
