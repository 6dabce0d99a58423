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
