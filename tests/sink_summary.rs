//! JSON lines and the end-of-run summary.

mod sink_support;

use serde_json::Value;
use sink_support::{base, realistic_outcomes, rejected, Lcg};
use std::io::Read;
use trunkwatch::outcome::{Correlation, Direction, Outcome, Status};
use trunkwatch::sink::jsonl::JsonlSink;
use trunkwatch::sink::summary::{Summary, TextOptions};
use trunkwatch::sink::webhook::WebhookStats;
use trunkwatch::stats::Counters;

fn summary_of(outcomes: &[Outcome]) -> Summary {
    let mut s = Summary::new();
    for o in outcomes {
        s.add(o);
    }
    s
}

fn problems() -> Counters {
    let mut c = Counters::new();
    c.add("tls", "encrypted_not_decoded", 12);
    c.add("sip", "bad_start_line", 2);
    c.add("capture", "truncated", 1);
    c.add("ip", "fragment_evicted", 3);
    c.add("track", "evicted", 1);
    c.add("webhook", "dropped_queue_full", 4);
    c
}

#[test]
fn jsonl_writes_one_outcome_per_line_in_struct_order() {
    let outcomes = realistic_outcomes();
    let file = tempfile::NamedTempFile::new().unwrap();
    let mut sink = JsonlSink::new(Box::new(file.reopen().unwrap()));
    for o in &outcomes {
        sink.write(o).unwrap();
    }
    sink.flush().unwrap();
    assert_eq!(sink.written(), outcomes.len() as u64);

    let mut text = String::new();
    file.reopen().unwrap().read_to_string(&mut text).unwrap();
    assert!(text.ends_with('\n'));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), outcomes.len());
    for (line, o) in lines.iter().zip(&outcomes) {
        let back: Outcome = serde_json::from_str(line).unwrap();
        assert_eq!(&back, o);
    }
    // Field order is the struct's: find each key's position in the first line.
    let order = [
        "schema_version",
        "butter_call_id",
        "sip_call_id",
        "correlation",
        "provider_ids",
        "direction",
        "from",
        "to",
        "transport",
        "src",
        "dst",
        "status",
        "final",
        "sip_code",
        "sip_reason",
        "meaning",
        "cause",
        "action",
        "q850_cause",
        "reason_text",
        "ended_by",
        "auth_challenged",
        "retransmissions",
        "invite_at",
        "first_provisional_at",
        "answered_at",
        "ended_at",
        "post_dial_delay_ms",
        "ring_ms",
        "talk_ms",
        "anomalies",
    ];
    let pos: Vec<usize> = order
        .iter()
        .map(|k| lines[0].find(&format!("\"{k}\":")).unwrap_or(usize::MAX))
        .collect();
    assert!(lines[0].starts_with("{\"schema_version\":1,"));
    assert!(pos.windows(2).all(|w| w[0] < w[1]), "{pos:?}");
}

#[test]
fn asr_counts_calls_not_messages() {
    // A call with many retransmissions and one answered after a re-INVITE
    // are still one call each.
    let mut a = base(1);
    a.retransmissions = 9;
    let b = base(2);
    let c = rejected(
        3,
        486,
        "Busy Here",
        Status::Busy,
        "Busy Here",
        "busy",
        "retry later",
    );
    let mut d = rejected(4, 503, "Service Unavailable", Status::Failed, "x", "y", "z");
    d.retransmissions = 4;
    // Open and never answered: not a seizure yet.
    let mut e = base(5);
    e.is_final = false;
    e.status = Status::Ringing;
    e.answered_at = None;
    e.sip_code = None;
    // Open but answered: counts as answered.
    let mut f = base(6);
    f.is_final = false;
    f.status = Status::InProgress;
    let s = summary_of(&[a, b, c, d, e, f]);
    let j = s.render_json(&Counters::new());
    let asr = &j["answer_seizure_ratio"];
    assert_eq!(asr["answered"], 3);
    assert_eq!(asr["seized"], 5);
    assert_eq!(asr["ratio"], 0.6);
    assert_eq!(j["calls"]["retransmissions"], 13);
    assert_eq!(j["calls"]["total"], 6);
    assert_eq!(j["open_at_end"]["total"], 2);
    assert_eq!(j["open_at_end"]["by_status"]["ringing"], 1);
    assert_eq!(j["open_at_end"]["by_status"]["in-progress"], 1);
    let text = s.render_text(&Counters::new());
    assert!(text.contains("all       60.0%  3 of 5"), "{text}");
}

#[test]
fn percentiles_are_exact_nearest_rank() {
    let outcomes: Vec<Outcome> = (1..=200u32)
        .map(|i| {
            let mut o = base(i);
            o.post_dial_delay_ms = Some(u64::from(i) * 10);
            o.ring_ms = Some(u64::from(201 - i));
            o.talk_ms = (i % 2 == 0).then_some(u64::from(i) * 1000);
            o
        })
        .collect();
    let j = summary_of(&outcomes).render_json(&Counters::new());
    let pdd = &j["post_dial_delay_ms"];
    assert_eq!(
        (
            &pdd["count"],
            &pdd["p50"],
            &pdd["p90"],
            &pdd["p99"],
            &pdd["max"]
        ),
        (
            &Value::from(200),
            &Value::from(1000),
            &Value::from(1800),
            &Value::from(1980),
            &Value::from(2000)
        )
    );
    assert_eq!(j["ring_ms"]["p50"], 100);
    assert_eq!(j["ring_ms"]["p99"], 198);
    // Talk time only over the 100 answered-and-timed calls: 2000..=200000 step 2000.
    assert_eq!(j["talk_ms"]["count"], 100);
    assert_eq!(j["talk_ms"]["p50"], 100_000);
    assert_eq!(j["talk_ms"]["p90"], 180_000);
    let empty = Summary::new().render_json(&Counters::new());
    assert_eq!(empty["post_dial_delay_ms"]["count"], 0);
    assert!(empty["post_dial_delay_ms"]["p50"].is_null());
}

#[test]
fn failure_causes_by_direction_codes_and_correlation() {
    let outcomes = realistic_outcomes();
    let j = summary_of(&outcomes).render_json(&problems());

    let out = j["failure_causes"]["outbound"].as_array().unwrap();
    // Most frequent first, ties broken by cause text.
    assert_eq!(
        out[0]["cause"],
        "callee rejected the call or is on another call"
    );
    assert_eq!(out[0]["calls"], 5);
    assert_eq!(out[0]["codes"][0]["code"], 486);
    let counts: Vec<u64> = out.iter().map(|c| c["calls"].as_u64().unwrap()).collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]));
    // JSON lists every cause (the text lists the top five and says how many more).
    let total: u64 = counts.iter().sum();
    let failed = outcomes
        .iter()
        .filter(|o| {
            o.direction == trunkwatch::outcome::Direction::Outbound
                && matches!(
                    o.status.as_str(),
                    "busy" | "no-answer" | "failed" | "canceled"
                )
        })
        .count() as u64;
    assert_eq!(total, failed);
    let inb = j["failure_causes"]["inbound"].as_array().unwrap();
    assert_eq!(inb.len(), 1);
    assert_eq!(inb[0]["cause"], "number not linked to an agent in Butter");
    assert_eq!(inb[0]["calls"], 2);

    // By code: ascending, then calls that ended without a final response,
    // then calls still open without one (different advice, kept apart).
    let codes = j["by_code"].as_array().unwrap();
    let order: Vec<(Value, Value)> = codes
        .iter()
        .map(|c| (c["code"].clone(), c["open"].clone()))
        .collect();
    let mut want: Vec<(Value, Value)> = [200, 403, 404, 480, 486, 487, 503, 603]
        .iter()
        .map(|&c| (Value::from(c), Value::from(false)))
        .collect();
    want.push((Value::Null, Value::from(false)));
    want.push((Value::Null, Value::from(true)));
    assert_eq!(order, want);
    assert_eq!(codes[8]["meaning"], "No response");
    assert_eq!(codes[9]["meaning"], "Ringing");
    let c486 = &codes[4];
    assert_eq!(c486["calls"], 5);
    assert_eq!(c486["reason"], "Busy Here");
    assert_eq!(c486["action"], "retry later");
    // 404 has two causes (outbound unknown number x2, inbound unlinked x2):
    // the tie goes to the smaller (meaning, action) pair, whatever the order.
    assert_eq!(codes[2]["calls"], 4);
    assert_eq!(codes[2]["action"], "check the call's to_number");

    let total = outcomes.len() as u64;
    let correlated = outcomes
        .iter()
        .filter(|o| {
            matches!(
                o.correlation,
                Correlation::Header | Correlation::Token | Correlation::Records
            )
        })
        .count() as u64;
    assert_eq!(j["correlation"]["correlated"], correlated);
    assert_eq!(j["correlation"]["ambiguous"], 3);
    assert_eq!(j["correlation"]["none"], 2);
    let rate = j["correlation"]["rate"].as_f64().unwrap();
    assert!((rate - correlated as f64 / total as f64).abs() < 1e-4);

    assert_eq!(j["problems"]["total"], 23);
    assert_eq!(
        j["problems"]["by_layer"]["tls"]["encrypted_not_decoded"],
        12
    );
    assert_eq!(
        j["problems"]["by_layer"]["webhook"]["dropped_queue_full"],
        4
    );
    assert_eq!(j["anomalies"]["no_media"], 1);
    assert_eq!(j["calls"]["auth_challenged"], 1);
    let by_status = j["by_status"].as_object().unwrap();
    assert_eq!(by_status.len(), Status::ALL.len());
    assert_eq!(
        by_status.values().map(|v| v.as_u64().unwrap()).sum::<u64>(),
        total
    );
}

#[test]
fn json_keys_are_stable() {
    let j = summary_of(&realistic_outcomes()).render_json(&problems());
    let keys: Vec<&str> = j.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "anomalies",
            "answer_seizure_ratio",
            "by_code",
            "by_status",
            "calls",
            "correlation",
            "failure_causes",
            "open_at_end",
            "other_traffic",
            "post_dial_delay_ms",
            "problems",
            "ring_ms",
            "talk_ms",
            "webhook"
        ]
    );
    // Same keys when there is nothing to report.
    let e = Summary::new().render_json(&Counters::new());
    let ekeys: Vec<&str> = e.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ekeys);
    for k in [
        "header",
        "token",
        "records",
        "ambiguous",
        "none",
        "correlated",
        "rate",
    ] {
        assert!(e["correlation"].get(k).is_some(), "{k}");
    }
    assert!(e["correlation"]["rate"].is_null());
    assert!(e["webhook"].is_null());
    assert!(e["answer_seizure_ratio"]["ratio"].is_null());
}

#[test]
fn output_does_not_depend_on_arrival_order() {
    let outcomes = realistic_outcomes();
    let a = summary_of(&outcomes);
    let mut shuffled = outcomes.clone();
    let mut rng = Lcg(42);
    for i in (1..shuffled.len()).rev() {
        let j = rng.next() as usize % (i + 1);
        shuffled.swap(i, j);
    }
    let b = summary_of(&shuffled);
    let p = problems();
    assert_eq!(a.render_text(&p), b.render_text(&p));
    assert_eq!(a.render_json(&p), b.render_json(&p));
    assert_eq!(
        serde_json::to_string(&a.render_json(&p)).unwrap(),
        serde_json::to_string(&b.render_json(&p)).unwrap()
    );
    // The sample in the README is exactly this.
    println!("{}", a.render_text(&p));
}

#[test]
fn text_is_aligned_sectioned_and_plain_unless_asked() {
    let s = summary_of(&realistic_outcomes());
    let text = s.render_text(&problems());
    assert!(!text.contains('\x1b'));
    for section in [
        "Calls by status",
        "Calls by SIP final response",
        "Answer-seizure ratio",
        "Timing",
        "Top failure causes",
        "Butter call id correlation",
        "Open calls at end of input",
        "Problems by layer and reason (counted, never dropped silently)",
    ] {
        assert!(text.contains(section), "missing {section}:\n{text}");
    }
    // Status table: counts right-aligned in one column.
    let block: Vec<&str> = text
        .split("Calls by status\n")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(block.len(), 6, "{block:?}");
    let ends: Vec<usize> = block
        .iter()
        .map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            l.find(&format!(" {} ", cols[1])).unwrap() + 1 + cols[1].len()
        })
        .collect();
    assert!(ends.windows(2).all(|w| w[0] == w[1]), "{block:?}");
    assert!(
        text.contains("tls      encrypted_not_decoded  12"),
        "{text}"
    );
    assert!(text.contains("action: check the provider's status page"));

    let colored = s.render_text_with(&problems(), &TextOptions { color: true });
    assert!(colored.contains("\x1b[1mCalls by status\x1b[0m"));
}

#[test]
fn empty_input_says_so() {
    let text = Summary::new().render_text(&Counters::new());
    assert!(text.contains("No calls seen"));
    assert!(text.contains("(counted, never dropped silently)\n  none"));
}

#[test]
fn directions_are_reported_separately() {
    let outcomes = realistic_outcomes();
    let j = summary_of(&outcomes).render_json(&Counters::new());
    for d in [Direction::Outbound, Direction::Inbound] {
        let answered = outcomes
            .iter()
            .filter(|o| o.direction == d && o.answered_at.is_some())
            .count() as u64;
        assert_eq!(
            j["answer_seizure_ratio"]["by_direction"][d.as_str()]["answered"],
            answered
        );
    }
}

#[test]
fn webhook_section_when_configured() {
    let mut s = summary_of(&realistic_outcomes());
    assert!(!s.render_text(&Counters::new()).contains("\nWebhook\n"));
    s.set_webhook(WebhookStats {
        queued: 70,
        delivered: 66,
        retries: 9,
        rejected: 1,
        retries_exhausted: 2,
        dropped: 6,
        abandoned: 1,
    });
    let text = s.render_text(&Counters::new());
    assert!(
        text.contains("\nWebhook\n  queued                 70\n  delivered              66\n"),
        "{text}"
    );
    assert!(text.contains("  dropped, queue full     6\n"), "{text}");
    let j = s.render_json(&Counters::new());
    assert_eq!(j["webhook"]["delivered"], 66);
    assert_eq!(j["webhook"]["retries_exhausted"], 2);
    assert_eq!(j["webhook"]["dropped"], 6);
}
