//! The capture reader on fixtures made by real tools (see
//! fixtures/pcap/capture/make.sh): every flavour reads frame for frame like
//! tshark; damaged and wrong inputs give the documented errors and warnings.

mod capture_common;

use capture_common::{capinfos_count, fixture, tshark_frames};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;
use trunkwatch::capture::{open_files, CaptureError, Replay};

type Row = (u64, i64, usize, u32);

fn read_all(r: &mut Replay) -> Vec<Row> {
    let mut v = Vec::new();
    while let Some(f) = r.next_frame() {
        v.push((f.number, f.ts.as_nanos(), f.data.len(), f.orig_len));
    }
    v
}

fn open1(name: &str) -> Replay {
    open_files(&[fixture(name)]).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_flavour_reads_like_tshark() {
    for name in [
        "sip-usec-le.pcap",
        "sip-usec-be.pcap",
        "sip-nsec-le.pcap",
        "two-linktypes.pcapng",
        "two-tsresol.pcapng",
        "two-linktypes.pcapng.gz",
        "gzip-no-suffix.cap",
    ] {
        let path = fixture(name);
        let mut r = open1(name);
        let got = read_all(&mut r);
        let want = tshark_frames(&path);
        assert!(!want.is_empty(), "{name}: fixture has packets");
        assert_eq!(
            got.len() as u64,
            capinfos_count(&path),
            "{name}: capinfos -c"
        );
        assert_eq!(got, want, "{name}: frames differ from tshark");
        assert!(r.warnings().is_empty(), "{name}");
        assert!(r.stats().is_empty(), "{name}: {:?}", r.stats());
        assert_eq!(
            r.bytes_read(),
            r.bytes_total(),
            "{name}: progress ends at 100%"
        );
    }
}

#[test]
fn classic_flavours_carry_the_same_packets() {
    let read = |name: &str| {
        let mut r = open1(name);
        let mut v = Vec::new();
        while let Some(f) = r.next_frame() {
            v.push((f.ts, f.linktype, f.data.to_vec()));
        }
        v
    };
    let le = read("sip-usec-le.pcap");
    assert_eq!(le, read("sip-usec-be.pcap"));
    assert_eq!(le, read("sip-nsec-le.pcap"));
    assert_eq!(le, read("gzip-no-suffix.cap"));
    // Real SIP from sipp, on Ethernet.
    assert!(le.iter().all(|(_, lt, _)| *lt == 1));
    assert!(le
        .iter()
        .any(|(_, _, d)| d.windows(11).any(|w| w == b"INVITE sip:")));
}

#[test]
fn pcapng_interfaces_keep_their_link_types() {
    for name in ["two-linktypes.pcapng", "two-tsresol.pcapng"] {
        let mut r = open1(name);
        let mut lts = BTreeSet::new();
        while let Some(f) = r.next_frame() {
            lts.insert(f.linktype);
        }
        // Ethernet (lo) and Linux cooked SLL (any).
        assert_eq!(lts, BTreeSet::from([1, 113]), "{name}");
    }
}

fn assert_truncated(name: &str, want_frames: usize) {
    let path = fixture(name);
    let mut r = open1(name);
    let got = read_all(&mut r);
    let want = tshark_frames(&path);
    assert_eq!(got.len(), want_frames, "{name}");
    assert_eq!(
        got[..],
        want[..want_frames],
        "{name}: complete packets as tshark reads them"
    );
    assert_eq!(r.stats().get("capture", "truncated"), 1, "{name}");
    let w = r.warnings();
    assert_eq!(w.len(), 1, "{name}: {w:?}");
    assert!(
        w[0].starts_with(&format!("{}: truncated at byte ", path.display())),
        "{}",
        w[0]
    );
    assert!(
        w[0].ends_with(&format!("; {want_frames} complete packets read")),
        "{}",
        w[0]
    );
    assert!(r.warnings().is_empty(), "warnings are drained");
}

#[test]
fn truncated_files_deliver_every_complete_packet() {
    assert_truncated("truncated.pcap", 45);
    assert_truncated("truncated.pcapng", 91);
    assert_truncated("truncated.pcapng.gz", 91);
}

#[test]
fn cut_gzip_stream_is_a_truncation() {
    let mut r = open1("cut-stream.pcap.gz");
    let got = read_all(&mut r);
    let full = tshark_frames(&fixture("sip-usec-le.pcap"));
    assert!(!got.is_empty() && got.len() < full.len(), "{}", got.len());
    assert_eq!(got[..], full[..got.len()]);
    assert_eq!(r.stats().get("capture", "truncated"), 1);
    let w = r.warnings();
    assert!(
        w[0].contains("cut-stream.pcap.gz: truncated at byte"),
        "{w:?}"
    );
    assert!(w[0].contains("compressed stream cut short"), "{w:?}");
}

#[test]
fn absurd_record_length_stops_the_file_cleanly() {
    let mut r = open1("bad-record.pcap");
    let got = read_all(&mut r);
    assert_eq!(got.len(), 3);
    assert_eq!(got[..], tshark_frames(&fixture("sip-usec-le.pcap"))[..3]);
    assert_eq!(r.stats().get("capture", "bad_record"), 1);
    let w = r.warnings();
    assert_eq!(w.len(), 1);
    assert!(
        w[0].contains("bad-record.pcap: bad record at byte "),
        "{}",
        w[0]
    );
    assert!(w[0].contains("captured length 2147483392"), "{}", w[0]);
    assert!(
        w[0].ends_with("3 packets read, rest of file skipped"),
        "{}",
        w[0]
    );
}

fn open_err(path: PathBuf) -> CaptureError {
    match open_files(&[path]) {
        Ok(_) => panic!("opened"),
        Err(e) => e,
    }
}

#[test]
fn not_a_capture_names_the_file_and_what_was_found() {
    let p = fixture("not-a-capture.txt");
    let e = open_err(p.clone());
    assert!(e.is_bad_input());
    assert_eq!(
        e.to_string(),
        format!(
            "{}: not a pcap or pcapng file (starts with 'Hello wo')",
            p.display()
        )
    );
}

#[test]
fn empty_missing_and_directory_inputs_are_bad_input() {
    let p = fixture("empty.pcap");
    let e = open_err(p.clone());
    assert!(e.is_bad_input());
    assert_eq!(
        e.to_string(),
        format!(
            "{}: empty file (0 bytes), not a pcap or pcapng capture",
            p.display()
        )
    );

    let p = fixture("does-not-exist.pcap");
    let e = open_err(p.clone());
    assert!(e.is_bad_input());
    let s = e.to_string();
    assert!(
        s.starts_with(&format!("{}: cannot read: ", p.display())),
        "{s}"
    );

    let e = open_err(fixture(""));
    assert!(e.is_bad_input());
    assert!(e.to_string().contains("is a directory"), "{e}");

    let e = open_files(&[]).err().unwrap();
    assert!(e.is_bad_input());
}

#[test]
fn a_bad_file_among_good_ones_fails_before_reading() {
    let e = open_files(&[fixture("sip-usec-le.pcap"), fixture("not-a-capture.txt")])
        .err()
        .unwrap();
    assert!(e.to_string().contains("not-a-capture.txt"), "{e}");
}

/// Tools produce the inputs for the merge tests; they must succeed.
fn run(cmd: &mut Command) {
    let out = cmd.output().expect("tool runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn several_files_merge_in_timestamp_order() {
    // Split a capture into odd and even frames (one of them gzipped), then
    // merge them back: the original sequence must come out, renumbered.
    let dir = tempfile::tempdir().unwrap();
    let src = fixture("sip-usec-le.pcap");
    let odd = dir.path().join("odd.pcap");
    let even = dir.path().join("even.pcap");
    for (filter, out) in [
        ("frame.number % 2 == 1", &odd),
        ("frame.number % 2 == 0", &even),
    ] {
        run(Command::new("tshark")
            .arg("-r")
            .arg(&src)
            .args(["-Y", filter, "-F", "pcap", "-w"])
            .arg(out));
    }
    run(Command::new("gzip").arg("-n").arg(&even));
    let even = dir.path().join("even.pcap.gz");

    let mut whole = open_files(&[src]).unwrap();
    let mut want = Vec::new();
    while let Some(f) = whole.next_frame() {
        want.push((f.number, f.ts, f.data.to_vec()));
    }
    // Either order of the arguments gives the same stream.
    for paths in [[even.clone(), odd.clone()], [odd.clone(), even.clone()]] {
        let mut r = open_files(&paths).unwrap();
        assert_eq!(
            r.bytes_total(),
            paths
                .iter()
                .map(|p| p.metadata().unwrap().len())
                .sum::<u64>()
        );
        let mut got = Vec::new();
        while let Some(f) = r.next_frame() {
            got.push((f.number, f.ts, f.data.to_vec()));
        }
        assert_eq!(got, want);
        assert_eq!(r.bytes_read(), r.bytes_total());
    }
}

#[test]
fn equal_timestamps_keep_file_order() {
    // The same packets relabelled as another link type: every timestamp ties,
    // so each pair must come out first file first.
    let dir = tempfile::tempdir().unwrap();
    let src = fixture("sip-usec-le.pcap");
    let relabelled = dir.path().join("user0.pcap");
    run(Command::new("editcap")
        .args(["-T", "user0"])
        .arg(&src)
        .arg(&relabelled));
    for (a, b, first) in [(&src, &relabelled, 1u32), (&relabelled, &src, 147)] {
        let mut r = open_files(&[a.clone(), b.clone()]).unwrap();
        let mut got = Vec::new();
        while let Some(f) = r.next_frame() {
            got.push((f.number, f.ts, f.linktype));
        }
        assert_eq!(got.len(), 92);
        for (i, pair) in got.chunks(2).enumerate() {
            assert_eq!(pair[0].1, pair[1].1);
            assert_eq!(pair[0].2, first, "pair {i}");
            assert_eq!(pair[0].0, 2 * i as u64 + 1);
        }
    }
}

#[test]
fn unknown_pcapng_blocks_are_skipped_and_counted() {
    let path = fixture("unknown-block.pcapng");
    let mut r = open1("unknown-block.pcapng");
    let got = read_all(&mut r);
    assert_eq!(got, tshark_frames(&path));
    assert_eq!(got.len(), 92);
    assert_eq!(r.stats().get("capture", "unknown_block"), 1);
    assert!(r.warnings().is_empty());
}

/// pcapng block builder (either byte order).
fn block(le: bool, btype: u32, body: &[u8]) -> Vec<u8> {
    let w32 = |v: u32| if le { v.to_le_bytes() } else { v.to_be_bytes() };
    let mut body = body.to_vec();
    while body.len() % 4 != 0 {
        body.push(0);
    }
    let total = 12 + body.len() as u32;
    let mut b = Vec::new();
    b.extend_from_slice(&w32(btype));
    b.extend_from_slice(&w32(total));
    b.extend_from_slice(&body);
    b.extend_from_slice(&w32(total));
    b
}

fn ng_section(
    le: bool,
    ifaces: &[(u16, Option<u8>, Option<i64>)],
    packets: &[(u32, u64, &[u8])],
) -> Vec<u8> {
    let w16 = |v: u16| if le { v.to_le_bytes() } else { v.to_be_bytes() };
    let w32 = |v: u32| if le { v.to_le_bytes() } else { v.to_be_bytes() };
    let mut out = Vec::new();
    let mut shb = Vec::new();
    shb.extend_from_slice(&w32(0x1A2B_3C4D));
    shb.extend_from_slice(&w16(1));
    shb.extend_from_slice(&w16(0));
    shb.extend_from_slice(&[0xff; 8]); // section length unknown
    out.extend(block(le, 0x0A0D_0D0A, &shb));
    for &(lt, res, off) in ifaces {
        let mut idb = Vec::new();
        idb.extend_from_slice(&w16(lt));
        idb.extend_from_slice(&w16(0));
        idb.extend_from_slice(&w32(0));
        if let Some(r) = res {
            idb.extend_from_slice(&w16(9));
            idb.extend_from_slice(&w16(1));
            idb.extend_from_slice(&[r, 0, 0, 0]);
        }
        if let Some(o) = off {
            idb.extend_from_slice(&w16(14));
            idb.extend_from_slice(&w16(8));
            idb.extend_from_slice(&if le { o.to_le_bytes() } else { o.to_be_bytes() });
        }
        idb.extend_from_slice(&[0, 0, 0, 0]); // opt_endofopt
        out.extend(block(le, 1, &idb));
    }
    for &(ifid, ts, data) in packets {
        let mut epb = Vec::new();
        epb.extend_from_slice(&w32(ifid));
        epb.extend_from_slice(&w32((ts >> 32) as u32));
        epb.extend_from_slice(&w32(ts as u32));
        epb.extend_from_slice(&w32(data.len() as u32));
        epb.extend_from_slice(&w32(data.len() as u32 + 4));
        epb.extend_from_slice(data);
        out.extend(block(le, 6, &epb));
    }
    // An interface statistics block: known, carries no packet, not counted.
    out.extend(block(le, 5, &[0; 12]));
    out
}

#[test]
fn pcapng_resolutions_offsets_and_sections_match_tshark() {
    // Timestamps in units of 2^-20 s with a 1000 s offset, of ms, of
    // 10^-9 s; a second section in big-endian order resets the interfaces.
    let pkt: &[u8] = &[
        0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1,
    ];
    let mut file = ng_section(
        true,
        &[
            (101, Some(0x94), Some(1000)),
            (101, Some(3), None),
            (1, None, None),
        ],
        &[
            (0, 1_733_000_000u64 << 20 | 0x8_0000, pkt),
            (1, 1_733_000_000_123, pkt),
            (2, 1_733_000_000_999_999, pkt),
            (0, (1_733_000_001u64 << 20) + 1, pkt),
        ],
    );
    file.extend(ng_section(
        false,
        &[(228, Some(9), Some(-5))],
        &[(0, 1_733_000_002_000_000_007, pkt)],
    ));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hand.pcapng");
    std::fs::write(&path, &file).unwrap();

    let mut r = open_files(std::slice::from_ref(&path)).unwrap();
    let mut got = Vec::new();
    let mut lts = Vec::new();
    while let Some(f) = r.next_frame() {
        got.push((f.number, f.ts.as_nanos(), f.data.len(), f.orig_len));
        lts.push(f.linktype);
    }
    assert_eq!(lts, [101, 101, 1, 101, 228]);
    assert_eq!(got, tshark_frames(&path));
    assert!(r.stats().is_empty(), "{:?}", r.stats());
    assert!(r.warnings().is_empty());
}
