//! The `benches/sip_parse.rs` trunkwatch function in a loop, without
//! criterion, for instruction counts:
//!
//! ```text
//! cargo build --profile bench --example sip_parse_profile
//! valgrind --tool=callgrind --toggle-collect='*bench_fn*' \
//!     target/release/examples/sip_parse_profile busy_486 1000
//! ```
//!
//! Instructions per call = collected total / N.

use std::hint::black_box;
use std::path::PathBuf;

#[inline(never)]
fn bench_fn(buf: &[u8]) -> usize {
    let m = trunkwatch::sip::parse(buf).expect("parse");
    let start = match m.status() {
        Some(code) => code as usize,
        None => m.method().expect("method").as_bytes().len(),
    };
    let call_id = m.call_id().expect("Call-ID");
    let cseq = m.cseq().expect("CSeq");
    let branch = m.top_via().expect("Via").branch().expect("branch");
    let from_tag = m.from().expect("From").tag().expect("from tag");
    let to_tag = m.to().expect("To").tag().map_or(0, <[u8]>::len);
    start
        + call_id.len()
        + cseq.seq as usize
        + cseq.method.as_bytes().len()
        + branch.len()
        + from_tag.len()
        + to_tag
}

fn main() {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "busy_486".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/sip/bench")
        .join(format!("{name}.sip"));
    let buf = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let mut sum = 0usize;
    for _ in 0..n {
        sum = sum.wrapping_add(bench_fn(black_box(&buf)));
    }
    println!("{name} x{n}: {sum}");
}
