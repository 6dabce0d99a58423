use super::*;
use crate::decode::Datagram;
use crate::outcome::{Correlation, Status};

const CALLER: &str = "10.0.0.1:5060";
const CALLEE: &str = "10.0.0.2:5060";

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn t(ms: i64) -> Timestamp {
    Timestamp::from_millis(1_700_000_000_000 + ms)
}

fn sdp(ip: &str, port: u16, extra: &str) -> Vec<u8> {
    format!("v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio {port} RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n{extra}").into_bytes()
}

struct Call {
    id: &'static str,
}

impl Call {
    fn sig<'a>(
        &'a self,
        ms: i64,
        from_caller: bool,
        request: Option<bool>,
        status: Option<u16>,
        body: Option<&'a [u8]>,
    ) -> Signal<'a> {
        let (src, dst) = if from_caller {
            (sa(CALLER), sa(CALLEE))
        } else {
            (sa(CALLEE), sa(CALLER))
        };
        // Requests from the caller: From tag "a"; from the callee: From tag "b".
        // Responses carry the request's From.
        let from_tag: &[u8] = match (request.is_some(), from_caller) {
            (true, true) | (false, false) => b"a",
            _ => b"b",
        };
        Signal {
            ts: t(ms),
            src,
            dst,
            call_id: self.id.as_bytes(),
            request_invite: request,
            status,
            offer_answer_method: true,
            cseq_invite: true,
            bye: false,
            from_tag: Some(from_tag),
            to_tag: if ms == 0 {
                None
            } else {
                Some(if from_tag == b"a" { b"b" } else { b"a" })
            },
            sdp: body,
        }
    }

    /// INVITE with an offer at 0 ms, 200 with an answer at `answer_ms`.
    fn setup(&self, m: &mut MediaTracker, answer_ms: i64, caller_sdp: &[u8], callee_sdp: &[u8]) {
        m.on_signal(&self.sig(0, true, Some(true), None, Some(caller_sdp)));
        m.on_signal(&self.sig(answer_ms, false, None, Some(200), Some(callee_sdp)));
        m.on_signal(&self.sig(answer_ms + 5, true, Some(false), None, None));
    }
}

fn rtp_bytes(pt: u8, seq: u16, ssrc: u32, fill: u8) -> Vec<u8> {
    let mut v = vec![0x80, pt];
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    v.extend_from_slice(&ssrc.to_be_bytes());
    v.extend(std::iter::repeat_n(fill, 160));
    v
}

/// Speech-like u-law bytes (loud, varying).
fn loud(seq: u16) -> u8 {
    [0x10, 0x20, 0x90, 0xa0][(seq % 4) as usize]
}

/// `n` packets every 20 ms from `start_ms`, `src` to `dst`.
fn send(
    m: &mut MediaTracker,
    src: &str,
    dst: &str,
    start_ms: i64,
    n: u16,
    ssrc: u32,
    fill: impl Fn(u16) -> u8,
) -> usize {
    let mut matched = 0;
    for i in 0..n {
        let p = rtp_bytes(0, 1000u16.wrapping_add(i), ssrc, fill(i));
        let d = Datagram {
            ts: t(start_ms + 20 * i as i64),
            frame: 0,
            src: sa(src),
            dst: sa(dst),
            payload: &p,
        };
        matched += usize::from(m.on_datagram(&d));
    }
    matched
}

fn outcome(
    call_id: &str,
    dir: Direction,
    answered_ms: Option<i64>,
    ended_ms: Option<i64>,
) -> Outcome {
    Outcome {
        schema_version: crate::outcome::SCHEMA_VERSION,
        butter_call_id: None,
        sip_call_id: call_id.to_string(),
        correlation: Correlation::None,
        provider_ids: Default::default(),
        direction: dir,
        from: None,
        to: None,
        transport: "udp".into(),
        src: CALLER.into(),
        dst: CALLEE.into(),
        status: if answered_ms.is_some() {
            Status::Completed
        } else {
            Status::Failed
        },
        is_final: true,
        sip_code: Some(200),
        sip_reason: None,
        meaning: String::new(),
        cause: String::new(),
        action: String::new(),
        q850_cause: None,
        reason_text: None,
        ended_by: None,
        auth_challenged: false,
        retransmissions: 0,
        invite_at: t(0).to_string(),
        first_provisional_at: None,
        answered_at: answered_ms.map(|a| t(a).to_string()),
        ended_at: ended_ms.map(|e| t(e).to_string()),
        post_dial_delay_ms: None,
        ring_ms: None,
        talk_ms: None,
        anomalies: vec![],
        media: None,
    }
}

fn kinds(o: &Outcome) -> Vec<&str> {
    o.anomalies.iter().map(|a| a.kind.as_str()).collect()
}

/// A tracker whose input already carried some RTP (of no known call), as any
/// capture that includes media does.
fn tracker() -> MediaTracker {
    let mut m = MediaTracker::new(&MediaConfig::default());
    let p = rtp_bytes(0, 1, 99, 0xff);
    m.on_datagram(&Datagram {
        ts: t(-1000),
        frame: 0,
        src: sa("192.0.2.9:4000"),
        dst: sa("192.0.2.8:4000"),
        payload: &p,
    });
    m
}

const CALLER_RTP: &str = "10.0.0.1:6000";
const CALLEE_RTP: &str = "10.0.0.2:7000";

#[test]
fn two_way_speech_is_clean_and_counted() {
    let mut m = tracker();
    let c = Call { id: "c1" };
    c.setup(
        &mut m,
        1000,
        &sdp("10.0.0.1", 6000, ""),
        &sdp("10.0.0.2", 7000, ""),
    );
    assert_eq!(
        send(&mut m, CALLER_RTP, CALLEE_RTP, 1010, 400, 1, loud),
        400
    );
    assert_eq!(
        send(&mut m, CALLEE_RTP, CALLER_RTP, 1020, 400, 2, loud),
        400
    );
    // RTCP to port + 1.
    let rr = [0x80, 201, 0, 1, 0, 0, 0, 2];
    assert!(m.on_datagram(&Datagram {
        ts: t(5000),
        frame: 0,
        src: sa("10.0.0.2:7001"),
        dst: sa("10.0.0.1:6001"),
        payload: &rr
    }));
    m.note_time(t(9500)); // the BYE
    let mut o = outcome("c1", Direction::Outbound, Some(1000), Some(9500));
    m.annotate(&mut o, true);
    assert!(o.anomalies.is_empty(), "{:?}", o.anomalies);
    let media = o.media.unwrap();
    assert!(media.known);
    let p2c = media.platform_to_carrier.unwrap();
    assert_eq!((p2c.packets, p2c.bytes, p2c.lost), (400, 400 * 172, 0));
    assert_eq!(p2c.streams[0].ssrc, "0x00000001");
    assert_eq!(p2c.payload_types, vec![0]);
    assert_eq!(p2c.silent_share, Some(0.0));
    let c2p = media.carrier_to_platform.unwrap();
    assert_eq!(c2p.rtcp_packets, 1);
    assert_eq!(c2p, media.callee_to_caller);
    assert_eq!(m.calls(), 0, "state forgotten after annotate");
}

#[test]
fn platform_silent_outbound_is_one_way_with_butter_cause() {
    let mut m = tracker();
    let c = Call { id: "c2" };
    c.setup(
        &mut m,
        1000,
        &sdp("10.0.0.1", 6000, ""),
        &sdp("10.0.0.2", 7000, ""),
    );
    // Only the carrier (callee) talks; the platform (caller) sends nothing.
    send(&mut m, CALLEE_RTP, CALLER_RTP, 1020, 400, 2, loud);
    m.note_time(t(9500)); // the BYE
    let mut o = outcome("c2", Direction::Outbound, Some(1000), Some(9500));
    m.annotate(&mut o, true);
    assert_eq!(kinds(&o), vec!["one_way_media"]);
    let a = &o.anomalies[0];
    assert!(
        a.detail
            .as_deref()
            .unwrap()
            .contains("no RTP from the platform side"),
        "{a:?}"
    );
    assert!(a.cause.as_deref().unwrap().contains("text-to-speech"));
    assert!(a.action.as_deref().unwrap().contains("stt_provider"));
    // Inbound: the same packets mean the carrier (caller) is silent.
    let c = Call { id: "c2b" };
    c.setup(
        &mut m,
        1000,
        &sdp("10.0.0.1", 6000, ""),
        &sdp("10.0.0.2", 7000, ""),
    );
    send(&mut m, CALLEE_RTP, CALLER_RTP, 1020, 400, 2, loud);
    m.note_time(t(9500)); // the BYE
    let mut o = outcome("c2b", Direction::Inbound, Some(1000), Some(9500));
    m.annotate(&mut o, true);
    assert_eq!(kinds(&o), vec!["one_way_media"]);
    assert!(o.anomalies[0]
        .detail
        .as_deref()
        .unwrap()
        .contains("no RTP from the carrier side"));
}

#[test]
fn unknown_direction_names_caller_and_callee() {
    let mut m = tracker();
    let c = Call { id: "c3" };
    c.setup(
        &mut m,
        1000,
        &sdp("10.0.0.1", 6000, ""),
        &sdp("10.0.0.2", 7000, ""),
    );
    send(&mut m, CALLER_RTP, CALLEE_RTP, 1020, 400, 2, loud);
    m.note_time(t(9500)); // the BYE
    let mut o = outcome("c3", Direction::Unknown, Some(1000), Some(9500));
    m.annotate(&mut o, true);
    assert_eq!(kinds(&o), vec!["one_way_media"]);
    assert!(o.anomalies[0]
        .detail
        .as_deref()
        .unwrap()
        .contains("callee_to_caller"));
    let media = o.media.unwrap();
    assert!(media.platform_to_carrier.is_none());
    assert_eq!(media.caller_to_callee.packets, 400);
}

#[test]
fn no_media_only_when_observed_long_enough() {
    let mut m = tracker();
    let c = Call { id: "c4" };
    c.setup(
        &mut m,
        1000,
        &sdp("10.0.0.1", 6000, ""),
        &sdp("10.0.0.2", 7000, ""),
    );
    m.note_time(t(8000)); // the BYE
    let mut o = outcome("c4", Direction::Outbound, Some(1000), Some(8000));
    m.annotate(&mut o, true);
    assert_eq!(kinds(&o), vec!["no_media"]);
    assert!(o.anomalies[0].cause.is_some() && o.anomalies[0].action.is_some());
    // Hung up 2 s after the answer: too short to judge.
    let c = Call { id: "c5" };
    c.setup(
        &mut m,
        1000,
        &sdp("10.0.0.1", 6000, ""),
        &sdp("10.0.0.2", 7000, ""),
    );
    m.note_time(t(3000)); // the BYE
    let mut o = outcome("c5", Direction::Outbound, Some(1000), Some(3000));
    m.annotate(&mut o, true);
    assert!(o.anomalies.is_empty());
    // Unanswered calls are never judged.
    let c = Call { id: "c6" };
    m.on_signal(&c.sig(0, true, Some(true), None, Some(&sdp("10.0.0.1", 6000, ""))));
    m.on_signal(&c.sig(60_000, true, Some(true), None, None));
    let mut o = outcome("c6", Direction::Outbound, None, None);
    m.annotate(&mut o, true);
    assert!(o.anomalies.is_empty());
    assert!(o.media.unwrap().known);
}

#[test]
fn late_media_is_no_media_with_the_delay() {
    let mut m = tracker();
    let c = Call { id: "c7" };
    c.setup(
        &mut m,
        1000,
        &sdp("10.0.0.1", 6000, ""),
        &sdp("10.0.0.2", 7000, ""),
    );
    send(&mut m, CALLER_RTP, CALLEE_RTP, 9000, 100, 1, loud);
    send(&mut m, CALLEE_RTP, CALLER_RTP, 9000, 100, 2, loud);
    m.note_time(t(12_000)); // the BYE
    let mut o = outcome("c7", Direction::Outbound, Some(1000), Some(12_000));
    m.annotate(&mut o, true);
    assert_eq!(kinds(&o), vec!["no_media"]);
    assert!(o.anomalies[0]
        .detail
        .as_deref()
        .unwrap()
        .contains("8000 ms after the answer"));
}

#[test]
fn digital_silence_from_platform_is_silent_media() {
    let mut m = tracker();
    let c = Call { id: "c8" };
    c.setup(
        &mut m,
        1000,
        &sdp("10.0.0.1", 6000, ""),
        &sdp("10.0.0.2", 7000, ""),
    );
    send(&mut m, CALLER_RTP, CALLEE_RTP, 1010, 400, 1, |i| {
        if i % 50 == 0 {
            0x20
        } else {
            0xff
        }
    });
    send(&mut m, CALLEE_RTP, CALLER_RTP, 1020, 400, 2, loud);
    m.note_time(t(9500)); // the BYE
    let mut o = outcome("c8", Direction::Outbound, Some(1000), Some(9500));
    m.annotate(&mut o, true);
    assert_eq!(kinds(&o), vec!["silent_media"]);
    let a = &o.anomalies[0];
    assert!(
        a.detail
            .as_deref()
            .unwrap()
            .contains("from the platform side"),
        "{a:?}"
    );
    assert!(a.cause.as_deref().unwrap().contains("silence"));
    assert_eq!(
        o.media.unwrap().platform_to_carrier.unwrap().silent_share,
        Some(0.98)
    );
}

#[test]
fn hold_is_not_flagged() {
    let mut m = tracker();
    let c = Call { id: "c9" };
    c.setup(
        &mut m,
        1000,
        &sdp("10.0.0.1", 6000, "a=sendonly\r\n"),
        &sdp("10.0.0.2", 7000, "a=recvonly\r\n"),
    );
    send(&mut m, CALLER_RTP, CALLEE_RTP, 1010, 400, 1, loud);
    m.note_time(t(9500)); // the BYE
    let mut o = outcome("c9", Direction::Outbound, Some(1000), Some(9500));
    m.annotate(&mut o, true);
    assert!(o.anomalies.is_empty(), "{:?}", o.anomalies);
    assert!(o.media.unwrap().carrier_to_platform.unwrap().on_hold);
}

#[test]
fn proxy_mode_never_guesses() {
    let mut m = tracker();
    let c = Call { id: "c10" };
    c.setup(
        &mut m,
        1000,
        &sdp("10.0.0.1", 6000, ""),
        &sdp("10.0.0.2", 7000, ""),
    );
    m.note_time(t(60_000)); // the BYE
    let mut o = outcome("c10", Direction::Outbound, Some(1000), Some(60_000));
    m.annotate(&mut o, false);
    assert!(o.anomalies.is_empty());
    let media = o.media.unwrap();
    assert!(!media.known && media.unknown_reason.unwrap().contains("proxy"));
    assert_eq!(m.calls(), 0);
}

#[test]
fn unknown_streams_are_counted_not_stored() {
    let mut m = MediaTracker::new(&MediaConfig::default());
    assert_eq!(
        send(&mut m, "10.9.9.9:4000", "10.9.9.8:4002", 0, 10, 7, loud),
        0
    );
    assert_eq!(m.stats().get("media", "rtp_unknown_stream"), 10);
    assert_eq!(m.calls(), 0);
    let junk = Datagram {
        ts: t(0),
        frame: 0,
        src: sa("10.9.9.9:53"),
        dst: sa("10.9.9.8:53"),
        payload: b"\x12\x34dns",
    };
    assert!(!m.on_datagram(&junk));
    assert_eq!(m.stats().get("media", "udp_not_media"), 1);
}

#[test]
fn malformed_sdp_is_counted() {
    let mut m = tracker();
    let c = Call { id: "c11" };
    m.on_signal(&c.sig(
        0,
        true,
        Some(true),
        None,
        Some(b"v=0\r\nm=audio zz RTP/AVP 0\r\n"),
    ));
    assert_eq!(m.stats().get("media", "sdp_malformed"), 1);
    m.note_time(t(60_000)); // the BYE
    let mut o = outcome("c11", Direction::Outbound, Some(1000), Some(60_000));
    m.annotate(&mut o, true);
    assert!(!o.media.unwrap().known);
    assert!(o.anomalies.is_empty());
}

#[test]
fn state_is_bounded_by_max_streams() {
    let mut m = MediaTracker::new(&MediaConfig {
        max_streams: 50,
        ..MediaConfig::default()
    });
    for i in 0..100u16 {
        let id: &'static str = Box::leak(format!("call{i}").into_boxed_str());
        let c = Call { id };
        c.setup(
            &mut m,
            100,
            &sdp("10.0.1.1", 10_000 + 4 * i, ""),
            &sdp("10.0.2.1", 20_000 + 4 * i, ""),
        );
        assert!(m.units() <= 50);
    }
    assert!(m.stats().get("media", "streams_evicted") > 0);
    assert!(m.stats().get("media", "calls_evicted") > 0);
    // The newest call is intact.
    let p = format!("10.0.2.1:{}", 20_000 + 4 * 99);
    assert_eq!(send(&mut m, "10.0.1.1:10396", &p, 200, 3, 1, loud), 3);
}

#[test]
fn reused_ports_follow_the_newest_call() {
    let mut m = tracker();
    let a = Call { id: "old" };
    a.setup(
        &mut m,
        100,
        &sdp("10.0.0.1", 6000, ""),
        &sdp("10.0.0.2", 7000, ""),
    );
    let b = Call { id: "new" };
    b.setup(
        &mut m,
        100,
        &sdp("10.0.0.1", 6000, ""),
        &sdp("10.0.0.2", 7000, ""),
    );
    send(&mut m, CALLER_RTP, CALLEE_RTP, 200, 5, 1, loud);
    let mut o = outcome("old", Direction::Outbound, Some(100), None);
    m.annotate(&mut o, true);
    assert_eq!(o.media.unwrap().caller_to_callee.packets, 0);
    // Annotating the old call must not unbind the new call's addresses.
    assert_eq!(send(&mut m, CALLER_RTP, CALLEE_RTP, 300, 5, 1, loud), 5);
    let mut o = outcome("new", Direction::Outbound, Some(100), None);
    m.annotate(&mut o, true);
    assert_eq!(o.media.unwrap().caller_to_callee.packets, 10);
}

#[test]
fn comfort_noise_counts_as_silence_and_other_codecs_are_unknown() {
    let mut m = tracker();
    let c = Call { id: "c12" };
    let body =
        b"v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 6000 RTP/AVP 96 13\r\na=rtpmap:96 opus/48000/2\r\n"
            .to_vec();
    c.setup(&mut m, 1000, &body, &sdp("10.0.0.2", 7000, ""));
    for i in 0..100u16 {
        let pt = if i < 60 { 96 } else { 13 };
        let p = rtp_bytes(pt, i, 9, 0x11);
        m.on_datagram(&Datagram {
            ts: t(1010 + 20 * i as i64),
            frame: 0,
            src: sa(CALLER_RTP),
            dst: sa(CALLEE_RTP),
            payload: &p,
        });
    }
    m.note_time(t(3000)); // the BYE
    let mut o = outcome("c12", Direction::Outbound, Some(1000), Some(3000));
    m.annotate(&mut o, true);
    let leg = o.media.unwrap().caller_to_callee;
    assert_eq!(leg.packets, 100);
    assert_eq!(leg.payload_types, vec![13, 96]);
    // 40 CN packets judged, all silent; Opus is not judged.
    assert_eq!(leg.silent_share, Some(1.0));
}

#[test]
fn resumed_call_is_judged_again() {
    let mut m = tracker();
    let c = Call { id: "c13" };
    c.setup(
        &mut m,
        1000,
        &sdp("10.0.0.1", 6000, "a=sendonly\r\n"),
        &sdp("10.0.0.2", 7000, "a=recvonly\r\n"),
    );
    // Re-INVITE from the caller resumes; the callee agrees.
    m.on_signal(&c.sig(
        1500,
        true,
        Some(true),
        None,
        Some(&sdp("10.0.0.1", 6000, "a=sendrecv\r\n")),
    ));
    m.on_signal(&c.sig(
        1510,
        false,
        None,
        Some(200),
        Some(&sdp("10.0.0.2", 7000, "")),
    ));
    send(&mut m, CALLER_RTP, CALLEE_RTP, 1010, 400, 1, loud);
    m.note_time(t(9500));
    let mut o = outcome("c13", Direction::Outbound, Some(1000), Some(9500));
    m.annotate(&mut o, true);
    assert_eq!(kinds(&o), vec!["one_way_media"]);
    assert!(!o.media.unwrap().carrier_to_platform.unwrap().on_hold);
}

#[test]
fn rtp_after_the_outcome_is_counted_as_such_for_a_while() {
    let mut m = tracker();
    let c = Call { id: "c14" };
    c.setup(
        &mut m,
        1000,
        &sdp("10.0.0.1", 6000, ""),
        &sdp("10.0.0.2", 7000, ""),
    );
    send(&mut m, CALLER_RTP, CALLEE_RTP, 1010, 100, 1, loud);
    let mut o = outcome("c14", Direction::Outbound, Some(1000), Some(3000));
    m.annotate(&mut o, true);
    assert_eq!(send(&mut m, CALLEE_RTP, CALLER_RTP, 3010, 5, 2, loud), 5);
    assert_eq!(m.stats().get("media", "rtp_after_call_end"), 5);
    // (One unknown packet came from `tracker()` itself.)
    assert_eq!(m.stats().get("media", "rtp_unknown_stream"), 1);
    // Long after, the addresses are forgotten.
    m.note_time(t(3010 + ENDED_KEEP_MS + 1000));
    assert_eq!(
        send(
            &mut m,
            CALLEE_RTP,
            CALLER_RTP,
            3010 + ENDED_KEEP_MS + 1000,
            2,
            2,
            loud
        ),
        0
    );
    assert_eq!(m.stats().get("media", "rtp_unknown_stream"), 3);
    assert!(m.ended.is_empty() && m.ended_order.is_empty());
}

#[test]
fn signalling_only_input_never_judges_media() {
    // A capture filtered to SIP: no RTP anywhere, so no media is not evidence.
    let mut m = MediaTracker::new(&MediaConfig::default());
    let c = Call { id: "c15" };
    c.setup(
        &mut m,
        1000,
        &sdp("10.0.0.1", 6000, ""),
        &sdp("10.0.0.2", 7000, ""),
    );
    m.note_time(t(60_000));
    let mut o = outcome("c15", Direction::Outbound, Some(1000), Some(60_000));
    m.annotate(&mut o, true);
    assert!(o.anomalies.is_empty());
    let media = o.media.unwrap();
    assert!(!media.known && media.unknown_reason.unwrap().contains("signalling only"));
}

#[test]
fn live_calls_sharing_a_media_path_are_not_judged() {
    let mut m = tracker();
    // Two B2BUA legs (different Call-IDs) both up, the second re-announcing
    // the first one's addresses (direct media).
    let a = Call { id: "leg-a" };
    a.setup(
        &mut m,
        100,
        &sdp("10.0.0.1", 6000, ""),
        &sdp("10.0.0.2", 7000, ""),
    );
    let b = Call { id: "leg-b" };
    b.setup(
        &mut m,
        200,
        &sdp("10.0.0.1", 6000, ""),
        &sdp("10.0.0.2", 7000, ""),
    );
    send(&mut m, CALLER_RTP, CALLEE_RTP, 300, 400, 1, loud);
    send(&mut m, CALLEE_RTP, CALLER_RTP, 300, 400, 2, loud);
    m.note_time(t(9000));
    let mut o = outcome("leg-a", Direction::Outbound, Some(100), Some(9000));
    m.annotate(&mut o, true);
    assert!(o.anomalies.is_empty(), "{:?}", o.anomalies);
    let media = o.media.unwrap();
    assert!(media.known && media.shared_path);
    let mut o = outcome("leg-b", Direction::Outbound, Some(200), Some(9000));
    m.annotate(&mut o, true);
    assert!(o.anomalies.is_empty() && !o.media.unwrap().shared_path);
    // Sequential calls reusing ports (the first hung up) are not "shared".
    let c = Call { id: "seq-1" };
    c.setup(
        &mut m,
        10_000,
        &sdp("10.0.0.1", 6000, ""),
        &sdp("10.0.0.2", 7000, ""),
    );
    m.on_signal(&Signal {
        bye: true,
        request_invite: Some(false),
        ..c.sig(11_000, true, Some(false), None, None)
    });
    let d = Call { id: "seq-2" };
    d.setup(
        &mut m,
        11_100,
        &sdp("10.0.0.1", 6000, ""),
        &sdp("10.0.0.2", 7000, ""),
    );
    let mut o = outcome("seq-1", Direction::Outbound, Some(10_000), Some(11_000));
    m.annotate(&mut o, true);
    assert!(!o.media.unwrap().shared_path);
}
