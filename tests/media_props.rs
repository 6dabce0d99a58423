//! Property tests: no input makes the media layer panic, RTP views stay
//! inside their packet, and loss never exceeds what was expected.

use proptest::prelude::*;
use std::net::SocketAddr;
use trunkwatch::config::MediaConfig;
use trunkwatch::decode::Datagram;
use trunkwatch::media::{rtp, sdp, MediaTracker, Signal};
use trunkwatch::time::Timestamp;

proptest! {
    #[test]
    fn classify_never_panics_and_payload_is_inside(p in proptest::collection::vec(any::<u8>(), 0..300)) {
        if let rtp::Kind::Rtp(r) = rtp::classify(&p) {
            prop_assert!(r.payload_start >= 12 && r.payload_start <= r.payload_end && r.payload_end as usize <= p.len());
            prop_assert_eq!(r.payload(&p).len(), (r.payload_end - r.payload_start) as usize);
            prop_assert_eq!(p[0] >> 6, 2);
        }
    }

    #[test]
    fn seq_tracking_never_panics_or_overflows(seqs in proptest::collection::vec(any::<u16>(), 1..400)) {
        let mut s = rtp::SeqTracker::default();
        for &q in &seqs {
            s.update(q);
        }
        // Never more lost than could be expected across the restarts seen.
        prop_assert!(s.lost() <= (s.restarts + 1) * 65_536 * (seqs.len() as u64));
    }

    #[test]
    fn in_order_stream_with_gaps_counts_exact_loss(start in any::<u16>(), gaps in proptest::collection::vec(0u16..5, 1..200)) {
        let mut s = rtp::SeqTracker::default();
        let mut q = start;
        let mut lost = 0u64;
        s.update(q);
        for g in gaps {
            q = q.wrapping_add(g + 1);
            lost += u64::from(g);
            s.update(q);
        }
        prop_assert_eq!(s.lost(), lost);
    }

    #[test]
    fn tracker_survives_arbitrary_sdp_and_datagrams(
        body in proptest::collection::vec(any::<u8>(), 0..400),
        dgrams in proptest::collection::vec((0u16..4, proptest::collection::vec(any::<u8>(), 0..200)), 0..50),
    ) {
        let mut m = MediaTracker::new(&MediaConfig { max_streams: 8, ..MediaConfig::default() });
        let a: SocketAddr = "10.0.0.1:5060".parse().unwrap();
        let b: SocketAddr = "10.0.0.2:5060".parse().unwrap();
        let mut sdp_body = b"v=0\r\nc=IN IP4 10.0.0.2\r\nm=audio 4000 RTP/AVP 0\r\n".to_vec();
        sdp_body.extend_from_slice(&body);
        for (i, bd) in [&body[..], &sdp_body[..]].into_iter().enumerate() {
            m.on_signal(&Signal {
                ts: Timestamp::from_millis(i as i64),
                src: a,
                dst: b,
                call_id: b"x",
                request_invite: Some(true),
                status: None,
                offer_answer_method: true,
                cseq_invite: true,
                bye: false,
                from_tag: Some(b"t"),
                to_tag: None,
                sdp: Some(bd),
            });
            let _ = sdp::describe(bd);
        }
        for (k, (port, payload)) in dgrams.iter().enumerate() {
            let d = Datagram {
                ts: Timestamp::from_millis(10 + k as i64),
                frame: k as u64,
                src: "10.0.0.1:3000".parse().unwrap(),
                dst: SocketAddr::new("10.0.0.2".parse().unwrap(), 4000 + port),
                payload,
            };
            m.on_datagram(&d);
        }
        prop_assert!(m.calls() <= 1);
    }
}
