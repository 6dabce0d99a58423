//! Helpers shared by the capture tests: what tshark reads from a file.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/pcap/capture")
        .join(name)
}

/// `(number, ts_ns, cap_len, len)` per frame as tshark reads the file.
pub fn tshark_frames(path: &Path) -> Vec<(u64, i64, usize, u32)> {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(path)
        .args([
            "-T",
            "fields",
            "-e",
            "frame.number",
            "-e",
            "frame.time_epoch",
        ])
        .args(["-e", "frame.cap_len", "-e", "frame.len"])
        .output()
        .expect("tshark runs");
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

/// `capinfos -c -M`: the packet count as Wireshark's own tool reports it.
pub fn capinfos_count(path: &Path) -> u64 {
    let out = Command::new("capinfos")
        .args(["-c", "-M", "-T", "-r"])
        .arg(path)
        .output()
        .expect("capinfos runs");
    let s = String::from_utf8(out.stdout).unwrap();
    s.trim().rsplit('\t').next().unwrap().parse().unwrap()
}
