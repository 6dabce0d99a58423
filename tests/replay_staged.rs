//! The two-core replay (`trunkwatch::replay::run`: reading and decoding on
//! one thread, analysis on the other) gives exactly what one thread gives
//! (`Pipeline::on_frame` per frame): the same outcome lines byte for byte
//! and the same problem counters, on every public capture and every capture
//! in `fixtures/`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use trunkwatch::capture::open_files;
use trunkwatch::classify::Classifier;
use trunkwatch::config::Config;
use trunkwatch::pipeline::{Pipeline, Sinks};
use trunkwatch::sink::jsonl::JsonlSink;
use trunkwatch::stats::Counters;

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn pipeline(cfg: &Config) -> (Pipeline, Shared) {
    let out = Shared::default();
    let sinks = Sinks::new(Some(JsonlSink::new(Box::new(out.clone()))), None, false);
    let classifier = Classifier::new(&cfg.classify).unwrap();
    (Pipeline::new(cfg, classifier, sinks), out)
}

/// (outcome lines, problems, frames)
fn finish(mut p: Pipeline, out: Shared) -> (Vec<u8>, Counters, u64) {
    p.finish();
    let problems = p.problems();
    let frames = p.frames();
    drop(p);
    let bytes = out.0.lock().unwrap().clone();
    (bytes, problems, frames)
}

fn one_thread(file: &Path, cfg: &Config) -> (Vec<u8>, Counters, u64) {
    let (mut p, out) = pipeline(cfg);
    let mut r = open_files(&[file.to_path_buf()]).unwrap();
    while let Some(f) = r.next_frame() {
        p.on_frame(&f);
    }
    finish(p, out)
}

fn two_threads(file: &Path, cfg: &Config) -> (Vec<u8>, Counters, u64) {
    let (mut p, out) = pipeline(cfg);
    let r = open_files(&[file.to_path_buf()]).unwrap();
    let mut calls = 0;
    let fin = trunkwatch::replay::run(
        r,
        &cfg.decode,
        &mut p,
        Arc::new(AtomicBool::new(false)),
        |_, _, _| calls += 1,
    )
    .unwrap();
    assert!(calls >= 1, "progress is reported");
    assert_eq!(fin.frames, p.frames());
    finish(p, out)
}

fn captures(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            captures(&p, out);
            continue;
        }
        let n = p.file_name().unwrap().to_string_lossy().to_string();
        if n.ends_with(".pcap") || n.ends_with(".pcapng") || n.ends_with(".gz") {
            out.push(p);
        }
    }
}

#[test]
fn two_cores_give_what_one_gives() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    captures(&root.join("../shared/captures/public"), &mut files);
    let public = files.len();
    assert!(public >= 40, "public captures present ({public})");
    captures(&root.join("fixtures"), &mut files);
    files.sort();
    let cfg = Config::default();
    let mut outcomes = 0;
    for f in &files {
        // Not-a-capture fixtures are tested elsewhere.
        if open_files(std::slice::from_ref(f)).is_err() {
            continue;
        }
        let a = one_thread(f, &cfg);
        let b = two_threads(f, &cfg);
        assert_eq!(
            String::from_utf8_lossy(&a.0),
            String::from_utf8_lossy(&b.0),
            "{}",
            f.display()
        );
        assert_eq!(a.1, b.1, "{}", f.display());
        assert_eq!(a.2, b.2, "{}", f.display());
        outcomes += a.0.iter().filter(|&&c| c == b'\n').count();
    }
    assert!(outcomes > 1000, "{outcomes} outcomes compared");
}

/// A stop request (SIGINT) ends the decoding thread at the next batch; the
/// run still returns cleanly with what was read.
#[test]
fn stop_ends_the_run_cleanly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let file = root.join("fixtures/demo/trunk-demo.pcap");
    let cfg = Config::default();
    let (mut p, _out) = pipeline(&cfg);
    let r = open_files(&[file]).unwrap();
    let fin = trunkwatch::replay::run(
        r,
        &cfg.decode,
        &mut p,
        Arc::new(AtomicBool::new(true)),
        |_, _, _| {},
    )
    .unwrap();
    assert_eq!(fin.frames, 0);
    assert_eq!(p.frames(), 0);
    p.finish();
}
