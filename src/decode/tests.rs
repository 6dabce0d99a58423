//! Decoder unit tests on hand-made frames (real header layouts, RFC 3261 text).

use super::*;
use crate::capture::Frame;

const A: [u8; 4] = [192, 0, 2, 10];
const B: [u8; 4] = [198, 51, 100, 20];

fn ipv4(proto: u8, id: u16, frag: u16, payload: &[u8]) -> Vec<u8> {
    let mut h = vec![0x45, 0];
    h.extend(((20 + payload.len()) as u16).to_be_bytes());
    h.extend(id.to_be_bytes());
    h.extend(frag.to_be_bytes());
    h.extend([64, proto, 0, 0]);
    h.extend(A);
    h.extend(B);
    h.extend_from_slice(payload);
    h
}

fn udp(sp: u16, dp: u16, payload: &[u8]) -> Vec<u8> {
    let mut u = Vec::new();
    u.extend(sp.to_be_bytes());
    u.extend(dp.to_be_bytes());
    u.extend(((8 + payload.len()) as u16).to_be_bytes());
    u.extend([0, 0]);
    u.extend_from_slice(payload);
    u
}

fn tcp(sp: u16, dp: u16, seq: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend(sp.to_be_bytes());
    t.extend(dp.to_be_bytes());
    t.extend(seq.to_be_bytes());
    t.extend(0u32.to_be_bytes());
    t.extend([5 << 4, flags, 0xff, 0xff, 0, 0, 0, 0]);
    t.extend_from_slice(payload);
    t
}

fn msg(call_id: &str, body_len: usize) -> Vec<u8> {
    let mut m = format!(
        "OPTIONS sip:bob@example.net SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.10;branch=z9hG4bK1\r\n\
         From: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.net>\r\nCall-ID: {call_id}\r\n\
         CSeq: 1 OPTIONS\r\nContent-Length: {body_len}\r\n\r\n"
    )
    .into_bytes();
    m.extend(std::iter::repeat_n(b'x', body_len));
    m
}

/// Decode raw IPv4 packets (link type 101), one per second from `t0` seconds.
fn run(dec: &mut Decoder, packets: &[(i64, Vec<u8>)]) -> Vec<(u64, Transport, Vec<u8>)> {
    let mut got = Vec::new();
    for (i, (t, p)) in packets.iter().enumerate() {
        let f = Frame {
            number: i as u64 + 1,
            ts: Timestamp::from_secs_nanos(1_700_000_000 + t, 0),
            linktype: 101,
            data: p,
            orig_len: p.len() as u32,
        };
        dec.decode(&f, &mut |e| {
            if let Event::Sip(s) = e {
                got.push((s.frame, s.transport, s.payload.to_vec()));
            }
        });
    }
    dec.finish(&mut |e| {
        if let Event::Sip(s) = e {
            got.push((s.frame, s.transport, s.payload.to_vec()));
        }
    });
    got
}

fn frags(id: u16, data: &[u8], size: usize) -> Vec<Vec<u8>> {
    (0..data.len())
        .step_by(size)
        .map(|off| {
            let end = (off + size).min(data.len());
            let more = if end < data.len() { 0x2000 } else { 0 };
            ipv4(17, id, more | (off / 8) as u16, &data[off..end])
        })
        .collect()
}

#[test]
fn defrag_out_of_order_duplicate_and_overlap() {
    let m = msg("frag", 2000);
    let d = udp(5060, 5060, &m);
    let f = frags(7, &d, 800);
    // A fragment overlapping received bytes with different content: the
    // bytes that arrived first are kept.
    let evil = ipv4(17, 7, 0x2000 | (1200 / 8), &[b'Z'; 400]);
    let mut dec = Decoder::new(&DecodeConfig::default());
    let got = run(
        &mut dec,
        &[
            (0, f[2].clone()),
            (0, f[1].clone()),
            (0, f[1].clone()),
            (0, evil),
            (0, f[0].clone()),
        ],
    );
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, 5);
    assert!(
        got[0].2 == m,
        "reassembled bytes differ from the datagram sent"
    );
    assert_eq!(dec.stats().get("ip", "fragment_duplicate"), 1);
    assert_eq!(dec.stats().get("ip", "fragment_overlap"), 1);
    assert_eq!(dec.defrag.pending_bytes(), 0);
}

#[test]
fn defrag_expires_by_capture_time_and_caps_memory() {
    let d = udp(5060, 5060, &msg("late", 2000));
    let f = frags(9, &d, 800);
    let mut dec = Decoder::new(&DecodeConfig::default());
    // The last fragment 31 s after the first: the datagram has expired.
    let got = run(
        &mut dec,
        &[(0, f[0].clone()), (0, f[1].clone()), (31, f[2].clone())],
    );
    assert!(got.is_empty());
    assert_eq!(dec.stats().get("ip", "fragment_timeout"), 1);
    assert_eq!(dec.stats().get("ip", "fragment_incomplete_at_end"), 1);

    let cfg = DecodeConfig {
        max_fragment_bytes: 4000,
        ..DecodeConfig::default()
    };
    let mut dec = Decoder::new(&cfg);
    let packets: Vec<(i64, Vec<u8>)> = (0..20)
        .map(|id| (0, frags(id, &d, 800)[0].clone()))
        .collect();
    run(&mut dec, &packets[..]);
    assert_eq!(dec.stats().get("ip", "fragment_evicted"), 15);
    assert_eq!(dec.stats().get("ip", "fragment_incomplete_at_end"), 5);
}

#[test]
fn defrag_rejects_inconsistent_and_oversized() {
    let mut dec = Decoder::new(&DecodeConfig::default());
    let a = ipv4(17, 1, 0x2000, &[0u8; 16]);
    let b = ipv4(17, 1, 3, &[0u8; 8]); // last fragment: the datagram ends at 32
    let c = ipv4(17, 1, 1, &[0u8; 4]); // another "last" ending at 12: inconsistent
    let big = ipv4(17, 2, 0x2000 | 8190, &[0u8; 64]); // beyond 65535
    let odd = ipv4(17, 3, 0x2000, &[0u8; 13]); // not a multiple of 8
    run(&mut dec, &[(0, a), (0, b), (0, c), (0, big), (0, odd)]);
    let s = dec.stats();
    assert_eq!(s.get("ip", "fragment_inconsistent"), 1);
    assert_eq!(s.get("ip", "fragment_too_large"), 1);
    assert_eq!(s.get("ip", "fragment_bad_length"), 1);
}

#[test]
fn tcp_caps_resync_and_closes() {
    let cfg = DecodeConfig {
        max_tcp_flow_bytes: 4096,
        ..DecodeConfig::default()
    };
    let mut dec = Decoder::new(&cfg);
    let huge = msg("huge", 100_000); // more than a flow may hold
    let ok = msg("after", 10);
    let mut p = vec![(0, ipv4(6, 0, 0, &tcp(5000, 5060, 100, 0x02, b"")))];
    let mut seq = 101u32;
    for chunk in huge.chunks(1400) {
        p.push((0, ipv4(6, 0, 0, &tcp(5000, 5060, seq, 0x18, chunk))));
        seq += chunk.len() as u32;
    }
    p.push((0, ipv4(6, 0, 0, &tcp(5000, 5060, seq, 0x18, &ok))));
    seq += ok.len() as u32;
    let partial = msg("cut", 10);
    p.push((
        0,
        ipv4(6, 0, 0, &tcp(5000, 5060, seq, 0x18, &partial[..50])),
    ));
    p.push((0, ipv4(6, 0, 0, &tcp(5000, 5060, seq + 50, 0x04, b""))));
    let got = run(&mut dec, &p);
    let ids: Vec<(u64, usize)> = got.iter().map(|g| (g.0, g.2.len())).collect();
    assert_eq!(
        ids,
        vec![(p.len() as u64 - 2, ok.len())],
        "only the message after the overflow: {:?}",
        dec.stats()
    );
    assert_eq!(dec.stats().get("tcp", "flow_buffer_overflow"), 1);
    assert_eq!(dec.stats().get("tcp", "incomplete_message_at_close"), 1);
}

#[test]
fn tcp_total_cap_and_idle_expiry() {
    let cfg = DecodeConfig {
        max_tcp_total_bytes: 1000,
        tcp_idle_timeout_ms: 10_000,
        ..DecodeConfig::default()
    };
    let mut dec = Decoder::new(&cfg);
    let m = msg("p", 5000);
    let p: Vec<(i64, Vec<u8>)> = (0..3u16)
        .map(|i| (0, ipv4(6, 0, 0, &tcp(6000 + i, 5060, 1, 0x18, &m[..600]))))
        .collect();
    run(&mut dec, &p);
    assert_eq!(dec.stats().get("tcp", "total_buffer_evicted"), 2);

    let mut dec = Decoder::new(&cfg);
    let p = vec![
        (0, ipv4(6, 0, 0, &tcp(7000, 5060, 1, 0x18, &m[..600]))),
        (20, ipv4(17, 0, 0, &udp(1, 2, b"rtp"))),
    ];
    run(&mut dec, &p);
    assert_eq!(dec.stats().get("tcp", "incomplete_message_expired"), 1);
    assert_eq!(dec.stats().get("tcp", "incomplete_message_at_end"), 0);
}

#[test]
fn tcp_hole_never_acked_becomes_a_gap_after_the_reordering_window() {
    // One-way mirror: the peer's ACKs are never seen, a segment is lost.
    let mut dec = Decoder::new(&DecodeConfig::default());
    let (m1, m2, m3) = (msg("one", 0), msg("two", 0), msg("three", 0));
    let s3 = 1 + (m1.len() + m2.len()) as u32;
    let frames = [
        (0, ipv4(6, 0, 0, &tcp(5000, 5060, 0, 0x02, b""))),
        (0, ipv4(6, 0, 0, &tcp(5000, 5060, 1, 0x18, &m1))),
        (1, ipv4(6, 0, 0, &tcp(5000, 5060, s3, 0x18, &m3))),
        (5, ipv4(17, 0, 0, &udp(1, 2, b"later"))),
    ];
    let mut seen = Vec::new();
    for (i, (t, p)) in frames.iter().enumerate() {
        let f = Frame {
            number: i as u64 + 1,
            ts: Timestamp::from_secs_nanos(1_700_000_000 + t, 0),
            linktype: 101,
            data: p,
            orig_len: 0,
        };
        dec.decode(&f, &mut |e| {
            if let Event::Sip(s) = e {
                seen.push((f.number, s.frame, s.payload.len()));
            }
        });
    }
    // m3 is handed on while frame 4 is decoded, with its own frame number.
    assert_eq!(seen, vec![(2, 2, m1.len()), (4, 3, m3.len())]);
    assert_eq!(dec.stats().get("tcp", "gap"), 1);
}

#[test]
fn tcp_mid_stream_waits_for_a_start_line() {
    let mut dec = Decoder::new(&DecodeConfig::default());
    let m = msg("mid", 100);
    let p = vec![
        (0, ipv4(6, 0, 0, &tcp(8000, 5060, 1, 0x18, &m[60..]))), // tail of a message
        (
            0,
            ipv4(
                6,
                0,
                0,
                &tcp(8000, 5060, 1 + (m.len() - 60) as u32, 0x18, &m),
            ),
        ),
        (
            0,
            ipv4(6, 0, 0, &tcp(9000, 80, 1, 0x18, b"\x00\x01binary protocol")),
        ),
    ];
    let got = run(&mut dec, &p);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, 2);
    assert!(dec.stats().is_empty(), "{:?}", dec.stats());
}

#[test]
fn websocket_over_tcp() {
    let mut dec = Decoder::new(&DecodeConfig::default());
    let up = b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Protocol: sip\r\n\r\n";
    let m = msg("ws", 0);
    let key = [0x11, 0x22, 0x33, 0x44];
    let mut f1 = vec![0x01, 0x80 | 40];
    f1.extend(key);
    f1.extend(m[..40].iter().enumerate().map(|(i, b)| b ^ key[i & 3]));
    let rest = &m[40..];
    let mut f2 = vec![0x80, 0x80 | 126];
    f2.extend((rest.len() as u16).to_be_bytes());
    f2.extend(key);
    f2.extend(rest.iter().enumerate().map(|(i, b)| b ^ key[i & 3]));
    let mut seg2 = f1.clone();
    seg2.extend(&f2[..5]);
    let s2 = 1 + up.len() as u32;
    let p = vec![
        (0, ipv4(6, 0, 0, &tcp(5000, 8080, 0, 0x02, b""))),
        (0, ipv4(6, 0, 0, &tcp(5000, 8080, 1, 0x18, up))),
        (0, ipv4(6, 0, 0, &tcp(5000, 8080, s2, 0x18, &seg2))),
        (
            0,
            ipv4(
                6,
                0,
                0,
                &tcp(5000, 8080, s2 + seg2.len() as u32, 0x18, &f2[5..]),
            ),
        ),
    ];
    let got = run(&mut dec, &p);
    assert_eq!(got, vec![(4, Transport::Ws, m)]);
}

#[test]
fn sctp_bundled_and_fragmented_data() {
    let m = msg("sctp", 300);
    let chunk = |flags: u8, tsn: u32, user: &[u8]| {
        let mut c = vec![0, flags];
        c.extend(((16 + user.len()) as u16).to_be_bytes());
        c.extend(tsn.to_be_bytes());
        c.extend([0, 1, 0, 7, 0, 0, 0, 0]);
        c.extend_from_slice(user);
        while c.len() % 4 != 0 {
            c.push(0);
        }
        c
    };
    let mut pkt1 = vec![0x13, 0xc4, 0x13, 0xc4, 0, 0, 0, 1, 0, 0, 0, 0];
    pkt1.extend(chunk(0x03, 10, &m)); // whole message
    pkt1.extend(chunk(0x02, 11, &m[..200])); // first fragment of the next
    let mut pkt2 = vec![0x13, 0xc4, 0x13, 0xc4, 0, 0, 0, 1, 0, 0, 0, 0];
    pkt2.extend(chunk(0x01, 12, &m[200..]));
    let mut dec = Decoder::new(&DecodeConfig::default());
    let got = run(
        &mut dec,
        &[(0, ipv4(132, 0, 0, &pkt1)), (0, ipv4(132, 0, 0, &pkt2))],
    );
    assert_eq!(
        got,
        vec![(1, Transport::Sctp, m.clone()), (2, Transport::Sctp, m)]
    );
}

#[test]
fn non_sip_udp_is_a_media_candidate() {
    let mut dec = Decoder::new(&DecodeConfig::default());
    let f = Frame {
        number: 1,
        ts: Timestamp(0),
        linktype: 101,
        data: &ipv4(
            17,
            0,
            0,
            &udp(40000, 40002, &[0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]),
        ),
        orig_len: 0,
    };
    let mut n = 0;
    dec.decode(&f, &mut |e| {
        if let Event::Udp(d) = e {
            assert_eq!(d.src.port(), 40000);
            assert_eq!(d.payload.len(), 12);
            n += 1;
        }
    });
    assert_eq!(n, 1);
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    fn seed_frames() -> Vec<(u32, Vec<u8>)> {
        let m = msg("seed", 40);
        let mut eth = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x81, 0, 0, 100, 0x08, 0];
        eth.extend(ipv4(17, 1, 0x2000, &udp(5060, 5060, &m)[..64]));
        vec![
            (101, ipv4(17, 0, 0, &udp(5060, 5060, &m))),
            (101, ipv4(6, 0, 0, &tcp(1, 5060, 5, 0x18, &m))),
            (1, eth),
            (
                101,
                ipv4(
                    47,
                    0,
                    0,
                    &[0x10, 0, 0x88, 0xbe, 0, 0, 0, 1, 0x10, 0, 0, 0, 0, 0, 0, 0],
                ),
            ),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        /// However a stream of SIP messages is cut into segments, reordered
        /// locally and partly retransmitted, the same messages come out.
        #[test]
        fn tcp_segmentation_and_reordering_preserve_messages(
            bodies in prop::collection::vec(0usize..3000, 1..8),
            cuts in prop::collection::vec(1usize..1500, 1..64),
            swaps in prop::collection::vec(any::<prop::sample::Index>(), 0..8),
            dups in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
        ) {
            let msgs: Vec<Vec<u8>> = bodies.iter().enumerate().map(|(i, &n)| msg(&format!("p{i}"), n)).collect();
            let stream: Vec<u8> = msgs.concat();
            let mut segs = Vec::new();
            let (mut off, mut i) = (0, 0);
            while off < stream.len() {
                let n = cuts[i % cuts.len()].min(stream.len() - off);
                segs.push((1 + off as u32, stream[off..off + n].to_vec()));
                off += n;
                i += 1;
            }
            for sw in &swaps {
                let a = sw.index(segs.len());
                let b = (a + 1).min(segs.len() - 1);
                segs.swap(a, b);
            }
            for d in &dups {
                let a = d.index(segs.len());
                let again = segs[a].clone();
                segs.insert((a + 2).min(segs.len()), again);
            }
            let mut packets = vec![(0, ipv4(6, 0, 0, &tcp(5000, 5060, 0, 0x02, b"")))];
            packets.extend(segs.iter().map(|(seq, p)| (0, ipv4(6, 0, 0, &tcp(5000, 5060, *seq, 0x18, p)))));
            let mut dec = Decoder::new(&DecodeConfig::default());
            let got: Vec<Vec<u8>> = run(&mut dec, &packets).into_iter().map(|g| g.2).collect();
            prop_assert!(got == msgs, "{} messages out of {}; {:?}", got.len(), msgs.len(), dec.stats());
            prop_assert_eq!(dec.stats().get("tcp", "gap"), 0);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        /// Random bytes on every link type never panic.
        #[test]
        fn random_frames_never_panic(lt in prop::sample::select(vec![0u32, 1, 9, 12, 101, 108, 113, 228, 229, 276, 999]),
                                     frames in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 1..8)) {
            let mut dec = Decoder::new(&DecodeConfig::default());
            for (i, data) in frames.iter().enumerate() {
                let f = Frame { number: i as u64 + 1, ts: Timestamp(i as i64), linktype: lt, data, orig_len: data.len() as u32 };
                dec.decode(&f, &mut |_| {});
            }
            dec.finish(&mut |_| {});
        }

        /// Valid frames with bytes flipped, truncated or repeated never panic.
        #[test]
        fn mutated_frames_never_panic(which in 0usize..4, flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..12),
                                      cut in any::<prop::sample::Index>(), times in 1usize..4) {
            let (lt, mut data) = seed_frames().swap_remove(which);
            for (i, v) in flips {
                let at = i.index(data.len());
                data[at] = v;
            }
            let cut = cut.index(data.len() + 1);
            data.truncate(cut.max(1));
            let mut dec = Decoder::new(&DecodeConfig { max_tcp_flow_bytes: 512, max_fragment_bytes: 512, ..DecodeConfig::default() });
            for i in 0..times {
                let f = Frame { number: i as u64 + 1, ts: Timestamp(i as i64 * 7_000_000_000), linktype: lt, data: &data, orig_len: 0 };
                dec.decode(&f, &mut |_| {});
            }
            dec.finish(&mut |_| {});
        }
    }
}

/// Everything the decoder hands on, with the counters, for comparisons.
fn outputs(
    frames: &[Vec<u8>],
    decode: impl Fn(&mut Decoder, &Frame<'_>, &mut dyn FnMut(Event<'_>)),
) -> (Vec<String>, Counters) {
    let mut dec = Decoder::new(&crate::config::DecodeConfig::default());
    let mut got = Vec::new();
    for (i, data) in frames.iter().enumerate() {
        let f = Frame {
            number: i as u64 + 1,
            ts: Timestamp::from_secs_nanos(1_700_000_000 + i as i64, 0),
            linktype: 1,
            data,
            orig_len: data.len() as u32,
        };
        decode(&mut dec, &f, &mut |ev| got.push(format!("{ev:?}")));
    }
    (got, dec.stats().clone())
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

    /// The fast path for plain Ethernet/IPv4/UDP frames yields exactly what
    /// the general path does, on frames with any header field bent (IHL,
    /// lengths, fragment bits, protocol, ports, first payload byte, tags).
    #[test]
    fn plain_udp_fast_path_equals_general(
        edits in proptest::collection::vec((0usize..60, proptest::prelude::any::<u8>()), 0..4),
        first in proptest::prelude::any::<u8>(),
        len in 0usize..40,
        cut in 0usize..80,
        ports in proptest::sample::select(vec![(40000u16, 40002u16), (2152, 9), (9, 4789), (5060, 5060), (9060, 9)]),
    ) {
        let mut payload = vec![first];
        payload.extend((0..len).map(|i| i as u8));
        let mut frame = vec![0u8; 12];
        frame.extend([0x08, 0x00]);
        frame.extend(ipv4(17, 7, 0x4000, &udp(ports.0, ports.1, &payload)));
        for (at, v) in edits {
            if at < frame.len() {
                frame[at] = v;
            }
        }
        let mut short = frame.clone();
        short.truncate(frame.len().saturating_sub(cut % 8 * (cut / 8 % 2)));
        let frames = vec![frame, short];
        let fast = outputs(&frames, |d, f, out| d.decode(f, out));
        let general = outputs(&frames, |d, f, out| d.decode_general(f, out));
        proptest::prop_assert_eq!(fast, general);
    }
}

#[test]
fn rtp_frames_take_the_fast_path_and_sip_does_not() {
    let eth = |payload: &[u8]| {
        let mut f = vec![0u8; 12];
        f.extend([0x08, 0x00]);
        f.extend(ipv4(17, 7, 0x4000, &udp(40000, 40002, payload)));
        f
    };
    let rtp = eth(&[0x80, 0, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4, 0xff, 0xff]);
    assert!(plain_udp4(&rtp).is_some());
    assert!(plain_udp4(&eth(b"SIP/2.0 200 OK\r\n\r\n")).is_none());
    assert!(plain_udp4(&eth(b"\r\n\r\n")).is_none());
}
