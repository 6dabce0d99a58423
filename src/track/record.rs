//! What the tracker hands to the classifier: everything the wire said about
//! one call, owned (the packets are gone by then), nothing interpreted yet.

use crate::decode::Transport;
use crate::outcome::{Anomaly, Party};
use crate::time::Timestamp;
use std::net::SocketAddr;

/// A `Reason` header (RFC 3326) seen on a BYE, CANCEL or final response.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReasonInfo {
    /// `Q.850;cause=N`.
    pub q850: Option<u16>,
    /// `SIP;cause=N`.
    pub sip: Option<u16>,
    /// The `text` parameter (Q.850's if both protocols carry one).
    pub text: Option<String>,
}

impl ReasonInfo {
    pub fn is_empty(&self) -> bool {
        self.q850.is_none() && self.sip.is_none() && self.text.is_none()
    }
}

/// How far the call got on the wire.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Progress {
    /// INVITE sent, no 18x yet (a 100 Trying does not count: it is hop by hop).
    Initiated,
    /// A 18x arrived.
    Ringing,
    /// A 2xx answered the initial INVITE.
    Answered,
}

/// One call as the tracker saw it.
#[derive(Clone, Debug, PartialEq)]
pub struct CallRecord {
    pub call_id: String,
    /// False when the input ended, or the call was evicted, before it ended.
    pub is_final: bool,
    pub progress: Progress,
    /// Final response to the initial INVITE transaction.
    pub final_code: Option<u16>,
    pub final_reason_phrase: Option<String>,
    /// Reason header on that final response.
    pub final_reason: Option<ReasonInfo>,
    /// The INVITE got no response at all within Timer B.
    pub timed_out: bool,
    /// CANCEL for the initial INVITE: when, and its Reason header.
    pub cancel_at: Option<Timestamp>,
    pub cancel_reason: Option<ReasonInfo>,
    /// BYE that ended the answered call, and its Reason header.
    pub bye_at: Option<Timestamp>,
    pub bye_reason: Option<ReasonInfo>,
    pub ended_by: Option<Party>,
    /// A 401/407 challenge was answered by a new INVITE.
    pub auth_challenged: bool,
    /// Messages seen again (same request or same response, same hop).
    pub retransmissions: u32,
    /// First INVITE of the call (a challenged one counts).
    pub invite_at: Timestamp,
    /// First 18x to the initial INVITE.
    pub first_provisional_at: Option<Timestamp>,
    pub answered_at: Option<Timestamp>,
    /// BYE, final non-2xx response, or Timer B expiry.
    pub ended_at: Option<Timestamp>,
    /// User part of the From/To URI of the initial INVITE (else the URI).
    pub from: Option<String>,
    pub to: Option<String>,
    pub transport: Transport,
    /// Who sent the initial INVITE (the caller) and where to.
    pub src: SocketAddr,
    pub dst: SocketAddr,
    /// `X-` headers (and any extra names asked for) of the initial INVITE,
    /// in wire order; bounded in count and length.
    pub headers: Vec<(String, String)>,
    pub anomalies: Vec<Anomaly>,
}
