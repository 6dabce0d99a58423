//! Every row of the classification table and every tracking rule, on
//! complete SIP messages through the real parser, tracker and classifier.

mod track_common;
use track_common::*;
use trunkwatch::config::{ClassifyConfig, TrackConfig};
use trunkwatch::outcome::{Correlation, Direction, Outcome, Party, Status};

const A: &str = PLATFORM;
const B: &str = CARRIER;

fn only(v: Vec<Outcome>) -> Outcome {
    assert_eq!(v.len(), 1, "{v:#?}");
    v.into_iter().next().unwrap()
}

/// INVITE, 100, 180 (at 500 ms), then the final `code` at 4 s.
fn rejected(code: u16, reason: &str) -> Outcome {
    let d = Dlg::new(&format!("rej{code}@192.0.2.10"));
    let mut s = Sim::new();
    s.send(
        0,
        A,
        B,
        &d.request(
            "INVITE",
            1,
            "inv1",
            None,
            Some(&sdp("192.0.2.10", 40000)),
            "",
        ),
    );
    s.send(
        10,
        B,
        A,
        &d.response(100, "Trying", 1, "INVITE", "inv1", None, None, ""),
    );
    s.send(
        500,
        B,
        A,
        &d.response(180, "Ringing", 1, "INVITE", "inv1", Some("c1"), None, ""),
    );
    s.send(
        4000,
        B,
        A,
        &d.response(code, reason, 1, "INVITE", "inv1", Some("c1"), None, ""),
    );
    s.send(
        4010,
        A,
        B,
        &d.request("ACK", 1, "inv1", Some("c1"), None, ""),
    );
    only(s.outcomes())
}

#[test]
fn answered_then_bye_is_completed_with_timings_and_correlation() {
    let mut d = Dlg::new("ok1@192.0.2.10");
    d.extra = "X-Butter-Call-Id: call_b2c3d4e5f6a7\r\nX-Lk-Callid: SCL_x83kd\r\n".into();
    let mut s = Sim::new();
    s.send(
        0,
        A,
        B,
        &d.request(
            "INVITE",
            1,
            "inv1",
            None,
            Some(&sdp("192.0.2.10", 40000)),
            "",
        ),
    );
    s.send(
        20,
        B,
        A,
        &d.response(100, "Trying", 1, "INVITE", "inv1", None, None, ""),
    );
    s.send(
        1500,
        B,
        A,
        &d.response(180, "Ringing", 1, "INVITE", "inv1", Some("c1"), None, ""),
    );
    s.send(
        6500,
        B,
        A,
        &d.response(
            200,
            "OK",
            1,
            "INVITE",
            "inv1",
            Some("c1"),
            Some(&sdp("198.51.100.20", 30000)),
            "",
        ),
    );
    s.send(
        6510,
        A,
        B,
        &d.request("ACK", 1, "ack1", Some("c1"), None, ""),
    );
    assert!(s.outcomes().is_empty(), "answered call stays open");
    s.send(
        66_510,
        B,
        A,
        &d.callee_request(
            "BYE",
            1,
            "bye1",
            "c1",
            "Reason: Q.850;cause=16;text=\"Normal call clearing\"\r\n",
        ),
    );
    let o = only(s.outcomes());
    assert_eq!(
        (o.status, o.is_final, o.sip_code),
        (Status::Completed, true, Some(200))
    );
    assert_eq!(o.ended_by, Some(Party::Callee));
    assert_eq!(
        (o.post_dial_delay_ms, o.ring_ms, o.talk_ms),
        (Some(1500), Some(5000), Some(60_010))
    );
    assert_eq!(o.q850_cause, Some(16));
    assert_eq!(o.reason_text.as_deref(), Some("Normal call clearing"));
    assert_eq!(o.butter_call_id.as_deref(), Some("call_b2c3d4e5f6a7"));
    assert_eq!(
        (o.correlation, o.direction),
        (Correlation::Header, Direction::Outbound)
    );
    assert_eq!(
        o.provider_ids.get("X-Lk-Callid").map(String::as_str),
        Some("SCL_x83kd")
    );
    assert_eq!(
        (o.from.as_deref(), o.to.as_deref()),
        (Some("+14155550100"), Some("+14155550199"))
    );
    assert_eq!(o.retransmissions, 0);
}

#[test]
fn busy_rows() {
    for (code, reason) in [
        (486, "Busy Here"),
        (600, "Busy Everywhere"),
        (603, "Decline"),
    ] {
        let o = rejected(code, reason);
        assert_eq!(
            (o.status, o.is_final, o.sip_code),
            (Status::Busy, true, Some(code)),
            "{code}"
        );
    }
    assert_eq!(rejected(603, "Decline").action, "do not retry soon");
    assert_eq!(rejected(486, "Busy Here").action, "retry later");
}

#[test]
fn no_answer_rows() {
    for (code, reason) in [(408, "Request Timeout"), (480, "Temporarily Unavailable")] {
        let o = rejected(code, reason);
        assert_eq!((o.status, o.sip_code), (Status::NoAnswer, Some(code)));
        assert_eq!(o.action, "retry later");
    }
}

#[test]
fn every_other_final_is_failed_with_advice() {
    for (code, reason) in [
        (404, "Not Found"),
        (403, "Forbidden"),
        (488, "Not Acceptable Here"),
        (503, "Service Unavailable"),
        (500, "Server Internal Error"),
        (604, "Does Not Exist Anywhere"),
        (487, "Request Terminated"),
    ] {
        let o = rejected(code, reason);
        assert_eq!(
            (o.status, o.sip_code),
            (Status::Failed, Some(code)),
            "{code}"
        );
        assert!(!o.cause.is_empty() && !o.action.is_empty());
    }
    assert_eq!(
        rejected(404, "Not Found").action,
        "check the call's to_number"
    );
    assert!(rejected(488, "Not Acceptable Here").cause.contains("codec"));
    assert!(rejected(503, "Service Unavailable")
        .action
        .contains("status page"));
}

#[test]
fn inbound_404_means_number_not_linked() {
    let d = Dlg {
        caller_host: CARRIER.into(),
        callee_host: PLATFORM.into(),
        ..Dlg::new("in404@198.51.100.20")
    };
    let cfg = ClassifyConfig {
        platform_networks: vec!["192.0.2.0/24".parse().unwrap()],
        ..Default::default()
    };
    let mut s = Sim::with(TrackConfig::default(), cfg);
    s.send(0, B, A, &d.request("INVITE", 1, "in1", None, None, ""));
    s.send(
        30,
        A,
        B,
        &d.response(404, "Not Found", 1, "INVITE", "in1", Some("p1"), None, ""),
    );
    let o = only(s.outcomes());
    assert_eq!(
        (o.direction, o.status),
        (Direction::Inbound, Status::Failed)
    );
    assert!(o.action.contains("Agents > Phone Numbers"), "{}", o.action);
}

fn cancel_scenario(cancel_at: i64, reason: &str, ring_timeout_ms: u64) -> Outcome {
    let d = Dlg::new("cxl@192.0.2.10");
    let cfg = ClassifyConfig {
        ring_timeout_ms,
        ..Default::default()
    };
    let mut s = Sim::with(TrackConfig::default(), cfg);
    s.send(0, A, B, &d.request("INVITE", 1, "inv1", None, None, ""));
    s.send(
        800,
        B,
        A,
        &d.response(180, "Ringing", 1, "INVITE", "inv1", Some("c1"), None, ""),
    );
    s.send(
        cancel_at,
        A,
        B,
        &d.request("CANCEL", 1, "inv1", None, None, reason),
    );
    s.send(
        cancel_at + 5,
        B,
        A,
        &d.response(200, "OK", 1, "CANCEL", "inv1", Some("c1"), None, ""),
    );
    s.send(
        cancel_at + 6,
        B,
        A,
        &d.response(
            487,
            "Request Terminated",
            1,
            "INVITE",
            "inv1",
            Some("c1"),
            None,
            "",
        ),
    );
    s.send(
        cancel_at + 7,
        A,
        B,
        &d.request("ACK", 1, "inv1", Some("c1"), None, ""),
    );
    only(s.outcomes())
}

#[test]
fn cancel_rows() {
    let o = cancel_scenario(5000, "", 60_000);
    assert_eq!((o.status, o.sip_code), (Status::Canceled, Some(487)));
    assert_eq!(o.ring_ms, Some(4206));
    assert_eq!(o.ended_by, Some(Party::Caller), "the CANCEL ended it");
    let o = cancel_scenario(
        5000,
        "Reason: Q.850;cause=19;text=\"No answer\"\r\n",
        60_000,
    );
    assert_eq!((o.status, o.q850_cause), (Status::NoAnswer, Some(19)));
    let o = cancel_scenario(31_000, "", 30_000);
    assert_eq!(o.status, Status::NoAnswer, "rang past the ring timeout");
}

#[test]
fn timer_b_without_any_response_fails_with_null_code() {
    let d = Dlg::new("tb@192.0.2.10");
    let mut s = Sim::new();
    let inv = d.request("INVITE", 1, "inv1", None, None, "");
    for t in [0, 500, 1500, 3500, 7500, 15_500] {
        s.send(t, A, B, &inv);
    }
    s.advance(31_999);
    assert!(s.outcomes().is_empty());
    s.advance(32_000);
    let o = only(s.outcomes());
    assert_eq!(
        (o.status, o.is_final, o.sip_code),
        (Status::Failed, true, None)
    );
    assert_eq!(o.retransmissions, 5);
    assert!(o.anomalies.iter().any(|a| a.kind == "no_response"));
}

#[test]
fn challenge_then_new_invite_goes_on() {
    let d = Dlg::new("auth@192.0.2.10");
    let mut s = Sim::new();
    s.send(0, A, B, &d.request("INVITE", 1, "a1", None, None, ""));
    s.send(
        40,
        B,
        A,
        &d.response(
            407,
            "Proxy Authentication Required",
            1,
            "INVITE",
            "a1",
            Some("c0"),
            None,
            "Proxy-Authenticate: Digest realm=\"carrier\", nonce=\"4f1a\", algorithm=MD5\r\n",
        ),
    );
    s.send(45, A, B, &d.request("ACK", 1, "a1", Some("c0"), None, ""));
    s.advance(30_000);
    assert!(s.outcomes().is_empty(), "waiting for the retry");
    s.send(30_050, A, B, &d.request("INVITE", 2, "a2", None, None, "Proxy-Authorization: Digest username=\"butter\", realm=\"carrier\", nonce=\"4f1a\", uri=\"sip:+14155550199@198.51.100.20\", response=\"6629fae49393a05397450978507c4ef1\"\r\n"));
    s.send(
        30_400,
        B,
        A,
        &d.response(200, "OK", 2, "INVITE", "a2", Some("c1"), None, ""),
    );
    s.send(
        40_000,
        A,
        B,
        &d.request("BYE", 3, "b1", Some("c1"), None, ""),
    );
    let o = only(s.outcomes());
    assert_eq!(
        (o.status, o.sip_code, o.auth_challenged),
        (Status::Completed, Some(200), true)
    );
    assert_eq!(o.ended_by, Some(Party::Caller));
}

#[test]
fn unanswered_challenge_is_failed() {
    let d = Dlg::new("auth2@192.0.2.10");
    let mut s = Sim::new();
    s.send(0, A, B, &d.request("INVITE", 1, "a1", None, None, ""));
    s.send(
        40,
        B,
        A,
        &d.response(
            401,
            "Unauthorized",
            1,
            "INVITE",
            "a1",
            Some("c0"),
            None,
            "WWW-Authenticate: Digest realm=\"carrier\", nonce=\"99\"\r\n",
        ),
    );
    let o = only(s.finish());
    assert_eq!(
        (o.status, o.is_final, o.sip_code),
        (Status::Failed, true, Some(401))
    );
}

#[test]
fn redirect_then_new_invite_decides() {
    let d = Dlg::new("redir@192.0.2.10");
    let mut s = Sim::new();
    s.send(0, A, B, &d.request("INVITE", 1, "r1", None, None, ""));
    s.send(
        30,
        B,
        A,
        &d.response(
            302,
            "Moved Temporarily",
            1,
            "INVITE",
            "r1",
            Some("c0"),
            None,
            "",
        ),
    );
    s.send(35, A, B, &d.request("ACK", 1, "r1", Some("c0"), None, ""));
    s.send(50, A, B, &d.request("INVITE", 2, "r2", None, None, ""));
    s.send(
        900,
        B,
        A,
        &d.response(486, "Busy Here", 2, "INVITE", "r2", Some("c2"), None, ""),
    );
    let o = only(s.outcomes());
    assert_eq!(
        (o.status, o.sip_code, o.auth_challenged),
        (Status::Busy, Some(486), false)
    );
}

#[test]
fn forking_first_2xx_answers_and_only_its_dialog_ends_the_call() {
    let d = Dlg::new("fork@192.0.2.10");
    let mut s = Sim::new();
    s.send(0, A, B, &d.request("INVITE", 1, "f1", None, None, ""));
    s.send(
        300,
        B,
        A,
        &d.response(180, "Ringing", 1, "INVITE", "f1", Some("forkA"), None, ""),
    );
    s.send(
        310,
        B,
        A,
        &d.response(180, "Ringing", 1, "INVITE", "f1", Some("forkB"), None, ""),
    );
    s.send(
        2000,
        B,
        A,
        &d.response(200, "OK", 1, "INVITE", "f1", Some("forkB"), None, ""),
    );
    s.send(
        2100,
        B,
        A,
        &d.response(200, "OK", 1, "INVITE", "f1", Some("forkA"), None, ""),
    );
    s.send(
        2110,
        A,
        B,
        &d.request("BYE", 2, "byeA", Some("forkA"), None, ""),
    );
    assert!(
        s.outcomes().is_empty(),
        "BYE of the other fork does not end the call"
    );
    s.send(
        9000,
        A,
        B,
        &d.request("BYE", 3, "byeB", Some("forkB"), None, ""),
    );
    let o = only(s.outcomes());
    assert_eq!(
        (o.status, o.answered_at.is_some(), o.talk_ms),
        (Status::Completed, true, Some(7000))
    );
    assert_eq!(
        o.retransmissions, 0,
        "a second fork's 2xx is not a retransmission"
    );
}

#[test]
fn reinvite_and_update_never_change_the_outcome() {
    let d = Dlg::new("reinv@192.0.2.10");
    let mut s = Sim::new();
    s.send(0, A, B, &d.request("INVITE", 1, "i1", None, None, ""));
    s.send(
        1000,
        B,
        A,
        &d.response(200, "OK", 1, "INVITE", "i1", Some("c1"), None, ""),
    );
    s.send(1010, A, B, &d.request("ACK", 1, "k1", Some("c1"), None, ""));
    s.send(
        5000,
        A,
        B,
        &d.request(
            "INVITE",
            2,
            "i2",
            Some("c1"),
            Some(&sdp("192.0.2.10", 40002)),
            "",
        ),
    );
    s.send(
        5050,
        B,
        A,
        &d.response(
            491,
            "Request Pending",
            2,
            "INVITE",
            "i2",
            Some("c1"),
            None,
            "",
        ),
    );
    s.send(
        6000,
        A,
        B,
        &d.request("INVITE", 3, "i3", Some("c1"), None, ""),
    );
    s.send(
        6050,
        B,
        A,
        &d.response(
            488,
            "Not Acceptable Here",
            3,
            "INVITE",
            "i3",
            Some("c1"),
            None,
            "",
        ),
    );
    s.send(
        7000,
        A,
        B,
        &d.request("UPDATE", 4, "u4", Some("c1"), None, ""),
    );
    s.send(
        7050,
        B,
        A,
        &d.response(200, "OK", 4, "UPDATE", "u4", Some("c1"), None, ""),
    );
    let o = only(s.finish());
    assert_eq!(
        (o.status, o.is_final, o.sip_code),
        (Status::InProgress, false, Some(200))
    );
}

#[test]
fn retransmissions_counted_once_and_duplicate_frames_not_at_all() {
    let d = Dlg::new("rtx@192.0.2.10");
    let mut s = Sim::new();
    s.send(0, A, B, &d.request("INVITE", 1, "i1", None, None, ""));
    s.send(1, A, B, &d.request("INVITE", 1, "i1", None, None, "")); // same frame on a second interface
    let ok = d.response(200, "OK", 1, "INVITE", "i1", Some("c1"), None, "");
    for t in [1000, 1500, 2500, 4500] {
        s.send(t, B, A, &ok);
    }
    s.send(4600, A, B, &d.request("BYE", 2, "b2", Some("c1"), None, ""));
    let o = only(s.outcomes());
    assert_eq!((o.status, o.retransmissions), (Status::Completed, 3));
    assert_eq!(s.tracker.stats().get("track", "duplicate_frame"), 1);
    // Late retransmission while lingering: recognised, not a new call.
    s.send(4700, A, B, &d.request("BYE", 2, "b2", Some("c1"), None, ""));
    assert!(s.outcomes().len() == 1);
    assert_eq!(s.tracker.stats().get("track", "late_retransmission"), 1);
    s.advance(4600 + 32_000);
    assert_eq!(s.tracker.table_len(), 0, "lingered, then left");
}

#[test]
fn proxy_in_the_capture_is_one_call_not_retransmissions() {
    // UA 10.0.0.1 -> proxy 10.0.0.2 -> UA 10.0.0.3, both legs captured.
    let cid = "px@10.0.0.1";
    let leg_a = Dlg {
        caller_host: "10.0.0.1:5060".into(),
        callee_host: "10.0.0.2:5060".into(),
        ..Dlg::new(cid)
    };
    let inv_a = leg_a.request("INVITE", 1, "ua1", None, None, "");
    // The proxy adds its own Via on top and forwards.
    let inv_b = inv_a
        .replacen(
            "Via: ",
            "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKpx1\r\nVia: ",
            1,
        )
        .replacen("Max-Forwards: 70", "Max-Forwards: 69", 1);
    let resp = |code: u16, reason: &str, top: bool| {
        let r = leg_a.response(
            code,
            reason,
            1,
            "INVITE",
            "ua1",
            if code > 100 { Some("callee7") } else { None },
            None,
            "",
        );
        if top {
            r.replacen(
                "Via: ",
                "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKpx1\r\nVia: ",
                1,
            )
        } else {
            r
        }
    };
    let (u1, px, u3) = ("10.0.0.1:5060", "10.0.0.2:5060", "10.0.0.3:5060");
    let mut s = Sim::new();
    s.send(0, u1, px, &inv_a);
    s.send(5, px, u3, &inv_b);
    s.send(6, px, u1, &resp(100, "Trying", false));
    s.send(50, u3, px, &resp(180, "Ringing", true));
    s.send(51, px, u1, &resp(180, "Ringing", false));
    s.send(3000, u3, px, &resp(200, "OK", true));
    s.send(3001, px, u1, &resp(200, "OK", false));
    let bye = leg_a.request("BYE", 2, "ub2", Some("callee7"), None, "");
    s.send(9000, u1, px, &bye);
    s.send(
        9001,
        px,
        u3,
        &bye.replacen(
            "Via: ",
            "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKpx2\r\nVia: ",
            1,
        ),
    );
    let o = only(s.finish());
    assert_eq!(
        (o.status, o.sip_code, o.retransmissions),
        (Status::Completed, Some(200), 0)
    );
    assert_eq!(o.ended_by, Some(Party::Caller));
    assert_eq!(o.src, u1);
}

#[test]
fn open_calls_at_end_of_input_are_not_final() {
    let mut s = Sim::new();
    let d1 = Dlg::new("open1@192.0.2.10");
    let d2 = Dlg::new("open2@192.0.2.10");
    s.send(0, A, B, &d1.request("INVITE", 1, "o1", None, None, ""));
    s.send(
        10,
        B,
        A,
        &d1.response(100, "Trying", 1, "INVITE", "o1", None, None, ""),
    );
    s.send(20, A, B, &d2.request("INVITE", 1, "o2", None, None, ""));
    s.send(
        30,
        B,
        A,
        &d2.response(
            183,
            "Session Progress",
            1,
            "INVITE",
            "o2",
            Some("e1"),
            None,
            "",
        ),
    );
    let v = s.finish();
    assert_eq!(v.len(), 2);
    assert_eq!(
        (v[0].sip_call_id.as_str(), v[0].status, v[0].is_final),
        ("open1@192.0.2.10", Status::Initiated, false)
    );
    assert_eq!((v[1].status, v[1].is_final), (Status::Ringing, false));
}

#[test]
fn open_call_cap_evicts_oldest_and_emits_it_open() {
    let cfg = TrackConfig {
        max_open_calls: 2,
        ..Default::default()
    };
    let mut s = Sim::with(cfg, ClassifyConfig::default());
    for i in 0..3 {
        let d = Dlg::new(&format!("cap{i}@192.0.2.10"));
        s.send(
            i * 10,
            A,
            B,
            &d.request("INVITE", 1, &format!("c{i}"), None, None, ""),
        );
        s.send(
            i * 10 + 1,
            B,
            A,
            &d.response(
                180,
                "Ringing",
                1,
                "INVITE",
                &format!("c{i}"),
                Some("t"),
                None,
                "",
            ),
        );
    }
    let v = s.outcomes();
    assert_eq!(v.len(), 1);
    assert_eq!(
        (v[0].sip_call_id.as_str(), v[0].is_final),
        ("cap0@192.0.2.10", false)
    );
    assert!(v[0].anomalies.iter().any(|a| a.kind == "evicted"));
    assert_eq!(s.tracker.stats().get("track", "evicted"), 1);
    assert_eq!(s.tracker.open_calls(), 2);
}

#[test]
fn records_join_and_status_mismatch() {
    use trunkwatch::classify::correlate::{normalize_number, Record, Records};
    use trunkwatch::classify::Classifier;
    use trunkwatch::time::Timestamp;
    let mut recs = Records::default();
    recs.push(Record {
        id: "call_0123456789ab".into(),
        direction: Direction::Outbound,
        from: normalize_number("+1 415 555 0100"),
        to: normalize_number("+1 415 555 0199"),
        start: Timestamp::from_millis(T0 - 800),
        status: Some(Status::Failed),
    });
    let d = Dlg::new("join@192.0.2.10");
    let mut s = Sim::new();
    s.send(0, A, B, &d.request("INVITE", 1, "j1", None, None, ""));
    s.send(
        900,
        B,
        A,
        &d.response(486, "Busy Here", 1, "INVITE", "j1", Some("c"), None, ""),
    );
    let mut c = Classifier::with_records(&ClassifyConfig::default(), recs);
    let o = c.classify(&s.out[0]);
    assert_eq!(
        (o.correlation, o.butter_call_id.as_deref()),
        (Correlation::Records, Some("call_0123456789ab"))
    );
    assert_eq!(o.direction, Direction::Outbound);
    let m = o
        .anomalies
        .iter()
        .find(|a| a.kind == "status_mismatch")
        .expect("flagged");
    assert_eq!(
        m.detail.as_deref(),
        Some("Butter says failed, the wire says busy (486)")
    );
}

#[test]
fn output_is_deterministic_and_sorted() {
    let run = || {
        let mut s = Sim::new();
        for (i, id) in ["b@x", "a@x", "c@x"].iter().enumerate() {
            let d = Dlg::new(id);
            s.send(
                i as i64 % 2,
                A,
                B,
                &d.request("INVITE", 1, &format!("d{i}"), None, None, ""),
            );
        }
        s.finish()
    };
    let a = run();
    let ids: Vec<_> = a.iter().map(|o| o.sip_call_id.as_str()).collect();
    assert_eq!(
        ids,
        vec!["b@x", "c@x", "a@x"],
        "by INVITE time, then Call-ID"
    );
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&run()).unwrap()
    );
}

#[test]
fn reliable_provisionals_with_new_rseq_are_not_retransmissions() {
    let d = Dlg::new("prack@192.0.2.10");
    let mut s = Sim::new();
    s.send(
        0,
        A,
        B,
        &d.request("INVITE", 1, "p1", None, None, "Supported: 100rel\r\n"),
    );
    let r180 = |rseq: u32| {
        d.response(
            180,
            "Ringing",
            1,
            "INVITE",
            "p1",
            Some("c1"),
            None,
            &format!("Require: 100rel\r\nRSeq: {rseq}\r\n"),
        )
    };
    s.send(300, B, A, &r180(1));
    s.send(
        310,
        A,
        B,
        &d.request("PRACK", 2, "k2", Some("c1"), None, "RAck: 1 1 INVITE\r\n"),
    );
    s.send(600, B, A, &r180(2)); // a new reliable provisional
    s.send(1100, B, A, &r180(2)); // its retransmission (PRACK lost)
    s.send(
        1110,
        A,
        B,
        &d.request("PRACK", 3, "k3", Some("c1"), None, "RAck: 2 1 INVITE\r\n"),
    );
    s.send(
        5000,
        B,
        A,
        &d.response(486, "Busy Here", 1, "INVITE", "p1", Some("c1"), None, ""),
    );
    let o = only(s.outcomes());
    assert_eq!((o.status, o.retransmissions), (Status::Busy, 1));
}

/// Without configured platform networks, the side that sent INVITEs carrying
/// a Butter id is the platform: a later INVITE toward it is inbound, and an
/// inbound 404 gets the "number not linked to an agent" advice.
#[test]
fn platform_learned_from_butter_ids_gives_inbound_direction() {
    let mut s = Sim::new();
    let mut out = Dlg::new("learn-out@192.0.2.10");
    out.extra = "X-Butter-Call-Id: call_b2c3d4e5f6a7\r\n".into();
    s.send(0, A, B, &out.request("INVITE", 1, "o1", None, None, ""));
    s.send(
        100,
        B,
        A,
        &out.response(486, "Busy Here", 1, "INVITE", "o1", Some("c1"), None, ""),
    );
    s.send(
        110,
        A,
        B,
        &out.request("ACK", 1, "o1", Some("c1"), None, ""),
    );

    let inb = Dlg::new("learn-in@198.51.100.20");
    s.send(1000, B, A, &inb.request("INVITE", 1, "i1", None, None, ""));
    s.send(
        1100,
        A,
        B,
        &inb.response(404, "Not Found", 1, "INVITE", "i1", Some("p1"), None, ""),
    );
    s.send(
        1110,
        B,
        A,
        &inb.request("ACK", 1, "i1", Some("p1"), None, ""),
    );
    let v = s.outcomes();
    assert_eq!(v.len(), 2, "{v:#?}");
    let (first, second) = (&v[0], &v[1]);
    assert_eq!(first.direction, Direction::Outbound);
    assert_eq!(second.direction, Direction::Inbound);
    assert_eq!(second.status, Status::Failed);
    assert!(second.action.contains("Agents"), "{}", second.action);
}
