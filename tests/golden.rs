//! Golden replay of the real sipp captures in `fixtures/pcap/sipp/` (made by
//! `scripts/sipp/record.sh`, one per row of the classification table): the
//! real binary's JSONL must equal `fixtures/expected/<name>.jsonl` byte for
//! byte, twice in a row. `TRUNKWATCH_BLESS=1` rewrites a golden, but only
//! after the key fields passed the table below, so a wrong output can never
//! become a golden (review the diff by eye before committing).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What one call of a capture must come out as.
struct Call {
    butter_call_id: &'static str,
    status: &'static str,
    sip_code: Option<u64>,
    /// `None`: null (nobody sent a BYE or CANCEL).
    ended_by: Option<&'static str>,
    auth_challenged: bool,
    retransmissions: u64,
    q850_cause: Option<u64>,
    transport: &'static str,
}

const fn call(id: &'static str, status: &'static str, code: Option<u64>) -> Call {
    Call {
        butter_call_id: id,
        status,
        sip_code: code,
        ended_by: None,
        auth_challenged: false,
        retransmissions: 0,
        q850_cause: None,
        transport: "udp",
    }
}

const fn by(mut c: Call, party: &'static str) -> Call {
    c.ended_by = Some(party);
    c
}

const fn q850(mut c: Call, cause: u64) -> Call {
    c.q850_cause = Some(cause);
    c
}

/// The classification table of issue 5, per capture. Every call is
/// outbound (the sipp UAC sends the INVITE carrying `X-Butter-Call-Id`),
/// correlated by `header`, and final.
fn table() -> Vec<(&'static str, Vec<Call>)> {
    let done = |id| q850(by(call(id, "completed", Some(200)), "caller"), 16);
    vec![
        (
            "completed_caller_bye",
            vec![done("call_b077e50000011"), done("call_b077e50000012")],
        ),
        (
            "completed_callee_bye",
            vec![q850(
                by(call("call_b077e50001011", "completed", Some(200)), "callee"),
                16,
            )],
        ),
        (
            "busy_486",
            vec![q850(call("call_b077e50002011", "busy", Some(486)), 17)],
        ),
        (
            "busy_600",
            vec![q850(call("call_b077e50003011", "busy", Some(600)), 17)],
        ),
        (
            "busy_603_decline",
            vec![q850(call("call_b077e50004011", "busy", Some(603)), 21)],
        ),
        (
            "failed_404",
            vec![q850(call("call_b077e50005011", "failed", Some(404)), 1)],
        ),
        (
            "noanswer_408",
            vec![q850(call("call_b077e50006011", "no-answer", Some(408)), 19)],
        ),
        (
            "noanswer_480",
            vec![q850(call("call_b077e50007011", "no-answer", Some(480)), 18)],
        ),
        (
            "failed_503_retry_after",
            vec![call("call_b077e50008011", "failed", Some(503))],
        ),
        // Only the caller can CANCEL: the Outcome's Party is "which party did
        // something (sent the BYE, the CANCEL...)".
        (
            "canceled_487",
            vec![by(
                call("call_b077e50009011", "canceled", Some(487)),
                "caller",
            )],
        ),
        (
            "noanswer_cancel_q850_19",
            vec![q850(
                by(call("call_b077e5000a011", "no-answer", Some(487)), "caller"),
                19,
            )],
        ),
        ("auth_407_then_200", {
            let mut c = done("call_b077e5000b011");
            c.auth_challenged = true;
            vec![c]
        }),
        ("reinvite_200", vec![done("call_b077e5000c011")]),
        ("reinvite_491", vec![done("call_b077e5000d011")]),
        ("redirect_302", vec![done("call_b077e5000e011")]),
        ("fork_two_180", vec![done("call_b077e5000f011")]),
        (
            "completed_caller_bye_ipv6",
            vec![done("call_b077e50010011")],
        ),
        ("completed_caller_bye_tcp", {
            let mut a = done("call_b077e50011011");
            let mut b = done("call_b077e50011012");
            a.transport = "tcp";
            b.transport = "tcp";
            vec![a, b]
        }),
        // the 200 OK repeated once before the late ACK: one retransmission
        ("late_ack_200_retransmitted", {
            let mut c = done("call_b077e50013011");
            c.retransmissions = 1;
            vec![c]
        }),
        // 7 INVITEs (0, 0.5 ... 31.5 s), nothing else; the OPTIONS ping at
        // ~35 s moves the capture clock past Timer B and is no call.
        ("timer_b_no_response", {
            let mut c = call("call_b077e50012011", "failed", None);
            c.retransmissions = 6;
            vec![c]
        }),
    ]
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn captures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures/pcap/sipp"))
        .expect("fixtures/pcap/sipp exists")
        .map(|e| e.expect("readable dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .collect();
    v.sort();
    v
}

fn stem(p: &Path) -> String {
    p.file_stem().unwrap().to_string_lossy().into_owned()
}

/// `trunkwatch replay FILE`: stdout (the JSONL) and the JSON summary.
fn replay(pcap: &Path) -> (Vec<u8>, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_trunkwatch"))
        .args(["replay", "--summary", "json", "--progress", "never"])
        .arg(pcap)
        .output()
        .expect("run trunkwatch");
    assert!(
        out.status.success(),
        "{}: exit {:?}, stderr: {}",
        pcap.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_slice(&out.stderr).unwrap_or_else(|e| {
        panic!(
            "{}: stderr is not the JSON summary ({e}): {}",
            pcap.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.stdout, summary)
}

fn check_fields(name: &str, jsonl: &[u8], want: &[Call]) -> Result<(), String> {
    let text = std::str::from_utf8(jsonl).map_err(|e| format!("{name}: stdout not UTF-8: {e}"))?;
    let got: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).map_err(|e| format!("{name}: bad JSON line {l}: {e}")))
        .collect::<Result<_, _>>()?;
    if got.len() != want.len() {
        return Err(format!(
            "{name}: {} outcomes, expected {}:\n{text}",
            got.len(),
            want.len()
        ));
    }
    let mut errs = Vec::new();
    for (o, w) in got.iter().zip(want) {
        let id = o["butter_call_id"].clone();
        let mut eq = |field: &str, expected: Value| {
            if o[field] != expected {
                errs.push(format!(
                    "{name} {id}: {field} = {}, expected {expected}",
                    o[field]
                ));
            }
        };
        eq("butter_call_id", w.butter_call_id.into());
        eq("correlation", "header".into());
        eq("direction", "outbound".into());
        eq("status", w.status.into());
        eq("final", true.into());
        eq("sip_code", w.sip_code.into());
        eq("ended_by", w.ended_by.into());
        eq("auth_challenged", w.auth_challenged.into());
        eq("retransmissions", w.retransmissions.into());
        eq("q850_cause", w.q850_cause.into());
        eq("transport", w.transport.into());
        eq("from", "+14155550100".into());
        eq("to", "+12125550123".into());
        eq("schema_version", 1.into());
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs.join("\n"))
    }
}

#[test]
fn every_capture_has_a_table_row_and_a_golden() {
    let names: Vec<String> = captures().iter().map(|p| stem(p)).collect();
    let rows: Vec<&str> = table().iter().map(|(n, _)| *n).collect();
    for n in &names {
        assert!(rows.contains(&n.as_str()), "capture {n} has no table row");
    }
    for r in &rows {
        assert!(names.iter().any(|n| n == r), "table row {r} has no capture");
    }
    assert!(names.len() >= 20, "sipp captures missing: {names:?}");
}

#[test]
fn sipp_captures_match_table_and_goldens() {
    let bless = std::env::var_os("TRUNKWATCH_BLESS").is_some_and(|v| v == "1");
    let table = table();
    let mut failures = Vec::new();
    for pcap in captures() {
        let name = stem(&pcap);
        let Some((_, want)) = table.iter().find(|(n, _)| *n == name) else {
            failures.push(format!("{name}: no table row"));
            continue;
        };
        let (first, _) = replay(&pcap);
        let (second, _) = replay(&pcap);
        if first != second {
            failures.push(format!("{name}: two replays of the same file differ"));
        }
        if let Err(e) = check_fields(&name, &first, want) {
            failures.push(e);
            continue; // never bless (or compare against) a wrong outcome
        }
        let golden = root()
            .join("fixtures/expected")
            .join(format!("{name}.jsonl"));
        if bless {
            std::fs::write(&golden, &first).expect("write golden");
            continue;
        }
        match std::fs::read(&golden) {
            Ok(g) if g == first => {}
            Ok(g) => failures.push(format!(
                "{name}: output differs from {}\n--- golden\n{}\n--- got\n{}",
                golden.display(),
                String::from_utf8_lossy(&g),
                String::from_utf8_lossy(&first)
            )),
            Err(e) => failures.push(format!(
                "{name}: no golden {} ({e}); run with TRUNKWATCH_BLESS=1 and review",
                golden.display()
            )),
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

/// Real, well-formed sipp traffic is no problem: the summary's `problems`
/// must stay empty. The 200 to a BYE, the ACK of a non-2xx final and a trunk
/// OPTIONS keep-alive are ordinary messages.
#[test]
fn sipp_traffic_counts_no_problems() {
    let mut failures = Vec::new();
    for pcap in captures() {
        let (_, summary) = replay(&pcap);
        let p = &summary["problems"];
        if p["total"] != 0 {
            failures.push(format!("{}: problems {p}", stem(&pcap)));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
