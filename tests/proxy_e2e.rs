//! End to end through the proxy with real sipp on loopback: a UAC on the
//! platform side, a UAS on the trunk side, over UDP and TCP. Each case
//! checks sipp's own verdict (exit 0: every call succeeded, so the proxy
//! broke nothing) and what the proxy handed to the monitor.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use trunkwatch::config::ProxyConfig;
use trunkwatch::proxy::{self, Tap, Tapped, LAYER};
use trunkwatch::stats::Counters;

const CALLS: u32 = 3;

/// Kills the child on every path out of the test.
struct Kid(Child, &'static str);

impl Drop for Kid {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Kid {
    /// Wait for exit (bounded); stderr of a failure is in the panic message.
    fn wait(mut self, limit: Duration) -> i32 {
        let end = Instant::now() + limit;
        loop {
            match self.0.try_wait() {
                Ok(Some(st)) => return st.code().unwrap_or(-1),
                Ok(None) if Instant::now() < end => std::thread::sleep(Duration::from_millis(20)),
                _ => panic!("{} did not finish within {limit:?}", self.1),
            }
        }
    }
}

fn scenarios() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sipp")
}

fn sipp(name: &'static str, args: &[String], dir: &Path) -> Kid {
    let child = Command::new("sipp")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sipp is installed (apt-get install sip-tester)");
    Kid(child, name)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tp {
    Udp,
    Tcp,
}

struct Case<'a> {
    uac: &'a str,
    uas: &'a str,
    /// Extra sipp arguments for the UAS.
    uas_keys: Vec<String>,
    /// Replaces `__CODE__` (and `__REASON__`) in both scenarios: sipp
    /// checks response codes when it loads a scenario.
    code: Option<(u16, &'a str)>,
}

/// What the monitor saw: distinct Call-IDs per "METHOD" or "CODE METHOD".
struct Seen {
    by_kind: BTreeMap<String, BTreeSet<Vec<u8>>>,
    counters: Counters,
    /// The tapped copies run through the real tracker and classifier, as
    /// `trunkwatch proxy` does.
    outcomes: Vec<trunkwatch::outcome::Outcome>,
}

impl Seen {
    fn calls(&self, k: &str) -> usize {
        self.by_kind.get(k).map_or(0, |s| s.len())
    }
}

fn outcomes(tapped: &[Tapped]) -> Vec<trunkwatch::outcome::Outcome> {
    use trunkwatch::config::{ClassifyConfig, TrackConfig};
    let mut tracker = trunkwatch::track::Tracker::new(&TrackConfig::default());
    let mut classifier = trunkwatch::classify::Classifier::new(&ClassifyConfig::default()).unwrap();
    let mut recs = Vec::new();
    for t in tapped {
        let msg = trunkwatch::sip::parse(&t.bytes).expect("tapped bytes parse");
        let pkt = trunkwatch::decode::SipPacket {
            ts: t.ts,
            frame: 0,
            src: t.src,
            dst: t.dst,
            transport: t.transport,
            payload: &t.bytes,
        };
        tracker.on_sip(&pkt, &msg, &mut recs);
    }
    tracker.finish(&mut recs);
    recs.iter().map(|r| classifier.classify(r)).collect()
}

/// Every call's (status, final code) through the proxy.
fn assert_outcomes(s: &Seen, status: &str, code: u16) {
    assert_eq!(s.outcomes.len(), n(), "{:#?}", s.outcomes);
    for o in &s.outcomes {
        assert_eq!(
            (o.status.as_str(), o.sip_code),
            (status, Some(code)),
            "{o:#?}"
        );
    }
}

fn summarize(tapped: &[Tapped]) -> BTreeMap<String, BTreeSet<Vec<u8>>> {
    let mut m: BTreeMap<String, BTreeSet<Vec<u8>>> = BTreeMap::new();
    for t in tapped {
        let msg = trunkwatch::sip::parse(&t.bytes).expect("tapped bytes parse");
        let cseq = msg.cseq().expect("cseq");
        let key = match msg.status() {
            Some(code) => format!("{code} {}", cseq.method.as_str()),
            None => msg.method().expect("request").as_str().to_string(),
        };
        m.entry(key)
            .or_default()
            .insert(msg.call_id().unwrap_or_default().to_vec());
    }
    m
}

/// Run one case: proxy on `base`, UAC on `base+1`, UAS on `base+2`.
fn run_case(case: &Case<'_>, tp: Tp, base: u16) -> Seen {
    run_case_on(case, tp, base, std::net::IpAddr::from([127, 0, 0, 1]))
}

/// Same, with every party on `ip` (127.0.0.1 or ::1).
fn run_case_on(case: &Case<'_>, tp: Tp, base: u16, ip: std::net::IpAddr) -> Seen {
    let dir = tempfile::tempdir().unwrap();
    let src = scenarios();
    let mut uac_text = std::fs::read_to_string(src.join(case.uac)).unwrap();
    let mut uas_text = std::fs::read_to_string(src.join(case.uas)).unwrap();
    if let Some((c, reason)) = case.code {
        uac_text = uac_text.replace("__CODE__", &c.to_string());
        uas_text = uas_text
            .replace("__CODE__", &c.to_string())
            .replace("__REASON__", reason);
    }
    std::fs::write(dir.path().join("uac.xml"), uac_text).unwrap();
    std::fs::write(dir.path().join("uas.xml"), uas_text).unwrap();

    let lo = |p: u16| -> SocketAddr { SocketAddr::new(ip, p) };
    let (pp, uac_p, uas_p) = (base, base + 1, base + 2);
    let ip_s = ip.to_string();
    let t = if tp == Tp::Udp { "u1" } else { "t1" };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let cfg = ProxyConfig {
        listen: vec![lo(pp)],
        platform: Some(lo(uac_p)),
        trunk: Some(lo(uas_p)),
        ..Default::default()
    };
    let (tap, mut rx) = Tap::new(10_000);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let proxy = rt
        .block_on(proxy::Proxy::bind(&cfg, tap))
        .expect("bind proxy");
    let running = rt.spawn(proxy.run(async {
        let _ = stop_rx.await;
    }));

    let mut uas_args: Vec<String> = [
        "-sf",
        "uas.xml",
        "-i",
        &ip_s,
        "-p",
        &uas_p.to_string(),
        "-t",
        t,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    uas_args.extend(
        [
            "-m",
            &CALLS.to_string(),
            "-mp",
            &(base + 10).to_string(),
            "-timeout",
            "40s",
            "-timeout_error",
            "-nostdin",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    uas_args.extend(case.uas_keys.iter().cloned());
    let uas = sipp("sipp uas", &uas_args, dir.path());
    std::thread::sleep(Duration::from_millis(300));
    let uac_args: Vec<String> = [
        "-sf",
        "uac.xml",
        "-i",
        &ip_s,
        "-p",
        &uac_p.to_string(),
        "-t",
        t,
        "-m",
        &CALLS.to_string(),
        "-r",
        "10",
        "-mp",
        &(base + 14).to_string(),
        "-timeout",
        "40s",
        "-timeout_error",
        "-nostdin",
        "-s",
        "15551230000",
        &lo(pp).to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let uac = sipp("sipp uac", &uac_args, dir.path());
    let uac_rc = uac.wait(Duration::from_secs(45));
    let uas_rc = uas.wait(Duration::from_secs(10));
    let _ = stop_tx.send(());
    let stats = rt.block_on(running).unwrap().unwrap();
    let mut tapped = Vec::new();
    while let Ok(t) = rx.try_recv() {
        tapped.push(t);
    }
    let seen = Seen {
        by_kind: summarize(&tapped),
        counters: stats.counters,
        outcomes: outcomes(&tapped),
    };
    assert_eq!(
        (uac_rc, uas_rc),
        (0, 0),
        "{} / {} over {tp:?}: sipp reported failed calls; proxy counters {:?}; tapped {:?}",
        case.uac,
        case.uas,
        seen.counters,
        seen.by_kind
            .iter()
            .map(|(k, v)| (k.clone(), v.len()))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        seen.counters.get(LAYER, "dropped_malformed"),
        0,
        "{:?}",
        seen.counters
    );
    assert_eq!(seen.counters.get(LAYER, "dropped_not_allowed"), 0);
    seen
}

fn both(case: &Case<'_>, base: u16, check: impl Fn(&Seen)) {
    for (i, tp) in [Tp::Udp, Tp::Tcp].into_iter().enumerate() {
        let seen = run_case(case, tp, base + 20 * i as u16);
        check(&seen);
    }
}

fn n() -> usize {
    CALLS as usize
}

fn assert_completed(s: &Seen) {
    for k in [
        "INVITE",
        "180 INVITE",
        "200 INVITE",
        "ACK",
        "BYE",
        "200 BYE",
    ] {
        assert_eq!(
            s.calls(k),
            n(),
            "{k}: {:?}",
            s.by_kind.keys().collect::<Vec<_>>()
        );
    }
    assert_outcomes(s, "completed", 200);
}

#[test]
fn completed_platform_hangs_up() {
    both(
        &Case {
            uac: "proxy_uac_call.xml",
            uas: "proxy_uas_call.xml",
            uas_keys: vec![],
            code: None,
        },
        47000,
        assert_completed,
    );
}

#[test]
fn completed_trunk_hangs_up() {
    both(
        &Case {
            uac: "proxy_uac_wait_bye.xml",
            uas: "proxy_uas_bye.xml",
            uas_keys: vec![],
            code: None,
        },
        47050,
        assert_completed,
    );
}

#[test]
fn completed_over_ipv6() {
    let case = Case {
        uac: "proxy_uac_call.xml",
        uas: "proxy_uas_call.xml",
        uas_keys: vec![],
        code: None,
    };
    for (i, tp) in [Tp::Udp, Tp::Tcp].into_iter().enumerate() {
        let seen = run_case_on(
            &case,
            tp,
            47800 + 20 * i as u16,
            std::net::Ipv6Addr::LOCALHOST.into(),
        );
        assert_completed(&seen);
    }
}

#[test]
fn failures_pass_through_with_their_codes() {
    for (i, (code, reason)) in [
        (486, "Busy Here"),
        (404, "Not Found"),
        (408, "Request Timeout"),
        (480, "Temporarily Unavailable"),
        (503, "Service Unavailable"),
        (603, "Decline"),
    ]
    .into_iter()
    .enumerate()
    {
        both(
            &Case {
                uac: "proxy_uac_fail.xml",
                uas: "proxy_uas_fail.xml",
                uas_keys: vec![],
                code: Some((code, reason)),
            },
            47100 + 50 * i as u16,
            |s| {
                assert_eq!(s.calls("INVITE"), n());
                assert_eq!(s.calls(&format!("{code} INVITE")), n());
                assert_eq!(s.calls("ACK"), n());
                let status = match code {
                    486 | 603 => "busy",
                    408 | 480 => "no-answer",
                    _ => "failed",
                };
                assert_outcomes(s, status, code);
                assert_eq!(
                    s.counters.get(LAYER, "upstream_unreachable_503"),
                    0,
                    "the 503 came from the trunk"
                );
            },
        );
    }
}

#[test]
fn cancel_gets_487() {
    both(
        &Case {
            uac: "proxy_uac_cancel.xml",
            uas: "proxy_uas_cancel.xml",
            uas_keys: vec![],
            code: None,
        },
        47450,
        |s| {
            for k in [
                "INVITE",
                "180 INVITE",
                "CANCEL",
                "200 CANCEL",
                "487 INVITE",
                "ACK",
            ] {
                assert_eq!(s.calls(k), n(), "{k}");
            }
            assert_outcomes(s, "canceled", 487);
        },
    );
}

#[test]
fn auth_407_then_invite_with_credentials() {
    both(
        &Case {
            uac: "proxy_uac_auth.xml",
            uas: "proxy_uas_auth.xml",
            uas_keys: vec![],
            code: None,
        },
        47500,
        |s| {
            assert_eq!(s.calls("407 INVITE"), n());
            assert_completed(s);
            assert!(s.outcomes.iter().all(|o| o.auth_challenged));
        },
    );
}

#[test]
fn reinvite_mid_call() {
    both(
        &Case {
            uac: "proxy_uac_reinvite.xml",
            uas: "proxy_uas_reinvite.xml",
            uas_keys: vec![],
            code: None,
        },
        47550,
        |s| {
            assert_completed(s);
            // Two INVITE transactions per call: the initial and the re-INVITE.
            assert!(s.counters.get(LAYER, "forwarded_requests") >= 5 * n() as u64);
        },
    );
}

/// The trunk port has no listener: the kernel's ICMP port unreachable (UDP)
/// or the refused connect (TCP) becomes a 503 with Retry-After toward the
/// caller, which sipp accepts as the expected answer.
#[test]
fn unreachable_trunk_is_answered_503() {
    for (i, tp) in [Tp::Udp, Tp::Tcp].into_iter().enumerate() {
        let base = 47600 + 20 * i as u16;
        let dir = tempfile::tempdir().unwrap();
        let uac = std::fs::read_to_string(scenarios().join("proxy_uac_fail.xml"))
            .unwrap()
            .replace("__CODE__", "503");
        std::fs::write(dir.path().join("uac.xml"), uac).unwrap();
        let lo = |p: u16| -> SocketAddr { SocketAddr::from(([127, 0, 0, 1], p)) };
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let cfg = ProxyConfig {
            listen: vec![lo(base)],
            platform: Some(lo(base + 1)),
            trunk: Some(lo(base + 2)),
            ..Default::default()
        };
        let (tap, mut rx) = Tap::new(1000);
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let p = rt.block_on(proxy::Proxy::bind(&cfg, tap)).unwrap();
        let running = rt.spawn(p.run(async {
            let _ = stop_rx.await;
        }));
        let t = if tp == Tp::Udp { "u1" } else { "t1" };
        let args: Vec<String> = [
            "-sf",
            "uac.xml",
            "-i",
            "127.0.0.1",
            "-p",
            &(base + 1).to_string(),
            "-t",
            t,
            "-m",
            &CALLS.to_string(),
            "-r",
            "10",
            "-mp",
            &(base + 10).to_string(),
            "-timeout",
            "20s",
            "-timeout_error",
            "-nostdin",
            "-s",
            "15551230000",
            &format!("127.0.0.1:{base}"),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let rc = sipp("sipp uac", &args, dir.path()).wait(Duration::from_secs(25));
        let _ = stop_tx.send(());
        let stats = rt.block_on(running).unwrap().unwrap();
        assert_eq!(
            rc, 0,
            "{tp:?}: sipp did not get its 503s; {:?}",
            stats.counters
        );
        assert_eq!(
            stats.counters.get(LAYER, "upstream_unreachable_503"),
            n() as u64,
            "{tp:?} {:?}",
            stats.counters
        );
        let mut tapped = Vec::new();
        while let Ok(t) = rx.try_recv() {
            tapped.push(t);
        }
        let seen = summarize(&tapped);
        assert_eq!(seen.get("503 INVITE").map_or(0, |s| s.len()), n());
        let r = tapped
            .iter()
            .find(|t| t.bytes.starts_with(b"SIP/2.0 503"))
            .unwrap();
        assert!(String::from_utf8_lossy(&r.bytes).contains("\r\nRetry-After: "));
    }
}

/// Sources outside the allowed networks get nothing through, on UDP
/// (127.0.0.2, and ::1 on an IPv6 listener) and TCP; each drop is counted.
#[test]
fn sources_outside_the_allow_list_get_nothing_through() {
    let base = 47700u16;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let lo = |p: u16| -> SocketAddr { SocketAddr::from(([127, 0, 0, 1], p)) };
    let v6 = |p: u16| -> SocketAddr { SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, p)) };
    let cfg = ProxyConfig {
        listen: vec![lo(base), v6(base)],
        platform: Some(lo(base + 1)),
        trunk: Some(lo(base + 2)),
        allow: vec!["127.0.0.1/32".parse().unwrap()],
        ..Default::default()
    };
    let (tap, mut rx) = Tap::new(100);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let p = rt.block_on(proxy::Proxy::bind(&cfg, tap)).unwrap();
    let running = rt.spawn(p.run(async {
        let _ = stop_rx.await;
    }));
    let trunk = std::net::UdpSocket::bind(lo(base + 2)).unwrap();
    trunk
        .set_read_timeout(Some(Duration::from_millis(700)))
        .unwrap();
    let invite = |from: SocketAddr| {
        format!(
            "INVITE sip:1555@127.0.0.1:{base} SIP/2.0\r\nVia: SIP/2.0/UDP {from};branch=z9hG4bKevil1\r\nMax-Forwards: 70\r\n\
From: <sip:x@evil>;tag=1\r\nTo: <sip:1555@trunk>\r\nCall-ID: evil-{from}\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
        )
    };
    let outsider = std::net::UdpSocket::bind("127.0.0.2:0").unwrap();
    let from = outsider.local_addr().unwrap();
    outsider.send_to(invite(from).as_bytes(), lo(base)).unwrap();
    if let Ok(s6) = std::net::UdpSocket::bind(v6(0)) {
        let from6 = s6.local_addr().unwrap();
        s6.send_to(invite(from6).as_bytes(), v6(base)).unwrap();
    }
    // TCP from 127.0.0.2: the connection is closed without a byte forwarded.
    let mut tcp_closed = false;
    let s2 = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    s2.bind(&SocketAddr::from(([127, 0, 0, 2], 0)).into())
        .unwrap();
    s2.connect_timeout(&lo(base).into(), Duration::from_secs(2))
        .unwrap();
    let mut s2: std::net::TcpStream = s2.into();
    {
        use std::io::{Read, Write};
        let from = s2.local_addr().unwrap();
        let _ = s2.write_all(invite(from).replace("UDP", "TCP").as_bytes());
        s2.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let mut b = [0u8; 64];
        tcp_closed = matches!(s2.read(&mut b), Ok(0) | Err(_)) || tcp_closed;
    }
    let mut buf = [0u8; 2048];
    assert!(
        trunk.recv_from(&mut buf).is_err(),
        "an outsider's INVITE reached the trunk"
    );
    assert!(tcp_closed, "the outsider's TCP connection was served");
    let _ = stop_tx.send(());
    let stats = rt.block_on(running).unwrap().unwrap();
    assert!(
        stats.counters.get(LAYER, "dropped_not_allowed") >= 2,
        "{:?}",
        stats.counters
    );
    assert_eq!(stats.counters.get(LAYER, "forwarded"), 0);
    assert!(rx.try_recv().is_err(), "nothing was handed to the monitor");
}
