//! The whole replay pipeline in-process: capture reader → decode → SIP parse
//! → track → media → classify → JSON-lines sink (into `io::sink()`), on a
//! generated ~50 MB capture of SIP + G.711 RTP (a trunk mirror port), on one
//! thread (`Pipeline::on_frame`) and on two (`trunkwatch::replay::run`, what
//! the binary does). The throughput is in capture bytes per second, to
//! compare with `benches/replay.sh` (the binary against `cat` and tshark).
//! Run: `cargo bench --bench replay`.

#[path = "../examples/gen_capture.rs"]
#[allow(dead_code)]
mod gen_capture;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use std::path::PathBuf;
use std::time::Duration;
use trunkwatch::classify::Classifier;
use trunkwatch::config::Config;
use trunkwatch::pipeline::{Pipeline, Sinks};
use trunkwatch::sink::jsonl::JsonlSink;

/// Replay `path` once through a fresh pipeline, decoding on this thread or
/// on a second one; returns (frames, outcomes).
fn replay(cfg: &Config, path: &PathBuf, two_threads: bool) -> (u64, u64) {
    let mut frames = trunkwatch::capture::open_files(std::slice::from_ref(path))
        .expect("generated capture opens");
    let classifier = Classifier::new(&cfg.classify).expect("default classifier");
    let sinks = Sinks::new(Some(JsonlSink::new(Box::new(std::io::sink()))), None, false);
    let mut p = Pipeline::new(cfg, classifier, sinks);
    if two_threads {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        trunkwatch::replay::run(frames, &cfg.decode, &mut p, stop, |_, _, _| {})
            .expect("decoding thread runs");
    } else {
        while let Some(f) = frames.next_frame() {
            p.on_frame(&f);
        }
    }
    p.finish();
    (p.frames(), p.outcomes())
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("replay-50mb.pcap");
    let argv: Vec<String> = [
        // At least this many calls, then more until the size is reached.
        "--calls",
        "100",
        "--seed",
        "7",
        "--rtp",
        "--target-bytes",
        "50000000",
        "--out",
        path.to_str().expect("utf-8 temp path"),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    gen_capture::generate(&argv).expect("generator runs");
    let bytes = std::fs::metadata(&path).expect("capture written").len();
    eprintln!("replay bench: {} MB capture", bytes / 1_000_000);
    let cfg = Config::default();
    // Sanity: the run sees the calls, so the bench measures real work.
    let (frames, outcomes) = replay(&cfg, &path, false);
    assert!(
        frames > 100_000 && outcomes > 100,
        "{frames} frames, {outcomes} outcomes"
    );
    assert_eq!(replay(&cfg, &path, true), (frames, outcomes));

    let mut g = c.benchmark_group("replay");
    g.throughput(Throughput::Bytes(bytes));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(10));
    g.bench_function("pipeline_50mb_sip_rtp", |b| {
        b.iter(|| black_box(replay(&cfg, &path, false)))
    });
    g.bench_function("two_threads_50mb_sip_rtp", |b| {
        b.iter(|| black_box(replay(&cfg, &path, true)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
