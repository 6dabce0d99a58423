//! Every public capture reads frame for frame like tshark: same count, same
//! timestamps (ns), same captured and wire lengths.

mod capture_common;

use capture_common::{capinfos_count, tshark_frames};
use std::path::{Path, PathBuf};
use trunkwatch::capture::open_files;

fn public_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/captures/public")
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
        assert_eq!(
            got.len() as u64,
            capinfos_count(f),
            "{}: capinfos",
            f.display()
        );
        assert_eq!(got, want, "{}", f.display());
        assert!(r.warnings().is_empty(), "{}", f.display());
        assert_eq!(r.bytes_read(), r.bytes_total(), "{}", f.display());
    }
}
