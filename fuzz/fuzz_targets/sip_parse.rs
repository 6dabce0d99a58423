//! `sip::parse` and every accessor on arbitrary bytes: no panic, errors
//! point inside the input, framed messages parse.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trunkwatch::sip::{self, parse};

fuzz_target!(|data: &[u8]| {
    match parse(data) {
        Err(e) => assert!(e.offset <= data.len()),
        Ok(m) => {
            assert!(m.as_bytes().len() <= data.len());
            let _ = (m.start_line(), m.call_id(), m.cseq(), m.top_via(), m.from(), m.to());
            for na in [m.from(), m.to()].into_iter().flatten() {
                let _ = (na.tag(), na.user(), na.host(), na.param("x"));
            }
            for v in m.vias().flatten() {
                let _ = v.param("branch");
            }
            for list in [m.contacts(), m.routes(), m.record_routes()] {
                let _ = list.count();
            }
            let _ = (m.max_forwards(), m.content_length(), m.content_type(), m.reasons().count());
            let _ = (m.user_agent(), m.server(), m.headers().count(), m.header("X-A"), m.validate());
            if let Ok(s) = sip::sdp::parse(m.body()) {
                for media in s.media() {
                    let _ = media.payload_types().count();
                }
            }
        }
    }
});
