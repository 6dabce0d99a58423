//! Live capture on the loopback interface with real sipp traffic (needs
//! root, as CI runs; built only with `--features live-capture`).
#![cfg(feature = "live-capture")]

use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use trunkwatch::capture::live::{LiveCapture, LiveOptions, DEFAULT_FILTER, DEFAULT_SNAPLEN};

/// A free UDP port on 127.0.0.1 (the OS picks it, so parallel runs differ).
fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Kills the sipp server when the test ends, however it ends.
struct Reap(Child);
impl Drop for Reap {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn count(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).filter(|w| *w == needle).count()
}

#[test]
fn sees_sipp_calls_on_loopback() {
    let (uas_port, uac_port) = (free_port(), free_port());
    let filter = format!("udp port {uas_port} or udp port {uac_port}");
    let mut opts = LiveOptions::new("lo");
    opts.filter = Some(filter);
    opts.timeout_ms = 100;
    let mut cap = LiveCapture::open_with(&opts).expect("open lo (tests run as root)");
    assert_eq!(cap.linktype(), 1, "lo is Ethernet-framed");

    let _uas = Reap(
        Command::new("sipp")
            .args(["-sn", "uas", "-i", "127.0.0.1", "-nostdin", "-p"])
            .arg(uas_port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sipp installed"),
    );
    std::thread::sleep(Duration::from_millis(300));
    let mut uac = Reap(
        Command::new("sipp")
            .args([
                "-sn",
                "uac",
                "-i",
                "127.0.0.1",
                "-nostdin",
                "-m",
                "3",
                "-r",
                "10",
            ])
            .args(["-d", "100", "-timeout", "10", "-p"])
            .arg(uac_port.to_string())
            .arg(format!("127.0.0.1:{uas_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sipp installed"),
    );

    let (mut invites, mut oks, mut byes, mut frames) = (0, 0, 0, 0u64);
    let mut last_ts = None;
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut uac_done_at = None;
    while Instant::now() < deadline {
        if uac_done_at.is_none() && uac.0.try_wait().unwrap().is_some() {
            uac_done_at = Some(Instant::now());
        }
        // After the client exits, drain for a moment, then stop.
        if uac_done_at.is_some_and(|t| t.elapsed() > Duration::from_millis(500)) {
            break;
        }
        if let Some(f) = cap.next_frame().expect("read") {
            frames += 1;
            assert_eq!(f.number, frames);
            assert!(
                last_ts.is_none_or(|t| t <= f.ts),
                "monotonic on one interface"
            );
            last_ts = Some(f.ts);
            assert_eq!(
                f.data.len() as u32,
                f.orig_len,
                "snaplen keeps whole frames"
            );
            invites += count(f.data, b"INVITE sip:");
            oks += count(f.data, b"SIP/2.0 200 OK");
            byes += count(f.data, b"BYE sip:");
        }
    }
    let status = uac.0.wait().unwrap();
    assert!(status.success(), "sipp uac: {status}");
    assert_eq!(invites, 3, "INVITEs seen");
    assert_eq!(byes, 3, "BYEs seen");
    assert_eq!(oks, 6, "200s to INVITE and BYE seen");
    // Capture time is wall time on a live interface.
    let now = trunkwatch::time::Timestamp::now();
    assert!(now.millis_since(last_ts.unwrap()) < 60_000);
    let (kernel, iface) = cap.refresh_drops();
    assert_eq!((kernel, iface), cap.drops());
    assert_eq!(cap.stats().get("capture", "kernel_drop"), kernel);
}

#[test]
fn default_filter_compiles_and_bad_ones_are_reported() {
    assert!(LiveCapture::open("lo", None, DEFAULT_SNAPLEN, false).is_ok());
    assert!(DEFAULT_FILTER.contains("ip[6:2] & 0x1fff != 0"));
    let e = LiveCapture::open("lo", Some("udp port banana"), DEFAULT_SNAPLEN, false)
        .err()
        .unwrap();
    assert!(e.is_bad_input());
    assert!(
        e.to_string()
            .starts_with("capture filter 'udp port banana': "),
        "{e}"
    );
}

#[test]
fn missing_interface_names_it() {
    let e = LiveCapture::open("nosuchif0", None, DEFAULT_SNAPLEN, false)
        .err()
        .unwrap();
    assert!(e.is_bad_input());
    let s = e.to_string();
    assert!(s.starts_with("interface nosuchif0: "), "{s}");
    assert!(s.contains("available: "), "{s}");
}

#[test]
fn idle_interface_returns_on_timeout() {
    // No traffic matches: every call must come back (None) instead of
    // blocking, so the caller can check for shutdown.
    let mut opts = LiveOptions::new("lo");
    opts.filter = Some(format!("udp port {}", free_port()));
    opts.timeout_ms = 50;
    let mut cap = LiveCapture::open_with(&opts).unwrap();
    for _ in 0..3 {
        assert!(cap.next_frame().unwrap().is_none());
    }
    assert_eq!(cap.drops(), (0, 0));
}
