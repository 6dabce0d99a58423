//! Media tracking cost per datagram: an RTP packet of a known G.711 call
//! (classification, stream lookup, sequence and silence accounting) and a
//! datagram no SDP announced (counted only).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use std::net::SocketAddr;
use trunkwatch::config::MediaConfig;
use trunkwatch::decode::Datagram;
use trunkwatch::media::{MediaTracker, Signal};
use trunkwatch::time::Timestamp;

fn rtp(seq: u16) -> Vec<u8> {
    let mut v = vec![0x80, 0];
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    v.extend_from_slice(&0x1234_5678u32.to_be_bytes());
    v.extend((0..160).map(|i| (i * 37 % 256) as u8));
    v
}

fn bench(c: &mut Criterion) {
    let mut m = MediaTracker::new(&MediaConfig::default());
    let a: SocketAddr = "10.0.0.1:5060".parse().unwrap();
    let b: SocketAddr = "10.0.0.2:5060".parse().unwrap();
    // 10 000 calls with media, so lookups run against a realistic table.
    let bodies: Vec<(String, Vec<u8>)> = (0..10_000u32)
        .map(|i| {
            (
                format!("call-{i}"),
                format!(
                    "v=0\r\nc=IN IP4 10.1.{}.{}\r\nm=audio {} RTP/AVP 0\r\n",
                    i / 250,
                    i % 250,
                    10_000 + 2 * (i % 20_000)
                )
                .into_bytes(),
            )
        })
        .collect();
    for (i, (id, body)) in bodies.iter().enumerate() {
        m.on_signal(&Signal {
            ts: Timestamp::from_millis(i as i64),
            src: a,
            dst: b,
            call_id: id.as_bytes(),
            request_invite: Some(true),
            status: None,
            offer_answer_method: true,
            cseq_invite: true,
            bye: false,
            from_tag: Some(b"t"),
            to_tag: None,
            sdp: Some(body),
        });
    }
    let pkts: Vec<Vec<u8>> = (0..1024u16).map(rtp).collect();
    let known_dst: SocketAddr = "10.1.0.7:10014".parse().unwrap();
    let unknown_dst: SocketAddr = "10.9.9.9:40000".parse().unwrap();
    let src: SocketAddr = "192.0.2.1:30000".parse().unwrap();
    let mut g = c.benchmark_group("media");
    g.throughput(Throughput::Elements(1));
    let mut i = 0usize;
    g.bench_function("rtp_known_stream_g711", |bch| {
        bch.iter(|| {
            i = (i + 1) % pkts.len();
            let d = Datagram {
                ts: Timestamp::from_millis(20 * i as i64),
                frame: 0,
                src,
                dst: known_dst,
                payload: &pkts[i],
            };
            black_box(m.on_datagram(&d))
        })
    });
    g.bench_function("rtp_unknown_stream", |bch| {
        bch.iter(|| {
            let d = Datagram {
                ts: Timestamp::from_millis(0),
                frame: 0,
                src,
                dst: unknown_dst,
                payload: &pkts[0],
            };
            black_box(m.on_datagram(&d))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
