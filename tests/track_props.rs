//! Any order of real call messages (across several calls, with repeats and
//! gaps) keeps the tracker's invariants: no panic, each call emitted once,
//! open calls flushed as open, final outcomes carry terminal statuses.

mod track_common;
use proptest::prelude::*;
use std::collections::BTreeMap;
use track_common::*;
use trunkwatch::outcome::Status;

/// Every message a call can see, in both directions.
fn vocabulary(d: &Dlg) -> Vec<(bool, String)> {
    let s = sdp("192.0.2.10", 40000);
    vec![
        (true, d.request("INVITE", 1, "i1", None, Some(&s), "")),
        (
            false,
            d.response(100, "Trying", 1, "INVITE", "i1", None, None, ""),
        ),
        (
            false,
            d.response(180, "Ringing", 1, "INVITE", "i1", Some("t1"), None, ""),
        ),
        (
            false,
            d.response(
                183,
                "Session Progress",
                1,
                "INVITE",
                "i1",
                Some("t2"),
                None,
                "",
            ),
        ),
        (
            false,
            d.response(
                200,
                "OK",
                1,
                "INVITE",
                "i1",
                Some("t1"),
                Some(&sdp("198.51.100.20", 30000)),
                "",
            ),
        ),
        (
            false,
            d.response(486, "Busy Here", 1, "INVITE", "i1", Some("t1"), None, ""),
        ),
        (
            false,
            d.response(
                407,
                "Proxy Authentication Required",
                1,
                "INVITE",
                "i1",
                Some("t0"),
                None,
                "",
            ),
        ),
        (true, d.request("INVITE", 2, "i2", None, None, "")),
        (
            false,
            d.response(200, "OK", 2, "INVITE", "i2", Some("t3"), None, ""),
        ),
        (
            true,
            d.request("CANCEL", 1, "i1", None, None, "Reason: Q.850;cause=19\r\n"),
        ),
        (
            false,
            d.response(
                487,
                "Request Terminated",
                1,
                "INVITE",
                "i1",
                Some("t1"),
                None,
                "",
            ),
        ),
        (true, d.request("ACK", 1, "i1", Some("t1"), None, "")),
        (true, d.request("BYE", 3, "b3", Some("t1"), None, "")),
        (false, d.callee_request("BYE", 9, "b9", "t1", "")),
        (true, d.request("INVITE", 4, "i4", Some("t1"), None, "")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]
    #[test]
    fn any_message_order_keeps_invariants(
        steps in proptest::collection::vec((0usize..3, 0usize..15, 0i64..500), 1..60)
    ) {
        let dlgs: Vec<Dlg> = (0..3).map(|i| Dlg::new(&format!("prop{i}@192.0.2.10"))).collect();
        let vocab: Vec<_> = dlgs.iter().map(vocabulary).collect();
        let mut sim = Sim::new();
        let mut t = 0;
        for (call, msg, gap) in steps {
            t += gap;
            let (from_caller, m) = &vocab[call][msg];
            let (src, dst) = if *from_caller { (PLATFORM, CARRIER) } else { (CARRIER, PLATFORM) };
            sim.send(t, src, dst, m);
        }
        let out = sim.finish();
        prop_assert_eq!(sim.tracker.open_calls(), 0);
        prop_assert_eq!(sim.tracker.table_len(), 0);
        let mut per_call = BTreeMap::new();
        for o in &out {
            *per_call.entry(o.sip_call_id.clone()).or_insert(0) += 1;
            if o.is_final {
                prop_assert!(o.status.is_terminal(), "{:?}", o);
                if o.sip_code.is_none() {
                    prop_assert_eq!(o.status, Status::Failed);
                }
            } else {
                prop_assert!(matches!(o.status, Status::Initiated | Status::Ringing | Status::InProgress), "{:?}", o);
            }
            if o.status == Status::Completed {
                prop_assert!(o.answered_at.is_some() && o.ended_by.is_some());
            }
        }
        // The whole run (< 60 x 500 ms) is shorter than linger_ms: no call can be emitted twice.
        prop_assert!(per_call.values().all(|&n| n == 1), "{:?}", per_call);
    }
}
