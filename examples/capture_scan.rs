//! Read capture files with trunkwatch's capture layer alone and report the
//! throughput: the floor under `trunkwatch replay`, compared with `cat` in
//! benches/replay.sh.
//!
//! ```text
//! cargo run --release --example capture_scan -- FILE [FILE...]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let paths: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let start = Instant::now();
    let mut r = match trunkwatch::capture::open_files(&paths) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("capture_scan: {e}");
            return ExitCode::from(if e.is_bad_input() { 2 } else { 1 });
        }
    };
    let (mut frames, mut bytes, mut check) = (0u64, 0u64, 0u64);
    while let Some(f) = r.next_frame() {
        frames += 1;
        bytes += f.data.len() as u64;
        // Touch the data so the read cannot be optimised away.
        check = check.wrapping_add(*f.data.last().unwrap_or(&0) as u64);
    }
    for w in r.warnings() {
        eprintln!("warning: {w}");
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{{\"frames\":{frames},\"packet_bytes\":{bytes},\"file_bytes\":{},\"secs\":{secs:.3},\"mb_per_s\":{:.0},\"check\":{check}}}",
        r.bytes_total(),
        r.bytes_total() as f64 / 1e6 / secs
    );
    ExitCode::SUCCESS
}
