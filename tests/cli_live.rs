//! `trunkwatch capture` as operators run it: live on the loopback interface
//! while real sipp calls cross it, then SIGINT. Needs the `live-capture`
//! feature and root (CI runs as root with every feature).
#![cfg(feature = "live-capture")]

use std::net::UdpSocket;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Guard(Child);
impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn live_capture_streams_outcomes_and_flushes_on_sigint() {
    let scen = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sipp");
    let (uas_p, uac_p) = (free_udp_port(), free_udp_port());
    let filter = format!("udp port {uas_p} or udp port {uac_p}");
    let mon = Command::new(env!("CARGO_BIN_EXE_trunkwatch"))
        .args([
            "capture",
            "-i",
            "lo",
            "--filter",
            &filter,
            "--summary",
            "json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut mon = Guard(mon);
    std::thread::sleep(Duration::from_millis(1500));
    let sipp = |args: &[String]| {
        Command::new("sipp")
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let (mp1, mp2, cp1, cp2) = (
        free_udp_port(),
        free_udp_port(),
        free_udp_port(),
        free_udp_port(),
    );
    let uas = Guard(sipp(&s(&[
        "-sf",
        scen.join("uas_answer.xml").to_str().unwrap(),
        "-i",
        "127.0.0.1",
        "-p",
        &uas_p.to_string(),
        "-m",
        "2",
        "-mp",
        &mp1.to_string(),
        "-cp",
        &cp1.to_string(),
        "-nostdin",
        "-timeout",
        "30s",
        "-timeout_error",
    ])));
    std::thread::sleep(Duration::from_millis(300));
    let mut uac = sipp(&s(&[
        "-sf",
        scen.join("uac_caller_bye.xml").to_str().unwrap(),
        "-i",
        "127.0.0.1",
        "-p",
        &uac_p.to_string(),
        "-m",
        "2",
        "-r",
        "2",
        "-mp",
        &mp2.to_string(),
        "-cp",
        &cp2.to_string(),
        "-nostdin",
        "-timeout",
        "30s",
        "-timeout_error",
        "-s",
        "+12125550123",
        "-key",
        "bid",
        "b077e5abcdef",
        &format!("127.0.0.1:{uas_p}"),
    ]));
    let deadline = Instant::now() + Duration::from_secs(40);
    let rc = loop {
        if let Some(st) = uac.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < deadline, "sipp UAC did not finish");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(rc.success(), "sipp UAC failed: {rc}");
    drop(uas);
    std::thread::sleep(Duration::from_millis(500));
    let pid = mon.0.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let end = Instant::now() + Duration::from_secs(15);
    while mon.0.try_wait().unwrap().is_none() {
        assert!(Instant::now() < end, "capture did not stop on SIGINT");
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = std::mem::replace(&mut mon.0, Command::new("true").spawn().unwrap())
        .wait_with_output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let outcomes: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(outcomes.len(), 2, "{outcomes:#?}");
    for o in &outcomes {
        assert_eq!(o["status"], "completed", "{o}");
        assert_eq!(o["sip_code"], 200);
        assert_eq!(o["correlation"], "header");
        assert!(o["butter_call_id"]
            .as_str()
            .unwrap()
            .starts_with("call_b077e5abcdef"));
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let summary_line = stderr
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .expect("json summary");
    let summary: serde_json::Value = serde_json::from_str(summary_line).unwrap();
    assert_eq!(summary["calls"]["total"], 2, "{summary}");
}
