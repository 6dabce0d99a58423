//! The `benches/sip_parse.rs` trunkwatch function in a loop, without
//! criterion, for instruction counts:
//!
//! ```text
//! cargo build --profile bench --example sip_parse_profile
//! valgrind --tool=callgrind --toggle-collect='*trunkwatch_fields*' \
//!     target/release/examples/sip_parse_profile busy_486 1000
//! ```
//!
//! Instructions per call = collected total / N.

use std::hint::black_box;
use std::path::PathBuf;

#[path = "../benches/common/sip_fields.rs"]
mod sip_fields;
use sip_fields::trunkwatch_fields;

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
        sum = sum.wrapping_add(trunkwatch_fields(black_box(&buf)));
    }
    println!("{name} x{n}: {sum}");
}
