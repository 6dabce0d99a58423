//! RTP packet counts per stream on the public captures equal what
//! `tshark -q -z rtp,streams` reports (tshark run at test time), except
//! where tshark's own stream setup is known to differ; each exception names
//! its reason and is checked byte-for-byte with a tshark display filter.

mod media_support;

use media_support::*;
use std::process::Command;
use trunkwatch::config::MediaConfig;

/// Every public capture tshark decodes RTP in (MANIFEST.md "RTP (n frames)").
const WITH_RTP: &[&str] = &[
    "heplify-fax-t38.pcap",
    "heplify-rtp-rtcp-udp.pcap",
    "heplify-tcp.pcap",
    "sngrep-aaa.pcap",
    "wswiki-asterisk-zfone-xlite.pcap",
    "wswiki-sip-dtmf2.pcap",
    "sipnab-b2bua-asterisk.pcapng",
    "wswiki-h263-over-rtp-null.pcap",
    "sipnab-audiocodes-prack.pcap",
    "wswiki-sip-rtp-g711.pcap",
    "wswiki-sip-rtp-opus-hybrid.pcap",
    "isa-real-sip-call.pcap",
    "isa-real-call.pcap",
    "isa-called-by-other-pc.pcap",
    "isa-long-call.pcap",
    "isa-short-call.pcapng",
    "snort3-eyebeam-video.pcap",
    "arkime-gtp-volte-ipv6.pcap",
    "gprs-eyebeam-minisip.pcap",
    "eim-onsip-android.pcap",
    "mtaa-jkloris-transfer.pcapng",
    "ndpi-fuzz-aaa.pcap",
];

/// Files where tshark's count differs, and why.
const EXCEPTIONS: &[(&str, &str)] = &[
    (
        "heplify-fax-t38.pcap",
        "an MGCP SDP (not SIP) later marks 10.23.1.52:16756 as T.38, so tshark dissects \
         2010 packets of RTP stream 0x0EAF0EAF (valid RTP v2, PT 8, same SSRC) as T.38; \
         the SIP SDP says audio",
    ),
    (
        "heplify-rtp-rtcp-udp.pcap",
        "the stream to 200.57.7.196:40362 was set up by an MGCP SDP (frame 2945); no SIP \
         message announces it, and trunkwatch follows SIP calls only",
    ),
    (
        "isa-real-sip-call.pcap",
        "after Asterisk's re-INVITEs move media to direct 10.0.2.4:7078 <-> 10.0.2.5:7078, \
         tshark's conversation table decodes only one direction as RTP",
    ),
    (
        "isa-real-call.pcap",
        "same Asterisk direct-media re-INVITEs as isa-real-sip-call",
    ),
    (
        "isa-called-by-other-pc.pcap",
        "same Asterisk direct-media re-INVITEs as isa-real-sip-call",
    ),
    (
        "isa-short-call.pcapng",
        "tshark decodes the stream from 10.0.2.15:15264 as plain UDP (conversation set up \
         by an earlier SDP for the other leg of the same Asterisk bridge)",
    ),
    (
        "ndpi-fuzz-aaa.pcap",
        "fuzzed copy of aaa.pcap: one packet (SSRC 0xAAAAAAAA) claims 170 bytes of padding \
         in a 172-byte packet with 10 CSRCs, which RFC 3550 5.1 makes impossible; \
         trunkwatch counts it as media/rtp_bad_padding",
    ),
];

/// Streams tshark lists that trunkwatch rightly does not (see EXCEPTIONS).
const TSHARK_ONLY: &[(&str, &str, &str, &str)] = &[
    (
        "heplify-rtp-rtcp-udp.pcap",
        "200.57.7.202:30000",
        "200.57.7.196:40362",
        "0x00002E3D",
    ),
    (
        "ndpi-fuzz-aaa.pcap",
        "192.168.1.2:30000",
        "212.242.33.36:40392",
        "0xAAAAAAAA",
    ),
];

fn split(a: &str) -> (String, String) {
    let (ip, port) = a.rsplit_once(':').unwrap();
    (ip.trim_matches(['[', ']']).to_string(), port.to_string())
}

/// Frames tshark sees with these UDP addresses and this SSRC at RTP offset 8
/// and an RTP version 2 first byte, whatever it dissects them as.
fn tshark_raw_count(path: &std::path::Path, src: &str, dst: &str, ssrc: &str) -> u64 {
    let (sip, sport) = split(src);
    let (dip, dport) = split(dst);
    let fam = |ip: &str| if ip.contains(':') { "ipv6" } else { "ip" };
    let hex = &ssrc[2..];
    let bytes: Vec<String> = (0..4)
        .map(|i| hex[2 * i..2 * i + 2].to_lowercase())
        .collect();
    let filter = format!(
        "{}.src=={sip} && udp.srcport=={sport} && {}.dst=={dip} && udp.dstport=={dport} \
         && udp.payload[8:4]=={} && udp.payload[0:1] >= 80 && udp.payload[0:1] <= bf",
        fam(&sip),
        fam(&dip),
        bytes.join(":")
    );
    let out = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(path)
        .args(["-Y", &filter, "-T", "fields", "-e", "frame.number"])
        .output()
        .expect("tshark runs");
    assert!(out.status.success(), "tshark -Y '{filter}' failed");
    String::from_utf8_lossy(&out.stdout).lines().count() as u64
}

#[test]
fn stream_counts_match_tshark() {
    let mut failures = Vec::new();
    let mut used = std::collections::BTreeSet::new();
    for name in WITH_RTP {
        let path = public(name);
        let m = replay(&path, &MediaConfig::default());
        let ours = ours(&m);
        assert!(!ours.is_empty(), "{name}: no RTP stream found");
        let theirs = tshark_streams(&path);
        let excepted = EXCEPTIONS.iter().any(|(f, _)| f == name);
        let keys: std::collections::BTreeSet<_> = ours.keys().chain(theirs.keys()).collect();
        for k in keys {
            let (a, b) = (ours.get(k), theirs.get(k));
            if a == b {
                continue;
            }
            used.insert(*name);
            let (src, dst, ssrc) = k;
            match a {
                Some(&n) => {
                    let raw = tshark_raw_count(&path, src, dst, ssrc);
                    if !excepted || n != raw {
                        failures.push(format!(
                            "{name} {k:?}: ours {n}, tshark rtp,streams {b:?}, raw RTP frames {raw}"
                        ));
                    }
                }
                None => {
                    let listed = TSHARK_ONLY
                        .iter()
                        .any(|(f, s, d, x)| f == name && s == src && d == dst && x == ssrc);
                    if !listed {
                        failures.push(format!("{name} {k:?}: tshark {b:?}, ours none"));
                    }
                }
            }
        }
    }
    for (f, _) in EXCEPTIONS {
        if !used.contains(f) {
            failures.push(format!(
                "{f}: listed as an exception but now matches tshark"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Media anomalies on real captures whose audio was checked by hand:
/// isa-real-call carries A-law 0xD5 (digital silence) both ways (lab VMs
/// without a microphone), the Android client in eim-onsip-android sends
/// u-law 0xFF/0x7E (digital near-silence) while the far end talks, and the
/// other calls carry sound both ways.
#[test]
fn silence_on_public_captures() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "isa-real-call.pcap",
            "2d9639532965f07f406d",
            &["silent_media", "silent_media"],
        ),
        (
            "eim-onsip-android.pcap",
            "a3d80213-f8bc-0789-b",
            &["silent_media"],
        ),
        (
            "wswiki-asterisk-zfone-xlite.pcap",
            "ZDYzOWVlNjEwM2NjZTBj",
            &[],
        ),
        ("sipnab-audiocodes-prack.pcap", "19079832632712010835", &[]),
        ("heplify-rtp-rtcp-udp.pcap", "12013223@200.57.7.19", &[]),
    ];
    for (file, call, want) in cases {
        let (v, _) = outcomes(&public(file), &MediaConfig::default(), None, true);
        let o = v
            .iter()
            .find(|o| o.sip_call_id.starts_with(call))
            .unwrap_or_else(|| panic!("{file}: call {call}"));
        let got: Vec<&str> = o
            .anomalies
            .iter()
            .map(|a| a.kind.as_str())
            .filter(|k| k.ends_with("_media"))
            .collect();
        assert_eq!(&got, want, "{file} {call}: {:?}", o.anomalies);
        assert!(o.media.as_ref().is_some_and(|m| m.known), "{file}");
    }
    // The Android side is the caller: the silent leg is caller_to_callee.
    let (v, _) = outcomes(
        &public("eim-onsip-android.pcap"),
        &MediaConfig::default(),
        None,
        true,
    );
    let o = v.iter().find(|o| !o.anomalies.is_empty()).unwrap();
    let m = o.media.as_ref().unwrap();
    assert!(m.caller_to_callee.silent_share.unwrap() > 0.95);
    assert!(m.callee_to_caller.silent_share.unwrap() < 0.5);
}
