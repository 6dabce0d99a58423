//! The benchmark capture generator writes captures tshark reads as clean,
//! well-formed SIP, with the outcomes its truth file claims, byte for byte
//! reproducible from the seed.

#[path = "../examples/gen_capture.rs"]
#[allow(dead_code)]
mod gen_capture;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use trunkwatch::capture::open_files;

fn gen(args: &[&str]) -> serde_json::Value {
    let argv: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let s = gen_capture::generate(&argv).expect("generator runs");
    serde_json::from_str(&s).unwrap()
}

fn tshark(file: &Path, args: &[&str]) -> String {
    let out = Command::new("tshark")
        .arg("-n")
        .arg("-r")
        .arg(file)
        .args(args)
        .output()
        .expect("tshark runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn two_hundred_calls_are_well_formed_sip_for_tshark() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("g.pcap");
    let s = gen(&[
        "--calls",
        "200",
        "--seed",
        "42",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(s["calls"], 200);
    let sip_messages = s["sip_messages"].as_u64().unwrap();

    // One frame per SIP message (fragments and TCP segments reassembled).
    let sip_frames = tshark(&out, &["-Y", "sip"]).lines().count() as u64;
    assert_eq!(sip_frames, sip_messages);
    // Nothing malformed, no expert warnings, valid IP/UDP/TCP checksums,
    // no TCP sequence anomalies.
    let bad = tshark(
        &out,
        &[
            "-o",
            "ip.check_checksum:TRUE",
            "-o",
            "udp.check_checksum:TRUE",
            "-o",
            "tcp.check_checksum:TRUE",
            "-Y",
            "_ws.malformed || _ws.expert.severity >= warning || ip.checksum.status == 2 \
             || udp.checksum.status == 2 || tcp.checksum.status == 2 || tcp.analysis.flags",
        ],
    );
    assert!(bad.is_empty(), "{bad}");
    // Some INVITEs went as IPv4 fragments and were reassembled.
    assert!(s["fragment_frames"].as_u64().unwrap() > 0);
    let reassembled = tshark(
        &out,
        &["-Y", "sip.Method == \"INVITE\" && ip.frag_offset > 0"],
    );
    assert!(!reassembled.is_empty());

    // Our reader agrees on the frame count.
    let mut r = open_files(std::slice::from_ref(&out)).unwrap();
    let mut n = 0;
    while r.next_frame().is_some() {
        n += 1;
    }
    assert_eq!(n, s["frames"].as_u64().unwrap());

    // The truth file: one line per call, final INVITE codes as tshark sees them.
    let truth_path = format!("{}.truth.jsonl", out.display());
    let truth: Vec<serde_json::Value> = std::fs::read_to_string(&truth_path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(truth.len(), 200);
    let mut finals: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
    let mut invites = BTreeSet::new();
    let fields = tshark(
        &out,
        &[
            "-Y",
            "sip",
            "-T",
            "fields",
            "-e",
            "sip.Call-ID",
            "-e",
            "sip.Status-Code",
            "-e",
            "sip.CSeq.method",
        ],
    );
    for l in fields.lines() {
        let f: Vec<&str> = l.split('\t').collect();
        if f[2] != "INVITE" {
            continue;
        }
        invites.insert(f[0].to_string());
        if let Ok(code) = f[1].parse::<u64>() {
            if code >= 200 && code != 407 {
                finals.entry(f[0].to_string()).or_default().insert(code);
            }
        }
    }
    let ids: BTreeSet<String> = truth
        .iter()
        .map(|t| t["sip_call_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, invites, "every call's INVITE is seen, no others");
    for t in &truth {
        let id = t["sip_call_id"].as_str().unwrap();
        let want: BTreeSet<u64> = t["sip_code"].as_u64().into_iter().collect();
        assert_eq!(finals.get(id).cloned().unwrap_or_default(), want, "{t}");
        let status = t["status"].as_str().unwrap();
        let expected = match t["sip_code"].as_u64() {
            Some(200) => "completed",
            Some(486 | 603) => "busy",
            Some(408 | 480) => "no-answer",
            Some(487) => "canceled",
            _ => "failed",
        };
        assert_eq!(status, expected, "{t}");
        if t["direction"] == "outbound" {
            let b = t["butter_call_id"].as_str().unwrap();
            assert!(b.starts_with("call_") && b.len() >= 17, "{b}");
        }
    }
    // The default mix yields every outcome in 200 calls.
    for st in ["completed", "busy", "no-answer", "canceled", "failed"] {
        assert!(truth.iter().any(|t| t["status"] == st), "{st}");
    }
    assert!(truth.iter().any(|t| t["auth_challenge"] == true));
    assert!(truth.iter().any(|t| t["retransmissions"] == true));
    assert!(truth.iter().any(|t| t["transport"] == "TCP"));
    assert!(truth.iter().any(|t| t["bye_from"] == "callee"));
}

#[test]
fn same_seed_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    gen(&["--calls", "50", "--seed", "7", "--out", &p("a.pcap")]);
    gen(&["--calls", "50", "--seed", "7", "--out", &p("b.pcap")]);
    gen(&["--calls", "50", "--seed", "8", "--out", &p("c.pcap")]);
    let read = |n: &str| std::fs::read(p(n)).unwrap();
    assert_eq!(read("a.pcap"), read("b.pcap"));
    assert_eq!(read("a.pcap.truth.jsonl"), read("b.pcap.truth.jsonl"));
    assert_ne!(read("a.pcap"), read("c.pcap"));
}

#[test]
fn rtp_and_target_size() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.pcap");
    let s = gen(&[
        "--calls",
        "3",
        "--seed",
        "3",
        "--rtp",
        "--target-bytes",
        "3000000",
        "--mix",
        "200=1",
        "--out",
        out.to_str().unwrap(),
    ]);
    let bytes = s["bytes"].as_u64().unwrap();
    assert!(bytes >= 3_000_000);
    assert_eq!(bytes, out.metadata().unwrap().len());
    assert_eq!(s["statuses"]["completed"], s["calls"]);
    // tshark finds the RTP through the SDP of each call.
    let rtp = tshark(&out, &["-Y", "rtp"]).lines().count() as u64;
    assert_eq!(rtp, s["rtp_frames"].as_u64().unwrap());
    assert!(rtp > 10_000);
}

#[test]
fn bad_arguments_are_reported() {
    let e = gen_capture::generate(&["--calls".into(), "x".into()]).unwrap_err();
    assert!(e.contains("--calls"), "{e}");
    let e = gen_capture::generate(&["--calls".into(), "1".into()]).unwrap_err();
    assert!(e.contains("--out"), "{e}");
    let e = gen_capture::generate(&["--mix".into(), "200=1,999=2".into()]).unwrap_err();
    assert!(e.contains("unknown outcome"), "{e}");
}
