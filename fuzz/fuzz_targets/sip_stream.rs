//! The TCP framer on arbitrary bytes: frame messages one after another the
//! way the decoder does; every `Complete(len)` is in bounds, makes progress
//! and delimits a message `parse` accepts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trunkwatch::sip::{parse, parse_stream, Status};

fuzz_target!(|data: &[u8]| {
    let mut pos = 0;
    while pos < data.len() {
        match parse_stream(&data[pos..]) {
            Ok(Status::Complete(n)) => {
                assert!(n > 0 && pos + n <= data.len());
                parse(&data[pos..pos + n]).expect("framed message parses");
                pos += n;
            }
            Ok(Status::Partial) => break,
            Err(e) => {
                assert!(e.offset <= data.len() - pos);
                break;
            }
        }
    }
});
