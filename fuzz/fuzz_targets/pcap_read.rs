//! Fuzz the capture reader: any bytes, as a file would deliver them (pcap,
//! pcapng, gzip detected by magic). Must never panic, hang or allocate
//! without bound; every frame must lie inside the input's limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::Cursor;

fuzz_target!(|data: &[u8]| {
    if let Ok(mut r) =
        trunkwatch::capture::open_reader("fuzz", Box::new(Cursor::new(data.to_vec())))
    {
        let mut n = 0u64;
        while let Some(f) = r.next_frame() {
            n += 1;
            assert_eq!(f.number, n);
            assert!(f.data.len() <= 16 << 20);
        }
        let stopped = r.stats().get("capture", "truncated")
            + r.stats().get("capture", "bad_record")
            + r.stats().get("capture", "read_error");
        assert_eq!(r.warnings().len() as u64, stopped);
    }
});
