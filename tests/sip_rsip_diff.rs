//! Differential tests against rsip (dev-dependency): over the valid RFC 4475
//! messages and over every UDP SIP message of the public captures in
//! ../shared/captures/public (payloads extracted with tshark at test time).
//! Where both parsers accept a message, the fields both expose must agree:
//! method or status code, Call-ID, CSeq, From/To tags, top Via branch.
//! Principled disagreements are listed in `EXCEPTIONS` with their reason.

use rsip::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use trunkwatch::sip;

/// The fields both parsers expose, as owned strings for comparison.
#[derive(Debug, PartialEq, Eq)]
struct Fields {
    start: String,
    call_id: String,
    cseq: (u32, String),
    from_tag: Option<String>,
    to_tag: Option<String>,
    branch: Option<String>,
}

fn s(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ours(buf: &[u8]) -> Result<Fields, String> {
    let m = sip::parse(buf).map_err(|e| e.to_string())?;
    let start = match m.status() {
        Some(c) => c.to_string(),
        None => m.method().map(|m| s(m.as_bytes())).unwrap_or_default(),
    };
    let cseq = m.cseq().map_err(|e| e.to_string())?;
    Ok(Fields {
        start,
        call_id: s(m.call_id().ok_or("no Call-ID")?),
        cseq: (cseq.seq, s(cseq.method.as_bytes())),
        from_tag: m.from().map_err(|e| e.to_string())?.tag().map(s),
        to_tag: m.to().map_err(|e| e.to_string())?.tag().map(s),
        branch: m.top_via().map_err(|e| e.to_string())?.branch().map(s),
    })
}

fn theirs(buf: &[u8]) -> Result<Fields, String> {
    let e = |e: rsip::Error| e.to_string();
    let m = rsip::SipMessage::try_from(buf).map_err(e)?;
    let start = match &m {
        rsip::SipMessage::Response(r) => r.status_code.code().to_string(),
        rsip::SipMessage::Request(r) => r.method.to_string(),
    };
    let cseq = m.cseq_header().map_err(e)?;
    Ok(Fields {
        start,
        call_id: m.call_id_header().map_err(e)?.value().to_string(),
        cseq: (
            cseq.seq().map_err(e)?,
            cseq.method().map_err(e)?.to_string(),
        ),
        from_tag: m
            .from_header()
            .map_err(e)?
            .tag()
            .map_err(e)?
            .map(|t| t.to_string()),
        to_tag: m
            .to_header()
            .map_err(e)?
            .tag()
            .map_err(e)?
            .map(|t| t.to_string()),
        branch: m
            .via_header()
            .map_err(e)?
            .typed()
            .map_err(e)?
            .branch()
            .map(|b| b.to_string()),
    })
}

/// (what, reason): messages where the parsers disagree for a principled
/// reason. `what` is a fixture name or `capture:frame`.
const EXCEPTIONS: &[(&str, &str)] = &[
    // An OmniPCX PBX puts `&` and raw control bytes in its To tag; rsip cuts
    // the tag at the first non-token byte, trunkwatch keeps it byte-exact as
    // sent (the peer's 481 echoes the same bytes, so dialogs still match).
    ("heplify-gre-teb-udp.pcapng:22", "non-token bytes in To tag"),
    ("heplify-gre-teb-udp.pcapng:23", "non-token bytes in To tag"),
    ("heplify-gre-teb-udp.pcapng:40", "non-token bytes in To tag"),
    ("heplify-gre-teb-udp.pcapng:41", "non-token bytes in To tag"),
];

fn is_exception(what: &str) -> bool {
    EXCEPTIONS.iter().any(|(w, _)| *w == what)
}

/// Compare on one message; returns whether both parsed.
fn compare(what: &str, buf: &[u8], disagreements: &mut Vec<String>) -> (bool, bool) {
    let (a, b) = (ours(buf), theirs(buf));
    match (&a, &b) {
        (Ok(a), Ok(b)) if a != b && !is_exception(what) => {
            disagreements.push(format!("{what}: trunkwatch {a:?} != rsip {b:?}"));
        }
        _ => {}
    }
    (a.is_ok(), b.is_ok())
}

const VALID_TORTURE: &[&str] = &[
    "wsinv.dat",
    "intmeth.dat",
    "esc01.dat",
    "escnull.dat",
    "esc02.dat",
    "lwsdisp.dat",
    "longreq.dat",
    "dblreq.dat",
    "semiuri.dat",
    "transports.dat",
    "mpart01.dat",
    "unreason.dat",
    "noreason.dat",
    "badbranch.dat",
    "insuf.dat",
    "unkscm.dat",
    "novelsc.dat",
    "unksm2.dat",
    "bext01.dat",
    "invut.dat",
    "regaut01.dat",
    "multi01.dat",
    "bcast.dat",
    "zeromf.dat",
    "cparam01.dat",
    "cparam02.dat",
    "regescrt.dat",
    "sdp01.dat",
    "inv2543.dat",
    "baddate.dat",
];

#[test]
fn torture_messages_agree_with_rsip() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/sip/rfc4475");
    let mut bad = Vec::new();
    let mut both = 0;
    for f in VALID_TORTURE {
        let buf = std::fs::read(dir.join(f)).unwrap();
        let (a, b) = compare(f, &buf, &mut bad);
        both += (a && b) as usize;
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(both >= 10, "only {both} torture messages parsed by both");
}

/// UDP SIP payloads of one capture, via tshark (the innermost UDP layer).
fn udp_sip_payloads(file: &Path) -> Vec<(u64, Vec<u8>)> {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(file)
        .args([
            "-Y",
            "sip && udp",
            "-T",
            "fields",
            "-E",
            "occurrence=l",
            "-e",
            "frame.number",
            "-e",
            "udp.payload",
        ])
        .output()
        .expect("tshark must be installed to run this test");
    assert!(
        out.status.success(),
        "tshark failed on {}: {}",
        file.display(),
        s(&out.stderr)
    );
    s(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (frame, hex) = l.split_once('\t')?;
            let hex: String = hex.chars().filter(|c| c.is_ascii_hexdigit()).collect();
            let bytes = (0..hex.len() / 2)
                .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
                .collect();
            Some((frame.parse().ok()?, bytes))
        })
        .collect()
}

#[test]
fn capture_messages_agree_with_rsip() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/captures/public");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("pcap" | "pcapng")
            )
        })
        .collect();
    files.sort();
    assert!(files.len() >= 40, "captures missing in {}", dir.display());
    let mut bad = Vec::new();
    let (mut total, mut both, mut only_ours, mut only_rsip) = (0, 0, 0, 0);
    let mut ours_failed = Vec::new();
    let mut neither = std::collections::BTreeMap::new();
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        for (frame, payload) in udp_sip_payloads(f) {
            total += 1;
            let what = format!("{name}:{frame}");
            let (a, b) = compare(&what, &payload, &mut bad);
            match (a, b) {
                (true, true) => both += 1,
                (true, false) => {
                    only_ours += 1;
                    if only_ours <= 5 {
                        eprintln!(
                            "only trunkwatch: {what}: rsip: {}",
                            theirs(&payload).unwrap_err()
                        );
                    }
                }
                (false, true) => {
                    only_rsip += 1;
                    ours_failed.push(format!("{what}: {}", ours(&payload).unwrap_err()));
                }
                (false, false) => {
                    let err = ours(&payload).unwrap_err();
                    *neither.entry(format!("{name}: {err}")).or_insert(0) += 1;
                }
            }
        }
    }
    for (what, n) in &neither {
        eprintln!("rejected by both: {n} x {what}");
    }
    eprintln!("{total} UDP SIP messages: {both} parsed by both, {only_ours} only by trunkwatch, {only_rsip} only by rsip");
    assert!(
        bad.is_empty(),
        "{} disagreements:\n{}",
        bad.len(),
        bad.join("\n")
    );
    assert!(
        ours_failed.is_empty(),
        "rsip accepts, trunkwatch rejects:\n{}",
        ours_failed.join("\n")
    );
    assert!(
        total > 1000 && both * 10 >= total * 8,
        "{both} of {total} parsed by both"
    );
}
