//! Shared by the track tests: complete SIP messages (RFC 3261 shaped: Via
//! with branch, Max-Forwards, From/To tags, Call-ID, CSeq, Contact,
//! Content-Type/Length, SDP) fed through the real parser and tracker.
#![allow(dead_code)]

use std::net::SocketAddr;
use trunkwatch::classify::Classifier;
use trunkwatch::config::{ClassifyConfig, TrackConfig};
use trunkwatch::decode::{SipPacket, Transport};
use trunkwatch::outcome::Outcome;
use trunkwatch::time::Timestamp;
use trunkwatch::track::{CallRecord, Tracker};

pub const PLATFORM: &str = "192.0.2.10:5060";
pub const CARRIER: &str = "198.51.100.20:5060";
pub const T0: i64 = 1_733_346_000_000; // 2024-12-04T21:00:00Z in ms

pub fn sdp(ip: &str, port: u16) -> String {
    format!(
        "v=0\r\no=- 4242 4242 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio {port} RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n"
    )
}

/// One dialog's identifiers.
#[derive(Clone, Debug)]
pub struct Dlg {
    pub call_id: String,
    pub from_tag: String,
    pub to: String,
    pub from: String,
    pub caller_host: String,
    pub callee_host: String,
    pub extra: String,
}

impl Dlg {
    pub fn new(call_id: &str) -> Dlg {
        Dlg {
            call_id: call_id.to_string(),
            from_tag: "as6f1c2d9e".to_string(),
            from: "+14155550100".to_string(),
            to: "+14155550199".to_string(),
            caller_host: PLATFORM.to_string(),
            callee_host: CARRIER.to_string(),
            extra: String::new(),
        }
    }

    fn ip(host: &str) -> &str {
        host.split(':').next().unwrap()
    }

    /// A request from the caller (`to_tag` set for in-dialog requests).
    pub fn request(
        &self,
        method: &str,
        cseq: u32,
        branch: &str,
        to_tag: Option<&str>,
        body: Option<&str>,
        extra: &str,
    ) -> String {
        let to_tag = to_tag.map(|t| format!(";tag={t}")).unwrap_or_default();
        let (ct, body) = match body {
            Some(b) => ("Content-Type: application/sdp\r\n", b),
            None => ("", ""),
        };
        format!(
            "{method} sip:{to}@{callee} SIP/2.0\r\nVia: SIP/2.0/UDP {caller};branch=z9hG4bK{branch};rport\r\nMax-Forwards: 70\r\nFrom: <sip:{from}@{caller_ip}>;tag={ftag}\r\nTo: <sip:{to}@{callee_ip}>{to_tag}\r\nCall-ID: {cid}\r\nCSeq: {cseq} {method}\r\nContact: <sip:{from}@{caller}>\r\nUser-Agent: LiveKit SIP\r\n{extra}{dextra}{ct}Content-Length: {len}\r\n\r\n{body}",
            to = self.to,
            from = self.from,
            callee = self.callee_host,
            caller = self.caller_host,
            caller_ip = Self::ip(&self.caller_host),
            callee_ip = Self::ip(&self.callee_host),
            ftag = self.from_tag,
            cid = self.call_id,
            dextra = if method == "INVITE" && to_tag.is_empty() { self.extra.as_str() } else { "" },
            len = body.len(),
        )
    }

    /// A response from the callee to a caller's request.
    #[allow(clippy::too_many_arguments)]
    pub fn response(
        &self,
        code: u16,
        reason: &str,
        cseq: u32,
        method: &str,
        branch: &str,
        to_tag: Option<&str>,
        body: Option<&str>,
        extra: &str,
    ) -> String {
        let to_tag = to_tag.map(|t| format!(";tag={t}")).unwrap_or_default();
        let (ct, body) = match body {
            Some(b) => ("Content-Type: application/sdp\r\n", b),
            None => ("", ""),
        };
        let contact = if (101..300).contains(&code) {
            format!("Contact: <sip:{}@{}>\r\n", self.to, self.callee_host)
        } else {
            String::new()
        };
        format!(
            "SIP/2.0 {code} {reason}\r\nVia: SIP/2.0/UDP {caller};branch=z9hG4bK{branch};rport=5060;received={caller_ip}\r\nFrom: <sip:{from}@{caller_ip}>;tag={ftag}\r\nTo: <sip:{to}@{callee_ip}>{to_tag}\r\nCall-ID: {cid}\r\nCSeq: {cseq} {method}\r\n{contact}Server: carrier-sbc\r\n{extra}{ct}Content-Length: {len}\r\n\r\n{body}",
            to = self.to,
            from = self.from,
            caller = self.caller_host,
            caller_ip = Self::ip(&self.caller_host),
            callee_ip = Self::ip(&self.callee_host),
            ftag = self.from_tag,
            cid = self.call_id,
            len = body.len(),
        )
    }

    /// BYE (or other in-dialog request) sent by the callee toward the caller.
    pub fn callee_request(
        &self,
        method: &str,
        cseq: u32,
        branch: &str,
        to_tag: &str,
        extra: &str,
    ) -> String {
        format!(
            "{method} sip:{from}@{caller} SIP/2.0\r\nVia: SIP/2.0/UDP {callee};branch=z9hG4bK{branch}\r\nMax-Forwards: 70\r\nFrom: <sip:{to}@{callee_ip}>;tag={to_tag}\r\nTo: <sip:{from}@{caller_ip}>;tag={ftag}\r\nCall-ID: {cid}\r\nCSeq: {cseq} {method}\r\n{extra}Content-Length: 0\r\n\r\n",
            to = self.to,
            from = self.from,
            callee = self.callee_host,
            caller = self.caller_host,
            caller_ip = Self::ip(&self.caller_host),
            callee_ip = Self::ip(&self.callee_host),
            ftag = self.from_tag,
            cid = self.call_id,
        )
    }
}

/// Feeds messages through the real parser into a tracker on capture time.
pub struct Sim {
    pub tracker: Tracker,
    pub out: Vec<CallRecord>,
    pub classify: ClassifyConfig,
}

impl Sim {
    pub fn new() -> Sim {
        Sim::with(TrackConfig::default(), ClassifyConfig::default())
    }

    pub fn with(t: TrackConfig, c: ClassifyConfig) -> Sim {
        Sim {
            tracker: Tracker::new(&t),
            out: Vec::new(),
            classify: c,
        }
    }

    /// `msg` from `src` to `dst` at `ms` after T0.
    pub fn send(&mut self, ms: i64, src: &str, dst: &str, msg: &str) {
        let msg_parsed = trunkwatch::sip::parse(msg.as_bytes())
            .unwrap_or_else(|e| panic!("fixture does not parse: {e:?}\n{msg}"));
        let pkt = SipPacket {
            ts: Timestamp::from_millis(T0 + ms),
            frame: 0,
            src: src.parse::<SocketAddr>().unwrap(),
            dst: dst.parse::<SocketAddr>().unwrap(),
            transport: Transport::Udp,
            payload: msg.as_bytes(),
        };
        self.tracker.on_sip(&pkt, &msg_parsed, &mut self.out);
    }

    pub fn advance(&mut self, ms: i64) {
        self.tracker
            .advance(Timestamp::from_millis(T0 + ms), &mut self.out);
    }

    pub fn finish(&mut self) -> Vec<Outcome> {
        self.tracker.finish(&mut self.out);
        self.outcomes()
    }

    pub fn outcomes(&mut self) -> Vec<Outcome> {
        let mut c = Classifier::new(&self.classify).unwrap();
        self.out.iter().map(|r| c.classify(r)).collect()
    }
}
