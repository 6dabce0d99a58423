//! Webhook sink: POST each outcome as JSON to an HTTP(S) endpoint.
//!
//! Delivery runs on one dedicated thread so capture and proxying never wait
//! on the network: [`WebhookSink::send`] only serialises the outcome and
//! offers it to a bounded queue; a full queue is a counted drop. One worker
//! delivers in order, reusing keep-alive connections. Connection errors,
//! timeouts, 5xx and 429 are retried with exponential backoff; other 4xx
//! (and 3xx, redirects are not followed) mean the receiver refused the body,
//! so retrying would not help.

use crate::config::WebhookConfig;
use crate::outcome::Outcome;
use crate::sink::metrics;
use crate::stats::Counters;
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Header carrying `sha256=<hex HMAC-SHA256(secret, body)>`.
pub const SIGNATURE_HEADER: &str = "X-Trunkwatch-Signature";
/// Header carrying the Unix time (seconds) of the attempt.
pub const TIMESTAMP_HEADER: &str = "X-Trunkwatch-Timestamp";
/// Longest wait a receiver's `Retry-After` can impose between attempts.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// Extra time [`WebhookSink::finish`] gives the worker past the deadline to
/// notice it (its requests are already clipped to the deadline).
const FINISH_GRACE: Duration = Duration::from_millis(250);

/// Why the webhook sink could not start.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("webhook: no url configured")]
    NoUrl,
    #[error("webhook url {url:?} is not usable: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("webhook.queue must be at least 1")]
    ZeroQueue,
    #[error("cannot start the webhook thread: {0}")]
    Thread(#[from] std::io::Error),
}

/// What happened to the outcomes handed to the sink.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct WebhookStats {
    /// Accepted into the queue.
    pub queued: u64,
    /// Answered with 2xx.
    pub delivered: u64,
    /// Refused by the receiver (3xx or 4xx other than 429); not retried.
    pub rejected: u64,
    /// Still failing (connection error, timeout, 5xx, 429) after `max_attempts`.
    pub retries_exhausted: u64,
    /// Not queued because the queue was full (or the worker had stopped).
    pub dropped: u64,
    /// Still queued or being retried when the deadline of `finish` passed.
    pub abandoned: u64,
    /// Attempts after the first one.
    pub retries: u64,
}

impl WebhookStats {
    /// Outcomes that were handed over but never delivered.
    pub fn failed(&self) -> u64 {
        self.rejected + self.retries_exhausted
    }

    /// The losses as problem counters for the summary (layer `webhook`).
    pub fn as_counters(&self) -> Counters {
        let mut c = Counters::new();
        self.add_to(&mut c);
        c
    }

    /// Add the losses to a problem counter for the summary (layer `webhook`).
    pub fn add_to(&self, c: &mut Counters) {
        c.add("webhook", "rejected", self.rejected);
        c.add("webhook", "retries_exhausted", self.retries_exhausted);
        c.add("webhook", "dropped_queue_full", self.dropped);
        c.add("webhook", "abandoned_at_deadline", self.abandoned);
    }
}

#[derive(Default)]
struct Shared {
    queued: AtomicU64,
    delivered: AtomicU64,
    rejected: AtomicU64,
    exhausted: AtomicU64,
    dropped: AtomicU64,
    abandoned: AtomicU64,
    retries: AtomicU64,
    /// Set by `finish`; the worker's waits and requests end by then.
    deadline: Mutex<Option<Instant>>,
    wake: Condvar,
}

impl Shared {
    fn snapshot(&self) -> WebhookStats {
        WebhookStats {
            queued: self.queued.load(Ordering::Acquire),
            delivered: self.delivered.load(Ordering::Acquire),
            rejected: self.rejected.load(Ordering::Acquire),
            retries_exhausted: self.exhausted.load(Ordering::Acquire),
            dropped: self.dropped.load(Ordering::Acquire),
            abandoned: self.abandoned.load(Ordering::Acquire),
            retries: self.retries.load(Ordering::Acquire),
        }
    }

    fn deadline(&self) -> Option<Instant> {
        *self.deadline.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sleep until `until` unless the deadline comes first; false if it did.
    fn sleep_until(&self, until: Instant) -> bool {
        let mut guard = self.deadline.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if guard.is_some_and(|d| until > d) {
                return false;
            }
            let now = Instant::now();
            if now >= until {
                return true;
            }
            guard = self
                .wake
                .wait_timeout(guard, until - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    fn abandon(&self, n: u64) {
        if n > 0 {
            self.abandoned.fetch_add(n, Ordering::AcqRel);
            metrics::webhook_failed("deadline", n);
        }
    }
}

/// Posts outcomes from a background thread; see the module docs.
pub struct WebhookSink {
    tx: Option<SyncSender<Vec<u8>>>,
    shared: Arc<Shared>,
    worker: Option<JoinHandle<()>>,
    done: Receiver<()>,
}

impl std::fmt::Debug for WebhookSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSink")
            .field("stats", &self.shared.snapshot())
            .finish_non_exhaustive()
    }
}

struct Worker {
    agent: ureq::Agent,
    url: String,
    secret: Option<Vec<u8>>,
    max_attempts: u32,
    initial_backoff: Duration,
    timeout: Duration,
    shared: Arc<Shared>,
}

enum Attempt {
    Delivered,
    Rejected(u16),
    Retry {
        why: String,
        after: Option<Duration>,
    },
}

impl WebhookSink {
    /// Validate the config and start the delivery thread.
    pub fn start(cfg: &WebhookConfig) -> Result<Self, WebhookError> {
        let url = cfg.url.clone().ok_or(WebhookError::NoUrl)?;
        if cfg.queue == 0 {
            return Err(WebhookError::ZeroQueue);
        }
        let agent = ureq::AgentBuilder::new()
            .redirects(0)
            .user_agent(concat!("trunkwatch/", env!("CARGO_PKG_VERSION")))
            .build();
        let parsed = agent
            .post(&url)
            .request_url()
            .map_err(|e| WebhookError::BadUrl {
                url: url.clone(),
                reason: e.to_string(),
            })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(WebhookError::BadUrl {
                url,
                reason: "scheme must be http or https".into(),
            });
        }
        let shared = Arc::new(Shared::default());
        let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(cfg.queue);
        let (done_tx, done) = mpsc::channel::<()>();
        let worker = Worker {
            agent,
            url,
            secret: cfg.secret.as_ref().map(|s| s.as_bytes().to_vec()),
            max_attempts: cfg.max_attempts.max(1),
            initial_backoff: Duration::from_millis(cfg.initial_backoff_ms),
            timeout: Duration::from_millis(cfg.timeout_ms.max(1)),
            shared: Arc::clone(&shared),
        };
        let handle = thread::Builder::new()
            .name("trunkwatch-webhook".into())
            .spawn(move || {
                worker.run(rx);
                drop(done_tx);
            })?;
        Ok(WebhookSink {
            tx: Some(tx),
            shared,
            worker: Some(handle),
            done,
        })
    }

    /// Queue one outcome for delivery. Never blocks: when the queue is full
    /// the outcome is dropped and counted.
    pub fn send(&self, outcome: &Outcome) {
        let Some(tx) = &self.tx else { return };
        let body = match serde_json::to_vec(outcome) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "webhook: outcome not serialisable, dropped");
                self.count_drop();
                return;
            }
        };
        match tx.try_send(body) {
            Ok(()) => {
                self.shared.queued.fetch_add(1, Ordering::AcqRel);
            }
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => self.count_drop(),
        }
    }

    fn count_drop(&self) {
        self.shared.dropped.fetch_add(1, Ordering::AcqRel);
        metrics::webhook_failed("queue_full", 1);
    }

    /// Counts so far (for a live summary).
    pub fn stats(&self) -> WebhookStats {
        self.shared.snapshot()
    }

    /// Stop accepting outcomes, deliver what can be delivered before
    /// `deadline`, and return the final counts. Outcomes still waiting at
    /// the deadline are counted as `abandoned`.
    pub fn finish(mut self, deadline: Instant) -> WebhookStats {
        self.close(deadline);
        let wait = deadline.saturating_duration_since(Instant::now()) + FINISH_GRACE;
        match self.done.recv_timeout(wait) {
            Err(RecvTimeoutError::Disconnected) | Ok(()) => {
                if let Some(h) = self.worker.take() {
                    let _ = h.join();
                }
                self.shared.snapshot()
            }
            Err(RecvTimeoutError::Timeout) => {
                // Stuck in something the deadline does not bound (e.g. DNS):
                // leave the thread behind and report what is unaccounted.
                let mut s = self.shared.snapshot();
                let pending = s
                    .queued
                    .saturating_sub(s.delivered + s.failed() + s.abandoned);
                s.abandoned += pending;
                tracing::warn!(pending, "webhook: worker did not stop by the deadline");
                s
            }
        }
    }

    fn close(&mut self, deadline: Instant) {
        self.tx = None;
        let mut d = self
            .shared
            .deadline
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        *d = Some(d.map_or(deadline, |old| old.min(deadline)));
        self.shared.wake.notify_all();
    }
}

impl Drop for WebhookSink {
    /// Dropped without `finish`: stop now rather than delivering in the background.
    fn drop(&mut self) {
        if self.tx.is_some() {
            self.close(Instant::now());
        }
    }
}

impl Worker {
    fn run(self, rx: Receiver<Vec<u8>>) {
        // Ends when `finish` dropped the sender and the queue is empty.
        while let Ok(body) = rx.recv() {
            if self.shared.deadline().is_some_and(|d| Instant::now() >= d) {
                let rest = 1 + rx.try_iter().count() as u64;
                self.shared.abandon(rest);
                // Anything still arriving (none: the sender is gone) is abandoned too.
                continue;
            }
            self.deliver(&body);
        }
    }

    fn deliver(&self, body: &[u8]) {
        let signature = self.secret.as_deref().map(|k| sign(k, body));
        let mut backoff = self.initial_backoff;
        let mut last_err = String::new();
        for attempt in 1..=self.max_attempts {
            let mut timeout = self.timeout;
            if let Some(d) = self.shared.deadline() {
                let left = d.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    self.shared.abandon(1);
                    return;
                }
                timeout = timeout.min(left);
            }
            match self.post(body, signature.as_deref(), timeout) {
                Attempt::Delivered => {
                    self.shared.delivered.fetch_add(1, Ordering::AcqRel);
                    metrics::webhook_delivered();
                    return;
                }
                Attempt::Rejected(code) => {
                    tracing::warn!(code, "webhook: receiver refused the outcome; not retried");
                    self.shared.rejected.fetch_add(1, Ordering::AcqRel);
                    metrics::webhook_failed("rejected", 1);
                    return;
                }
                Attempt::Retry { why, after } => {
                    tracing::debug!(attempt, %why, "webhook: attempt failed");
                    last_err = why;
                    if attempt == self.max_attempts {
                        break;
                    }
                    let wait = after.map_or(backoff, |a| a.min(MAX_RETRY_AFTER).max(backoff));
                    if !self.shared.sleep_until(Instant::now() + wait) {
                        self.shared.abandon(1);
                        return;
                    }
                    backoff = backoff.saturating_mul(2);
                    self.shared.retries.fetch_add(1, Ordering::AcqRel);
                    metrics::webhook_retry();
                }
            }
        }
        tracing::warn!(attempts = self.max_attempts, error = %last_err, "webhook: giving up on an outcome");
        self.shared.exhausted.fetch_add(1, Ordering::AcqRel);
        metrics::webhook_failed("retries_exhausted", 1);
    }

    fn post(&self, body: &[u8], signature: Option<&str>, timeout: Duration) -> Attempt {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let mut req = self
            .agent
            .post(&self.url)
            .timeout(timeout)
            .set("Content-Type", "application/json")
            .set(TIMESTAMP_HEADER, &now.to_string());
        if let Some(sig) = signature {
            req = req.set(SIGNATURE_HEADER, sig);
        }
        match req.send_bytes(body) {
            Ok(resp) => {
                let code = resp.status();
                drain(resp);
                if (200..300).contains(&code) {
                    Attempt::Delivered
                } else {
                    Attempt::Rejected(code)
                }
            }
            Err(ureq::Error::Status(code, resp)) => {
                let after = resp
                    .header("Retry-After")
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                drain(resp);
                if code == 429 || code >= 500 {
                    Attempt::Retry {
                        why: format!("HTTP {code}"),
                        after,
                    }
                } else {
                    Attempt::Rejected(code)
                }
            }
            Err(ureq::Error::Transport(t)) => Attempt::Retry {
                why: t.to_string(),
                after: None,
            },
        }
    }
}

/// Read (a bounded amount of) the response so the connection can be reused.
fn drain(resp: ureq::Response) {
    let mut r = resp.into_reader().take(64 * 1024);
    let _ = std::io::copy(&mut r, &mut std::io::sink());
}

/// `sha256=<lowercase hex of HMAC-SHA256(secret, body)>`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(body);
    let tag = mac.finalize().into_bytes();
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256=");
    for b in tag {
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_rfc4231_case_2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn rejects_bad_config() {
        let mut cfg = WebhookConfig::default();
        assert!(matches!(WebhookSink::start(&cfg), Err(WebhookError::NoUrl)));
        cfg.url = Some("ftp://127.0.0.1/x".into());
        assert!(matches!(
            WebhookSink::start(&cfg),
            Err(WebhookError::BadUrl { .. })
        ));
        cfg.url = Some("not a url".into());
        assert!(matches!(
            WebhookSink::start(&cfg),
            Err(WebhookError::BadUrl { .. })
        ));
        cfg.url = Some("http://127.0.0.1:9/".into());
        cfg.queue = 0;
        assert!(matches!(
            WebhookSink::start(&cfg),
            Err(WebhookError::ZeroQueue)
        ));
    }
}
