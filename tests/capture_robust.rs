//! Damaged input never panics, never hangs, never allocates without bound:
//! real fixtures with random bytes changed or cut, read from memory with
//! `open_reader` (the same path stdin takes). Also: stdin-style reading
//! gives the same frames as reading the file.

mod capture_common;

use capture_common::fixture;
use proptest::prelude::*;
use std::io::Cursor;
use trunkwatch::capture::{open_files, open_reader, Replay};

fn drain(r: &mut Replay) -> Vec<(u64, i64, u32, Vec<u8>)> {
    let mut v = Vec::new();
    while let Some(f) = r.next_frame() {
        assert!(f.data.len() <= 16 << 20);
        v.push((f.number, f.ts.as_nanos(), f.linktype, f.data.to_vec()));
    }
    v
}

#[test]
fn reader_matches_file() {
    for name in [
        "sip-usec-be.pcap",
        "two-linktypes.pcapng.gz",
        "truncated.pcapng",
    ] {
        let bytes = std::fs::read(fixture(name)).unwrap();
        let mut a = open_files(&[fixture(name)]).unwrap();
        let mut b = open_reader("stdin", Box::new(Cursor::new(bytes))).unwrap();
        assert_eq!(drain(&mut a), drain(&mut b), "{name}");
        assert_eq!(a.stats(), b.stats(), "{name}");
        assert_eq!(b.bytes_total(), 0, "unknown length");
        let w = b.warnings();
        assert_eq!(w.len(), a.warnings().len());
        assert!(w.iter().all(|w| w.starts_with("stdin: ")), "{w:?}");
    }
    let e = open_reader(
        "stdin",
        Box::new(Cursor::new(b"GET / HTTP/1.1\r\n".to_vec())),
    )
    .err()
    .unwrap();
    assert_eq!(
        e.to_string(),
        "stdin: not a pcap or pcapng file (starts with 'GET / HT')"
    );
    assert!(e.is_bad_input());
}

fn mutate(mut data: Vec<u8>, edits: &[(usize, u8)], cut: Option<usize>) -> Vec<u8> {
    for &(at, v) in edits {
        if !data.is_empty() {
            let i = at % data.len();
            data[i] = v;
        }
    }
    if let Some(c) = cut {
        let c = c % (data.len() + 1);
        data.truncate(c);
    }
    data
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn damaged_captures_are_read_safely(
        which in 0usize..4,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..12),
        cut in proptest::option::of(any::<usize>()),
    ) {
        let name = ["sip-usec-le.pcap", "sip-nsec-le.pcap", "two-tsresol.pcapng", "two-linktypes.pcapng.gz"][which];
        let data = mutate(std::fs::read(fixture(name)).unwrap(), &edits, cut);
        if let Ok(mut r) = open_reader("fuzz", Box::new(Cursor::new(data))) {
            let frames = drain(&mut r);
            // Numbers stay consecutive whatever was skipped.
            for (i, f) in frames.iter().enumerate() {
                prop_assert_eq!(f.0, i as u64 + 1);
            }
            // Every problem that stopped a file is explained.
            let w = r.warnings();
            let stopped = r.stats().get("capture", "truncated")
                + r.stats().get("capture", "bad_record")
                + r.stats().get("capture", "read_error");
            prop_assert_eq!(w.len() as u64, stopped);
        }
    }

    #[test]
    fn arbitrary_bytes_behind_a_valid_magic(
        magic in 0usize..4,
        tail in proptest::collection::vec(any::<u8>(), 0..400),
    ) {
        let mut data: Vec<u8> = match magic {
            0 => vec![0xd4, 0xc3, 0xb2, 0xa1],
            1 => vec![0xa1, 0xb2, 0x3c, 0x4d],
            2 => vec![0x0a, 0x0d, 0x0d, 0x0a],
            _ => vec![0x1f, 0x8b],
        };
        data.extend_from_slice(&tail);
        if let Ok(mut r) = open_reader("fuzz", Box::new(Cursor::new(data))) {
            drain(&mut r);
            let _ = r.warnings();
        }
    }
}
