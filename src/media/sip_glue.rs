//! Adapter from the SIP parser's message to a media [`Signal`].

use super::{sdp, MediaTracker, Signal};

impl MediaTracker {
    /// Every parsed SIP message; cheap when there is no SDP and no call state.
    pub fn on_sip(&mut self, pkt: &crate::decode::SipPacket<'_>, msg: &crate::sip::Message<'_>) {
        use crate::sip::Method;
        self.note_time(pkt.ts);
        let Some(call_id) = msg.call_id() else {
            return;
        };
        let cseq_method = msg.cseq().ok().map(|c| c.method);
        let method = msg.method();
        let sdp = sdp::sdp_body(msg.content_type(), msg.body());
        let request_invite = method.map(|m| m == Method::Invite);
        let is_initial_invite = request_invite == Some(true);
        // Fast path: nothing to learn from this message.
        if sdp.is_none() && !is_initial_invite && !self.by_call_id.contains_key(call_id) {
            return;
        }
        let from_tag = msg.from().ok().and_then(|n| n.tag());
        let to_tag = msg.to().ok().and_then(|n| n.tag());
        let sig = Signal {
            ts: pkt.ts,
            src: pkt.src,
            dst: pkt.dst,
            call_id,
            request_invite,
            status: msg.status(),
            // A request's own method decides (its CSeq may be damaged); a
            // response answers the CSeq method.
            offer_answer_method: matches!(
                method.or(cseq_method),
                Some(Method::Invite | Method::Ack | Method::Prack | Method::Update)
            ),
            cseq_invite: cseq_method == Some(Method::Invite),
            bye: method == Some(Method::Bye),
            from_tag,
            to_tag,
            sdp,
        };
        self.on_signal(&sig);
    }
}
