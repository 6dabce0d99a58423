//! The real binary on shipped fixtures: outputs, summary, exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trunkwatch"))
}

fn fixture(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(p)
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run trunkwatch")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn outcomes(o: &Output) -> Vec<serde_json::Value> {
    String::from_utf8(o.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("each stdout line is one JSON outcome"))
        .collect()
}

#[test]
fn help_lists_every_mode_and_exit_codes() {
    let o = run(&["--help"]);
    assert!(o.status.success());
    let h = String::from_utf8_lossy(&o.stdout);
    for word in ["replay", "capture", "proxy", "explain", "Exit codes"] {
        assert!(h.contains(word), "--help lacks {word}: {h}");
    }
    let o = run(&["replay", "--help"]);
    let h = String::from_utf8_lossy(&o.stdout);
    for flag in [
        "--output",
        "--summary",
        "--realtime",
        "--speed",
        "--metrics-listen",
        "--webhook",
        "--config",
        "--platform-net",
        "--id-header",
        "--records",
        "--ring-timeout",
    ] {
        assert!(h.contains(flag), "replay --help lacks {flag}");
    }
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run(&[]).status.code(), Some(2));
    assert_eq!(run(&["replay"]).status.code(), Some(2));
    assert_eq!(
        run(&["replay", "--speed", "0", "x.pcap"]).status.code(),
        Some(2)
    );
}

#[test]
fn replay_prints_one_outcome_per_call_and_a_summary() {
    let f = fixture("pcap/capture/sip-usec-le.pcap");
    let o = run(&["replay", f.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = outcomes(&o);
    assert_eq!(v.len(), 5, "3 UDP and 2 TCP sipp calls");
    for rec in &v {
        assert_eq!(rec["schema_version"], 1);
        assert_eq!(rec["status"], "completed");
        assert_eq!(rec["sip_code"], 200);
        assert_eq!(rec["final"], true);
        assert_eq!(rec["ended_by"], "caller");
    }
    let tcp = v.iter().filter(|r| r["transport"] == "tcp").count();
    assert_eq!(tcp, 2);
    let e = stderr(&o);
    assert!(e.contains("trunkwatch summary"), "{e}");
    assert!(e.contains("completed"), "{e}");
}

#[test]
fn replay_is_byte_for_byte_deterministic() {
    let f = fixture("pcap/capture/sip-usec-le.pcap");
    let a = run(&["replay", "--summary", "json", f.to_str().unwrap()]);
    let b = run(&["replay", "--summary", "json", f.to_str().unwrap()]);
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout);
    assert_eq!(a.stderr, b.stderr);
}

#[test]
fn summary_json_and_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o.jsonl");
    let f = fixture("pcap/capture/sip-usec-le.pcap");
    let o = run(&[
        "replay",
        "--summary",
        "json",
        "-o",
        out.to_str().unwrap(),
        f.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stdout.is_empty(), "outcomes go to --output, not stdout");
    let lines = std::fs::read_to_string(&out).unwrap();
    assert_eq!(lines.lines().count(), 5);
    let summary: serde_json::Value =
        serde_json::from_str(stderr(&o).trim()).expect("--summary json is one JSON document");
    assert!(summary.is_object());
    let none = run(&["replay", "--summary", "none", f.to_str().unwrap()]);
    assert!(none.stderr.is_empty(), "{}", stderr(&none));
}

#[test]
fn not_a_capture_is_exit_2_naming_the_file() {
    for (name, what) in [
        ("pcap/capture/not-a-capture.txt", "not a pcap or pcapng"),
        ("pcap/capture/empty.pcap", "empty"),
    ] {
        let f = fixture(name);
        let o = run(&["replay", f.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{name}");
        let e = stderr(&o);
        assert!(e.contains(f.to_str().unwrap()) && e.contains(what), "{e}");
        assert_eq!(e.lines().count(), 1, "one clear line, no backtrace: {e}");
        assert!(o.stdout.is_empty());
    }
    let o = run(&["replay", "/nonexistent/dir/x.pcap"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/nonexistent/dir/x.pcap"));
}

#[test]
fn truncated_capture_keeps_every_complete_packet() {
    let f = fixture("pcap/capture/truncated.pcap");
    let o = run(&["replay", "--summary", "none", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let e = stderr(&o);
    assert!(e.contains("truncated at byte"), "{e}");
    assert!(e.contains("truncated.pcap"), "{e}");
    // The cut is in the last packet: every call before it is still reported.
    assert_eq!(outcomes(&o).len(), 5);
}

#[test]
fn bad_config_file_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("bad.toml");
    std::fs::write(&c, "[classify]\nring_timeout = 3\n").unwrap();
    let f = fixture("pcap/capture/sip-usec-le.pcap");
    let o = run(&["replay", "-c", c.to_str().unwrap(), f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("bad.toml"), "{}", stderr(&o));
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("trunkwatch.example.toml");
    let o = run(&[
        "replay",
        "-c",
        example.to_str().unwrap(),
        f.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// Direction comes from the configured platform networks (a public capture
/// read from ../shared: a home phone at 192.168.1.2 calling a provider).
#[test]
fn platform_network_sets_direction() {
    let f = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/captures/public/sngrep-aaa.pcap");
    let f = f.to_str().unwrap();
    for (net, want) in [
        ("192.168.1.0/24", "outbound"),
        ("212.242.33.0/24", "inbound"),
        ("10.0.0.0/8", "unknown"),
    ] {
        let o = run(&["replay", "--summary", "none", "--platform-net", net, f]);
        assert!(o.status.success(), "{}", stderr(&o));
        let v = outcomes(&o);
        let rec = v
            .iter()
            .find(|r| r["sip_call_id"] == "24487391-449bf2a0@192.168.1.2")
            .expect("call present");
        assert_eq!(rec["direction"], want, "--platform-net {net}");
    }
}

#[test]
fn explain_prints_meaning_cause_action() {
    let o = run(&["explain", "486"]);
    assert!(o.status.success());
    let t = String::from_utf8_lossy(&o.stdout);
    assert!(t.contains("486") && t.contains("busy"), "{t}");
    let o = run(&["explain", "--json", "404"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["code"], 404);
    assert_eq!(run(&["explain", "1000"]).status.code(), Some(2));
    assert_eq!(run(&["explain", "99"]).status.code(), Some(2));
}

#[cfg(feature = "live-capture")]
#[test]
fn live_capture_on_a_missing_interface_is_a_clear_error() {
    let o = run(&["capture", "-i", "no-such-iface0", "--duration", "1"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("no-such-iface0"), "{}", stderr(&o));
}

#[cfg(not(feature = "live-capture"))]
#[test]
fn live_capture_needs_the_feature() {
    let o = run(&["capture", "-i", "lo", "--duration", "1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--features live-capture"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn proxy_without_addresses_is_a_usage_error() {
    let o = run(&["proxy", "--listen", "127.0.0.1:0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--platform"), "{}", stderr(&o));
}

/// Paced replay (for dashboards) gives the same outcomes as a full-speed one.
#[test]
fn paced_replay_gives_the_same_outcomes() {
    let f = fixture("pcap/capture/sip-usec-le.pcap");
    let fast = run(&["replay", "--summary", "none", f.to_str().unwrap()]);
    let paced = run(&[
        "replay",
        "--summary",
        "none",
        "--speed",
        "50",
        f.to_str().unwrap(),
    ]);
    assert!(paced.status.success(), "{}", stderr(&paced));
    assert_eq!(fast.stdout, paced.stdout);
}
