//! Every public capture in ../shared/captures/public through the real
//! reader, decoder, parser, tracker and classifier, compared per Call-ID
//! with the tshark-derived truth (status and final code).
//!
//! Mapping (MANIFEST.md): truth `no-final-response` = our open
//! initiated/ringing (final false) or failed with a null code (Timer B);
//! truth `in-progress` = our open in-progress. Every remaining difference
//! must be listed in EXCEPTIONS with its reason.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use trunkwatch::capture::open_files;
use trunkwatch::classify::Classifier;
use trunkwatch::config::{ClassifyConfig, DecodeConfig, TrackConfig};
use trunkwatch::decode::{Decoder, Event};
use trunkwatch::outcome::{Outcome, Status};
use trunkwatch::track::Tracker;

/// (file, Call-ID prefix, reason) for differences that are not our error.
const EXCEPTIONS: &[(&str, &str, &str)] = &[
    (
        "heplify-ipv6-udp.pcap",
        "c3eF6f58-363323Cd",
        "broken capture clock: the 100 Trying is stamped 201118545 s (6.4 years) after the INVITE, \
         so by capture time Timer B expired before any response; we report failed/no response",
    ),
    (
        "ndpi-fuzz-aaa.pcap",
        "",
        "fuzzed copy of sngrep-aaa.pcap (MANIFEST: truth best effort, robustness only): every INVITE \
         of these calls has corrupted header bytes that the strict parser rejects (counted as \
         parse errors), so the calls are not tracked",
    ),
];

fn public_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/captures/public")
}

/// Replay one capture file through the whole core.
pub fn replay(path: &Path) -> Vec<Outcome> {
    let mut replay = open_files(&[path.to_path_buf()]).expect("capture opens");
    let mut dec = Decoder::new(&DecodeConfig::default());
    let mut tracker = Tracker::new(&TrackConfig::default());
    let mut recs = Vec::new();
    let dump = std::env::var("TRACK_DUMP").is_ok_and(|v| path.ends_with(&v));
    let handle = |ev: Event<'_>, tracker: &mut Tracker, recs: &mut Vec<_>| match ev {
        Event::Sip(p) => match trunkwatch::sip::parse(p.payload) {
            Ok(msg) => tracker.on_sip(&p, &msg, recs),
            Err(e) => {
                if dump {
                    eprintln!(
                        "frame {} parse error {:?}: {:?}",
                        p.frame,
                        e,
                        String::from_utf8_lossy(&p.payload[..p.payload.len().min(60)])
                    );
                }
            }
        },
        Event::Udp(_) => {}
    };
    while let Some(frame) = replay.next_frame() {
        dec.decode(&frame, &mut |ev| handle(ev, &mut tracker, &mut recs));
    }
    dec.finish(&mut |ev| handle(ev, &mut tracker, &mut recs));
    tracker.finish(&mut recs);
    if dump {
        eprintln!("decode {:?}\ntrack {:?}", dec.stats(), tracker.stats());
    }
    let mut cls = Classifier::new(&ClassifyConfig::default()).unwrap();
    recs.iter().map(|r| cls.classify(r)).collect()
}

fn ours(o: &Outcome) -> &'static str {
    match (o.status, o.is_final, o.sip_code) {
        (Status::Initiated | Status::Ringing, false, _) => "no-final-response",
        (Status::Failed, true, None) => "no-final-response",
        (s, _, _) => s.as_str(),
    }
}

#[test]
fn public_captures_agree_with_truth() {
    let dir = public_dir();
    let mut total = 0usize;
    let mut agree = 0usize;
    let mut diffs = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("public captures present")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect();
    files.sort();
    assert!(files.len() >= 47, "expected the 47 public captures");
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let truth_path = dir.join("truth").join(format!("{name}.jsonl"));
        let truth = std::fs::read_to_string(&truth_path).unwrap();
        let outcomes = replay(f);
        if std::env::var("TRACK_DUMP").is_ok_and(|v| v == name) {
            for o in &outcomes {
                eprintln!("{}", serde_json::to_string(o).unwrap());
            }
        }
        let by_id: BTreeMap<&str, &Outcome> = outcomes
            .iter()
            .map(|o| (o.sip_call_id.as_str(), o))
            .collect();
        for line in truth.lines().filter(|l| !l.trim().is_empty()) {
            let t: serde_json::Value = serde_json::from_str(line).unwrap();
            let id = t["sip_call_id"].as_str().unwrap();
            let want = t["expected_status"].as_str().unwrap();
            let want_code = t["final_code"].as_u64().map(|c| c as u16);
            total += 1;
            let got = by_id.get(id);
            let ok = got.is_some_and(|o| {
                ours(o) == want && (o.sip_code == want_code || want == "no-final-response")
            });
            if ok {
                agree += 1;
                continue;
            }
            let excepted = EXCEPTIONS
                .iter()
                .any(|(file, prefix, _)| *file == name && id.starts_with(prefix));
            let got_s = got.map_or("missing".to_string(), |o| {
                format!(
                    "{} final={} code={:?}",
                    o.status.as_str(),
                    o.is_final,
                    o.sip_code
                )
            });
            diffs.push(format!(
                "{}{name} {id}: want {want} {want_code:?}, got {got_s}",
                if excepted { "(excepted) " } else { "" }
            ));
        }
    }
    let share = agree as f64 / total as f64;
    eprintln!("agreement {agree}/{total} = {:.4}", share);
    for d in &diffs {
        eprintln!("  {d}");
    }
    let unexplained: Vec<_> = diffs
        .iter()
        .filter(|d| !d.starts_with("(excepted)"))
        .collect();
    assert!(
        unexplained.is_empty(),
        "{} unexplained differences",
        unexplained.len()
    );
    assert!(share >= 0.995, "agreement {share}");
}
