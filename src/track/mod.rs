//! Per-call state: calls keyed by Call-ID, the initial INVITE transaction,
//! retransmissions, challenges, redirects, forks, CANCEL, BYE and timers on
//! capture time. No I/O.
//!
//! Rules (README "Call tracking"):
//! - A call starts with an INVITE without a To tag for an unknown Call-ID;
//!   its outcome is that initial INVITE transaction's, matched by CSeq
//!   number + method and top Via branch.
//! - The same INVITE forwarded by a proxy inside the capture (same CSeq, same
//!   bottom Via branch, new top branch) is the same transaction on another
//!   hop: its branch joins the transaction, nothing is counted twice. The
//!   final response on the caller's own hop decides; a final seen only on a
//!   downstream hop decides when the caller's hop stays silent for
//!   `linger_ms` or the input ends.
//! - Retransmissions: the same message again on the same hop (same
//!   src/dst). Counted once per logical message however many hops carry it;
//!   byte-identical copies on the same hop within 20 ms are the same frame
//!   seen twice (two capture interfaces), counted as `duplicate_frame`.
//! - A final 401/407 (auth), 3xx (redirect) or 420/421/422/423/494 (retry
//!   with a changed request) followed by a new To-tag-less INVITE with a
//!   higher CSeq: the new INVITE becomes the initial transaction. Without a
//!   retry within `retry_wait_ms` the challenge/redirect is the outcome.
//! - The first 2xx answers (forking: other 2xx/18x with other To tags do
//!   not change the outcome); requests with a To tag (re-INVITE, UPDATE...)
//!   never change it.
//! - BYE in the answered dialog ends the call; the sender is the caller when
//!   its From tag is the initial INVITE's (else by address).
//! - Timer B: no response at all to the initial INVITE for `timer_b_ms` →
//!   ended, timed out. Ringing and answered calls stay open.
//! - Ended calls are emitted at once and linger `linger_ms` so late
//!   retransmissions are recognised, then leave. At most `max_open_calls`
//!   open calls; beyond that the oldest is evicted and emitted as open.

pub mod record;

pub use record::{CallRecord, Progress, ReasonInfo};

use crate::config::TrackConfig;
use crate::decode::{SipPacket, Transport};
use crate::outcome::{Anomaly, Party};
use crate::sip::{self, Message, Method, StartLine};
use crate::stats::Counters;
use crate::time::Timestamp;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};
use std::net::SocketAddr;

/// Copies of one frame on two interfaces arrive closer than this; RFC 3261
/// retransmissions never do (T1 is 500 ms).
const DUPLICATE_FRAME_NS: i64 = 20_000_000;
/// Messages remembered per call for retransmission detection.
const SEEN_MAX: usize = 12;
/// Initial-transaction branches remembered (one per hop in the capture).
const BRANCHES_MAX: usize = 6;
/// `X-` headers kept per call, and their length.
const HEADERS_MAX: usize = 12;
const HEADER_VALUE_MAX: usize = 256;

/// FNV-1a: cheap, stable across runs (deterministic replay).
fn fnv(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for &b in *p {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Hash of an optional token; 0 means absent.
fn hopt(b: Option<&[u8]>) -> u64 {
    match b {
        Some(b) if !b.is_empty() => fnv(&[b]) | 1,
        _ => 0,
    }
}

fn addr_bytes(a: &SocketAddr) -> [u8; 18] {
    let mut out = [0u8; 18];
    match a {
        SocketAddr::V4(v) => out[..4].copy_from_slice(&v.ip().octets()),
        SocketAddr::V6(v) => out[..16].copy_from_slice(&v.ip().octets()),
    }
    out[16..].copy_from_slice(&a.port().to_be_bytes());
    out
}

fn lossy(b: &[u8]) -> Box<str> {
    String::from_utf8_lossy(b).into_owned().into_boxed_str()
}

/// One message sighting for retransmission detection.
#[derive(Copy, Clone, Debug)]
struct Seen {
    logical: u64,
    hop: u32,
    bytes: u32,
    /// Milliseconds since the call's first INVITE (saturating).
    at_ms: u32,
    count: u16,
}

/// Methods that belong to an INVITE dialog or transaction.
fn is_call_method(m: Method<'_>) -> bool {
    matches!(
        m,
        Method::Invite
            | Method::Ack
            | Method::Bye
            | Method::Cancel
            | Method::Prack
            | Method::Update
    )
}

/// Final codes after which a UAC retries with a new INVITE in the same
/// Call-ID (RFC 3261 §8.1.3.4/5, §21.4.15-17; RFC 4028; RFC 3329).
fn is_retryable(code: u16) -> bool {
    matches!(code, 300..=399 | 401 | 407 | 420 | 421 | 422 | 423 | 494)
}

#[derive(Debug)]
struct Call {
    seq: u64,
    call_id: Box<str>,
    /// Emitted already; kept only to recognise late messages.
    finished: bool,
    deadline: Option<Timestamp>,
    /// Initial transaction: CSeq, top branches (one per hop), the caller's
    /// own branch (bottom Via), and the branch of the caller's hop.
    invite_cseq: u32,
    branches: Vec<u64>,
    origin_bottom: u64,
    origin_branch: u64,
    attempt_at: Timestamp,
    got_response: bool,
    /// Final non-2xx that may be followed by a retry INVITE.
    pending_retry: bool,
    /// A final seen only on a downstream hop, waiting for the caller's hop.
    tentative: bool,
    caller_tag: u64,
    answered_tag: u64,
    /// The answer was seen on the caller's own hop (its To tag is the
    /// dialog the caller uses).
    answered_on_origin: bool,
    progress: Progress,
    final_code: Option<u16>,
    final_reason_phrase: Option<Box<str>>,
    final_reason: Option<Box<ReasonInfo>>,
    timed_out: bool,
    cancel_at: Option<Timestamp>,
    cancel_reason: Option<Box<ReasonInfo>>,
    bye_at: Option<Timestamp>,
    bye_reason: Option<Box<ReasonInfo>>,
    ended_by: Option<Party>,
    auth_challenged: bool,
    retransmissions: u32,
    invite_at: Timestamp,
    first_provisional_at: Option<Timestamp>,
    answered_at: Option<Timestamp>,
    ended_at: Option<Timestamp>,
    from: Option<Box<str>>,
    to: Option<Box<str>>,
    transport: Transport,
    src: SocketAddr,
    dst: SocketAddr,
    headers: Vec<(Box<str>, Box<str>)>,
    anomalies: Vec<Anomaly>,
    seen: Vec<Seen>,
}

impl Call {
    /// Bytes this call holds: the struct plus everything it owns.
    fn heap_bytes(&self) -> usize {
        let reason = |r: &Option<Box<ReasonInfo>>| {
            r.as_ref().map_or(0, |r| {
                std::mem::size_of::<ReasonInfo>() + r.text.as_ref().map_or(0, |t| t.capacity())
            })
        };
        self.call_id.len()
            + self.branches.capacity() * 8
            + self.final_reason_phrase.as_ref().map_or(0, |s| s.len())
            + reason(&self.final_reason)
            + reason(&self.cancel_reason)
            + reason(&self.bye_reason)
            + self.from.as_ref().map_or(0, |s| s.len())
            + self.to.as_ref().map_or(0, |s| s.len())
            + self.headers.capacity() * std::mem::size_of::<(Box<str>, Box<str>)>()
            + self
                .headers
                .iter()
                .map(|(a, b)| a.len() + b.len())
                .sum::<usize>()
            + self.anomalies.capacity() * std::mem::size_of::<Anomaly>()
            + self
                .anomalies
                .iter()
                .map(|a| a.kind.capacity() + a.detail.as_ref().map_or(0, |d| d.capacity()))
                .sum::<usize>()
            + self.seen.capacity() * std::mem::size_of::<Seen>()
    }

    fn anomaly(&mut self, kind: &str, detail: impl Into<String>) {
        if self.anomalies.iter().any(|a| a.kind == kind) {
            return;
        }
        self.anomalies.push(Anomaly::new(kind).with_detail(detail));
    }

    fn record(&self, is_final: bool) -> CallRecord {
        let s = |b: &Option<Box<str>>| b.as_ref().map(|s| s.to_string());
        let r = |b: &Option<Box<ReasonInfo>>| b.as_ref().map(|r| (**r).clone());
        CallRecord {
            call_id: self.call_id.to_string(),
            is_final,
            progress: self.progress,
            final_code: self.final_code,
            final_reason_phrase: s(&self.final_reason_phrase),
            final_reason: r(&self.final_reason),
            timed_out: self.timed_out,
            cancel_at: self.cancel_at,
            cancel_reason: r(&self.cancel_reason),
            bye_at: self.bye_at,
            bye_reason: r(&self.bye_reason),
            ended_by: self.ended_by,
            auth_challenged: self.auth_challenged,
            retransmissions: self.retransmissions,
            invite_at: self.invite_at,
            first_provisional_at: self.first_provisional_at,
            answered_at: self.answered_at,
            ended_at: self.ended_at,
            from: s(&self.from),
            to: s(&self.to),
            transport: self.transport,
            src: self.src,
            dst: self.dst,
            headers: self
                .headers
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            anomalies: self.anomalies.clone(),
        }
    }
}

fn reason_info(msg: &Message<'_>) -> Option<Box<ReasonInfo>> {
    let mut r = ReasonInfo::default();
    let mut q_text = None;
    let mut s_text = None;
    for reason in msg.reasons() {
        let text = reason.text.map(|t| String::from_utf8_lossy(t).into_owned());
        if reason.protocol.eq_ignore_ascii_case(b"Q.850") {
            r.q850 = r.q850.or(reason.cause);
            q_text = q_text.or(text);
        } else if reason.protocol.eq_ignore_ascii_case(b"SIP") {
            r.sip = r.sip.or(reason.cause);
            s_text = s_text.or(text);
        }
    }
    r.text = q_text.or(s_text);
    (!r.is_empty()).then(|| Box::new(r))
}

/// User part of a From/To URI (the number), else the URI.
fn party_name(na: Result<sip::NameAddr<'_>, sip::Error>) -> Option<Box<str>> {
    let na = na.ok()?;
    Some(lossy(na.user().unwrap_or(na.uri)))
}

/// The call table.
#[derive(Debug)]
pub struct Tracker {
    cfg: TrackConfig,
    extra_headers: Vec<String>,
    calls: HashMap<Box<[u8]>, Call>,
    by_seq: BTreeMap<u64, Box<[u8]>>,
    /// Open calls in arrival order (eviction picks the first).
    open_seqs: BTreeSet<u64>,
    timers: BinaryHeap<Reverse<(Timestamp, u64)>>,
    next_seq: u64,
    open: usize,
    stats: Counters,
}

impl Tracker {
    pub fn new(cfg: &TrackConfig) -> Self {
        Tracker {
            cfg: cfg.clone(),
            extra_headers: Vec::new(),
            calls: HashMap::new(),
            by_seq: BTreeMap::new(),
            open_seqs: BTreeSet::new(),
            timers: BinaryHeap::new(),
            next_seq: 0,
            open: 0,
            stats: Counters::new(),
        }
    }

    /// Also keep these headers of the initial INVITE (besides every `X-`
    /// header), e.g. a Butter id header configured without the `X-` prefix.
    pub fn with_headers(mut self, names: &[String]) -> Self {
        self.extra_headers = names.to_vec();
        self
    }

    pub fn open_calls(&self) -> usize {
        self.open
    }

    /// Calls held, open or lingering.
    pub fn table_len(&self) -> usize {
        self.calls.len()
    }

    /// Bytes held for one call on average (struct + owned heap), for the
    /// memory test and the summary.
    pub fn bytes_per_call(&self) -> usize {
        if self.calls.is_empty() {
            return 0;
        }
        let total: usize = self
            .calls
            .iter()
            .map(|(k, c)| k.len() + std::mem::size_of::<Call>() + c.heap_bytes())
            .sum();
        total / self.calls.len()
    }

    /// Layer "track": `no_call_id`, `bad_cseq`, `orphan_response`,
    /// `orphan_request`, `mid_dialog_start`, `duplicate_frame`,
    /// `late_retransmission`, `extra_invite`, `evicted`, `rtp_without_call`...
    pub fn stats(&self) -> &Counters {
        &self.stats
    }

    fn arm(&mut self, seq: u64, at: Timestamp) {
        self.timers.push(Reverse((at, seq)));
    }

    pub fn on_sip(&mut self, pkt: &SipPacket<'_>, msg: &Message<'_>, out: &mut Vec<CallRecord>) {
        self.advance(pkt.ts, out);
        let Some(call_id) = msg.call_id().filter(|c| !c.is_empty()) else {
            self.stats.inc("track", "no_call_id");
            return;
        };
        let Ok(cseq) = msg.cseq() else {
            self.stats.inc("track", "bad_cseq");
            return;
        };
        let top = msg.top_via().ok();
        let top_branch = hopt(top.and_then(|v| v.branch()));
        let bottom_branch = hopt(
            msg.vias()
                .filter_map(Result::ok)
                .last()
                .and_then(|v| v.branch()),
        );
        let to_tag = hopt(msg.to().ok().and_then(|t| t.tag()));
        let from_tag = hopt(msg.from().ok().and_then(|t| t.tag()));
        let start = msg.start_line();
        let kind: &[u8] = match &start {
            StartLine::Request { method, .. } => method.as_bytes(),
            StartLine::Response { .. } => b"",
        };
        let code = msg.status().unwrap_or(0);

        if !self.calls.contains_key(call_id) {
            match start {
                StartLine::Request {
                    method: Method::Invite,
                    ..
                } if to_tag == 0 => self.new_call(
                    pkt,
                    msg,
                    call_id,
                    cseq.seq,
                    top_branch,
                    bottom_branch,
                    from_tag,
                    out,
                ),
                StartLine::Request {
                    method: Method::Invite,
                    ..
                } => self.stats.inc("track", "mid_dialog_start"),
                // Call messages whose INVITE was not captured (the capture
                // began mid-call); other traffic (OPTIONS, REGISTER,
                // SUBSCRIBE...) is not call traffic and is not counted here.
                _ if !is_call_method(cseq.method) => {}
                StartLine::Request { .. } => self.stats.inc("track", "orphan_request"),
                StartLine::Response { .. } => self.stats.inc("track", "orphan_response"),
            }
            return;
        }

        // Retransmission or duplicate frame?
        // RSeq tells reliable provisionals (RFC 3262) apart: a new one is
        // not a retransmission of the previous one.
        let rseq = msg.header("RSeq").unwrap_or(b"");
        let logical = fnv(&[
            kind,
            &code.to_be_bytes(),
            &cseq.seq.to_be_bytes(),
            cseq.method.as_bytes(),
            &bottom_branch.to_be_bytes(),
            &to_tag.to_be_bytes(),
            rseq,
        ]);
        let hop = fnv(&[&addr_bytes(&pkt.src), &addr_bytes(&pkt.dst)]) as u32;
        let bytes = fnv(&[pkt.payload]) as u32;
        let call = self.calls.get_mut(call_id).expect("checked above");
        if let Some(i) = call
            .seen
            .iter()
            .position(|s| s.logical == logical && s.hop == hop)
        {
            let prev = call.seen[i];
            let now_ms = pkt.ts.millis_since(call.invite_at).min(u32::MAX as u64) as u32;
            if prev.bytes == bytes
                && ((now_ms.saturating_sub(prev.at_ms)) as i64) * 1_000_000 < DUPLICATE_FRAME_NS
            {
                self.stats.inc("track", "duplicate_frame");
                return;
            }
            let max = call
                .seen
                .iter()
                .filter(|s| s.logical == logical)
                .map(|s| s.count)
                .max()
                .unwrap_or(1);
            call.seen[i].count = prev.count.saturating_add(1);
            call.seen[i].at_ms = now_ms;
            call.seen[i].bytes = bytes;
            if call.seen[i].count > max {
                if call.finished {
                    self.stats.inc("track", "late_retransmission");
                } else {
                    call.retransmissions += 1;
                }
            }
            return;
        }
        if call.seen.len() >= SEEN_MAX {
            let oldest = call
                .seen
                .iter()
                .enumerate()
                .min_by_key(|(_, s)| s.at_ms)
                .map_or(0, |(i, _)| i);
            call.seen.swap_remove(oldest);
        }
        let at_ms = pkt.ts.millis_since(call.invite_at).min(u32::MAX as u64) as u32;
        call.seen.push(Seen {
            logical,
            hop,
            bytes,
            at_ms,
            count: 1,
        });
        if call.finished {
            // ACK to a final, 200 to the BYE...: normal, nothing to do.
            return;
        }

        let seq = call.seq;
        let ended = match start {
            StartLine::Request { method, .. } => Self::on_request(
                call,
                pkt,
                msg,
                method,
                cseq.seq,
                top_branch,
                bottom_branch,
                from_tag,
                to_tag,
                &mut self.stats,
            ),
            StartLine::Response { code, .. } => Self::on_response(
                call,
                pkt,
                msg,
                code,
                cseq.seq,
                cseq.method,
                top_branch,
                to_tag,
                &mut self.stats,
            ),
        };
        let call = self.calls.get_mut(call_id).expect("checked above");
        match ended {
            Next::Stay => {}
            Next::Deadline(at) => {
                call.deadline = Some(at);
                self.arm(seq, at);
            }
            Next::Disarm => call.deadline = None,
            Next::End => {
                let rec = call.record(true);
                self.finish_call(call_id, pkt.ts);
                out.push(rec);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn new_call(
        &mut self,
        pkt: &SipPacket<'_>,
        msg: &Message<'_>,
        call_id: &[u8],
        cseq: u32,
        top_branch: u64,
        bottom_branch: u64,
        from_tag: u64,
        out: &mut Vec<CallRecord>,
    ) {
        if self.cfg.max_open_calls > 0 && self.open >= self.cfg.max_open_calls {
            self.evict_oldest(out);
        }
        let mut headers = Vec::new();
        for h in msg.headers() {
            let name_x = h.name.len() > 2 && h.name[..2].eq_ignore_ascii_case(b"x-");
            let extra = self
                .extra_headers
                .iter()
                .any(|n| n.as_bytes().eq_ignore_ascii_case(h.name));
            if !(name_x || extra) {
                continue;
            }
            if headers.len() >= HEADERS_MAX {
                self.stats.inc("track", "headers_truncated");
                break;
            }
            let v = &h.value[..h.value.len().min(HEADER_VALUE_MAX)];
            headers.push((lossy(h.name), lossy(v)));
        }
        headers.shrink_to_fit();
        let seq = self.next_seq;
        self.next_seq += 1;
        let call = Call {
            seq,
            call_id: lossy(call_id),
            finished: false,
            deadline: Some(pkt.ts.plus_millis(self.cfg.timer_b_ms as i64)),
            invite_cseq: cseq,
            branches: vec![top_branch],
            origin_bottom: bottom_branch,
            origin_branch: top_branch,
            attempt_at: pkt.ts,
            got_response: false,
            pending_retry: false,
            tentative: false,
            caller_tag: from_tag,
            answered_tag: 0,
            answered_on_origin: false,
            progress: Progress::Initiated,
            final_code: None,
            final_reason_phrase: None,
            final_reason: None,
            timed_out: false,
            cancel_at: None,
            cancel_reason: None,
            bye_at: None,
            bye_reason: None,
            ended_by: None,
            auth_challenged: false,
            retransmissions: 0,
            invite_at: pkt.ts,
            first_provisional_at: None,
            answered_at: None,
            ended_at: None,
            from: party_name(msg.from()),
            to: party_name(msg.to()),
            transport: pkt.transport,
            src: pkt.src,
            dst: pkt.dst,
            headers,
            anomalies: Vec::new(),
            seen: Vec::with_capacity(6),
        };
        let key: Box<[u8]> = call_id.into();
        self.by_seq.insert(seq, key.clone());
        self.calls.insert(key.clone(), call);
        self.open += 1;
        self.open_seqs.insert(seq);
        self.arm(seq, pkt.ts.plus_millis(self.cfg.timer_b_ms as i64));
        // Register the INVITE sighting and its SDP.
        let call = self.calls.get_mut(&key).expect("just inserted");
        let logical = fnv(&[
            b"INVITE",
            &0u16.to_be_bytes(),
            &cseq.to_be_bytes(),
            b"INVITE",
            &bottom_branch.to_be_bytes(),
            &0u64.to_be_bytes(),
            msg.header("RSeq").unwrap_or(b""),
        ]);
        call.seen.push(Seen {
            logical,
            hop: fnv(&[&addr_bytes(&pkt.src), &addr_bytes(&pkt.dst)]) as u32,
            bytes: fnv(&[pkt.payload]) as u32,
            at_ms: 0,
            count: 1,
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn on_request(
        call: &mut Call,
        pkt: &SipPacket<'_>,
        msg: &Message<'_>,
        method: Method<'_>,
        cseq: u32,
        top_branch: u64,
        bottom_branch: u64,
        from_tag: u64,
        to_tag: u64,
        stats: &mut Counters,
    ) -> Next {
        match method {
            Method::Invite if to_tag == 0 => {
                let same_txn = cseq == call.invite_cseq
                    && (bottom_branch == call.origin_bottom
                        || bottom_branch == 0
                        || call.origin_bottom == 0);
                if same_txn {
                    // The same INVITE on another hop (a proxy in the capture).
                    if !call.branches.contains(&top_branch) && call.branches.len() < BRANCHES_MAX {
                        call.branches.push(top_branch);
                    }
                    return Next::Stay;
                }
                if cseq > call.invite_cseq && call.pending_retry {
                    // Retry after a challenge or redirect: the new INVITE decides.
                    if matches!(call.final_code, Some(401 | 407)) {
                        call.auth_challenged = true;
                    } else if let Some(c) = call.final_code {
                        call.anomaly("retried", format!("INVITE retried after {c}"));
                    }
                    call.invite_cseq = cseq;
                    call.branches.clear();
                    call.branches.push(top_branch);
                    call.origin_bottom = bottom_branch;
                    call.origin_branch = top_branch;
                    call.attempt_at = pkt.ts;
                    call.got_response = false;
                    call.pending_retry = false;
                    call.tentative = false;
                    call.final_code = None;
                    call.final_reason_phrase = None;
                    call.final_reason = None;
                    call.ended_at = None;
                    return Next::Deadline(pkt.ts);
                }
                stats.inc("track", "extra_invite");
                Next::Stay
            }
            Method::Cancel => {
                if cseq == call.invite_cseq
                    && call.answered_at.is_none()
                    && call.final_code.is_none()
                {
                    if call.cancel_at.is_none() {
                        call.cancel_at = Some(pkt.ts);
                    }
                    if call.cancel_reason.is_none() {
                        call.cancel_reason = reason_info(msg);
                    }
                }
                Next::Stay
            }
            Method::Bye => {
                if call.answered_at.is_none() {
                    call.anomaly(
                        "bye_before_answer",
                        "BYE sent before the INVITE was answered",
                    );
                    return Next::Stay;
                }
                let in_dialog = call.answered_tag == 0
                    || (from_tag == call.caller_tag && to_tag == call.answered_tag)
                    || (from_tag == call.answered_tag && to_tag == call.caller_tag);
                if !in_dialog {
                    stats.inc("track", "bye_other_dialog");
                    return Next::Stay;
                }
                call.bye_at = Some(pkt.ts);
                call.ended_at = Some(pkt.ts);
                call.bye_reason = reason_info(msg);
                call.ended_by = if call.caller_tag != 0 && from_tag == call.caller_tag {
                    Some(Party::Caller)
                } else if call.answered_tag != 0 && from_tag == call.answered_tag {
                    Some(Party::Callee)
                } else if pkt.src == call.src {
                    Some(Party::Caller)
                } else if pkt.src == call.dst {
                    Some(Party::Callee)
                } else {
                    None
                };
                Next::End
            }
            _ => Next::Stay,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn on_response(
        call: &mut Call,
        pkt: &SipPacket<'_>,
        msg: &Message<'_>,
        code: u16,
        cseq: u32,
        cseq_method: Method<'_>,
        top_branch: u64,
        to_tag: u64,
        stats: &mut Counters,
    ) -> Next {
        if cseq_method != Method::Invite || cseq != call.invite_cseq {
            return Next::Stay;
        }
        if top_branch != 0 && !call.branches.contains(&top_branch) && !call.branches.contains(&0) {
            stats.inc("track", "response_other_branch");
            return Next::Stay;
        }
        let on_origin_hop = top_branch == call.origin_branch || top_branch == 0;
        let first_response = !call.got_response;
        call.got_response = true;
        let mut next = if first_response && call.final_code.is_none() && call.answered_at.is_none()
        {
            Next::Disarm
        } else {
            Next::Stay
        };
        match code {
            100 => {}
            101..=199 => {
                if call.answered_at.is_none() {
                    if call.first_provisional_at.is_none() {
                        call.first_provisional_at = Some(pkt.ts);
                    }
                    call.progress = call.progress.max(Progress::Ringing);
                }
            }
            200..=299 => {
                if call.answered_at.is_none() {
                    if call.final_code.is_some() && !call.tentative {
                        stats.inc("track", "answer_after_final");
                        return Next::Stay;
                    }
                    call.answered_at = Some(pkt.ts);
                    call.progress = Progress::Answered;
                    call.final_code = Some(code);
                    call.final_reason_phrase = msg.reason_phrase().map(lossy);
                    call.final_reason = reason_info(msg);
                    call.answered_tag = to_tag;
                    call.answered_on_origin = on_origin_hop;
                    call.pending_retry = false;
                    call.tentative = false;
                    next = Next::Disarm;
                } else if on_origin_hop && !call.answered_on_origin {
                    // The caller's hop defines the dialog the caller will use.
                    call.answered_tag = to_tag;
                    call.answered_on_origin = true;
                } else if to_tag != call.answered_tag {
                    call.anomaly(
                        "forked_answer",
                        "a second fork answered; the first 2xx kept",
                    );
                }
            }
            _ => {
                if call.answered_at.is_some() {
                    stats.inc("track", "final_after_answer");
                    return Next::Stay;
                }
                if call.final_code.is_some() && !(call.tentative && on_origin_hop) {
                    // Already decided (a copy from another hop with its own phrase).
                    return next;
                }
                call.final_code = Some(code);
                call.final_reason_phrase = msg.reason_phrase().map(lossy);
                call.final_reason = reason_info(msg);
                call.ended_at = Some(pkt.ts);
                if code == 487 && call.cancel_at.is_some() {
                    // The caller's CANCEL ended it.
                    call.ended_by = Some(Party::Caller);
                }
                if !on_origin_hop {
                    // Wait for the caller's own hop to report the final.
                    call.tentative = true;
                    call.pending_retry = is_retryable(code);
                    return Next::Deadline(pkt.ts);
                }
                call.tentative = false;
                if is_retryable(code) {
                    call.pending_retry = true;
                    return Next::Deadline(pkt.ts);
                }
                return Next::End;
            }
        }
        next
    }

    /// Remove an ended call from the open set; it lingers for late messages.
    fn finish_call(&mut self, call_id: &[u8], now: Timestamp) {
        let linger = self.cfg.linger_ms as i64;
        if let Some(call) = self.calls.get_mut(call_id) {
            if !call.finished {
                call.finished = true;
                self.open -= 1;
                self.open_seqs.remove(&call.seq);
            }
            let at = now.plus_millis(linger);
            call.deadline = Some(at);
            let seq = call.seq;
            call.headers = Vec::new();
            self.arm(seq, at);
        }
    }

    fn remove(&mut self, seq: u64) -> Option<Call> {
        let key = self.by_seq.remove(&seq)?;
        let call = self.calls.remove(&key)?;
        if !call.finished {
            self.open -= 1;
            self.open_seqs.remove(&seq);
        }
        Some(call)
    }

    fn evict_oldest(&mut self, out: &mut Vec<CallRecord>) {
        if let Some(seq) = self.open_seqs.first().copied() {
            if let Some(mut call) = self.remove(seq) {
                self.stats.inc("track", "evicted");
                call.anomaly(
                    "evicted",
                    format!(
                        "open-call limit ({}) reached; emitted while still open",
                        self.cfg.max_open_calls
                    ),
                );
                out.push(call.record(false));
            }
        }
    }

    /// Run timers up to `now` (capture time): Timer B, retry waits, linger.
    pub fn advance(&mut self, now: Timestamp, out: &mut Vec<CallRecord>) {
        let mut batch = Vec::new();
        while let Some(Reverse((at, seq))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            let Some(key) = self.by_seq.get(&seq).cloned() else {
                continue;
            };
            let timer_b = self.cfg.timer_b_ms as i64;
            let linger = self.cfg.linger_ms as i64;
            let retry_wait = self.cfg.retry_wait_ms as i64;
            let Some(call) = self.calls.get_mut(&key) else {
                continue;
            };
            // Deadlines set as "now + 0" mean "wait from here": resolve them.
            let Some(deadline) = call.deadline else {
                continue;
            };
            if call.finished {
                if deadline <= now {
                    self.remove(seq);
                }
                continue;
            }
            if call.pending_retry || call.tentative {
                let wait = if call.tentative { linger } else { retry_wait };
                let due = call.ended_at.unwrap_or(at).plus_millis(wait);
                if due > now {
                    if call.deadline != Some(due) {
                        call.deadline = Some(due);
                        self.timers.push(Reverse((due, seq)));
                    }
                    continue;
                }
                call.tentative = false;
                call.pending_retry = false;
                batch.push(call.record(true));
                self.finish_call(&key, due);
                continue;
            }
            if !call.got_response && call.final_code.is_none() {
                let due = call.attempt_at.plus_millis(timer_b);
                if due > now {
                    if call.deadline != Some(due) {
                        call.deadline = Some(due);
                        self.timers.push(Reverse((due, seq)));
                    }
                    continue;
                }
                call.timed_out = true;
                call.ended_at = Some(due);
                call.anomaly(
                    "no_response",
                    format!("no response at all to the INVITE within {timer_b} ms (Timer B)"),
                );
                batch.push(call.record(true));
                self.finish_call(&key, due);
            }
        }
        batch.sort_by(|a, b| (a.invite_at, &a.call_id).cmp(&(b.invite_at, &b.call_id)));
        out.extend(batch);
    }

    /// End of input: calls waiting on a retry or a downstream final are
    /// decided; every other open call is emitted as open (`final: false`).
    pub fn finish(&mut self, out: &mut Vec<CallRecord>) {
        let mut batch = Vec::new();
        let seqs: Vec<u64> = self.by_seq.keys().copied().collect();
        for seq in seqs {
            let Some(call) = self.remove(seq) else {
                continue;
            };
            if call.finished {
                continue;
            }
            let decided = call.final_code.is_some() && call.answered_at.is_none();
            batch.push(call.record(decided));
        }
        self.timers.clear();
        batch.sort_by(|a, b| (a.invite_at, &a.call_id).cmp(&(b.invite_at, &b.call_id)));
        out.extend(batch);
    }
}

/// What a message did to the call's timers.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Next {
    Stay,
    /// Arm a wait starting at this time (retry / downstream final).
    Deadline(Timestamp),
    Disarm,
    End,
}
