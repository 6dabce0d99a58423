//! Every public capture reads frame for frame like tshark: same count, same
//! timestamps (ns), same captured and wire lengths.

use std::path::{Path, PathBuf};
use std::process::Command;
use trunkwatch::capture::open_files;

fn public_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/captures/public")
}

/// `(number, ts_ns, cap_len, len)` per frame as tshark reads the file.
pub fn tshark_frames(path: &Path) -> Vec<(u64, i64, usize, u32)> {
    let out = Command::new("tshark")
        .args(["-r"])
        .arg(path)
        .args([
            "-T",
            "fields",
            "-e",
            "frame.number",
            "-e",
            "frame.time_epoch",
            "-e",
            "frame.cap_len",
            "-e",
            "frame.len",
        ])
        .output()
        .expect("tshark runs");
    assert!(out.status.success(), "tshark failed on {}", path.display());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let (s, ns) = f[1].split_once('.').unwrap();
            let ts = s.parse::<i64>().unwrap() * 1_000_000_000
                + format!("{ns:0<9}")[..9].parse::<i64>().unwrap();
            (
                f[0].parse().unwrap(),
                ts,
                f[2].parse().unwrap(),
                f[3].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn every_public_capture_matches_tshark() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(public_dir())
        .expect("public captures present")
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.ends_with(".pcap") || n.ends_with(".pcapng") || n.ends_with(".gz")
        })
        .collect();
    files.sort();
    assert!(files.len() >= 40, "expected the public capture set");
    for f in &files {
        let want = tshark_frames(f);
        let mut r = open_files(std::slice::from_ref(f)).unwrap_or_else(|e| panic!("{e}"));
        let mut got = Vec::new();
        while let Some(fr) = r.next_frame() {
            got.push((fr.number, fr.ts.as_nanos(), fr.data.len(), fr.orig_len));
        }
        assert_eq!(got.len(), want.len(), "{}: frame count", f.display());
        assert_eq!(got, want, "{}", f.display());
        assert!(r.warnings().is_empty(), "{}", f.display());
        assert_eq!(r.bytes_read(), r.bytes_total(), "{}", f.display());
    }
}
