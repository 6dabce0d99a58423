//! Decoder fixtures (fixtures/pcap/decode, remade by make.sh): each link
//! type, tunnel, fragmentation and TCP case decodes to exactly the expected
//! SIP messages, and (where tshark can) the same ones tshark lists.

use std::path::{Path, PathBuf};
use std::process::Command;
use trunkwatch::capture;
use trunkwatch::config::DecodeConfig;
use trunkwatch::decode::{Decoder, Event, Transport};
use trunkwatch::stats::Counters;

fn fixture(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pcap/decode");
    let pcap = dir.join(format!("{name}.pcap"));
    if pcap.exists() {
        pcap
    } else {
        dir.join(format!("{name}.pcapng"))
    }
}

/// (frame, transport, src, dst, Call-ID, payload length)
type Msg = (u64, Transport, String, String, String, usize);

fn decode(name: &str) -> (Vec<Msg>, usize, Counters) {
    let mut replay = capture::open_files(&[fixture(name)]).expect("fixture opens");
    let mut dec = Decoder::new(&DecodeConfig::default());
    let mut msgs = Vec::new();
    let mut udp = 0;
    let mut on = |e: Event<'_>| match e {
        Event::Sip(p) => {
            let m = trunkwatch::sip::parse(p.payload).expect("decoded message parses");
            assert_eq!(
                m.as_bytes().len(),
                p.payload.len(),
                "payload is exactly one message"
            );
            let id = String::from_utf8_lossy(m.call_id().unwrap()).to_string();
            msgs.push((
                p.frame,
                p.transport,
                p.src.to_string(),
                p.dst.to_string(),
                id,
                p.payload.len(),
            ));
        }
        Event::Udp(_) => udp += 1,
    };
    while let Some(f) = replay.next_frame() {
        dec.decode(&f, &mut on);
    }
    dec.finish(&mut on);
    (msgs, udp, dec.stats().clone())
}

fn tshark(name: &str) -> Vec<(u64, String)> {
    let out = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(fixture(name))
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
        .expect("tshark runs");
    let mut v = Vec::new();
    for l in String::from_utf8_lossy(&out.stdout).lines() {
        let mut f = l.split(['\t', '\u{1f}']);
        let n: u64 = f.next().unwrap().parse().unwrap();
        v.extend(f.map(|id| (n, id.to_string())));
    }
    v.sort();
    v
}

fn frames_ids(m: &[Msg]) -> Vec<(u64, String)> {
    let mut v: Vec<_> = m.iter().map(|x| (x.0, x.4.clone())).collect();
    v.sort();
    v
}

/// Fixtures tshark decodes fully: same frames and Call-IDs, no problem counted.
#[test]
fn link_types_and_tunnels_match_tshark() {
    let cases: &[(&str, &[(u64, &str)])] = &[
        ("eth-vlan-udp", &[(1, "vlan-1")]),
        ("eth-qinq-udp", &[(1, "qinq-1"), (2, "qinq-1")]),
        ("eth-ipv6-udp", &[(1, "v6-1")]),
        ("sll", &[(1, "link-1"), (2, "link-6")]),
        ("sll2", &[(1, "link-1"), (2, "link-6")]),
        ("raw", &[(1, "link-1"), (2, "link-6")]),
        ("raw-ipv4", &[(1, "link-1")]),
        ("raw-ipv6", &[(1, "link-6")]),
        ("null-le", &[(1, "link-1"), (2, "link-6")]),
        ("null-be", &[(1, "link-1"), (2, "link-6")]),
        ("loop", &[(1, "link-1"), (2, "link-6")]),
        ("ppp", &[(1, "link-1")]),
        ("gre-erspan", &[(1, "link-1"), (2, "link-6"), (3, "link-1")]),
        (
            "gtpu-vxlan-mpls",
            &[(1, "link-6"), (2, "link-1"), (3, "link-1"), (4, "link-1")],
        ),
        ("ipip-pppoe", &[(1, "link-1"), (2, "link-6"), (3, "link-1")]),
    ];
    for (name, want) in cases {
        let (msgs, _, stats) = decode(name);
        let want: Vec<(u64, String)> = want.iter().map(|(n, s)| (*n, s.to_string())).collect();
        assert_eq!(frames_ids(&msgs), want, "{name}");
        assert_eq!(
            tshark(name),
            want,
            "{name}: tshark disagrees with the expectation"
        );
        assert!(msgs.iter().all(|m| m.1 == Transport::Udp), "{name}");
        assert!(stats.is_empty(), "{name}: unexpected problems {stats:?}");
    }
    // Addresses come from the innermost IP header, not the tunnel.
    let (msgs, _, _) = decode("gre-erspan");
    assert_eq!(msgs[0].2, "192.0.2.10:5060");
    assert_eq!(msgs[1].3, "[2001:db8:1::20]:5060");
}

#[test]
fn fragmented_udp_out_of_order_with_duplicate() {
    let (msgs, udp, stats) = decode("udp-frag-v4");
    // The 100 Trying in frame 3; the INVITE completed by its middle fragment
    // in frame 5 (the first fragment was seen twice).
    assert_eq!(frames_ids(&msgs), tshark("udp-frag-v4"));
    assert_eq!(
        frames_ids(&msgs),
        vec![(3, "frag4-big".into()), (5, "frag4-big".into())]
    );
    assert!(msgs[1].5 > 3000);
    assert_eq!(udp, 0);
    assert_eq!(stats.get("ip", "fragment_duplicate"), 1);

    let (msgs, _, stats) = decode("udp-frag-v6");
    assert_eq!(frames_ids(&msgs), tshark("udp-frag-v6"));
    assert_eq!(frames_ids(&msgs), vec![(3, "frag6-big".into())]);
    assert_eq!(msgs[0].2, "[2001:db8::10]:5060");
    assert!(stats.is_empty(), "{stats:?}");
}

#[test]
fn tcp_split_reordered_coalesced_and_retransmitted() {
    let (msgs, _, stats) = decode("tcp-split-coalesced");
    let got: Vec<(u64, &str)> = msgs.iter().map(|m| (m.0, m.2.as_str())).collect();
    // INVITE over three segments, the third before the second: complete at
    // frame 6 (tshark, which does not reorder by default, misses it). 100 and
    // 180 share frame 8; the 200 OK spans frames 9-10.
    assert_eq!(
        got,
        vec![
            (6, "192.0.2.10:40000"),
            (8, "198.51.100.20:5060"),
            (8, "198.51.100.20:5060"),
            (10, "198.51.100.20:5060")
        ]
    );
    assert!(msgs.iter().all(|m| m.1 == Transport::Tcp && m.4 == "tcp-1"));
    for (n, id) in tshark("tcp-split-coalesced") {
        assert!(
            msgs.iter().any(|m| m.0 == n && m.4 == id),
            "tshark's frame {n} missing"
        );
    }
    assert_eq!(stats.get("tcp", "retransmission"), 1);
    assert_eq!(stats.total(), 1, "{stats:?}");
}

#[test]
fn tcp_mid_stream_gap_resynchronises() {
    let (msgs, _, stats) = decode("tcp-gap-resync");
    // Mid-stream start at gap-1; gap-2's first half was never captured (the
    // peer acknowledged it), so decoding resumes at gap-3's start line.
    assert_eq!(
        frames_ids(&msgs),
        vec![(1, "gap-1".into()), (3, "gap-3".into())]
    );
    assert_eq!(stats.get("tcp", "gap"), 1);
}

#[test]
fn unknown_link_type_is_counted_not_fatal() {
    let (msgs, udp, stats) = decode("unknown-linktype");
    assert!(msgs.is_empty() && udp == 0);
    assert_eq!(stats.get("link", "unknown_linktype"), 1);
}

#[test]
fn tls_flows_are_counted_once() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/captures/public/sngrep-tls-nokey.pcap");
    let mut replay = capture::open_files(&[p]).expect("public capture opens");
    let mut dec = Decoder::new(&DecodeConfig::default());
    let mut n = 0;
    while let Some(f) = replay.next_frame() {
        dec.decode(&f, &mut |e| n += matches!(e, Event::Sip(_)) as usize);
    }
    dec.finish(&mut |_| {});
    assert_eq!(n, 0);
    // Two TLS connections (two clients to port 5061), each counted once.
    assert_eq!(dec.stats().get("tls", "encrypted_not_decoded"), 2);
    assert!(dec.stats().get("tls", "encrypted_bytes") > 1000);
}

#[test]
fn sipp_calls_over_tcp_on_loopback() {
    // Captured by dumpcap while sipp's uac placed 3 calls to its uas over one
    // TCP connection (make.sh).
    let (msgs, _, stats) = decode("sipp-tcp-lo");
    assert_eq!(msgs.len(), 18, "3 calls x INVITE 180 200 ACK BYE 200");
    assert!(msgs.iter().all(|m| m.1 == Transport::Tcp));
    assert_eq!(frames_ids(&msgs), tshark("sipp-tcp-lo"));
    assert!(stats.is_empty(), "{stats:?}");
}

#[test]
fn hep3_mirrored_sip() {
    // HEP3 from an agent (heplify-style chunks) on UDP 9060: the SIP inside,
    // with the agent's addresses, transport and capture time.
    let (msgs, udp, stats) = decode("hep3");
    assert_eq!(udp, 0);
    assert_eq!(frames_ids(&msgs), vec![(1, "hep-1".to_string())]);
    assert_eq!(
        (msgs[0].2.as_str(), msgs[0].3.as_str()),
        ("192.0.2.10:5060", "198.51.100.20:5060")
    );
    assert_eq!(msgs[0].1, Transport::Udp);
    assert!(stats.is_empty(), "{stats:?}");
}

#[test]
fn kernel_fragmented_and_segmented_sipp_calls() {
    // sipp over 127.0.0.1 / ::1 with MTU 1500 (make.sh): the kernel fragments
    // the INVITE (UDP; fragments then reordered with editcap/mergecap) or
    // segments it at the MSS (TCP).
    for (name, transport, invite_frame) in [
        ("sipp-udp-frag-v4", Transport::Udp, 3),
        ("sipp-udp-frag-v6", Transport::Udp, 3),
        ("sipp-tcp-mss", Transport::Tcp, 8),
    ] {
        let (msgs, _, stats) = decode(name);
        assert_eq!(msgs.len(), 6, "{name}: INVITE 180 200 ACK BYE 200");
        assert!(msgs.iter().all(|m| m.1 == transport), "{name}");
        assert_eq!(msgs.iter().map(|m| m.0).min(), Some(invite_frame), "{name}");
        assert!(
            msgs.iter().any(|m| m.0 == invite_frame && m.5 > 3500),
            "{name}: whole INVITE"
        );
        assert_eq!(frames_ids(&msgs), tshark(name), "{name}");
        assert!(stats.is_empty(), "{name}: {stats:?}");
    }
}
