//! Conformance with tshark over every public capture: the SIP messages the
//! decoder hands on are, one for one, those `tshark -Y sip` lists (same frame
//! numbers, same Call-IDs; several messages may share a frame). Any known
//! difference is an explicit exception below with its reason.
//!
//! Captures are read from `../shared/captures/public` (or
//! `TRUNKWATCH_PUBLIC_CAPTURES`), never copied into the repository.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use trunkwatch::capture;
use trunkwatch::config::DecodeConfig;
use trunkwatch::decode::{Decoder, Event};

/// Extra tshark options a capture needs (MANIFEST.md "tshark options needed").
fn tshark_opts(file: &str) -> &'static [&'static str] {
    match file {
        "heplify-tcp-port6060.pcap" => &["-d", "tcp.port==6060,sip"],
        _ => &[],
    }
}

/// Files where trunkwatch and tshark may differ, and why. Even there the
/// frames must match one for one; only the Call-ID of a message the SIP
/// parser rejects (so it has none) may differ from what tshark shows.
const EXCEPTIONS: &[(&str, &str)] = &[(
    "ndpi-fuzz-aaa.pcap",
    "Wireshark fuzz output (bytes corrupted at random): tshark still shows a Call-ID for messages \
     whose start line or headers are corrupted, trunkwatch's strict parser rejects them \
     (the tracker counts them as malformed); the decoder hands on the same frames",
)];

fn exception(file: &str) -> Option<&'static str> {
    EXCEPTIONS.iter().find(|e| e.0 == file).map(|e| e.1)
}

/// Differences left once each unparsed message (empty Call-ID) is paired
/// with tshark's message in the same frame.
fn unexplained(d: &[(u64, String, isize)]) -> Vec<(u64, String, isize)> {
    let mut left: Vec<(u64, String, isize)> = d.to_vec();
    for i in 0..left.len() {
        if left[i].1.is_empty() && left[i].2 > 0 {
            if let Some(j) = left.iter().position(|o| o.0 == left[i].0 && o.2 < 0) {
                left[i].2 -= 1;
                left[j].2 += 1;
            }
        }
    }
    left.retain(|e| e.2 != 0);
    left
}

/// tshark stores header values as C strings: a Call-ID is cut at its first
/// NUL byte (seen only in the fuzzed capture).
fn as_tshark_shows(id: &str) -> String {
    id.split('\0').next().unwrap_or("").to_string()
}

fn corpus() -> PathBuf {
    std::env::var_os("TRUNKWATCH_PUBLIC_CAPTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/captures/public"))
}

type Msgs = BTreeMap<(u64, String), usize>;

fn tshark(path: &Path, opts: &[&str]) -> Msgs {
    let out = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(path)
        .args(opts)
        .args([
            "-Y",
            "sip",
            "-T",
            "fields",
            "-E",
            "aggregator=\u{1f}",
            "-e",
            "frame.number",
            "-e",
            "sip.Call-ID",
        ])
        .output()
        .expect("tshark is installed (Debian package tshark)");
    assert!(
        out.status.success(),
        "tshark failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut m = Msgs::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let mut f = line.split(['\t', '\u{1f}']);
        let n: u64 = f.next().unwrap().parse().unwrap();
        let ids: Vec<&str> = f.collect();
        if ids.is_empty() {
            *m.entry((n, String::new())).or_default() += 1;
        }
        for id in ids {
            *m.entry((n, id.to_string())).or_default() += 1;
        }
    }
    m
}

/// Call-ID as the SIP parser reads it; empty when the message does not parse.
fn call_id(msg: &[u8]) -> String {
    trunkwatch::sip::parse(msg)
        .ok()
        .and_then(|m| m.call_id())
        .map(|id| as_tshark_shows(&String::from_utf8_lossy(id)))
        .unwrap_or_default()
}

fn trunkwatch(path: &Path) -> (Msgs, trunkwatch::stats::Counters) {
    let mut replay = capture::open_files(&[path.to_path_buf()]).expect("capture opens");
    let mut dec = Decoder::new(&DecodeConfig::default());
    let mut m = Msgs::new();
    let mut on = |e: Event<'_>| {
        if let Event::Sip(p) = e {
            *m.entry((p.frame, call_id(p.payload))).or_default() += 1;
        }
    };
    while let Some(f) = replay.next_frame() {
        dec.decode(&f, &mut on);
    }
    dec.finish(&mut on);
    (m, dec.stats().clone())
}

fn diff(a: &Msgs, b: &Msgs) -> Vec<(u64, String, isize)> {
    let mut d = Vec::new();
    for k in a.keys().chain(b.keys()) {
        let x = *a.get(k).unwrap_or(&0) as isize - *b.get(k).unwrap_or(&0) as isize;
        if x != 0 && !d.iter().any(|(n, c, _)| (n, c) == (&k.0, &k.1)) {
            d.push((k.0, k.1.clone(), x));
        }
    }
    d
}

#[test]
fn every_public_capture_matches_tshark() {
    let dir = corpus();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| {
            panic!(
                "public captures not found at {} ({e}); set TRUNKWATCH_PUBLIC_CAPTURES",
                dir.display()
            )
        })
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 40,
        "expected the whole public corpus in {}",
        dir.display()
    );
    let mut failures = Vec::new();
    println!(
        "{:<36} {:>7} {:>11} {:>5}  result",
        "file", "tshark", "trunkwatch", "diff"
    );
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let want = tshark(path, tshark_opts(&name));
        let (got, stats) = trunkwatch(path);
        let d = diff(&got, &want);
        let (nw, ng): (usize, usize) = (want.values().sum(), got.values().sum());
        let result = match (d.is_empty(), exception(&name)) {
            (true, _) => "ok".to_string(),
            (false, Some(why)) if unexplained(&d).is_empty() => format!("exception: {why}"),
            _ => {
                failures.push(format!("{name}: differs at (frame, Call-ID, trunkwatch-tshark) {d:?}; decoder counters {:?}", stats.iter().collect::<Vec<_>>()));
                "DIFF".to_string()
            }
        };
        println!("{name:<36} {nw:>7} {ng:>11} {:>5}  {result}", d.len());
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
