//! `trunkwatch proxy` end to end, the binary as operators run it: every sipp
//! scenario pair (UAC as the platform, UAS as the carrier) through the proxy
//! on loopback, sipp's own exit codes checked, and the outcome the proxy's
//! monitor wrote compared with the expected status and code
//! (`scripts/sipp/proxy_smoke.sh`, ports 26000-26400).

use std::path::Path;
use std::process::Command;

#[test]
fn every_scenario_through_the_proxy_gets_its_outcome() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("bash")
        .arg(root.join("scripts/sipp/proxy_smoke.sh"))
        .arg(env!("CARGO_BIN_EXE_trunkwatch"))
        .output()
        .expect("run proxy_smoke.sh");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("0 of 16 scenarios wrong"),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        text.lines().filter(|l| l.ends_with(" ok")).count(),
        16,
        "{text}"
    );
}
