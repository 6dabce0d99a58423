//! The real binary feeding real sinks: a Prometheus scrape over HTTP while a
//! replay holds its metrics, and webhooks into a real HTTP server.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn fixture(p: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(p)
        .to_string_lossy()
        .into_owned()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Kills the child on every path out of the test.
struct Guard(Child);
impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn http_get(addr: SocketAddr, path: &str) -> Option<String> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    let (head, body) = buf.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.1 200").then(|| body.to_string())
}

/// `name{labels} value` samples of the exposition format; TYPE lines kept apart.
/// `(name, labels, value)` samples and `(name, kind)` TYPE lines.
type Exposition = (Vec<(String, String, f64)>, Vec<(String, String)>);

fn parse_exposition(text: &str) -> Exposition {
    let mut samples = Vec::new();
    let mut types = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (n, t) = rest.split_once(' ').expect("TYPE name kind");
            types.push((n.to_string(), t.to_string()));
            continue;
        }
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("sample has a value");
        let value: f64 = value.parse().expect("numeric sample value");
        let (name, labels) = match series.split_once('{') {
            Some((n, l)) => (n.to_string(), l.trim_end_matches('}').to_string()),
            None => (series.to_string(), String::new()),
        };
        samples.push((name, labels, value));
    }
    (samples, types)
}

#[test]
fn metrics_are_scraped_over_http_during_a_replay() {
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_trunkwatch"))
        .args([
            "replay",
            "--summary",
            "none",
            "--metrics-listen",
            &addr.to_string(),
            "--hold-metrics",
            &fixture("pcap/capture/sip-usec-le.pcap"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut guard = Guard(child);
    // Poll until the replay has pushed its 5 calls (bounded).
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut body = String::new();
    while Instant::now() < deadline {
        if let Some(b) = http_get(addr, "/metrics") {
            if b.contains("trunkwatch_calls_ended_total{") {
                body = b;
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!body.is_empty(), "no metrics served on {addr}");
    let (samples, types) = parse_exposition(&body);
    let ty = |n: &str| types.iter().find(|(t, _)| t == n).map(|(_, k)| k.as_str());
    assert_eq!(ty("trunkwatch_calls_ended_total"), Some("counter"));
    assert_eq!(ty("trunkwatch_calls_open"), Some("gauge"));
    assert_eq!(ty("trunkwatch_post_dial_delay_seconds"), Some("histogram"));
    let ended: f64 = samples
        .iter()
        .filter(|(n, _, _)| n == "trunkwatch_calls_ended_total")
        .map(|(_, _, v)| v)
        .sum();
    assert_eq!(ended, 5.0, "{body}");
    let completed: f64 = samples
        .iter()
        .filter(|(n, l, _)| {
            n == "trunkwatch_calls_ended_total"
                && l.contains("status=\"completed\"")
                && l.contains("code=\"200\"")
        })
        .map(|(_, _, v)| v)
        .sum();
    assert_eq!(completed, 5.0, "{body}");
    let invites: f64 = samples
        .iter()
        .filter(|(n, l, _)| n == "trunkwatch_sip_requests_total" && l.contains("method=\"INVITE\""))
        .map(|(_, _, v)| v)
        .sum();
    assert!(invites >= 5.0, "{body}");
    // Never an identifier in a label.
    for (_, labels, _) in &samples {
        assert!(
            !labels.contains("@127.0.0.1") && !labels.contains("sipp"),
            "{labels}"
        );
    }
    // SIGTERM ends the hold cleanly.
    let pid = guard.0.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(st) = guard.0.try_wait().unwrap() {
            assert!(st.success(), "exit status after SIGTERM: {st}");
            break;
        }
        assert!(Instant::now() < end, "did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn webhooks_carry_the_same_outcomes_as_stdout() {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", server.server_addr().to_ip().unwrap());
    let received = std::thread::spawn(move || {
        let mut bodies = Vec::new();
        let mut first = true;
        let deadline = Instant::now() + Duration::from_secs(30);
        while bodies.len() < 5 && Instant::now() < deadline {
            let Ok(Some(mut req)) = server.recv_timeout(Duration::from_millis(200)) else {
                continue;
            };
            let mut body = String::new();
            req.as_reader().read_to_string(&mut body).unwrap();
            let sig = req
                .headers()
                .iter()
                .find(|h| h.field.equiv("X-Trunkwatch-Signature"))
                .map(|h| h.value.to_string());
            // The first delivery fails: the sink must retry it.
            if first {
                first = false;
                let _ = req.respond(tiny_http::Response::empty(503));
                continue;
            }
            let _ = req.respond(tiny_http::Response::empty(200));
            bodies.push((body, sig));
        }
        bodies
    });
    let o = Command::new(env!("CARGO_BIN_EXE_trunkwatch"))
        .args([
            "replay",
            "--summary",
            "json",
            "--webhook",
            &url,
            &fixture("pcap/capture/sip-usec-le.pcap"),
        ])
        .env("TRUNKWATCH_WEBHOOK_SECRET", "s3cret")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let bodies = received.join().unwrap();
    let mut from_hook: Vec<serde_json::Value> = bodies
        .iter()
        .map(|(b, sig)| {
            assert!(sig.as_deref().is_some_and(|s| s.starts_with("sha256=")));
            serde_json::from_str(b).unwrap()
        })
        .collect();
    let mut from_stdout: Vec<serde_json::Value> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let key = |v: &serde_json::Value| v["sip_call_id"].as_str().unwrap().to_string();
    from_hook.sort_by_key(key);
    from_stdout.sort_by_key(key);
    assert_eq!(from_hook, from_stdout);
    let summary: serde_json::Value =
        serde_json::from_slice(&o.stderr).expect("summary json on stderr");
    assert_eq!(summary["webhook"]["delivered"], 5, "{summary}");
    assert_eq!(summary["webhook"]["retries"], 1, "{summary}");
}
