//! The SIP response code table: for every registered code a meaning (RFC
//! 3261 §21 and the RFCs that added codes), the usual cause and what the
//! operator should do, seen from both directions of a Butter call.
//!
//! Direction matters because the same code means different things depending
//! on who sent it: on an outbound call the carrier (or the called network)
//! answers the platform's INVITE; on an inbound call the Butter platform
//! (LiveKit SIP) answers the carrier's INVITE, so a rejection is about the
//! Butter configuration. Butter's seven documented codes (200, 404, 408, 480,
//! 486, 503, 603) keep Butter's own causes and actions.

/// One row of the table.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct CodeEntry {
    pub code: u16,
    /// Standard reason phrase.
    pub reason: &'static str,
    /// Where the code is defined.
    pub rfc: &'static str,
    /// What the code means.
    pub meaning: &'static str,
    /// Outbound call: the carrier / called network sent it.
    pub out_cause: &'static str,
    pub out_action: &'static str,
    /// Inbound call: the Butter platform sent it to the carrier.
    pub in_cause: &'static str,
    pub in_action: &'static str,
}

/// A row whose cause and action do not depend on the direction.
const fn same(
    code: u16,
    reason: &'static str,
    rfc: &'static str,
    meaning: &'static str,
    cause: &'static str,
    action: &'static str,
) -> CodeEntry {
    CodeEntry {
        code,
        reason,
        rfc,
        meaning,
        out_cause: cause,
        out_action: action,
        in_cause: cause,
        in_action: action,
    }
}

/// A row with direction-specific cause and action.
#[allow(clippy::too_many_arguments)]
const fn dir(
    code: u16,
    reason: &'static str,
    rfc: &'static str,
    meaning: &'static str,
    out_cause: &'static str,
    out_action: &'static str,
    in_cause: &'static str,
    in_action: &'static str,
) -> CodeEntry {
    CodeEntry {
        code,
        reason,
        rfc,
        meaning,
        out_cause,
        out_action,
        in_cause,
        in_action,
    }
}

const RETRY_LATER: &str = "retry later";
const CHECK_BUTTER_INBOUND: &str =
    "check the inbound trunk and the agent's phone number set-up in Butter (Agents > Phone Numbers)";

/// Every registered SIP response code, sorted by code.
pub const CODES: &[CodeEntry] = &[
    // 1xx
    same(100, "Trying", "RFC 3261 §21.1.1", "the next hop received the request and is working on it",
        "normal progress", "nothing"),
    same(180, "Ringing", "RFC 3261 §21.1.2", "the called party is being alerted",
        "normal progress", "nothing"),
    same(181, "Call Is Being Forwarded", "RFC 3261 §21.1.3", "the call is being forwarded to another destination",
        "call forwarding at the called side", "nothing"),
    same(182, "Queued", "RFC 3261 §21.1.4", "the called party is unavailable and the call was queued",
        "the called side queues calls", "nothing"),
    same(183, "Session Progress", "RFC 3261 §21.1.5", "call progress information, often early media (ringback or announcement)",
        "normal progress, possibly an announcement played as early media", "nothing; if the call then fails, listen to the early media"),
    same(199, "Early Dialog Terminated", "RFC 6228", "one fork of the call (an early dialog) was terminated",
        "a forked branch of the call was rejected while others may continue", "nothing"),
    // 2xx
    same(200, "OK", "RFC 3261 §21.2.1", "the call was answered",
        "call set up and later ended normally", "nothing"),
    same(202, "Accepted", "RFC 6665 §8.3.1 (deprecated)", "the request was accepted for processing",
        "legacy event package behaviour", "nothing"),
    same(204, "No Notification", "RFC 5839", "the request succeeded but no notification will follow",
        "event throttling", "nothing"),
    // 3xx
    same(300, "Multiple Choices", "RFC 3261 §21.3.1", "the callee can be reached at several addresses (listed in Contact)",
        "the called side offers alternatives instead of routing the call itself", "let the dialling side follow the redirect, or route to the number the carrier expects"),
    same(301, "Moved Permanently", "RFC 3261 §21.3.2", "the callee is no longer at the requested address",
        "the number or SIP address moved for good", "update the number or trunk address that was dialled"),
    same(302, "Moved Temporarily", "RFC 3261 §21.3.3", "the callee is temporarily at another address (in Contact)",
        "call forwarding or a redirect server", "enable redirect following on the calling side, or dial the new target"),
    same(305, "Use Proxy", "RFC 3261 §21.3.4", "the request must go through the proxy named in Contact",
        "the carrier requires traffic through a specific proxy/SBC", "point the trunk at the carrier's proxy"),
    same(380, "Alternative Service", "RFC 3261 §21.3.5", "the call failed; alternative services are possible",
        "the called side redirects to another service (e.g. emergency routing)", "check the response body and the dialled number"),
    // 4xx
    same(400, "Bad Request", "RFC 3261 §21.4.1", "the request was malformed",
        "a SIP syntax error or a header the receiver rejects", "capture the INVITE and check the headers against the receiver's requirements"),
    dir(401, "Unauthorized", "RFC 3261 §21.4.2", "the request needs user authentication",
        "the carrier challenged the call and the credentials were missing or wrong", "check the SIP trunk username and password in Butter's outbound trunk settings",
        "the platform asks the carrier to authenticate", "configure the carrier to send the credentials of Butter's inbound trunk, or allow the carrier's IPs"),
    dir(402, "Payment Required", "RFC 3261 §21.4.3", "reserved; carriers use it for an account without credit",
        "the carrier account has insufficient funds", "top up or check billing on the carrier account",
        "the account is out of funds", "check the Butter account balance and billing"),
    dir(403, "Forbidden", "RFC 3261 §21.4.4", "the server understood the request and refuses it",
        "the carrier does not allow this call: caller id not allowed, trunk IP not authorised, destination blocked or account restricted", "check the caller id (from_number) is verified with the carrier, the trunk's IP allow-list and the destination permissions",
        "the platform refuses calls from this trunk (source address or credentials not allowed)", "add the carrier's addresses or credentials to Butter's inbound trunk"),
    dir(404, "Not Found", "RFC 3261 §21.4.5", "the requested user or number does not exist at this domain",
        "the dialed number does not exist", "check the call's to_number",
        "the number is not linked to an agent in Butter (callers hear 'the number you have dialed is not in service')", "link the number to an agent under Agents > Phone Numbers"),
    same(405, "Method Not Allowed", "RFC 3261 §21.4.6", "the method is not allowed for this address",
        "the receiver does not accept this request type", "check the receiver's supported methods (Allow header)"),
    same(406, "Not Acceptable", "RFC 3261 §21.4.7", "the response would carry content the requester does not accept",
        "Accept header mismatch", "check the Accept headers on the request"),
    dir(407, "Proxy Authentication Required", "RFC 3261 §21.4.8", "the request needs proxy authentication",
        "the carrier's proxy challenged the call and the credentials were missing or wrong", "check the SIP trunk username and password in Butter's outbound trunk settings",
        "the platform's proxy asks the carrier to authenticate", "configure the carrier with Butter's inbound trunk credentials"),
    same(408, "Request Timeout", "RFC 3261 §21.4.9", "no final response in time",
        "it rang, nobody picked up", RETRY_LATER),
    same(410, "Gone", "RFC 3261 §21.4.10", "the user existed but is no longer available here",
        "the number was disconnected or ported away", "remove or update the number"),
    same(412, "Conditional Request Failed", "RFC 3903", "the precondition on an event state publication failed",
        "stale event state (not a call problem)", "nothing for calls"),
    same(413, "Request Entity Too Large", "RFC 3261 §21.4.11", "the request body is too large",
        "a large SDP or multipart body (too many codecs, ISUP attachments)", "reduce the offered codecs or body size"),
    same(414, "Request-URI Too Long", "RFC 3261 §21.4.12", "the Request-URI is too long",
        "overlong request URI parameters", "shorten the dialled URI"),
    dir(415, "Unsupported Media Type", "RFC 3261 §21.4.13", "the body format is not supported",
        "the carrier does not accept the body (e.g. multipart or a non-SDP body)", "send plain SDP to this carrier",
        "the platform does not accept the carrier's body format", "have the carrier send plain SDP"),
    same(416, "Unsupported URI Scheme", "RFC 3261 §21.4.14", "the Request-URI scheme is not supported",
        "a tel:/sips: URI where sip: is expected", "dial with a sip: URI"),
    same(417, "Unknown Resource-Priority", "RFC 4412", "the Resource-Priority namespace or value is not understood",
        "priority headers the receiver does not know", "remove Resource-Priority or align namespaces with the carrier"),
    same(420, "Bad Extension", "RFC 3261 §21.4.15", "a Require/Proxy-Require extension is not supported",
        "the request requires an extension the receiver lacks (often 100rel or timer)", "stop requiring that extension toward this peer"),
    same(421, "Extension Required", "RFC 3261 §21.4.16", "the receiver requires an extension the request did not offer",
        "the receiver requires e.g. 100rel or session timers", "enable the listed extension (Require header) on the calling side"),
    same(422, "Session Interval Too Small", "RFC 4028", "the Session-Expires interval is below the receiver's minimum",
        "session timer too short", "raise Session-Expires to at least the Min-SE in the response"),
    same(423, "Interval Too Brief", "RFC 3261 §21.4.17", "the requested expiry is too short",
        "registration/subscription interval too short", "raise the expiry"),
    same(424, "Bad Location Information", "RFC 6442", "the location information was malformed or not satisfactory",
        "bad geolocation data (emergency calls)", "check the Geolocation header / location body"),
    same(425, "Bad Alert Message", "RFC 8876", "the alert message in the request was not acceptable",
        "bad emergency alert content", "check the alert body"),
    dir(428, "Use Identity Header", "RFC 8224", "the receiver requires an Identity header (STIR/SHAKEN)",
        "the carrier wants a signed caller identity", "have the call signed (STIR/SHAKEN attestation) or use a verified caller id",
        "the platform requires a signed identity", "have the carrier sign the call"),
    same(429, "Provide Referrer Identity", "RFC 3892", "a REFER needs a Referred-By token",
        "transfer without referrer identity", "send Referred-By on transfers"),
    same(430, "Flow Failed", "RFC 5626", "the outbound flow to the user failed",
        "the registered connection to the user is dead", "retry; check the user's registration and keep-alives"),
    same(433, "Anonymity Disallowed", "RFC 5079", "the callee rejects anonymous calls",
        "caller id was withheld", "send a caller id (from_number) that is not anonymous"),
    dir(436, "Bad Identity Info", "RFC 8224", "the Identity header's info URI could not be used",
        "the carrier could not fetch or use the signing certificate", "check the STIR/SHAKEN certificate URL",
        "the platform could not use the carrier's identity info", "check the carrier's signing set-up"),
    dir(437, "Unsupported Credential", "RFC 8224", "the signing credential is not supported",
        "the carrier does not trust the signing certificate", "check the STIR/SHAKEN certificate and its issuer",
        "the platform does not trust the carrier's certificate", "check the carrier's signing set-up"),
    dir(438, "Invalid Identity Header", "RFC 8224", "the Identity signature did not verify",
        "the signature does not match the call (caller id or number changed in transit)", "check that numbers are not rewritten after signing",
        "the carrier's signature did not verify", "check the carrier's signing set-up"),
    same(439, "First Hop Lacks Outbound Support", "RFC 5626", "the first hop does not support SIP Outbound",
        "registration through an edge proxy without outbound support", "disable SIP Outbound or use a supporting edge"),
    same(440, "Max-Breadth Exceeded", "RFC 5393", "the request was forked too widely",
        "too many parallel forks (possible forking loop)", "check the routing for forking loops"),
    same(469, "Bad Info Package", "RFC 6086", "the INFO package is not supported",
        "DTMF or other INFO package not supported by the receiver", "use RFC 4733 DTMF or a package the receiver lists"),
    same(470, "Consent Needed", "RFC 5360", "the destination has not consented to the request",
        "relay needs consent", "obtain consent for the destination"),
    dir(480, "Temporarily Unavailable", "RFC 3261 §21.4.18", "the callee is currently unavailable",
        "no signal, or do-not-disturb", RETRY_LATER,
        "the platform could not hand the call to an agent right now (agent paused, not deployed or at capacity)", CHECK_BUTTER_INBOUND),
    same(481, "Call/Transaction Does Not Exist", "RFC 3261 §21.4.19", "the request matches no dialog or transaction",
        "state lost on one side (restart, timeout, or a NAT/ALG problem)", "check for restarts and SIP ALG/NAT rewriting between the platform and the carrier"),
    same(482, "Loop Detected", "RFC 3261 §21.4.20", "the request looped back to a server it already passed",
        "a routing loop between proxies", "fix the routing between trunk and carrier"),
    same(483, "Too Many Hops", "RFC 3261 §21.4.21", "Max-Forwards reached zero",
        "a routing loop or a very long proxy chain", "fix the routing between trunk and carrier"),
    dir(484, "Address Incomplete", "RFC 3261 §21.4.22", "the dialled number is incomplete",
        "the to_number is too short or lacks the country code", "dial the number in full E.164 form (+ and country code)",
        "the carrier sent an incomplete number to the platform", "check the number format the carrier delivers"),
    same(485, "Ambiguous", "RFC 3261 §21.4.23", "the address matches several destinations",
        "an ambiguous SIP address", "dial a more specific number or URI"),
    dir(486, "Busy Here", "RFC 3261 §21.4.24", "the callee is busy at this location",
        "callee rejected the call or is on another call", RETRY_LATER,
        "the platform is busy for this number (agent or concurrency limit reached)", "check the agent's concurrency limit in Butter, then retry later"),
    same(487, "Request Terminated", "RFC 3261 §21.4.25", "the INVITE was terminated by a CANCEL (or BYE) before it was answered",
        "the caller hung up or the platform canceled the call before answer", "nothing if intended; if it happens often, check the ring timeout"),
    dir(488, "Not Acceptable Here", "RFC 3261 §21.4.26", "the offered session (SDP) is not acceptable",
        "codec mismatch: no offered codec (or media setting) is accepted by the carrier", "align codecs: offer G.711 (PCMU/PCMA) to the carrier and check SRTP/transport settings",
        "codec mismatch: the platform accepts none of the carrier's codecs", "have the carrier offer G.711 (PCMU/PCMA) or Opus, and check SRTP settings on the trunk"),
    same(489, "Bad Event", "RFC 6665", "the event package is not understood",
        "subscription to an unsupported event (not a call problem)", "nothing for calls"),
    same(491, "Request Pending", "RFC 3261 §21.4.27", "a request is already pending in this dialog (glare)",
        "both sides sent re-INVITEs at once", "nothing; the side retries after a random delay"),
    same(493, "Undecipherable", "RFC 3261 §21.4.28", "an encrypted (S/MIME) body could not be decrypted",
        "S/MIME key mismatch", "disable S/MIME or fix the keys"),
    same(494, "Security Agreement Required", "RFC 3329", "a security mechanism must be agreed first",
        "the receiver requires Security-Client/Server negotiation", "enable sec-agree on the calling side or use a trunk without it"),
    // 5xx
    same(500, "Server Internal Error", "RFC 3261 §21.5.1", "the server hit an unexpected condition",
        "an internal fault upstream", "retry later; if it persists, open a ticket with the side that sent it"),
    same(501, "Not Implemented", "RFC 3261 §21.5.2", "the server does not support the request",
        "the receiver does not implement the method", "check the peer supports the method"),
    same(502, "Bad Gateway", "RFC 3261 §21.5.3", "a gateway received an invalid response from downstream",
        "an upstream fault beyond the next hop", "retry later; report to the carrier with the Call-ID"),
    dir(503, "Service Unavailable", "RFC 3261 §21.5.4", "the server is temporarily overloaded or down",
        "carrier or platform problem", "check the provider's status page",
        "the Butter platform is overloaded, in maintenance or has no capacity for this trunk", "check the provider's status page (Butter / LiveKit) and the trunk's capacity"),
    same(504, "Server Time-out", "RFC 3261 §21.5.5", "the server did not get a timely response from downstream",
        "an upstream fault or an unreachable next hop", "retry later; report to the carrier with the Call-ID"),
    same(505, "Version Not Supported", "RFC 3261 §21.5.6", "the SIP version is not supported",
        "protocol version mismatch", "use SIP/2.0"),
    same(513, "Message Too Large", "RFC 3261 §21.5.7", "the message is too large for the server",
        "a large INVITE (over UDP MTU or server limits)", "use TCP or reduce the message size"),
    same(555, "Push Notification Service Not Supported", "RFC 8599", "the push notification service is not supported",
        "mobile push set-up (not a trunk problem)", "nothing for trunks"),
    same(580, "Precondition Failure", "RFC 3312", "the required QoS preconditions could not be met",
        "resource reservation failed", "disable preconditions toward this peer"),
    // 6xx
    same(600, "Busy Everywhere", "RFC 3261 §21.6.1", "the callee is busy at every location",
        "busy everywhere", RETRY_LATER),
    dir(603, "Decline", "RFC 3261 §21.6.2", "the callee explicitly declined the call",
        "callee explicitly blocked/declined", "do not retry soon",
        "the platform declined the carrier's call (caller blocked or not allowed)", "do not retry soon; check blocking rules in Butter if the call was wanted"),
    same(604, "Does Not Exist Anywhere", "RFC 3261 §21.6.3", "the callee does not exist anywhere",
        "the dialed number does not exist anywhere", "check the call's to_number and remove it from the list"),
    same(606, "Not Acceptable", "RFC 3261 §21.6.4", "no session description is acceptable anywhere",
        "codec or media incompatibility everywhere", "align codecs (G.711 PCMU/PCMA) and media settings"),
    same(607, "Unwanted", "RFC 8197", "the callee marked the call as unwanted (spam)",
        "the caller id is flagged as unwanted", "do not retry; check the caller id's reputation and STIR/SHAKEN attestation"),
    same(608, "Rejected", "RFC 8688", "an intermediary rejected the call (analytics/spam filter)",
        "a carrier call-analytics engine blocked the call", "do not retry; check the caller id's reputation and register it with the analytics providers"),
];

/// The row for `code`, if registered.
pub fn lookup(code: u16) -> Option<&'static CodeEntry> {
    CODES
        .binary_search_by_key(&code, |e| e.code)
        .ok()
        .map(|i| &CODES[i])
}

/// The row for `code`, or for its class (`x00`, as RFC 3261 §8.1.3.2 says
/// an unknown code is treated). `None` outside 100..=699.
pub fn lookup_or_class(code: u16) -> Option<(&'static CodeEntry, bool)> {
    if !(100..=699).contains(&code) {
        return None;
    }
    match lookup(code) {
        Some(e) => Some((e, true)),
        None => lookup(code / 100 * 100).map(|e| (e, false)),
    }
}

/// Short text for common ITU-T Q.850 cause values (carried in `Reason: Q.850;cause=N`).
pub fn q850_text(cause: u16) -> Option<&'static str> {
    Some(match cause {
        1 => "unallocated (unassigned) number",
        2 => "no route to specified transit network",
        3 => "no route to destination",
        6 => "channel unacceptable",
        16 => "normal call clearing",
        17 => "user busy",
        18 => "no user responding",
        19 => "no answer from user (user alerted)",
        20 => "subscriber absent",
        21 => "call rejected",
        22 => "number changed",
        26 => "non-selected user clearing",
        27 => "destination out of order",
        28 => "invalid number format (address incomplete)",
        29 => "facility rejected",
        31 => "normal, unspecified",
        34 => "no circuit/channel available",
        38 => "network out of order",
        41 => "temporary failure",
        42 => "switching equipment congestion",
        44 => "requested circuit/channel not available",
        47 => "resource unavailable, unspecified",
        50 => "requested facility not subscribed",
        55 => "incoming calls barred within CUG",
        57 => "bearer capability not authorized",
        58 => "bearer capability not presently available",
        63 => "service or option not available, unspecified",
        65 => "bearer capability not implemented",
        69 => "requested facility not implemented",
        79 => "service or option not implemented, unspecified",
        88 => "incompatible destination",
        102 => "recovery on timer expiry",
        111 => "protocol error, unspecified",
        127 => "interworking, unspecified",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_unique_and_complete() {
        for w in CODES.windows(2) {
            assert!(w[0].code < w[1].code, "{} before {}", w[0].code, w[1].code);
        }
        for e in CODES {
            for s in [
                e.reason,
                e.rfc,
                e.meaning,
                e.out_cause,
                e.out_action,
                e.in_cause,
                e.in_action,
            ] {
                assert!(!s.trim().is_empty(), "empty text for {}", e.code);
            }
        }
        // Every class has its x00 fallback.
        for c in [100, 200, 300, 400, 500, 600] {
            assert!(lookup(c).is_some());
        }
    }

    #[test]
    fn butter_documented_codes_keep_butter_advice() {
        let out = |c| lookup(c).map(|e| (e.out_cause, e.out_action)).unwrap();
        assert_eq!(
            out(404),
            (
                "the dialed number does not exist",
                "check the call's to_number"
            )
        );
        assert_eq!(out(408), ("it rang, nobody picked up", "retry later"));
        assert_eq!(out(480), ("no signal, or do-not-disturb", "retry later"));
        assert_eq!(out(486).1, "retry later");
        assert_eq!(out(503).1, "check the provider's status page");
        assert_eq!(out(603).1, "do not retry soon");
        assert!(lookup(404)
            .unwrap()
            .in_action
            .contains("Agents > Phone Numbers"));
    }

    #[test]
    fn unknown_codes_fall_back_to_their_class() {
        let (e, exact) = lookup_or_class(499).unwrap();
        assert_eq!((e.code, exact), (400, false));
        assert!(lookup_or_class(700).is_none());
        assert!(lookup_or_class(99).is_none());
    }
}
