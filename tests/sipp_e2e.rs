//! Live end-to-end: for every row of the classification table, real sipp
//! (UAS = carrier, UAC = Butter platform) talks over loopback while dumpcap
//! captures it; the capture is replayed by the real binary and every call's
//! outcome is checked, as are sipp's own exit codes and success counts.
//! Scenarios and their expected outcomes: `tests/sipp/README.md`.
//!
//! Every sipp gets ports the OS reports free just before (SIP, control, media),
//! so the tests run in parallel with each other and with other runs of this
//! suite on the same machine; every child (dumpcap, sipp) is killed on every
//! path by [`Proc`].

use serde_json::Value;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A child process that is killed and reaped when dropped, whatever happens.
struct Proc {
    name: String,
    child: Child,
}

impl Proc {
    fn spawn(name: &str, cmd: &mut Command) -> Proc {
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e} (is it installed?)"));
        Proc {
            name: name.to_string(),
            child,
        }
    }

    /// Waits at most `limit`; on timeout the process is killed and the test fails.
    fn wait(&mut self, limit: Duration) -> ExitStatus {
        let end = Instant::now() + limit;
        loop {
            if let Some(st) = self.child.try_wait().expect("try_wait") {
                return st;
            }
            if Instant::now() >= end {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("{} did not finish within {limit:?}", self.name);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[derive(Copy, Clone, PartialEq)]
enum Net {
    Udp4,
    Udp6,
    Tcp4,
}

struct Scenario {
    /// Index of the test: makes its Butter call ids unique.
    idx: u16,
    uas: &'static str,
    uac: &'static str,
    calls: u32,
    uac_args: &'static [&'static str],
    net: Net,
    /// Send a trunk OPTIONS keep-alive after the UAC is done (Timer B row:
    /// moves the capture clock past 32 s).
    keepalive: bool,
}

/// What each call must come out as (all outbound, correlated by header, final).
#[derive(Clone)]
struct Want {
    status: &'static str,
    sip_code: Option<u64>,
    ended_by: Option<&'static str>,
    auth_challenged: bool,
    retransmissions: u64,
    /// A count one lower is also right (see `never_answered_fails_at_timer_b`).
    retransmissions_may_miss_last: bool,
    q850_cause: Option<u64>,
}

const fn want(status: &'static str, code: Option<u64>) -> Want {
    Want {
        status,
        sip_code: code,
        ended_by: None,
        auth_challenged: false,
        retransmissions: 0,
        retransmissions_may_miss_last: false,
        q850_cause: None,
    }
}

const COMPLETED: Want = Want {
    status: "completed",
    sip_code: Some(200),
    ended_by: Some("caller"),
    auth_challenged: false,
    retransmissions: 0,
    retransmissions_may_miss_last: false,
    q850_cause: Some(16),
};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn scenario_file(name: &str) -> PathBuf {
    root().join("tests/sipp").join(format!("{name}.xml"))
}

/// Butter id prefix of a test: 12 hex digits.
fn bid(idx: u16) -> String {
    format!("e2e0e2{idx:04x}01")
}

/// Successful and failed call counts from sipp's final statistics screen.
fn sipp_counts(stdout: &str) -> (u64, u64) {
    let last_num = |label: &str| -> u64 {
        stdout
            .lines()
            .rfind(|l| l.trim_start().starts_with(label))
            .and_then(|l| l.split('|').next_back())
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no '{label}' line in sipp output:\n{stdout}"))
    };
    (last_num("Successful call"), last_num("Failed call"))
}

/// Ports of one sipp pair.
#[derive(Copy, Clone)]
struct Ports {
    uas: u16,
    uac: u16,
    uas_ctl: u16,
    uac_ctl: u16,
    uas_media: u16,
    uac_media: u16,
}

/// A port that is free for UDP and TCP on `ip` right now (`span` > 1: the
/// next `span - 1` ports are free too; sipp's media socket uses port+2).
fn free_port(ip: &str, span: u16) -> u16 {
    use std::net::{TcpListener, UdpSocket};
    for _ in 0..200 {
        let probe = UdpSocket::bind((ip, 0)).expect("bind a probe UDP socket");
        let p = probe.local_addr().expect("probe address").port();
        if p.checked_add(span).is_none() {
            continue;
        }
        let all_free = (p..p + span).all(|q| {
            (q == p || UdpSocket::bind((ip, q)).is_ok()) && TcpListener::bind((ip, q)).is_ok()
        });
        if all_free {
            return p;
        }
    }
    panic!("no free port on {ip}");
}

impl Ports {
    fn free(ip: &str) -> Ports {
        Ports {
            uas: free_port(ip, 1),
            uac: free_port(ip, 1),
            uas_ctl: free_port("127.0.0.1", 1),
            uac_ctl: free_port("127.0.0.1", 1),
            uas_media: free_port(ip, 4),
            uac_media: free_port(ip, 4),
        }
    }
}

struct SippRun {
    uas: (ExitStatus, String),
    uac: (ExitStatus, String),
}

/// Runs one UAS/UAC pair to completion (bounded) and returns exit codes and
/// stdout of both.
#[allow(clippy::too_many_arguments)]
fn run_pair(
    dir: &Path,
    tag: &str,
    uas: &str,
    uac: &str,
    ip: &str,
    ports: Ports,
    calls: u32,
    net: Net,
    uac_args: &[&str],
    bidv: &str,
    limit: Duration,
) -> SippRun {
    let transport = if net == Net::Tcp4 { "t1" } else { "u1" };
    let remote = if ip.contains(':') {
        format!("[{ip}]:{}", ports.uas)
    } else {
        format!("{ip}:{}", ports.uas)
    };
    let secs = format!("{}s", limit.as_secs());
    let out = |n: &str| File::create(dir.join(n)).expect("sipp output file");
    let mut uas_p = Proc::spawn(
        "sipp UAS",
        Command::new("sipp")
            .current_dir(dir)
            .arg("-sf")
            .arg(scenario_file(uas))
            .args(["-i", ip, "-p", &ports.uas.to_string(), "-t", transport])
            .args(["-m", &calls.to_string(), "-nostdin"])
            .args(["-mp", &ports.uas_media.to_string()])
            .args(["-cp", &ports.uas_ctl.to_string()])
            .args(["-timeout", &secs, "-timeout_error", "-trace_err"])
            .stdin(Stdio::null())
            .stdout(out(&format!("{tag}-uas.out")))
            .stderr(Stdio::null()),
    );
    // sipp binds at once; give it a moment before the first INVITE
    std::thread::sleep(Duration::from_millis(400));
    let mut uac_p = Proc::spawn(
        "sipp UAC",
        Command::new("sipp")
            .current_dir(dir)
            .arg("-sf")
            .arg(scenario_file(uac))
            .args(["-i", ip, "-p", &ports.uac.to_string(), "-t", transport])
            .args(["-m", &calls.to_string(), "-r", "1", "-nostdin"])
            .args(["-mp", &ports.uac_media.to_string()])
            .args(["-cp", &ports.uac_ctl.to_string()])
            .args(["-timeout", &secs, "-timeout_error", "-trace_err"])
            .args(["-s", "+12125550123", "-key", "bid", bidv])
            .args(uac_args)
            .arg(&remote)
            .stdin(Stdio::null())
            .stdout(out(&format!("{tag}-uac.out")))
            .stderr(Stdio::null()),
    );
    let grace = limit + Duration::from_secs(10);
    let uac_st = uac_p.wait(grace);
    let uas_st = uas_p.wait(grace);
    let read = |n: &str| std::fs::read_to_string(dir.join(n)).unwrap_or_default();
    SippRun {
        uas: (uas_st, read(&format!("{tag}-uas.out"))),
        uac: (uac_st, read(&format!("{tag}-uac.out"))),
    }
}

fn check_sipp(what: &str, run: &SippRun, calls: u32) {
    for (side, (st, out)) in [("UAS", &run.uas), ("UAC", &run.uac)] {
        let (ok, failed) = sipp_counts(out);
        assert!(
            st.success() && ok == u64::from(calls) && failed == 0,
            "{what}: sipp {side} exit {st:?}, {ok} successful / {failed} failed calls \
             (want {calls} / 0):\n{out}"
        );
    }
}

/// dumpcap on lo with a port filter, then the pair(s), then the replay; returns
/// the outcomes (one JSON value per call) and the JSON summary.
fn run_live(sc: &Scenario) -> (Vec<Value>, Value) {
    let dir = tempfile::tempdir().expect("temp dir");
    let ip = if sc.net == Net::Udp6 {
        "::1"
    } else {
        "127.0.0.1"
    };
    let ports = Ports::free(ip);
    let ping_ports = Ports::free(ip);
    let mut filter = format!("port {} or port {}", ports.uas, ports.uac);
    if sc.keepalive {
        filter += &format!(" or port {} or port {}", ping_ports.uas, ping_ports.uac);
    }
    let pcap = dir.path().join("live.pcap");
    let errf = dir.path().join("dumpcap.err");
    let mut dumpcap = Proc::spawn(
        "dumpcap",
        Command::new("dumpcap")
            .args(["-q", "-i", "lo", "-P", "-f", &filter, "-w"])
            .arg(&pcap)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&errf).expect("dumpcap stderr file")),
    );
    let started = Instant::now();
    loop {
        let err = std::fs::read_to_string(&errf).unwrap_or_default();
        if err.contains("Capturing on") {
            break;
        }
        if let Some(st) = dumpcap.child.try_wait().expect("try_wait") {
            panic!("dumpcap exited ({st:?}): {err}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "dumpcap did not start capturing: {err}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    let bidv = bid(sc.idx);
    let limit = if sc.keepalive {
        Duration::from_secs(60)
    } else {
        Duration::from_secs(30)
    };
    let run = run_pair(
        dir.path(),
        "call",
        sc.uas,
        sc.uac,
        ip,
        ports,
        sc.calls,
        sc.net,
        sc.uac_args,
        &bidv,
        limit,
    );
    check_sipp(sc.uac, &run, sc.calls);
    if sc.keepalive {
        let ping = run_pair(
            dir.path(),
            "ping",
            "uas_options",
            "uac_options",
            ip,
            ping_ports,
            1,
            sc.net,
            &[],
            &bidv,
            Duration::from_secs(20),
        );
        check_sipp("uac_options", &ping, 1);
    }

    // let the last packets reach the capture, then stop dumpcap cleanly
    std::thread::sleep(Duration::from_millis(300));
    let pid = dumpcap.child.id().to_string();
    let st = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill -INT dumpcap");
    assert!(st.success(), "could not signal dumpcap");
    dumpcap.wait(Duration::from_secs(10));

    let out = Command::new(env!("CARGO_BIN_EXE_trunkwatch"))
        .args(["replay", "--summary", "json", "--progress", "never"])
        .arg(&pcap)
        .output()
        .expect("run trunkwatch");
    assert!(
        out.status.success(),
        "replay failed {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let outcomes = String::from_utf8(out.stdout)
        .expect("UTF-8 stdout")
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON outcome per line"))
        .collect();
    let summary = serde_json::from_slice(&out.stderr).expect("JSON summary on stderr");
    (outcomes, summary)
}

fn check(sc: Scenario, want: Want) {
    let (outcomes, summary) = run_live(&sc);
    assert_eq!(
        outcomes.len(),
        sc.calls as usize,
        "{}: outcomes {outcomes:#?}",
        sc.uac
    );
    let transport = if sc.net == Net::Tcp4 { "tcp" } else { "udp" };
    let mut ids: Vec<String> = Vec::new();
    for o in &outcomes {
        let mut errs = Vec::new();
        let mut eq = |field: &str, expected: Value| {
            if o[field] != expected {
                errs.push(format!("{field} = {}, expected {expected}", o[field]));
            }
        };
        eq("correlation", "header".into());
        eq("direction", "outbound".into());
        eq("status", want.status.into());
        eq("final", true.into());
        eq("sip_code", want.sip_code.into());
        eq("ended_by", want.ended_by.into());
        eq("auth_challenged", want.auth_challenged.into());
        let r = o["retransmissions"].as_u64();
        if want.retransmissions_may_miss_last && r == Some(want.retransmissions - 1) {
            // Accepted: the last retransmission came after Timer B fired.
        } else {
            eq("retransmissions", want.retransmissions.into());
        }
        eq("q850_cause", want.q850_cause.into());
        eq("transport", transport.into());
        eq("from", "+14155550100".into());
        eq("to", "+12125550123".into());
        assert!(
            errs.is_empty(),
            "{} -> {}: {}\n{o:#}",
            sc.uac,
            sc.uas,
            errs.join("; ")
        );
        ids.push(o["butter_call_id"].as_str().unwrap_or("").to_string());
    }
    ids.sort();
    let expected: Vec<String> = (1..=sc.calls)
        .map(|n| format!("call_{}{n}", bid(sc.idx)))
        .collect();
    assert_eq!(ids, expected, "{}: Butter call ids", sc.uac);
    assert_eq!(
        summary["open_at_end"]["total"], 0,
        "{}: calls left open: {summary}",
        sc.uac
    );
}

const fn sc(idx: u16, uas: &'static str, uac: &'static str) -> Scenario {
    Scenario {
        idx,
        uas,
        uac,
        calls: 1,
        uac_args: &[],
        net: Net::Udp4,
        keepalive: false,
    }
}

const fn reject(idx: u16, uas: &'static str, args: &'static [&'static str]) -> Scenario {
    Scenario {
        idx,
        uas,
        uac: "uac_reject",
        calls: 1,
        uac_args: args,
        net: Net::Udp4,
        keepalive: false,
    }
}

#[test]
fn completed_caller_hangs_up() {
    let mut s = sc(0, "uas_answer", "uac_caller_bye");
    s.calls = 2;
    check(s, COMPLETED);
}

#[test]
fn completed_callee_hangs_up() {
    let mut w = COMPLETED;
    w.ended_by = Some("callee");
    check(sc(1, "uas_answer_bye", "uac_callee_bye"), w);
}

#[test]
fn busy_486() {
    let mut w = want("busy", Some(486));
    w.q850_cause = Some(17);
    check(reject(2, "uas_486", &["-set", "expected", "486"]), w);
}

#[test]
fn busy_600() {
    let mut w = want("busy", Some(600));
    w.q850_cause = Some(17);
    check(reject(3, "uas_600", &["-set", "expected", "600"]), w);
}

#[test]
fn busy_603_decline() {
    let mut w = want("busy", Some(603));
    w.q850_cause = Some(21);
    check(reject(4, "uas_603", &["-set", "expected", "603"]), w);
}

#[test]
fn failed_404() {
    let mut w = want("failed", Some(404));
    w.q850_cause = Some(1);
    check(reject(5, "uas_404", &["-set", "expected", "404"]), w);
}

#[test]
fn no_answer_408() {
    let mut w = want("no-answer", Some(408));
    w.q850_cause = Some(19);
    check(reject(6, "uas_408", &["-set", "expected", "408"]), w);
}

#[test]
fn no_answer_480() {
    let mut w = want("no-answer", Some(480));
    w.q850_cause = Some(18);
    check(reject(7, "uas_480", &["-set", "expected", "480"]), w);
}

#[test]
fn failed_503_with_retry_after() {
    check(
        reject(8, "uas_503", &["-set", "expected", "503"]),
        want("failed", Some(503)),
    );
}

#[test]
fn canceled_487() {
    let mut w = want("canceled", Some(487));
    w.ended_by = Some("caller");
    check(sc(9, "uas_cancel", "uac_cancel"), w);
}

#[test]
fn cancel_with_q850_19_is_no_answer() {
    let mut w = want("no-answer", Some(487));
    w.ended_by = Some("caller");
    w.q850_cause = Some(19);
    check(sc(10, "uas_cancel", "uac_cancel_noanswer"), w);
}

#[test]
fn auth_407_then_reinvite_completes() {
    let mut w = COMPLETED;
    w.auth_challenged = true;
    check(sc(11, "uas_auth", "uac_auth"), w);
}

#[test]
fn reinvite_answered_200_changes_nothing() {
    check(sc(12, "uas_reinvite_200", "uac_reinvite"), COMPLETED);
}

#[test]
fn reinvite_answered_491_changes_nothing() {
    check(sc(13, "uas_reinvite_491", "uac_reinvite"), COMPLETED);
}

#[test]
fn redirect_302_then_new_invite_decides() {
    check(sc(14, "uas_redirect", "uac_redirect"), COMPLETED);
}

#[test]
fn forking_two_180_then_200() {
    check(sc(15, "uas_fork", "uac_fork"), COMPLETED);
}

#[test]
fn completed_over_ipv6() {
    let mut s = sc(16, "uas_answer", "uac_caller_bye");
    s.net = Net::Udp6;
    check(s, COMPLETED);
}

#[test]
fn completed_over_tcp() {
    let mut s = sc(17, "uas_answer", "uac_caller_bye");
    s.net = Net::Tcp4;
    s.calls = 2;
    check(s, COMPLETED);
}

#[test]
fn late_ack_200_retransmission_counted_once() {
    let mut w = COMPLETED;
    w.retransmissions = 1;
    check(sc(19, "uas_answer", "uac_late_ack"), w);
}

/// The slow one (~36 s): RFC 3261 Timer A/B cannot be shortened on the sipp
/// side without making the traffic unrealistic.
#[test]
fn never_answered_fails_at_timer_b() {
    let mut s = sc(18, "uas_silent", "uac_timer_b");
    s.uac_args = &["-max_invite_retrans", "10"];
    s.keepalive = true;
    let mut w = want("failed", None);
    // Timer A doubles from 0.5 s: retransmissions at 0.5, 1.5, 3.5, 7.5, 15.5
    // and 31.5 s, Timer B at 32 s (RFC 3261 17.1.1.2). sipp schedules each
    // retransmission from the previous send, so on a busy machine the sixth
    // can slip past 32 s of capture time, after the call has failed: then 5
    // were seen before the end, which is also right.
    w.retransmissions = 6;
    w.retransmissions_may_miss_last = true;
    check(s, w);
}
