//! Shared by the media tests: replay a capture through the real capture
//! reader, decoder and SIP parser into a [`MediaTracker`], and read what
//! `tshark -z rtp,streams` says about the same file.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use trunkwatch::config::{DecodeConfig, MediaConfig};
use trunkwatch::decode::{Decoder, Event};
use trunkwatch::media::MediaTracker;

pub fn public(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/captures/public")
        .join(name)
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/pcap/media")
        .join(name)
}

/// Feed every frame of `path` through decode → sip::parse → media.
pub fn replay(path: &Path, cfg: &MediaConfig) -> MediaTracker {
    let mut media = MediaTracker::new(cfg);
    let mut dec = Decoder::new(&DecodeConfig::default());
    let mut rep = trunkwatch::capture::open_files(&[path.to_path_buf()])
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let feed = |ev: Event<'_>, media: &mut MediaTracker| match ev {
        Event::Sip(pkt) => {
            if let Ok(msg) = trunkwatch::sip::parse(pkt.payload) {
                media.on_sip(&pkt, &msg);
            }
        }
        Event::Udp(d) => {
            media.on_datagram(&d);
        }
    };
    while let Some(frame) = rep.next_frame() {
        dec.decode(&frame, &mut |ev| feed(ev, &mut media));
    }
    dec.finish(&mut |ev| feed(ev, &mut media));
    media
}

/// `(src, dst, ssrc)` → packets, summed over every call.
pub type StreamCounts = BTreeMap<(String, String, String), u64>;

pub fn ours(m: &MediaTracker) -> StreamCounts {
    let mut out = StreamCounts::new();
    for (_, streams, _) in m.snapshot() {
        for s in streams {
            *out.entry((s.src, s.dst, s.ssrc)).or_insert(0) += s.packets;
        }
    }
    out
}

/// Rows of `tshark -q -z rtp,streams -r FILE`.
pub fn tshark_streams(path: &Path) -> StreamCounts {
    let out = Command::new("tshark")
        .args(["-n", "-q", "-z", "rtp,streams", "-r"])
        .arg(path)
        .output()
        .expect("tshark runs (apt-get install tshark)");
    assert!(out.status.success(), "tshark failed on {}", path.display());
    let text = String::from_utf8_lossy(&out.stdout);
    let mut m = StreamCounts::new();
    for line in text.lines() {
        let t: Vec<&str> = line.split_whitespace().collect();
        if t.len() < 10 || !t[6].starts_with("0x") {
            continue;
        }
        // The payload column may hold several words; packets precede "lost (x%)".
        let Some(i) = t
            .iter()
            .position(|w| w.starts_with('(') && w.ends_with("%)"))
        else {
            continue;
        };
        let pkts: u64 = t[i - 2].parse().expect("packet count");
        let ip = |a: &str, p: &str| {
            if a.contains(':') {
                format!("[{a}]:{p}")
            } else {
                format!("{a}:{p}")
            }
        };
        *m.entry((ip(t[2], t[3]), ip(t[4], t[5]), t[6].to_string()))
            .or_insert(0) += pkts;
    }
    m
}

/// The whole chain as the pipeline runs it: decode → sip::parse → tracker
/// and media tracker → classifier → `annotate`. `direction` overrides the
/// classified direction (the sipp fixtures run both parties on 127.0.0.1,
/// so `platform_networks` cannot tell them apart).
pub fn outcomes(
    path: &Path,
    cfg: &MediaConfig,
    direction: Option<trunkwatch::outcome::Direction>,
    media_visible: bool,
) -> (Vec<trunkwatch::outcome::Outcome>, MediaTracker) {
    outcomes_of(&[path.to_path_buf()], cfg, direction, media_visible)
}

/// [`outcomes`] over several captures merged by time (as `trunkwatch replay A B` does).
pub fn outcomes_of(
    paths: &[PathBuf],
    cfg: &MediaConfig,
    direction: Option<trunkwatch::outcome::Direction>,
    media_visible: bool,
) -> (Vec<trunkwatch::outcome::Outcome>, MediaTracker) {
    use trunkwatch::classify::Classifier;
    use trunkwatch::config::{ClassifyConfig, TrackConfig};
    use trunkwatch::track::{CallRecord, Tracker};
    let mut media = MediaTracker::new(cfg);
    let mut tracker = Tracker::new(&TrackConfig::default());
    let mut classifier = Classifier::new(&ClassifyConfig::default()).expect("classifier");
    let mut dec = Decoder::new(&DecodeConfig::default());
    let mut rep =
        trunkwatch::capture::open_files(paths).unwrap_or_else(|e| panic!("{paths:?}: {e}"));
    let mut recs: Vec<CallRecord> = Vec::new();
    let mut out = Vec::new();
    let mut emit = |recs: &mut Vec<CallRecord>, media: &mut MediaTracker, out: &mut Vec<_>| {
        for rec in recs.drain(..) {
            let mut o = classifier.classify(&rec);
            if let Some(d) = direction {
                o.direction = d;
            }
            media.annotate(&mut o, media_visible);
            out.push(o);
        }
    };
    let mut last = trunkwatch::time::Timestamp(i64::MIN);
    while let Some(frame) = rep.next_frame() {
        last = last.max(frame.ts);
        dec.decode(&frame, &mut |ev| match ev {
            Event::Sip(pkt) => {
                if let Ok(msg) = trunkwatch::sip::parse(pkt.payload) {
                    tracker.on_sip(&pkt, &msg, &mut recs);
                    media.on_sip(&pkt, &msg);
                }
            }
            Event::Udp(d) => {
                media.on_datagram(&d);
            }
        });
        tracker.advance(last, &mut recs);
        emit(&mut recs, &mut media, &mut out);
    }
    tracker.finish(&mut recs);
    emit(&mut recs, &mut media, &mut out);
    (out, media)
}

/// Frames matching a tshark display filter.
pub fn tshark_count(path: &Path, filter: &str) -> u64 {
    let out = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(path)
        .args(["-Y", filter, "-T", "fields", "-e", "frame.number"])
        .output()
        .expect("tshark runs");
    assert!(out.status.success(), "tshark -Y '{filter}' failed");
    String::from_utf8_lossy(&out.stdout).lines().count() as u64
}

/// RTP packets of `ssrc` that tshark sees before the 200 OK to the BYE,
/// which is when the call's outcome is emitted and its media state dropped.
pub fn rtp_before_bye_ok(path: &Path, ssrc: u32) -> u64 {
    let out = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(path)
        .args([
            "-Y",
            "sip.CSeq.method == \"BYE\" && sip.Status-Code == 200",
            "-T",
            "fields",
            "-e",
            "frame.number",
        ])
        .output()
        .expect("tshark runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let bye_ok: u64 = text
        .lines()
        .next()
        .and_then(|l| l.trim().parse().ok())
        .expect("a 200 OK to BYE");
    tshark_count(
        path,
        &format!("rtp.ssrc == 0x{ssrc:08x} && frame.number < {bye_ok}"),
    )
}
