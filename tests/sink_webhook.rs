//! Webhook delivery against a real HTTP server on loopback (tiny_http).

mod sink_support;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use sink_support::realistic_outcomes;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use trunkwatch::config::WebhookConfig;
use trunkwatch::outcome::Outcome;
use trunkwatch::sink::webhook::{WebhookSink, WebhookStats};

/// One request as the server saw it.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    at: Instant,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A loopback HTTP server answering each request with `respond(index)`
/// (status code, extra headers). Stopped on drop.
struct Receiver {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Receiver {
    fn start(
        respond: impl Fn(usize) -> (u16, Vec<(&'static str, &'static str)>) + Send + 'static,
    ) -> Self {
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let port = server.server_addr().to_ip().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen2, stop2) = (Arc::clone(&seen), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            while !stop2.load(Ordering::Acquire) {
                let Ok(Some(mut req)) = server.recv_timeout(Duration::from_millis(20)) else {
                    continue;
                };
                let mut body = Vec::new();
                req.as_reader().read_to_end(&mut body).unwrap();
                let idx = {
                    let mut s = seen2.lock().unwrap();
                    s.push(Seen {
                        method: req.method().to_string(),
                        path: req.url().to_string(),
                        headers: req
                            .headers()
                            .iter()
                            .map(|h| (h.field.to_string(), h.value.to_string()))
                            .collect(),
                        body,
                        at: Instant::now(),
                    });
                    s.len() - 1
                };
                let (code, headers) = respond(idx);
                let mut resp = tiny_http::Response::from_string("ok").with_status_code(code);
                for (k, v) in headers {
                    resp.add_header(tiny_http::Header::from_bytes(k, v).unwrap());
                }
                let _ = req.respond(resp);
            }
        });
        Receiver {
            url: format!("http://127.0.0.1:{port}/hooks/trunkwatch"),
            seen,
            stop,
            thread: Some(thread),
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn config(url: &str) -> WebhookConfig {
    WebhookConfig {
        url: Some(url.to_string()),
        secret: None,
        queue: 1000,
        max_attempts: 5,
        initial_backoff_ms: 20,
        timeout_ms: 2_000,
    }
}

/// A loopback port with nothing listening (bound, then released).
fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn in_10s() -> Instant {
    Instant::now() + Duration::from_secs(10)
}

#[test]
fn delivers_every_outcome_signed_in_order() {
    let rx = Receiver::start(|_| (200, vec![]));
    let mut cfg = config(&rx.url);
    cfg.secret = Some("s3cr3t-shared-with-receiver".into());
    let sink = WebhookSink::start(&cfg).unwrap();
    let outcomes = realistic_outcomes();
    for o in &outcomes {
        sink.send(o);
    }
    let st = sink.finish(in_10s());
    assert_eq!(
        st,
        WebhookStats {
            queued: outcomes.len() as u64,
            delivered: outcomes.len() as u64,
            ..WebhookStats::default()
        }
    );

    let seen = rx.seen();
    assert_eq!(seen.len(), outcomes.len());
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    for (req, o) in seen.iter().zip(&outcomes) {
        assert_eq!(req.method, "POST");
        assert_eq!(req.path, "/hooks/trunkwatch");
        assert_eq!(req.header("Content-Type"), Some("application/json"));
        // The body is the outcome, exactly as JSON lines would carry it.
        let got: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
        assert_eq!(got, serde_json::to_value(o).unwrap());
        let back: Outcome = serde_json::from_slice(&req.body).unwrap();
        assert_eq!(&back, o);
        // Receiver-side verification: HMAC-SHA256 over the raw body.
        let sig = req.header("X-Trunkwatch-Signature").unwrap();
        let hex = sig.strip_prefix("sha256=").unwrap();
        let tag: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        let mut mac = Hmac::<Sha256>::new_from_slice(b"s3cr3t-shared-with-receiver").unwrap();
        mac.update(&req.body);
        mac.verify_slice(&tag).expect("signature verifies");
        let ts: u64 = req
            .header("X-Trunkwatch-Timestamp")
            .unwrap()
            .parse()
            .unwrap();
        assert!(ts <= now && now - ts < 600, "timestamp {ts} vs now {now}");
        assert!(req
            .header("User-Agent")
            .is_some_and(|ua| ua.starts_with("trunkwatch/")));
    }
}

#[test]
fn unsigned_without_secret() {
    let rx = Receiver::start(|_| (204, vec![]));
    let sink = WebhookSink::start(&config(&rx.url)).unwrap();
    sink.send(&realistic_outcomes()[0]);
    let st = sink.finish(in_10s());
    assert_eq!(st.delivered, 1);
    let seen = rx.seen();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].header("X-Trunkwatch-Signature").is_none());
    assert!(seen[0].header("X-Trunkwatch-Timestamp").is_some());
}

#[test]
fn retries_503_with_doubling_backoff_then_delivers() {
    let rx = Receiver::start(|i| if i < 2 { (503, vec![]) } else { (200, vec![]) });
    let mut cfg = config(&rx.url);
    cfg.initial_backoff_ms = 50;
    let sink = WebhookSink::start(&cfg).unwrap();
    let o = &realistic_outcomes()[3];
    sink.send(o);
    let st = sink.finish(in_10s());
    assert_eq!(st.delivered, 1);
    assert_eq!(st.retries, 2);
    assert_eq!(st.failed(), 0);
    let seen = rx.seen();
    assert_eq!(seen.len(), 3);
    // The same body every time, and the waits are at least 50 ms then 100 ms.
    assert!(seen.iter().all(|s| s.body == seen[0].body));
    assert!(seen[1].at - seen[0].at >= Duration::from_millis(50));
    assert!(seen[2].at - seen[1].at >= Duration::from_millis(100));
}

#[test]
fn retries_429_honouring_retry_after() {
    let rx = Receiver::start(|i| {
        if i == 0 {
            (429, vec![("Retry-After", "1")])
        } else {
            (200, vec![])
        }
    });
    let sink = WebhookSink::start(&config(&rx.url)).unwrap();
    sink.send(&realistic_outcomes()[0]);
    let st = sink.finish(in_10s());
    assert_eq!((st.delivered, st.retries), (1, 1));
    let seen = rx.seen();
    assert_eq!(seen.len(), 2);
    assert!(seen[1].at - seen[0].at >= Duration::from_secs(1));
}

#[test]
fn other_4xx_is_not_retried() {
    let rx = Receiver::start(|_| (422, vec![]));
    let sink = WebhookSink::start(&config(&rx.url)).unwrap();
    let outcomes = realistic_outcomes();
    sink.send(&outcomes[0]);
    sink.send(&outcomes[1]);
    let st = sink.finish(in_10s());
    assert_eq!(st.rejected, 2);
    assert_eq!(st.retries, 0);
    assert_eq!(st.delivered, 0);
    assert_eq!(rx.seen().len(), 2);
    let c = st.as_counters();
    assert_eq!(c.get("webhook", "rejected"), 2);
}

#[test]
fn unreachable_receiver_ends_as_counted_failures() {
    let mut cfg = config(&format!("http://127.0.0.1:{}/", closed_port()));
    cfg.max_attempts = 3;
    cfg.initial_backoff_ms = 10;
    let sink = WebhookSink::start(&cfg).unwrap();
    let outcomes = realistic_outcomes();
    for o in &outcomes[..4] {
        sink.send(o);
    }
    let st = sink.finish(in_10s());
    assert_eq!(
        st,
        WebhookStats {
            queued: 4,
            retries_exhausted: 4,
            retries: 8,
            ..WebhookStats::default()
        }
    );
    assert_eq!(st.failed(), 4);
    assert_eq!(st.as_counters().get("webhook", "retries_exhausted"), 4);
}

#[test]
fn full_queue_drops_without_blocking_and_deadline_abandons() {
    // The worker is stuck in a 30 s backoff on the first outcome, so the
    // queue (2) fills; further sends must return at once, counted as drops.
    let mut cfg = config(&format!("http://127.0.0.1:{}/", closed_port()));
    cfg.queue = 2;
    cfg.initial_backoff_ms = 30_000;
    let sink = WebhookSink::start(&cfg).unwrap();
    let outcomes = realistic_outcomes();
    for o in &outcomes[..50] {
        sink.send(o);
    }
    let mid = sink.stats();
    assert_eq!(mid.queued + mid.dropped, 50);
    assert!((2..=3).contains(&mid.queued), "{mid:?}");
    assert!(mid.dropped >= 47);

    // finish wakes the worker out of its backoff; nothing can be delivered
    // before the deadline, so every queued outcome is abandoned.
    let deadline = Instant::now() + Duration::from_millis(200);
    let st = sink.finish(deadline);
    assert_eq!(st.delivered, 0);
    assert_eq!(st.dropped, mid.dropped);
    assert_eq!(st.abandoned, st.queued);
    let c = st.as_counters();
    assert_eq!(c.get("webhook", "dropped_queue_full"), st.dropped);
    assert_eq!(c.get("webhook", "abandoned_at_deadline"), st.queued);
}
