//! Per-call state size and flat memory over a long run of generated calls.
#![allow(unsafe_code)] // the counting allocator below

mod track_common;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use track_common::*;

struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        System.alloc(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        System.dealloc(p, l)
    }
}

#[global_allocator]
static A: Counting = Counting;

/// One complete call: INVITE with SDP and a Butter header, 100, 180, 200, ACK, BYE.
fn call(s: &mut Sim, i: u64, t: i64) {
    let mut d = Dlg::new(&format!("{i:016x}-4c1f9a@192.0.2.10"));
    d.extra = format!("X-Butter-Call-Id: call_{i:012x}\r\n");
    let b = format!("b{i}");
    s.send(
        t,
        PLATFORM,
        CARRIER,
        &d.request("INVITE", 1, &b, None, Some(&sdp("192.0.2.10", 40000)), ""),
    );
    s.send(
        t + 10,
        CARRIER,
        PLATFORM,
        &d.response(100, "Trying", 1, "INVITE", &b, None, None, ""),
    );
    s.send(
        t + 500,
        CARRIER,
        PLATFORM,
        &d.response(180, "Ringing", 1, "INVITE", &b, Some("c"), None, ""),
    );
    s.send(
        t + 3000,
        CARRIER,
        PLATFORM,
        &d.response(
            200,
            "OK",
            1,
            "INVITE",
            &b,
            Some("c"),
            Some(&sdp("198.51.100.20", 30000)),
            "",
        ),
    );
    s.send(
        t + 3010,
        PLATFORM,
        CARRIER,
        &d.request("ACK", 1, &format!("a{i}"), Some("c"), None, ""),
    );
}

#[test]
fn open_call_state_is_at_most_1_kib() {
    let mut s = Sim::new();
    for i in 0..1000 {
        call(&mut s, i, i as i64);
    }
    assert_eq!(s.tracker.open_calls(), 1000);
    let per_call = s.tracker.bytes_per_call();
    eprintln!("per open call: {per_call} bytes");
    assert!(per_call <= 1024, "{per_call} bytes per open call");
}

#[test]
fn memory_is_flat_over_a_long_run() {
    let mut s = Sim::new();
    let mut t = 0i64;
    let mut live_at = Vec::new();
    for i in 0..60_000u64 {
        call(&mut s, i, t);
        let mut d = Dlg::new(&format!("{i:016x}-4c1f9a@192.0.2.10"));
        d.extra.clear();
        // Each call talks 20 s, a new one starts every 50 ms: ~400 open.
        s.send(
            t + 23_000,
            PLATFORM,
            CARRIER,
            &d.request("BYE", 2, &format!("y{i}"), Some("c"), None, ""),
        );
        t += 50;
        s.out.clear();
        if i % 10_000 == 9_999 {
            live_at.push(LIVE.load(Ordering::Relaxed));
        }
    }
    eprintln!(
        "live bytes every 10k calls: {live_at:?}; table {}",
        s.tracker.table_len()
    );
    let (first, last) = (live_at[1], *live_at.last().unwrap());
    assert!(
        last < first + first / 5,
        "memory grew from {first} to {last}"
    );
    assert!(s.tracker.table_len() < 2_000);
}
