//! trunkwatch's zero-copy parser against rsip on the same bytes.
//!
//! Each group is one realistic carrier-trunk message (fixtures/sip/bench/);
//! both functions do the same work: parse, then read the start line (status
//! code or method), Call-ID, CSeq, top Via branch and the From and To tags.
//! Run: `cargo bench --bench sip_parse`.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use rsip::prelude::*;

#[path = "common/sip_fields.rs"]
mod sip_fields;
use sip_fields::trunkwatch_fields as trunkwatch;
use std::path::PathBuf;

const MESSAGES: [&str; 6] = [
    "invite_sdp",
    "trying_100",
    "ringing_180",
    "ok_200_sdp",
    "busy_486",
    "bye",
];

fn load(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/sip/bench")
        .join(format!("{name}.sip"));
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[inline(never)]
fn rsip(buf: &[u8]) -> usize {
    let m = rsip::SipMessage::try_from(buf).expect("parse");
    let start = match &m {
        rsip::SipMessage::Response(r) => r.status_code.code() as usize,
        rsip::SipMessage::Request(r) => r.method.to_string().len(),
    };
    let call_id = m.call_id_header().expect("Call-ID").value().len();
    let cseq = m.cseq_header().expect("CSeq");
    let seq = cseq.seq().expect("seq") as usize;
    let method = cseq.method().expect("method").to_string().len();
    let branch = m
        .via_header()
        .expect("Via")
        .typed()
        .expect("typed Via")
        .branch()
        .expect("branch")
        .to_string()
        .len();
    let from_tag = m
        .from_header()
        .expect("From")
        .tag()
        .expect("From")
        .expect("from tag")
        .to_string()
        .len();
    let to_tag = m
        .to_header()
        .expect("To")
        .tag()
        .expect("To")
        .map_or(0, |t| t.to_string().len());
    start + call_id + seq + method + branch + from_tag + to_tag
}

fn bench(c: &mut Criterion) {
    for name in MESSAGES {
        let buf = load(name);
        // Same answer from both, so they really do the same work.
        assert_eq!(trunkwatch(&buf), rsip(&buf), "{name}");
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Bytes(buf.len() as u64));
        g.bench_function("trunkwatch", |b| b.iter(|| trunkwatch(black_box(&buf))));
        g.bench_function("rsip", |b| b.iter(|| rsip(black_box(&buf))));
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
