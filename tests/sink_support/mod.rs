//! Shared by the `sink_*` test binaries: outcome builders and a small,
//! realistic mix of carrier calls (codes, causes and actions as Butter
//! documents them; timings typical of PSTN trunks).
#![allow(dead_code)]

use std::collections::BTreeMap;
use trunkwatch::outcome::{
    Anomaly, Correlation, Direction, Outcome, Party, Status, SCHEMA_VERSION,
};
use trunkwatch::time::Timestamp;

/// A plain answered outbound call; tests change what they need.
pub fn base(n: u32) -> Outcome {
    let t0 = Timestamp::from_millis(1_764_880_000_000 + i64::from(n) * 47_317);
    Outcome {
        schema_version: SCHEMA_VERSION,
        butter_call_id: Some(format!("call_{:012x}", 0xb2c3_d4e5_0000u64 + u64::from(n))),
        sip_call_id: format!("{n:08x}-4c1d@10.20.0.5"),
        correlation: Correlation::Header,
        provider_ids: BTreeMap::new(),
        direction: Direction::Outbound,
        from: Some("+14155550100".into()),
        to: Some(format!("+1212555{:04}", n % 10_000)),
        transport: "udp".into(),
        src: "10.20.0.5:5060".into(),
        dst: "203.0.113.10:5060".into(),
        status: Status::Completed,
        is_final: true,
        sip_code: Some(200),
        sip_reason: Some("OK".into()),
        meaning: "OK".into(),
        cause: "call set up and later ended normally".into(),
        action: "nothing".into(),
        q850_cause: Some(16),
        reason_text: None,
        ended_by: Some(Party::Callee),
        auth_challenged: false,
        retransmissions: 0,
        invite_at: t0.to_string(),
        first_provisional_at: Some(t0.plus_millis(1_500).to_string()),
        answered_at: Some(t0.plus_millis(9_000).to_string()),
        ended_at: Some(t0.plus_millis(70_000).to_string()),
        post_dial_delay_ms: Some(1_500),
        ring_ms: Some(7_500),
        talk_ms: Some(61_000),
        anomalies: Vec::new(),
        media: None,
    }
}

/// A call that got a final non-2xx answer.
pub fn rejected(
    n: u32,
    code: u16,
    reason: &str,
    status: Status,
    meaning: &str,
    cause: &str,
    action: &str,
) -> Outcome {
    let mut o = base(n);
    o.sip_code = Some(code);
    o.sip_reason = Some(reason.into());
    o.status = status;
    o.meaning = meaning.into();
    o.cause = cause.into();
    o.action = action.into();
    o.answered_at = None;
    o.talk_ms = None;
    o.ended_by = None;
    o.q850_cause = None;
    o
}

/// Deterministic pseudo-random numbers (no dependency, same on every run).
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

/// About an hour of a small Butter trunk: mostly answered outbound calls,
/// busy/no-answer/declined callees, a carrier outage burst (503), unknown
/// numbers, an inbound number not linked to an agent, a silent call, one
/// INVITE that never got an answer, and calls still up when capture ended.
pub fn realistic_outcomes() -> Vec<Outcome> {
    let mut rng = Lcg(0x5eed);
    let mut v = Vec::new();
    let mut n = 0u32;
    let mut id = || {
        n += 1;
        n
    };
    let timed = |o: &mut Outcome, rng: &mut Lcg, answered: bool| {
        let t0 = trunkwatch::time::parse_time(&o.invite_at).unwrap();
        let pdd = rng.range(900, 4_200);
        let ring = rng.range(2_000, 18_000);
        o.post_dial_delay_ms = Some(pdd);
        o.first_provisional_at = Some(t0.plus_millis(pdd as i64).to_string());
        o.ring_ms = Some(ring);
        if answered {
            let talk = rng.range(8_000, 420_000);
            let ans = t0.plus_millis((pdd + ring) as i64);
            o.answered_at = Some(ans.to_string());
            o.talk_ms = Some(talk);
            o.ended_at = Some(ans.plus_millis(talk as i64).to_string());
        } else {
            o.answered_at = None;
            o.talk_ms = None;
            o.ended_at = Some(t0.plus_millis((pdd + ring) as i64).to_string());
        }
    };

    for i in 0..38 {
        let mut o = base(id());
        timed(&mut o, &mut rng, true);
        o.retransmissions = u32::from(i % 9 == 0);
        o.ended_by = Some(if i % 3 == 0 {
            Party::Caller
        } else {
            Party::Callee
        });
        if i % 7 == 0 {
            o.correlation = Correlation::Token;
        }
        if i % 13 == 5 {
            o.transport = "tcp".into();
        }
        v.push(o);
    }
    for i in 0..12 {
        let mut o = base(id());
        o.direction = Direction::Inbound;
        std::mem::swap(&mut o.src, &mut o.dst);
        o.from = Some(format!("+1646555{:04}", 3000 + i));
        o.to = Some("+14155550100".into());
        o.correlation = if i < 9 {
            Correlation::Records
        } else {
            Correlation::Ambiguous
        };
        timed(&mut o, &mut rng, true);
        o.ring_ms = Some(rng.range(400, 1_200));
        if i == 4 {
            o.anomalies.push(
                Anomaly::new("no_media")
                    .with_detail("200 OK, then no RTP from the platform for the whole call"),
            );
        }
        v.push(o);
    }
    for _ in 0..5 {
        let mut o = rejected(
            id(),
            486,
            "Busy Here",
            Status::Busy,
            "Busy Here",
            "callee rejected the call or is on another call",
            "retry later",
        );
        timed(&mut o, &mut rng, false);
        v.push(o);
    }
    for _ in 0..4 {
        let mut o = rejected(
            id(),
            480,
            "Temporarily Unavailable",
            Status::NoAnswer,
            "Temporarily Unavailable",
            "no signal, or do-not-disturb",
            "retry later",
        );
        timed(&mut o, &mut rng, false);
        v.push(o);
    }
    for _ in 0..3 {
        let mut o = rejected(
            id(),
            487,
            "Request Terminated",
            Status::NoAnswer,
            "Request Terminated",
            "ring timeout: the platform canceled an unanswered call",
            "none; raise the ring timeout if calls are cut short",
        );
        timed(&mut o, &mut rng, false);
        o.ended_by = Some(Party::Caller);
        o.q850_cause = Some(19);
        v.push(o);
    }
    {
        let mut o = rejected(
            id(),
            603,
            "Decline",
            Status::Busy,
            "Decline",
            "callee explicitly blocked/declined",
            "do not retry soon",
        );
        timed(&mut o, &mut rng, false);
        v.push(o);
    }
    for i in 0..4 {
        let mut o = rejected(
            id(),
            503,
            "Service Unavailable",
            Status::Failed,
            "Service Unavailable",
            "carrier or platform problem",
            "check the provider's status page",
        );
        o.retransmissions = 2 + i;
        o.post_dial_delay_ms = Some(rng.range(150, 400));
        o.ring_ms = None;
        o.first_provisional_at = None;
        v.push(o);
    }
    for _ in 0..2 {
        let mut o = rejected(
            id(),
            404,
            "Not Found",
            Status::Failed,
            "Not Found",
            "the dialed number does not exist",
            "check the call's to_number",
        );
        o.post_dial_delay_ms = Some(rng.range(300, 900));
        o.ring_ms = None;
        v.push(o);
    }
    {
        let mut o = rejected(
            id(),
            403,
            "Forbidden",
            Status::Failed,
            "Forbidden",
            "caller id not allowed or trunk credentials refused",
            "check the trunk credentials and the caller id the carrier allows",
        );
        o.auth_challenged = true;
        o.post_dial_delay_ms = Some(210);
        o.ring_ms = None;
        v.push(o);
    }
    for i in 0..2 {
        let mut o = rejected(
            id(),
            404,
            "Not Found",
            Status::Failed,
            "Not Found",
            "number not linked to an agent in Butter",
            "link the number under Agents > Phone Numbers",
        );
        o.direction = Direction::Inbound;
        std::mem::swap(&mut o.src, &mut o.dst);
        o.from = Some(format!("+1718555{:04}", 7000 + i));
        o.correlation = Correlation::None;
        o.butter_call_id = None;
        o.post_dial_delay_ms = Some(40);
        o.ring_ms = None;
        v.push(o);
    }
    {
        let mut o = rejected(
            id(),
            0,
            "",
            Status::Failed,
            "No response",
            "no final response to the INVITE within 32 s (Timer B)",
            "check that the carrier address and port are reachable",
        );
        o.sip_code = None;
        o.sip_reason = None;
        o.retransmissions = 6;
        o.post_dial_delay_ms = None;
        o.ring_ms = None;
        o.first_provisional_at = None;
        v.push(o);
    }
    for i in 0..3 {
        let mut o = base(id());
        timed(&mut o, &mut rng, i < 2);
        o.is_final = false;
        o.ended_at = None;
        if i < 2 {
            o.status = Status::InProgress;
            o.talk_ms = None;
        } else {
            o.status = Status::Ringing;
            o.sip_code = None;
            o.sip_reason = None;
            o.meaning = "Ringing".into();
            o.cause = "capture ended while the call was ringing".into();
            o.action = "none".into();
        }
        v.push(o);
    }
    v
}
