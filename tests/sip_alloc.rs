//! Zero allocations: parsing and every accessor the tracker uses, counted
//! by a global allocator wrapper (per thread, so the test harness's own
//! threads do not interfere).
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::PathBuf;
use trunkwatch::sip::{self, parse, parse_stream};

struct Counting;

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

fn bump() {
    // `try_with`: the thread-local may be gone during thread teardown.
    let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every call is forwarded unchanged to the system allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> usize {
    ALLOCS.with(Cell::get)
}

/// Everything the tracker and media tracking read from a message; returns
/// a checksum so nothing is optimised away.
fn read_everything(buf: &[u8]) -> usize {
    let mut n = 0;
    let Ok(m) = parse(buf) else { return 0 };
    n += m.status().map_or(0, usize::from);
    n += m
        .method()
        .map_or(0, |x| x.as_bytes().len() + x.label().len());
    n += m.reason_phrase().map_or(0, <[u8]>::len) + m.request_uri().map_or(0, <[u8]>::len);
    n += m.call_id().map_or(0, <[u8]>::len);
    if let Ok(c) = m.cseq() {
        n += c.seq as usize + c.method.as_bytes().len();
    }
    if let Ok(v) = m.top_via() {
        n += v.branch().map_or(0, <[u8]>::len) + v.host.len() + usize::from(v.port.unwrap_or(0));
        n += v.received().map_or(0, <[u8]>::len) + v.rport().map_or(0, <[u8]>::len);
    }
    n += m.vias().filter_map(Result::ok).count();
    for na in [m.from(), m.to()].into_iter().flatten() {
        n += na.tag().map_or(0, <[u8]>::len) + na.user().map_or(0, <[u8]>::len);
        n += na.host().map_or(0, <[u8]>::len) + na.display.map_or(0, <[u8]>::len);
    }
    n += m
        .contacts()
        .filter_map(Result::ok)
        .map(|c| c.uri.len())
        .sum::<usize>();
    n += m.record_routes().count() + m.routes().count();
    n += m.max_forwards().ok().flatten().unwrap_or(0) as usize;
    n += m.content_length().ok().flatten().unwrap_or(0);
    n += m.content_type().map_or(0, <[u8]>::len);
    for r in m.reasons() {
        n += r.protocol.len() + usize::from(r.cause.unwrap_or(0)) + r.text.map_or(0, <[u8]>::len);
    }
    n += m.user_agent().map_or(0, <[u8]>::len) + m.server().map_or(0, <[u8]>::len);
    n += m.header("X-Butter-Call-Id").map_or(0, <[u8]>::len);
    n += m.header("k").map_or(0, <[u8]>::len);
    n += m.header_all("Via").count() + m.headers().count();
    n += m.validate().is_ok() as usize;
    if let Ok(sdp) = sip::sdp::parse(m.body()) {
        n += sdp.connection().map_or(0, <[u8]>::len) + sdp.direction() as usize;
        for media in sdp.media() {
            n += usize::from(media.port) + media.payload_types().map(usize::from).sum::<usize>();
            n +=
                media.connection.map_or(0, <[u8]>::len) + media.direction.map_or(0, |d| d as usize);
        }
    }
    if let Ok(sip::Status::Complete(len)) = parse_stream(buf) {
        n += len;
    }
    n
}

#[test]
fn parse_and_accessors_allocate_nothing() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/sip");
    let mut inputs = Vec::new();
    for dir in ["bench", "real", "rfc4475"] {
        let mut paths: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        paths.sort();
        for p in paths {
            inputs.push(std::fs::read(&p).unwrap());
        }
    }
    assert!(inputs.len() >= 60);
    // Errors (invalid torture messages) are values too: no allocation.
    let before = allocations();
    let mut sum = 0;
    for buf in &inputs {
        sum += read_everything(buf);
    }
    let after = allocations();
    assert!(sum > 0);
    assert_eq!(
        after - before,
        0,
        "allocations while parsing {} messages",
        inputs.len()
    );
}

#[test]
fn the_counter_counts() {
    let before = allocations();
    let v: Vec<u8> = Vec::with_capacity(std::hint::black_box(16));
    drop(v);
    assert_eq!(allocations() - before, 1);
}
