//! Real sipp calls with real RTP (espeak-ng speech, digital silence, loss,
//! echo), recorded on loopback by scripts/media/make_fixtures.sh, replayed
//! through the real decoder, parser, tracker and classifier into the media
//! tracker, with the anomalies each call must (and must not) raise.

mod media_support;

use media_support::*;
use trunkwatch::config::MediaConfig;
use trunkwatch::outcome::{Direction, Outcome};

fn one(name: &str, dir: Option<Direction>) -> Outcome {
    let (mut v, m) = outcomes(
        &fixture(&format!("{name}.pcap")),
        &MediaConfig::default(),
        dir,
        true,
    );
    assert_eq!(v.len(), 1, "{name}: one call");
    assert_eq!(
        m.calls(),
        0,
        "{name}: media state forgotten after the outcome"
    );
    v.remove(0)
}

fn kinds(o: &Outcome) -> Vec<&str> {
    o.anomalies
        .iter()
        .map(|a| a.kind.as_str())
        .filter(|k| k.ends_with("media"))
        .collect()
}

fn detail<'a>(o: &'a Outcome, kind: &str) -> &'a str {
    o.anomalies
        .iter()
        .find(|a| a.kind == kind)
        .and_then(|a| a.detail.as_deref())
        .unwrap_or_default()
}

#[test]
fn both_sides_speaking_is_clean() {
    let o = one("both_speech", Some(Direction::Outbound));
    assert!(kinds(&o).is_empty(), "{:?}", o.anomalies);
    let m = o.media.expect("media");
    assert!(m.known);
    let p2c = m.platform_to_carrier.expect("direction known");
    let c2p = m.carrier_to_platform.expect("direction known");
    // What tshark sees of each stream up to the end of the call.
    let p = fixture("both_speech.pcap");
    assert_eq!(
        (p2c.packets, p2c.lost),
        (rtp_before_bye_ok(&p, 0x0A11CE01), 0)
    );
    assert_eq!(
        (c2p.packets, c2p.lost),
        (rtp_before_bye_ok(&p, 0x0B0B0B02), 0)
    );
    assert!(p2c.packets > 300 && c2p.packets > 300);
    assert_eq!(p2c.streams[0].ssrc, "0x0A11CE01");
    assert_eq!(p2c.payload_types, vec![0]);
    // Speech has pauses, but is far from all silence.
    for leg in [&p2c, &c2p] {
        let share = leg.silent_share.expect("G.711 is judged");
        assert!(share < 0.5, "speech silent share {share}");
    }
    assert!(p2c.first_at.is_some() && p2c.last_at > p2c.first_at);
}

#[test]
fn platform_sends_nothing_outbound() {
    let o = one("caller_silent", Some(Direction::Outbound));
    assert_eq!(kinds(&o), vec!["one_way_media"]);
    assert!(detail(&o, "one_way_media").contains("no RTP from the platform side"));
    let a = &o.anomalies[0];
    assert!(a.cause.as_deref().unwrap_or_default().contains("speech"));
    assert!(a
        .action
        .as_deref()
        .unwrap_or_default()
        .contains("tts_provider"));
    let m = o.media.unwrap();
    assert_eq!(m.platform_to_carrier.unwrap().packets, 0);
    let p = fixture("caller_silent.pcap");
    assert_eq!(
        m.carrier_to_platform.unwrap().packets,
        rtp_before_bye_ok(&p, 0x0B0B0B02)
    );
}

#[test]
fn platform_sends_nothing_inbound() {
    // The carrier calls the platform; the platform (callee) never speaks.
    let o = one("callee_silent", Some(Direction::Inbound));
    assert_eq!(kinds(&o), vec!["one_way_media"]);
    assert!(detail(&o, "one_way_media").contains("no RTP from the platform side"));
    // The same capture seen the other way: the carrier is silent, another cause.
    let o = one("callee_silent", Some(Direction::Outbound));
    assert_eq!(kinds(&o), vec!["one_way_media"]);
    assert!(detail(&o, "one_way_media").contains("no RTP from the carrier side"));
    assert!(o.anomalies[0]
        .cause
        .as_deref()
        .unwrap()
        .contains("firewall"));
}

#[test]
fn unknown_direction_still_flags_in_caller_callee_terms() {
    let o = one("caller_silent", Some(Direction::Unknown));
    assert_eq!(kinds(&o), vec!["one_way_media"]);
    assert!(detail(&o, "one_way_media").contains("caller side (caller_to_callee)"));
    let m = o.media.unwrap();
    assert!(m.platform_to_carrier.is_none());
    let p = fixture("caller_silent.pcap");
    assert_eq!(
        m.callee_to_caller.packets,
        rtp_before_bye_ok(&p, 0x0B0B0B02)
    );
}

#[test]
fn platform_digital_silence_is_silent_media() {
    let o = one("caller_digital_silence", Some(Direction::Outbound));
    assert_eq!(kinds(&o), vec!["silent_media"]);
    assert!(detail(&o, "silent_media").contains("from the platform side"));
    let m = o.media.unwrap();
    let p2c = m.platform_to_carrier.unwrap();
    let p = fixture("caller_digital_silence.pcap");
    assert_eq!(p2c.packets, rtp_before_bye_ok(&p, 0x05111E03));
    assert_eq!(p2c.silent_share, Some(1.0));
}

/// The call of `name` replayed after `both_speech` (merged by time, as
/// `trunkwatch replay both_speech.pcap NAME.pcap` does), so the input is
/// known to carry media: a capture with no RTP anywhere proves nothing.
fn after_a_call_with_media(name: &str, cfg: &MediaConfig) -> Outcome {
    let (v, _) = outcomes_of(
        &[
            fixture("both_speech.pcap"),
            fixture(&format!("{name}.pcap")),
        ],
        cfg,
        Some(Direction::Outbound),
        true,
    );
    assert_eq!(v.len(), 2);
    let (first, second) = (&v[0], &v[1]);
    assert!(kinds(first).is_empty(), "{:?}", first.anomalies);
    assert!(second.invite_at > first.invite_at);
    second.clone()
}

#[test]
fn answered_without_any_rtp_is_no_media() {
    let o = after_a_call_with_media("no_rtp", &MediaConfig::default());
    assert_eq!(kinds(&o), vec!["no_media"]);
    assert!(o.anomalies[0]
        .action
        .as_deref()
        .unwrap()
        .contains("stt_provider"));
    assert!(o.media.unwrap().known);
}

#[test]
fn signalling_only_capture_leaves_media_unknown() {
    let o = one("no_rtp", Some(Direction::Outbound));
    assert!(kinds(&o).is_empty(), "{:?}", o.anomalies);
    let m = o.media.unwrap();
    assert!(!m.known && m.unknown_reason.unwrap().contains("signalling only"));
}

#[test]
fn short_call_without_rtp_is_not_judged() {
    let o = after_a_call_with_media("short_no_rtp", &MediaConfig::default());
    assert!(o.answered_at.is_some());
    assert!(kinds(&o).is_empty(), "{:?}", o.anomalies);
}

#[test]
fn echoed_lossy_stream_counts_loss_both_ways() {
    let o = one("echo_lossy", Some(Direction::Outbound));
    assert!(kinds(&o).is_empty(), "{:?}", o.anomalies);
    let m = o.media.unwrap();
    // Every 25th of 351 packets was left out before sipp played them: 14 gaps,
    // and sipp's -rtp_echo returns exactly what it got.
    for leg in [
        m.platform_to_carrier.unwrap(),
        m.carrier_to_platform.unwrap(),
    ] {
        assert_eq!((leg.packets, leg.lost), (337, 14));
    }
}

#[test]
fn proxy_mode_reports_media_unknown() {
    let (v, _) = outcomes(
        &fixture("no_rtp.pcap"),
        &MediaConfig::default(),
        Some(Direction::Outbound),
        false,
    );
    let o = &v[0];
    assert!(kinds(o).is_empty());
    let m = o.media.as_ref().unwrap();
    assert!(!m.known);
    assert!(m.unknown_reason.as_deref().unwrap().contains("proxy"));
}

#[test]
fn fixture_counts_match_tshark() {
    for name in [
        "both_speech",
        "caller_silent",
        "caller_digital_silence",
        "echo_lossy",
        "callee_silent",
    ] {
        let p = fixture(&format!("{name}.pcap"));
        assert_eq!(
            ours(&replay(&p, &MediaConfig::default())),
            tshark_streams(&p),
            "{name}"
        );
    }
}

#[test]
fn thresholds_are_configuration() {
    // A stricter silence share still flags; 100% can never be exceeded.
    let cfg = MediaConfig {
        silence_share: 1.0,
        ..MediaConfig::default()
    };
    let (v, _) = outcomes(
        &fixture("caller_digital_silence.pcap"),
        &cfg,
        Some(Direction::Outbound),
        true,
    );
    assert!(kinds(&v[0]).is_empty());
    // A no-media window longer than the call leaves it unjudged.
    let cfg = MediaConfig {
        no_media_ms: 60_000,
        ..MediaConfig::default()
    };
    let o = after_a_call_with_media("no_rtp", &cfg);
    assert!(kinds(&o).is_empty());
}
