//! Scenario fixtures in `fixtures/track/*.sip`: complete SIP messages as a
//! platform or carrier sends them, each preceded by `=== <ms> <src> -> <dst>
//! udp`; `# config k=v` sets classifier options and `# expect k=v` lists
//! outcome fields that must match (JSON names; `provider=NAME` means
//! `provider_ids` has NAME). Lines are stored with LF and sent with CRLF.

mod track_common;
use track_common::*;
use trunkwatch::config::{ClassifyConfig, TrackConfig};

fn run(path: &std::path::Path) -> (serde_json::Value, Vec<(String, String)>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut cfg = ClassifyConfig::default();
    let mut expect = Vec::new();
    let mut blocks: Vec<(i64, String, String, String)> = Vec::new();
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("=== ") {
            let f: Vec<&str> = rest.split_whitespace().collect();
            assert_eq!((f.len(), f[2], f[4]), (5, "->", "udp"), "{line}");
            blocks.push((
                f[0].parse().unwrap(),
                f[1].into(),
                f[3].into(),
                String::new(),
            ));
        } else if let Some(b) = blocks.last_mut() {
            b.3.push_str(&line.replace('\n', "\r\n"));
        } else if let Some(kv) = line.strip_prefix("# config ") {
            for (k, v) in kv.split_whitespace().filter_map(|p| p.split_once('=')) {
                match k {
                    "platform_networks" => cfg.platform_networks = vec![v.parse().unwrap()],
                    other => panic!("unknown config {other}"),
                }
            }
        } else if let Some(kv) = line.strip_prefix("# expect ") {
            expect.extend(
                kv.split_whitespace()
                    .filter_map(|p| p.split_once('='))
                    .map(|(k, v)| (k.to_string(), v.to_string())),
            );
        }
    }
    let mut sim = Sim::with(TrackConfig::default(), cfg);
    for (ms, src, dst, msg) in &blocks {
        sim.send(*ms, src, dst, msg);
    }
    let out = sim.finish();
    assert_eq!(out.len(), 1, "{}: {out:#?}", path.display());
    (serde_json::to_value(&out[0]).unwrap(), expect)
}

#[test]
fn scenario_fixtures_give_the_expected_outcomes() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/track");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sip"))
        .collect();
    files.sort();
    assert!(files.len() >= 3);
    for f in files {
        let (got, expect) = run(&f);
        assert!(!expect.is_empty(), "{}: no expectations", f.display());
        for (k, v) in expect {
            if k == "provider" {
                assert!(
                    got["provider_ids"].get(&v).is_some(),
                    "{}: provider id {v} missing in {got}",
                    f.display()
                );
                continue;
            }
            let want: serde_json::Value =
                serde_json::from_str(&v).unwrap_or(serde_json::Value::String(v.clone()));
            assert_eq!(got[&k], want, "{}: field {k} in {got:#}", f.display());
        }
    }
}
