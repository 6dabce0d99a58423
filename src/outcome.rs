//! The outcome record: one per call, the product's main output.
//!
//! This is the contract between `classify` (which fills it) and `sink`
//! (which writes it as JSON lines, webhooks, metrics and the summary). Field
//! order here is the JSON field order; every field is documented in the
//! README. Bump [`SCHEMA_VERSION`] on any incompatible change.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the outcome record layout.
pub const SCHEMA_VERSION: u32 = 1;

/// Butter's call status vocabulary (API and dashboard), plus the open states
/// a call can be left in when the input ends.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Queued,
    Initiated,
    Ringing,
    InProgress,
    Completed,
    Busy,
    NoAnswer,
    Failed,
    Canceled,
}

impl Status {
    pub const ALL: [Status; 9] = [
        Status::Queued,
        Status::Initiated,
        Status::Ringing,
        Status::InProgress,
        Status::Completed,
        Status::Busy,
        Status::NoAnswer,
        Status::Failed,
        Status::Canceled,
    ];

    /// The wire form (`no-answer`, `in-progress`, ...), also the metric label.
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Initiated => "initiated",
            Status::Ringing => "ringing",
            Status::InProgress => "in-progress",
            Status::Completed => "completed",
            Status::Busy => "busy",
            Status::NoAnswer => "no-answer",
            Status::Failed => "failed",
            Status::Canceled => "canceled",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        let norm = s.trim().to_ascii_lowercase().replace('_', "-");
        Status::ALL.into_iter().find(|st| st.as_str() == norm)
    }

    /// Statuses that end a call (Butter sends its final webhook with these).
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            Status::Completed | Status::Busy | Status::NoAnswer | Status::Failed | Status::Canceled
        )
    }
}

/// Which way the call goes, seen from the Butter platform.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// The platform sent the initial INVITE toward the carrier.
    Outbound,
    /// The carrier sent the initial INVITE toward the platform.
    Inbound,
    Unknown,
}

impl Direction {
    pub const fn as_str(self) -> &'static str {
        match self {
            Direction::Outbound => "outbound",
            Direction::Inbound => "inbound",
            Direction::Unknown => "unknown",
        }
    }
}

/// How the Butter call id was found.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Correlation {
    /// A header the operator named (default `X-Butter-Call-Id`).
    Header,
    /// A `call_<12+ hex>` token in some `X-` header value.
    Token,
    /// Joined with Butter's own call records by numbers and time.
    Records,
    /// Several records matched equally well: reported, not guessed.
    Ambiguous,
    None,
}

impl Correlation {
    pub const fn as_str(self) -> &'static str {
        match self {
            Correlation::Header => "header",
            Correlation::Token => "token",
            Correlation::Records => "records",
            Correlation::Ambiguous => "ambiguous",
            Correlation::None => "none",
        }
    }
}

/// Which party did something (sent the BYE, the CANCEL...).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Party {
    Caller,
    Callee,
}

/// Something unusual about a call. `kind` is a stable snake_case code
/// (`status_mismatch`, `no_media`, `one_way_media`, `silent_media`,
/// `late_retransmission`, ...); `detail` is for people; `cause`/`action` are
/// set when the anomaly carries its own advice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anomaly {
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
}

impl Anomaly {
    pub fn new(kind: &str) -> Self {
        Anomaly {
            kind: kind.to_string(),
            detail: None,
            cause: None,
            action: None,
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// Media seen for one direction of a call (filled by media tracking).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MediaLeg {
    /// RTP packets (RTCP, STUN, DTLS and ZRTP are not counted here).
    pub packets: u64,
    /// UDP payload bytes of those packets (RTP header included).
    pub bytes: u64,
    /// Sequence numbers never seen (RFC 3550 expected minus received, per stream).
    pub lost: u64,
    /// Share of G.711/comfort-noise packets that are silence (below -60 dBov);
    /// null when no packet used a codec whose silence can be judged.
    pub silent_share: Option<f64>,
    pub first_at: Option<String>,
    pub last_at: Option<String>,
    #[serde(default)]
    pub rtcp_packets: u64,
    /// RTP payload types seen, ascending.
    #[serde(default)]
    pub payload_types: Vec<u8>,
    /// The latest SDPs put this direction on hold (sendonly/recvonly/inactive,
    /// `c=0.0.0.0` or port 0): silence here is expected, not flagged.
    #[serde(default)]
    pub on_hold: bool,
    /// Each RTP stream (source, destination, SSRC), in order of first packet.
    #[serde(default)]
    pub streams: Vec<MediaStream>,
}

/// One RTP stream: what `tshark -z rtp,streams` lists as a row.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaStream {
    pub src: String,
    pub dst: String,
    /// `0x` and 8 upper-case hex digits, as tshark prints it.
    pub ssrc: String,
    /// Payload type of the first packet.
    pub payload_type: u8,
    pub packets: u64,
    pub lost: u64,
}

/// Media of a call: `known` is false when trunkwatch cannot see the media
/// (proxy mode, or no SDP), so absence of packets means nothing.
///
/// The caller/callee legs are always filled; the platform/carrier legs are
/// the same numbers seen from the platform, present only when the call's
/// direction is known (`classify.platform_networks`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Media {
    pub known: bool,
    /// Why `known` is false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unknown_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_to_carrier: Option<MediaLeg>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier_to_platform: Option<MediaLeg>,
    #[serde(default)]
    pub caller_to_callee: MediaLeg,
    #[serde(default)]
    pub callee_to_caller: MediaLeg,
    /// Another live call re-announced this call's media addresses (B2BUA
    /// legs sharing one media path, e.g. direct media): packets may be
    /// counted on that call, so missing media is not judged here.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub shared_path: bool,
}

/// One classified call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub schema_version: u32,
    pub butter_call_id: Option<String>,
    pub sip_call_id: String,
    pub correlation: Correlation,
    /// Other platform/provider ids seen in the INVITE, header name to value
    /// (`X-Twilio-CallSid`, LiveKit's `X-Lk-*`...).
    #[serde(default)]
    pub provider_ids: BTreeMap<String, String>,
    pub direction: Direction,
    /// Caller: user part of the From URI (the number), else the URI.
    pub from: Option<String>,
    /// Callee: user part of the To URI (the number), else the URI.
    pub to: Option<String>,
    /// Transport of the initial INVITE (`udp`, `tcp`, `sctp`, `ws`).
    pub transport: String,
    /// `ip:port` that sent the initial INVITE.
    pub src: String,
    /// `ip:port` the initial INVITE was sent to.
    pub dst: String,
    pub status: Status,
    /// False when the input ended (or the call was evicted) before the call did.
    #[serde(rename = "final")]
    pub is_final: bool,
    /// Final response to the initial INVITE transaction, or null.
    pub sip_code: Option<u16>,
    pub sip_reason: Option<String>,
    pub meaning: String,
    pub cause: String,
    pub action: String,
    /// Q.850 cause from a Reason header (BYE, CANCEL or final response).
    pub q850_cause: Option<u16>,
    /// Text of that Reason header, or of a SIP-protocol Reason.
    pub reason_text: Option<String>,
    pub ended_by: Option<Party>,
    pub auth_challenged: bool,
    pub retransmissions: u32,
    pub invite_at: String,
    pub first_provisional_at: Option<String>,
    pub answered_at: Option<String>,
    pub ended_at: Option<String>,
    pub post_dial_delay_ms: Option<u64>,
    pub ring_ms: Option<u64>,
    pub talk_ms: Option<u64>,
    #[serde(default)]
    pub anomalies: Vec<Anomaly>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<Media>,
}

impl Outcome {
    /// Response class label for metrics (`2xx`..`6xx`, or `none`).
    pub fn code_class(&self) -> &'static str {
        match self.sip_code {
            Some(100..=199) => "1xx",
            Some(200..=299) => "2xx",
            Some(300..=399) => "3xx",
            Some(400..=499) => "4xx",
            Some(500..=599) => "5xx",
            Some(600..=699) => "6xx",
            _ => "none",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_wire_names() {
        assert_eq!(
            serde_json::to_string(&Status::NoAnswer).unwrap(),
            "\"no-answer\""
        );
        assert_eq!(Status::parse("IN_PROGRESS"), Some(Status::InProgress));
        assert_eq!(Status::parse("nope"), None);
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
    }
}
