//! Call record → Butter outcome: status, meaning, likely cause, action,
//! direction and the Butter call id.
//!
//! The status rules (see README "Classification"):
//! - 2xx to the initial INVITE then BYE: `completed`; 2xx without BYE yet:
//!   `in-progress`, not final.
//! - 486, 600, 603: `busy` (603 keeps its own action: do not retry soon).
//! - 408, 480: `no-answer`.
//! - 487 after a CANCEL: `canceled`, but `no-answer` when the CANCEL or the
//!   487 carries Q.850 cause 19, or the call rang at least `ring_timeout_ms`
//!   (first 18x to CANCEL, or INVITE to CANCEL without 18x). 487 without a
//!   CANCEL is `failed`.
//! - Every other 3xx-6xx final: `failed`.
//! - No response at all within Timer B: `failed`, `sip_code` null.
//! - Input ended first: `initiated` / `ringing` / `in-progress`, not final.

pub mod codes;
pub mod correlate;
pub mod explain;

pub use explain::{explain, status_for_code, Advice, Explanation};

use crate::config::ClassifyConfig;
use crate::outcome::{Anomaly, Correlation, Direction, Outcome, Party, Status, SCHEMA_VERSION};
use crate::stats::Counters;
use crate::track::{CallRecord, Progress, ReasonInfo};
use correlate::{Join, Records, RecordsError};

/// Q.850 cause 19: no answer from user (user alerted).
const Q850_NO_ANSWER: u16 = 19;

/// Why the classifier could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClassifyError {
    #[error(transparent)]
    Records(#[from] RecordsError),
}

impl ClassifyError {
    /// Bad input (exit code 2) rather than an internal failure.
    pub fn is_bad_input(&self) -> bool {
        true
    }
}

/// Turns call records into outcomes.
#[derive(Debug)]
pub struct Classifier {
    cfg: ClassifyConfig,
    records: Option<Records>,
    /// Addresses that sent INVITEs carrying a Butter id: the platform side,
    /// learned when no platform networks are configured.
    learned_platform: std::collections::BTreeSet<std::net::IpAddr>,
    stats: Counters,
}

impl Classifier {
    /// Loads the Butter call records file when one is configured.
    pub fn new(cfg: &ClassifyConfig) -> Result<Self, ClassifyError> {
        let records = match &cfg.records {
            Some(p) => Some(Records::load(p)?),
            None => None,
        };
        Ok(Classifier {
            cfg: cfg.clone(),
            records,
            learned_platform: Default::default(),
            stats: Counters::new(),
        })
    }

    /// With records already in memory (tests, embedding).
    pub fn with_records(cfg: &ClassifyConfig, records: Records) -> Self {
        Classifier {
            cfg: cfg.clone(),
            records: Some(records),
            learned_platform: Default::default(),
            stats: Counters::new(),
        }
    }

    /// Layer "classify": correlation results (`correlated_header`,
    /// `correlated_token`, `correlated_records`, `correlation_ambiguous`,
    /// `uncorrelated`) and `status_mismatch`.
    pub fn stats(&self) -> &Counters {
        &self.stats
    }

    /// Direction from the configured platform networks.
    fn direction_from_networks(&self, rec: &CallRecord) -> Direction {
        let nets = &self.cfg.platform_networks;
        if nets.is_empty() {
            return Direction::Unknown;
        }
        let src = nets.iter().any(|n| n.contains(&rec.src.ip()));
        let dst = nets.iter().any(|n| n.contains(&rec.dst.ip()));
        match (src, dst) {
            (true, false) => Direction::Outbound,
            (false, true) => Direction::Inbound,
            _ => Direction::Unknown,
        }
    }

    pub fn classify(&mut self, rec: &CallRecord) -> Outcome {
        let mut anomalies = rec.anomalies.clone();

        // Correlation and direction.
        let ids = correlate::from_headers(&rec.headers, &self.cfg.butter_id_headers);
        let mut direction = self.direction_from_networks(rec);
        if direction == Direction::Unknown && ids.butter_call_id.is_some() {
            // The platform put its id on the INVITE it sent.
            direction = Direction::Outbound;
            if self.cfg.platform_networks.is_empty() {
                self.learned_platform.insert(rec.src.ip());
            }
        }
        if direction == Direction::Unknown && self.cfg.platform_networks.is_empty() {
            // The side that sends the platform's ids is the platform: an
            // INVITE toward it (and only toward it) is inbound.
            let src = self.learned_platform.contains(&rec.src.ip());
            let dst = self.learned_platform.contains(&rec.dst.ip());
            direction = match (src, dst) {
                (true, false) => Direction::Outbound,
                (false, true) => Direction::Inbound,
                _ => Direction::Unknown,
            };
        }
        let mut butter_call_id = ids.butter_call_id.clone();
        let mut correlation = ids.correlation.unwrap_or(Correlation::None);
        let mut record_status = None;
        if let Some(records) = &self.records {
            if let Some(id) = &butter_call_id {
                if let Some(r) = records.by_id(id) {
                    record_status = r.status;
                    if direction == Direction::Unknown {
                        direction = r.direction;
                    }
                }
            } else {
                match records.join(
                    rec.from.as_deref(),
                    rec.to.as_deref(),
                    rec.invite_at,
                    self.cfg.records_window_ms,
                    direction,
                ) {
                    Join::One(r) => {
                        butter_call_id = Some(r.id.clone());
                        correlation = Correlation::Records;
                        record_status = r.status;
                        if direction == Direction::Unknown {
                            direction = r.direction;
                        }
                    }
                    Join::Ambiguous(ids) => {
                        correlation = Correlation::Ambiguous;
                        let shown: Vec<&str> = ids.iter().take(5).copied().collect();
                        let more = ids.len().saturating_sub(shown.len());
                        let mut detail = format!(
                            "{} Butter call records match this call's numbers and time: {}",
                            ids.len(),
                            shown.join(", ")
                        );
                        if more > 0 {
                            detail.push_str(&format!(" and {more} more"));
                        }
                        anomalies.push(Anomaly::new("ambiguous_correlation").with_detail(detail));
                    }
                    Join::None => {}
                }
            }
        }
        self.stats.inc(
            "classify",
            match correlation {
                Correlation::Header => "correlated_header",
                Correlation::Token => "correlated_token",
                Correlation::Records => "correlated_records",
                Correlation::Ambiguous => "correlation_ambiguous",
                Correlation::None => "uncorrelated",
            },
        );

        // Status and advice.
        let v = verdict(rec, direction, self.cfg.ring_timeout_ms);

        if let (Some(theirs), true) = (record_status, rec.is_final) {
            if theirs.is_terminal() && theirs != v.status {
                self.stats.inc("classify", "status_mismatch");
                let wire = match rec.final_code {
                    Some(c) => format!("{} ({c})", v.status.as_str()),
                    None => v.status.as_str().to_string(),
                };
                let mut a = Anomaly::new("status_mismatch").with_detail(format!(
                    "Butter says {}, the wire says {wire}",
                    theirs.as_str()
                ));
                a.cause = Some(
                    "Butter's call record and the SIP signalling disagree about how the call ended"
                        .to_string(),
                );
                a.action = Some(
                    "trust the SIP code for the carrier's view; report the Call-ID and Butter call id to Butter support"
                        .to_string(),
                );
                anomalies.push(a);
            }
        }

        // Reason: the one that ended the call.
        let reason = if rec.bye_at.is_some() && rec.bye_reason.is_some() {
            rec.bye_reason.as_ref()
        } else if rec.cancel_at.is_some()
            && rec.cancel_reason.is_some()
            && rec.answered_at.is_none()
        {
            rec.cancel_reason.as_ref()
        } else {
            rec.final_reason.as_ref()
        };
        let q850_cause = reason.and_then(|r| r.q850);
        let reason_text = reason.and_then(|r| {
            r.text
                .clone()
                .or_else(|| r.q850.and_then(codes::q850_text).map(str::to_string))
        });

        let ms = |a: Option<crate::time::Timestamp>, b: Option<crate::time::Timestamp>| match (a, b)
        {
            (Some(a), Some(b)) => Some(b.millis_since(a)),
            _ => None,
        };
        let first_18x = rec.first_provisional_at;
        let final_at = if rec.final_code.is_some() {
            rec.answered_at.or(rec.ended_at)
        } else {
            None
        };
        let post_dial_delay_ms = ms(Some(rec.invite_at), first_18x.or(final_at));
        let ring_ms = ms(
            first_18x,
            final_at.or(if rec.final_code.is_none() {
                rec.cancel_at
            } else {
                None
            }),
        );
        let talk_ms = ms(rec.answered_at, rec.bye_at);

        // Media fields and media anomalies are added by `media::MediaTracker::annotate`.
        Outcome {
            schema_version: SCHEMA_VERSION,
            butter_call_id,
            sip_call_id: rec.call_id.clone(),
            correlation,
            provider_ids: ids.provider_ids,
            direction,
            from: rec.from.clone(),
            to: rec.to.clone(),
            transport: rec.transport.as_str().to_string(),
            src: rec.src.to_string(),
            dst: rec.dst.to_string(),
            status: v.status,
            is_final: v.is_final,
            sip_code: rec.final_code,
            sip_reason: rec.final_reason_phrase.clone(),
            meaning: v.meaning,
            cause: v.cause,
            action: v.action,
            q850_cause,
            reason_text,
            ended_by: rec.ended_by,
            auth_challenged: rec.auth_challenged,
            retransmissions: rec.retransmissions,
            invite_at: rec.invite_at.to_rfc3339(),
            first_provisional_at: rec.first_provisional_at.map(|t| t.to_rfc3339()),
            answered_at: rec.answered_at.map(|t| t.to_rfc3339()),
            ended_at: rec.ended_at.map(|t| t.to_rfc3339()),
            post_dial_delay_ms,
            ring_ms,
            talk_ms,
            anomalies,
            media: None,
        }
    }
}

/// Status, finality and advice for one call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub status: Status,
    pub is_final: bool,
    pub meaning: String,
    pub cause: String,
    pub action: String,
}

fn has_cause(r: &Option<ReasonInfo>, cause: u16) -> bool {
    r.as_ref().is_some_and(|r| r.q850 == Some(cause))
}

fn party(p: Option<Party>) -> &'static str {
    match p {
        Some(Party::Caller) => "the caller",
        Some(Party::Callee) => "the callee",
        None => "one side",
    }
}

/// The classification table (module docs) applied to one record.
pub fn verdict(rec: &CallRecord, direction: Direction, ring_timeout_ms: u64) -> Verdict {
    let advice = |code: u16| -> (String, String, String) {
        let e = explain(code);
        let a = if direction == Direction::Inbound {
            e.inbound
        } else {
            e.outbound
        };
        (
            e.meaning.to_string(),
            a.cause.to_string(),
            a.action.to_string(),
        )
    };
    let v = |status, is_final, (meaning, cause, action): (String, String, String)| Verdict {
        status,
        is_final,
        meaning,
        cause,
        action,
    };
    if rec.answered_at.is_some() {
        let (meaning, _, _) = advice(rec.final_code.unwrap_or(200));
        if rec.bye_at.is_some() {
            return v(
                Status::Completed,
                true,
                (
                    meaning,
                    format!(
                        "call set up and later ended normally ({} hung up)",
                        party(rec.ended_by)
                    ),
                    "nothing".to_string(),
                ),
            );
        }
        return v(
            Status::InProgress,
            false,
            (
                meaning,
                "the call was connected and had not ended when the capture ended".to_string(),
                "nothing".to_string(),
            ),
        );
    }
    if let Some(code) = rec.final_code {
        if code == 487 && rec.cancel_at.is_some() {
            let cancel_at = rec.cancel_at.unwrap_or(rec.invite_at);
            let rang = cancel_at.millis_since(rec.first_provisional_at.unwrap_or(rec.invite_at));
            let (meaning, _, _) = advice(487);
            let q19 = has_cause(&rec.cancel_reason, Q850_NO_ANSWER)
                || has_cause(&rec.final_reason, Q850_NO_ANSWER);
            if q19 || rang >= ring_timeout_ms {
                let why = if q19 {
                    "the CANCEL said no answer (Q.850 cause 19)".to_string()
                } else {
                    format!("it rang {rang} ms, at least the ring timeout of {ring_timeout_ms} ms")
                };
                return v(
                    Status::NoAnswer,
                    true,
                    (
                        meaning,
                        format!("nobody picked up: the call was canceled because {why}"),
                        "retry later".to_string(),
                    ),
                );
            }
            return v(
                Status::Canceled,
                true,
                (
                    meaning,
                    format!("the caller canceled the call before it was answered (after {rang} ms)"),
                    "nothing if the cancel was intended; if it happens often, check the platform's ring timeout and the API calls that cancel".to_string(),
                ),
            );
        }
        let (status, _) = status_for_code(code);
        let status = match status {
            Status::Busy | Status::NoAnswer => status,
            _ => Status::Failed,
        };
        return v(status, true, advice(code));
    }
    if rec.timed_out {
        return v(
            Status::Failed,
            true,
            (
                "no response at all to the INVITE (RFC 3261 Timer B expired)".to_string(),
                "the far end never answered the INVITE: wrong address, port or transport, a firewall, or the peer is down".to_string(),
                "check the trunk's address, port and transport, and that the firewall lets SIP through; check the provider's status page".to_string(),
            ),
        );
    }
    let (status, meaning) = match rec.progress {
        Progress::Ringing => (
            Status::Ringing,
            "the call was ringing when the capture ended",
        ),
        _ => (
            Status::Initiated,
            "the call was being set up when the capture ended",
        ),
    };
    v(
        status,
        false,
        (
            meaning.to_string(),
            "no final response had arrived yet".to_string(),
            "nothing; the outcome is not known".to_string(),
        ),
    )
}
