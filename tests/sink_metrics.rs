//! Prometheus endpoint: scraped over real HTTP and parsed. The metrics
//! recorder is global to a process, so this binary holds one test only.

mod sink_support;

use sink_support::realistic_outcomes;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};
use trunkwatch::config::WebhookConfig;
use trunkwatch::outcome::Outcome;
use trunkwatch::sink::metrics::{self, MetricsError};
use trunkwatch::sink::webhook::WebhookSink;
use trunkwatch::stats::Counters;
use trunkwatch::telemetry;

#[derive(Debug, Clone, PartialEq)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

#[derive(Debug, Default)]
struct Exposition {
    types: BTreeMap<String, String>,
    helps: BTreeMap<String, String>,
    samples: Vec<Sample>,
}

impl Exposition {
    /// Text exposition format 0.0.4: `# HELP`, `# TYPE`, then
    /// `name{label="value",...} value [timestamp]`.
    fn parse(text: &str) -> Exposition {
        let mut e = Exposition::default();
        for line in text.lines() {
            let line = line.trim_end();
            if line.is_empty() {
                continue;
            }
            if let Some(rest) = line.strip_prefix("# HELP ") {
                let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
                assert!(
                    e.helps.insert(name.into(), help.into()).is_none(),
                    "HELP twice for {name}"
                );
            } else if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, ty) = rest.split_once(' ').expect("TYPE line has a type");
                assert!(
                    e.types.insert(name.into(), ty.into()).is_none(),
                    "TYPE twice for {name}"
                );
            } else if line.starts_with('#') {
                continue;
            } else {
                e.samples.push(parse_sample(line));
            }
        }
        e
    }

    fn get(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let want: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.samples
            .iter()
            .find(|s| s.name == name && s.labels == want)
            .map(|s| s.value)
    }

    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.get(name, labels)
            .unwrap_or_else(|| panic!("no sample {name} {labels:?}"))
    }

    /// The metric family a sample belongs to (histogram series suffixes).
    fn family(&self, sample: &str) -> String {
        for suffix in ["_bucket", "_sum", "_count"] {
            if let Some(base) = sample.strip_suffix(suffix) {
                if self.types.get(base).map(String::as_str) == Some("histogram") {
                    return base.to_string();
                }
            }
        }
        sample.to_string()
    }
}

fn parse_sample(line: &str) -> Sample {
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b':') {
        i += 1;
    }
    let name = line[..i].to_string();
    assert!(!name.is_empty(), "sample without a name: {line}");
    let mut labels = BTreeMap::new();
    if b.get(i) == Some(&b'{') {
        i += 1;
        loop {
            if b[i] == b'}' {
                i += 1;
                break;
            }
            let start = i;
            while b[i] != b'=' {
                i += 1;
            }
            let key = line[start..i].to_string();
            i += 1;
            assert_eq!(b[i], b'"', "label value not quoted: {line}");
            i += 1;
            let mut val = String::new();
            loop {
                match b[i] {
                    b'\\' => {
                        val.push(match b[i + 1] {
                            b'n' => '\n',
                            c => c as char,
                        });
                        i += 2;
                    }
                    b'"' => {
                        i += 1;
                        break;
                    }
                    _ => {
                        let ch = line[i..].chars().next().unwrap();
                        val.push(ch);
                        i += ch.len_utf8();
                    }
                }
            }
            assert!(labels.insert(key, val).is_none(), "label twice: {line}");
            if b[i] == b',' {
                i += 1;
            }
        }
    }
    let mut rest = line[i..].split_whitespace();
    let v = rest.next().expect("sample value");
    let value = match v {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        _ => v.parse().unwrap_or_else(|_| panic!("bad value in {line}")),
    };
    Sample {
        name,
        labels,
        value,
    }
}

/// GET /metrics over a plain TCP connection; returns the body.
fn scrape(addr: SocketAddr) -> String {
    let t0 = Instant::now();
    let mut stream = loop {
        match TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
            Ok(s) => break s,
            Err(e) if t0.elapsed() < Duration::from_secs(5) => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("cannot connect to {addr}: {e}"),
        }
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    write!(
        stream,
        "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8(raw).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").expect("HTTP head");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let head_lc = head.to_ascii_lowercase();
    assert!(head_lc.contains("content-type: text/plain"), "{head}");
    if head_lc.contains("transfer-encoding: chunked") {
        dechunk(body)
    } else {
        body.to_string()
    }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    loop {
        let (size, rest) = s.split_once("\r\n").unwrap();
        let n = usize::from_str_radix(size.trim(), 16).unwrap();
        if n == 0 {
            return out;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn install() -> SocketAddr {
    // A just-freed port can be taken by someone else in between: try a few.
    let mut last = None;
    for _ in 0..5 {
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        match metrics::install(addr) {
            Ok(server) => {
                assert_eq!(server.addr(), addr);
                return addr;
            }
            Err(e @ MetricsError::Listen { .. }) => last = Some(e),
            Err(e) => panic!("{e}"),
        }
    }
    panic!("no free port: {last:?}")
}

fn webhook_traffic() {
    // Two deliveries to a loopback receiver...
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let port = server.server_addr().to_ip().unwrap().port();
    let rx = std::thread::spawn(move || {
        for _ in 0..2 {
            if let Ok(Some(req)) = server.recv_timeout(Duration::from_secs(10)) {
                let _ = req.respond(tiny_http::Response::empty(200));
            }
        }
    });
    let outcomes = realistic_outcomes();
    let sink = WebhookSink::start(&WebhookConfig {
        url: Some(format!("http://127.0.0.1:{port}/")),
        ..WebhookConfig::default()
    })
    .unwrap();
    sink.send(&outcomes[0]);
    sink.send(&outcomes[1]);
    assert_eq!(
        sink.finish(Instant::now() + Duration::from_secs(10))
            .delivered,
        2
    );
    rx.join().unwrap();
    // ...and one outcome nobody can take (a closed port, 2 attempts).
    let sink = WebhookSink::start(&WebhookConfig {
        url: Some(format!("http://127.0.0.1:{}/", free_port())),
        max_attempts: 2,
        initial_backoff_ms: 10,
        ..WebhookConfig::default()
    })
    .unwrap();
    sink.send(&outcomes[2]);
    let st = sink.finish(Instant::now() + Duration::from_secs(10));
    assert_eq!((st.retries_exhausted, st.retries), (1, 1));
}

fn key(o: &Outcome) -> [String; 5] {
    [
        o.status.as_str().to_string(),
        metrics::code_label(o.sip_code),
        o.code_class().to_string(),
        o.direction.as_str().to_string(),
        metrics::transport_label(&o.transport).to_string(),
    ]
}

#[test]
fn scrape_parses_with_expected_names_types_labels_and_values() {
    let addr = install();
    assert!(matches!(
        metrics::install("127.0.0.1:0".parse().unwrap()),
        Err(MetricsError::AlreadyInstalled)
    ));

    // Served from the first moment, described, with the open-calls gauge at 0.
    let first = Exposition::parse(&scrape(addr));
    assert_eq!(first.value(telemetry::CALLS_OPEN, &[]), 0.0);
    assert_eq!(first.types[telemetry::CALLS_OPEN], "gauge");

    let outcomes = realistic_outcomes();
    for o in &outcomes {
        metrics::observe_outcome(o);
    }
    metrics::set_open_calls(3);
    let mut requests: BTreeMap<&'static str, u64> = BTreeMap::new();
    requests.insert("INVITE", 90);
    requests.insert("ACK", 60);
    requests.insert("BYE", 52);
    requests.insert("OPTIONS", 12);
    requests.insert("OTHER", 2);
    requests.insert("XFOO", 1); // not in the fixed list: folded into OTHER
    metrics::observe_messages(&requests, &[150, 70, 0, 22, 9, 2]);
    requests.insert("INVITE", 95); // totals grow between batches
    metrics::observe_messages(&requests, &[155, 72, 0, 22, 9, 2]);

    let mut problems = Counters::new();
    problems.add("tcp", "gap", 3);
    problems.add("tls", "encrypted_not_decoded", 12);
    problems.add("capture", "kernel_drops", 7);
    problems.add("webhook", "dropped_queue_full", 4);
    metrics::observe_counters(&problems);
    problems.add("tcp", "gap", 2);
    metrics::observe_counters(&problems);
    webhook_traffic();

    let body = scrape(addr);
    let e = Exposition::parse(&body);

    // Names, types and help text exactly as declared in one place.
    let declared: BTreeMap<&str, (&str, BTreeSet<&str>)> = telemetry::METRICS
        .iter()
        .map(|&(name, kind, labels, _)| {
            let set = labels
                .split(", ")
                .filter(|l| !l.is_empty())
                .collect::<BTreeSet<_>>();
            (name, (kind, set))
        })
        .collect();
    for &(name, kind, _, help) in telemetry::METRICS {
        assert_eq!(
            e.types.get(name).map(String::as_str),
            Some(kind),
            "TYPE of {name}"
        );
        assert_eq!(
            e.helps.get(name).map(String::as_str),
            Some(help),
            "HELP of {name}"
        );
    }
    // Every sample belongs to a declared metric and uses exactly its labels.
    for s in &e.samples {
        let fam = e.family(&s.name);
        let (kind, labels) = declared
            .get(fam.as_str())
            .unwrap_or_else(|| panic!("undeclared metric {}", s.name));
        let mut want = labels.clone();
        if *kind == "histogram" && s.name.ends_with("_bucket") {
            want.insert("le");
        }
        let got: BTreeSet<&str> = s.labels.keys().map(String::as_str).collect();
        assert_eq!(got, want, "labels of {}", s.name);
        assert!(s.value.is_finite() && s.value >= 0.0, "{s:?}");
    }
    // Never an id, number or address anywhere in the exposition.
    for o in &outcomes {
        for secret in [
            Some(&o.sip_call_id),
            o.butter_call_id.as_ref(),
            o.from.as_ref(),
            o.to.as_ref(),
            Some(&o.src),
            Some(&o.dst),
        ]
        .into_iter()
        .flatten()
        {
            assert!(!body.contains(secret.as_str()), "{secret} leaked");
        }
    }
    for s in &e.samples {
        for (k, v) in &s.labels {
            if k != "le" {
                assert!(
                    !v.contains('@') && !v.contains(':') && !v.contains('+'),
                    "{v}"
                );
            }
        }
    }

    // Calls ended: one series per (status, code, class, direction, transport).
    let mut want: BTreeMap<[String; 5], u64> = BTreeMap::new();
    for o in &outcomes {
        *want.entry(key(o)).or_default() += 1;
    }
    let got: BTreeMap<[String; 5], u64> = e
        .samples
        .iter()
        .filter(|s| s.name == telemetry::CALLS_ENDED)
        .map(|s| {
            let l = |k: &str| s.labels[k].clone();
            (
                [
                    l("status"),
                    l("code"),
                    l("code_class"),
                    l("direction"),
                    l("transport"),
                ],
                s.value as u64,
            )
        })
        .collect();
    assert_eq!(got, want);
    assert_eq!(
        e.value(
            telemetry::CALLS_ENDED,
            &[
                ("status", "busy"),
                ("code", "486"),
                ("code_class", "4xx"),
                ("direction", "outbound"),
                ("transport", "udp"),
            ]
        ),
        5.0
    );
    assert!(e
        .get(
            telemetry::CALLS_ENDED,
            &[
                ("status", "failed"),
                ("code", "none"),
                ("code_class", "none"),
                ("direction", "outbound"),
                ("transport", "udp"),
            ]
        )
        .is_some());
    assert_eq!(e.value(telemetry::CALLS_OPEN, &[]), 3.0);

    // Histograms: the declared buckets, cumulative counts, sum and count.
    for (name, buckets, pick) in [
        (
            telemetry::POST_DIAL_DELAY,
            telemetry::POST_DIAL_DELAY_BUCKETS,
            (|o: &Outcome| o.post_dial_delay_ms) as fn(&Outcome) -> Option<u64>,
        ),
        (
            telemetry::CALL_DURATION,
            telemetry::CALL_DURATION_BUCKETS,
            |o: &Outcome| o.talk_ms,
        ),
    ] {
        for dir in ["outbound", "inbound"] {
            let vals: Vec<f64> = outcomes
                .iter()
                .filter(|o| o.direction.as_str() == dir)
                .filter_map(pick)
                .map(|ms| ms as f64 / 1000.0)
                .collect();
            let count = e.value(&format!("{name}_count"), &[("direction", dir)]);
            assert_eq!(count, vals.len() as f64, "{name} {dir}");
            let sum = e.value(&format!("{name}_sum"), &[("direction", dir)]);
            assert!((sum - vals.iter().sum::<f64>()).abs() < 1e-6, "{name} sum");
            let les: Vec<f64> = e
                .samples
                .iter()
                .filter(|s| s.name == format!("{name}_bucket") && s.labels["direction"] == dir)
                .map(|s| {
                    let le = &s.labels["le"];
                    if le == "+Inf" {
                        f64::INFINITY
                    } else {
                        le.parse().unwrap()
                    }
                })
                .collect();
            let mut expect_les = buckets.to_vec();
            expect_les.push(f64::INFINITY);
            assert_eq!(les, expect_les, "{name} buckets");
            for le in buckets {
                let n = vals.iter().filter(|v| **v <= *le).count() as f64;
                let got = e.value(
                    &format!("{name}_bucket"),
                    &[("direction", dir), ("le", &le.to_string())],
                );
                assert_eq!(got, n, "{name} le={le} {dir}");
            }
        }
    }

    // Retransmissions summed per call, by direction.
    let retrans: u64 = outcomes
        .iter()
        .filter(|o| o.direction.as_str() == "outbound")
        .map(|o| u64::from(o.retransmissions))
        .sum();
    assert_eq!(
        e.value(telemetry::SIP_RETRANSMISSIONS, &[("direction", "outbound")]),
        retrans as f64
    );

    // Messages: the latest totals, unknown methods folded into OTHER.
    assert_eq!(
        e.value(telemetry::SIP_REQUESTS, &[("method", "INVITE")]),
        95.0
    );
    assert_eq!(
        e.value(telemetry::SIP_REQUESTS, &[("method", "OTHER")]),
        3.0
    );
    assert!(e
        .get(telemetry::SIP_REQUESTS, &[("method", "XFOO")])
        .is_none());
    assert_eq!(
        e.value(telemetry::SIP_RESPONSES, &[("class", "1xx")]),
        155.0
    );
    assert_eq!(e.value(telemetry::SIP_RESPONSES, &[("class", "6xx")]), 2.0);
    assert!(e
        .get(telemetry::SIP_RESPONSES, &[("class", "3xx")])
        .is_none());

    // Problems: absolute totals; capture drops have their own metric;
    // webhook losses come from the webhook sink itself.
    assert_eq!(
        e.value(
            telemetry::DECODE_ERRORS,
            &[("layer", "tcp"), ("reason", "gap")]
        ),
        5.0
    );
    assert_eq!(
        e.value(
            telemetry::DECODE_ERRORS,
            &[("layer", "tls"), ("reason", "encrypted_not_decoded")]
        ),
        12.0
    );
    assert_eq!(
        e.value(telemetry::CAPTURE_DROPS, &[("where", "kernel")]),
        7.0
    );
    assert!(!e.samples.iter().any(|s| s.name == telemetry::DECODE_ERRORS
        && matches!(s.labels["layer"].as_str(), "webhook" | "capture")));
    assert_eq!(e.value(telemetry::WEBHOOK_DELIVERIES, &[]), 2.0);
    assert_eq!(e.value(telemetry::WEBHOOK_RETRIES, &[]), 1.0);
    assert_eq!(
        e.value(
            telemetry::WEBHOOK_FAILURES,
            &[("reason", "retries_exhausted")]
        ),
        1.0
    );
}
