//! Unit tests of the routing and splice logic on real SIP bytes (RFC 3261
//! §24.2 style messages, as a sipp UAC and a carrier send them).

use super::routing::{self, Decision, Hop};
use super::splice;
use super::*;

const INVITE: &[u8] = b"INVITE sip:+15551230000@10.9.0.2:5080 SIP/2.0\r\n\
Via: SIP/2.0/UDP 10.1.0.5:5060;branch=z9hG4bK-524287-1---7f9a1c;rport\r\n\
Max-Forwards: 70\r\n\
Contact: <sip:butter@10.1.0.5:5060>\r\n\
To: <sip:+15551230000@carrier.example>\r\n\
From: \"Butter\" <sip:butter@platform.example>;tag=a73kszlfl\r\n\
Call-ID: 1j9FpLxk3uxtm8tn@10.1.0.5\r\n\
CSeq: 1 INVITE\r\n\
X-Butter-Call-Id: call-42\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 10\r\n\
\r\n\
v=0\r\no=- 1";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

const PROXY: &str = "10.1.0.1:5060";
const SECRET: &[u8] = b"k";

fn hop<'a>(src: &str, ours: &'a [SocketAddr]) -> Hop<'a> {
    Hop {
        transport: Transport::Udp,
        src: addr(src),
        local_in: addr(PROXY),
        local_out: addr(PROXY),
        dest: addr("10.9.0.2:5080"),
        ours,
        secret: SECRET,
    }
}

fn forward(buf: &[u8], h: &Hop<'_>) -> Vec<u8> {
    let sc = splice::scan(buf).unwrap();
    match routing::route_request(buf, &sc, h) {
        Decision::Forward { bytes, to, .. } => {
            assert_eq!(to, h.dest);
            bytes
        }
        d => panic!("expected a forward, got {d:?}"),
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn branch_of(b: &[u8]) -> String {
    let t = text(b);
    let l = t.lines().find(|l| l.starts_with("Via:")).unwrap();
    l.split("branch=")
        .nth(1)
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn invite_gets_via_record_route_and_max_forwards_only() {
    let ours = [addr(PROXY)];
    let out = forward(INVITE, &hop("10.1.0.5:5060", &ours));
    let t = text(&out);
    let b = branch_of(&out);
    assert!(b.starts_with("z9hG4bKtw") && b.len() == 29, "{b}");
    let expected = format!(
        "INVITE sip:+15551230000@10.9.0.2:5080 SIP/2.0\r\n\
Via: SIP/2.0/UDP 10.1.0.1:5060;branch={b};rport\r\n\
Record-Route: <sip:10.1.0.1:5060;lr>\r\n\
Via: SIP/2.0/UDP 10.1.0.5:5060;branch=z9hG4bK-524287-1---7f9a1c;rport=5060;received=10.1.0.5\r\n\
Max-Forwards: 69\r\n\
Contact: <sip:butter@10.1.0.5:5060>\r\n\
To: <sip:+15551230000@carrier.example>\r\n\
From: \"Butter\" <sip:butter@platform.example>;tag=a73kszlfl\r\n\
Call-ID: 1j9FpLxk3uxtm8tn@10.1.0.5\r\n\
CSeq: 1 INVITE\r\n\
X-Butter-Call-Id: call-42\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 10\r\n\
\r\n\
v=0\r\no=- 1"
    );
    assert_eq!(t, expected);
    // The rsip parser (an independent implementation) accepts the result.
    assert!(rsip::SipMessage::try_from(out.clone()).is_ok());
}

#[test]
fn branch_is_deterministic_and_shared_by_cancel_and_non2xx_ack() {
    let ours = [addr(PROXY)];
    let h = hop("10.1.0.5:5060", &ours);
    let b1 = branch_of(&forward(INVITE, &h));
    let b2 = branch_of(&forward(INVITE, &h));
    assert_eq!(b1, b2, "a retransmission gets the same branch");
    let cancel = text(INVITE)
        .replacen("INVITE sip", "CANCEL sip", 1)
        .replace("CSeq: 1 INVITE", "CSeq: 1 CANCEL")
        .replace(
            "Content-Length: 10\r\n\r\nv=0\r\no=- 1",
            "Content-Length: 0\r\n\r\n",
        );
    assert_eq!(branch_of(&forward(cancel.as_bytes(), &h)), b1);
    let ack = text(INVITE)
        .replacen("INVITE sip", "ACK sip", 1)
        .replace("CSeq: 1 INVITE", "CSeq: 1 ACK")
        .replace("carrier.example>", "carrier.example>;tag=4711");
    assert_eq!(branch_of(&forward(ack.as_bytes(), &h)), b1);
    let other = text(INVITE).replace("7f9a1c", "7f9a1d");
    assert_ne!(branch_of(&forward(other.as_bytes(), &h)), b1);
    let h2 = Hop {
        secret: b"other",
        ..h
    };
    assert_ne!(branch_of(&forward(INVITE, &h2)), b1, "the branch is keyed");
}

#[test]
fn in_dialog_request_loses_our_route_and_keeps_the_rest() {
    let ours = [addr(PROXY)];
    let bye = b"BYE sip:butter@10.1.0.5:5060 SIP/2.0\r\n\
Via: SIP/2.0/UDP 10.9.0.2:5080;branch=z9hG4bK3k\r\n\
Route: <sip:10.1.0.1:5060;lr>, <sip:192.0.2.7;lr>\r\n\
Route: <sip:198.51.100.1;lr>\r\n\
From: <sip:+15551230000@carrier.example>;tag=4711\r\n\
To: \"Butter\" <sip:butter@platform.example>;tag=a73kszlfl\r\n\
Call-ID: 1j9FpLxk3uxtm8tn@10.1.0.5\r\n\
CSeq: 2 BYE\r\n\
Content-Length: 0\r\n\r\n";
    let mut h = hop("10.9.0.2:5080", &ours);
    h.dest = addr("10.1.0.5:5060");
    let t = text(&forward(bye, &h));
    assert!(
        t.contains("\r\nRoute: <sip:192.0.2.7;lr>\r\nRoute: <sip:198.51.100.1;lr>\r\n"),
        "{t}"
    );
    assert!(!t.contains("Record-Route"), "BYE is not dialog-creating");
    assert!(
        t.contains("\r\nMax-Forwards: 70\r\n"),
        "inserted when absent"
    );
    assert!(
        t.contains("branch=z9hG4bK3k\r\n"),
        "sender's Via untouched when it is where it says"
    );

    // Both entries of a double Record-Route are ours: the whole line goes.
    let two = text(bye).replace(
        "Route: <sip:10.1.0.1:5060;lr>, <sip:192.0.2.7;lr>\r\n",
        "Route: <sip:10.1.0.1:5060;lr>,<sip:10.1.0.1;lr>\r\n",
    );
    let ours2 = [addr(PROXY)];
    let t = text(&forward(two.as_bytes(), &hop("10.9.0.2:5080", &ours2)));
    assert!(
        t.contains("\r\nRoute: <sip:198.51.100.1;lr>\r\n") && !t.contains("10.1.0.1;lr"),
        "{t}"
    );
}

#[test]
fn max_forwards_zero_is_answered_483_and_ack_dropped() {
    let ours = [addr(PROXY)];
    let zero = text(INVITE).replace("Max-Forwards: 70", "Max-Forwards: 0");
    let sc = splice::scan(zero.as_bytes()).unwrap();
    let d = routing::route_request(zero.as_bytes(), &sc, &hop("10.1.0.5:5060", &ours));
    let Decision::Reply { code: 483, bytes } = d else {
        panic!("{d:?}")
    };
    let r = text(&bytes);
    assert!(r.starts_with("SIP/2.0 483 Too Many Hops\r\n"), "{r}");
    assert!(r.contains("Via: SIP/2.0/UDP 10.1.0.5:5060;branch=z9hG4bK-524287-1---7f9a1c;rport=5060;received=10.1.0.5\r\n"));
    assert!(r.contains("To: <sip:+15551230000@carrier.example>;tag=tw"));
    assert!(r.contains("Call-ID: 1j9FpLxk3uxtm8tn@10.1.0.5\r\nCSeq: 1 INVITE\r\n"));
    assert!(r.ends_with("Content-Length: 0\r\n\r\n"));
    assert!(rsip::SipMessage::try_from(bytes.clone()).is_ok());

    let ack = zero
        .replacen("INVITE sip", "ACK sip", 1)
        .replace("CSeq: 1 INVITE", "CSeq: 1 ACK");
    let sc = splice::scan(ack.as_bytes()).unwrap();
    assert_eq!(
        routing::route_request(ack.as_bytes(), &sc, &hop("10.1.0.5:5060", &ours)),
        Decision::Drop("max_forwards_ack")
    );
    let one = text(INVITE).replace("Max-Forwards: 70", "Max-Forwards: 1");
    assert!(text(&forward(one.as_bytes(), &hop("10.1.0.5:5060", &ours)))
        .contains("\r\nMax-Forwards: 0\r\n"));
}

#[test]
fn response_pops_our_via_and_follows_received_rport() {
    let ours = [addr(PROXY)];
    let ok = b"SIP/2.0 200 OK\r\n\
Via: SIP/2.0/UDP 10.1.0.1:5060;branch=z9hG4bKtw0123456789abcdef0123;rport=5060;received=10.1.0.1\r\n\
Via: SIP/2.0/UDP 10.1.0.5:5060;branch=z9hG4bK-524287-1---7f9a1c;rport=41234;received=203.0.113.9\r\n\
Record-Route: <sip:10.1.0.1:5060;lr>\r\n\
To: <sip:+15551230000@carrier.example>;tag=4711\r\n\
From: \"Butter\" <sip:butter@platform.example>;tag=a73kszlfl\r\n\
Call-ID: 1j9FpLxk3uxtm8tn@10.1.0.5\r\n\
CSeq: 1 INVITE\r\n\
Content-Length: 0\r\n\r\n";
    let sc = splice::scan(ok).unwrap();
    let Decision::Forward {
        bytes,
        to,
        transport,
        ..
    } = routing::route_response(ok, &sc, &ours)
    else {
        panic!()
    };
    assert_eq!(to, addr("203.0.113.9:41234"));
    assert_eq!(transport, Transport::Udp);
    let mut expect = ok.to_vec();
    let start = memchr::memmem::find(ok, b"Via: SIP/2.0/UDP 10.1.0.1").unwrap();
    let end = memchr::memmem::find(ok, b"Via: SIP/2.0/UDP 10.1.0.5").unwrap();
    expect.drain(start..end);
    assert_eq!(text(&bytes), text(&expect), "only our Via line is removed");

    // Compact form, both values on one line; no received: sent-by is used.
    let compact = b"SIP/2.0 180 Ringing\r\n\
v: SIP/2.0/UDP 10.1.0.1:5060;branch=z9hG4bKtwffff , SIP/2.0/UDP [2001:db8::5]:5070;branch=z9hG4bKa\r\n\
i: abc\r\nCSeq: 1 INVITE\r\nf: <sip:a@b>;tag=1\r\nt: <sip:c@d>\r\nl: 0\r\n\r\n";
    let sc = splice::scan(compact).unwrap();
    let Decision::Forward { bytes, to, .. } = routing::route_response(compact, &sc, &ours) else {
        panic!()
    };
    assert_eq!(to, addr("[2001:db8::5]:5070"));
    assert!(text(&bytes).starts_with(
        "SIP/2.0 180 Ringing\r\nv: SIP/2.0/UDP [2001:db8::5]:5070;branch=z9hG4bKa\r\n"
    ));

    // A response whose top Via is not ours is not forwarded.
    let sc = splice::scan(compact).unwrap();
    assert_eq!(
        routing::route_response(compact, &sc, &[addr("10.1.0.2:5060")]),
        Decision::Drop("response_not_ours")
    );
}

#[test]
fn tcp_gets_transport_param_and_forced_rport() {
    let ours = [addr(PROXY)];
    let mut h = hop("10.1.0.5:40001", &ours);
    h.transport = Transport::Tcp;
    let inv = text(INVITE).replace(
        "SIP/2.0/UDP 10.1.0.5:5060;branch=z9hG4bK-524287-1---7f9a1c;rport",
        "SIP/2.0/TCP 10.1.0.5:5060;branch=z9hG4bK-524287-1---7f9a1c",
    );
    let t = text(&forward(inv.as_bytes(), &h));
    assert!(
        t.contains("Record-Route: <sip:10.1.0.1:5060;transport=tcp;lr>\r\n"),
        "{t}"
    );
    assert!(t.contains("Via: SIP/2.0/TCP 10.1.0.1:5060;branch=z9hG4bKtw"));
    assert!(
        t.contains("branch=z9hG4bK-524287-1---7f9a1c;rport=40001;received=10.1.0.5\r\n"),
        "{t}"
    );
}

#[test]
fn double_record_route_when_sides_see_different_addresses() {
    let ours = [addr(PROXY), addr("192.0.2.1:5060")];
    let mut h = hop("10.1.0.5:5060", &ours);
    h.local_out = addr("192.0.2.1:5060");
    let t = text(&forward(INVITE, &h));
    assert!(
        t.contains(
            "Record-Route: <sip:192.0.2.1:5060;lr>\r\nRecord-Route: <sip:10.1.0.1:5060;lr>\r\n"
        ),
        "{t}"
    );
}

fn core(cfg: &ProxyConfig) -> Core {
    Core::new(cfg, vec![addr(PROXY)], Tap::disabled())
}

#[test]
fn allow_list_sides_and_limits_are_enforced_and_counted() {
    let cfg = ProxyConfig {
        listen: vec![addr(PROXY)],
        platform: Some(addr("10.1.0.5:5060")),
        trunk: Some(addr("10.9.0.2:5080")),
        rate_limit_per_source: 2,
        max_message_bytes: Some(1000),
        ..Default::default()
    };
    let c = core(&cfg);
    let lo = |_: SocketAddr| Some(addr(PROXY));
    let v = c.handle(INVITE, addr("10.1.0.5:5060"), Transport::Udp, &lo);
    assert!(matches!(v, Verdict::Forward { to, invite: true, .. } if to == addr("10.9.0.2:5080")));
    // From the trunk, a request goes to the platform.
    let v = c.handle(INVITE, addr("10.9.0.2:5080"), Transport::Udp, &lo);
    assert!(matches!(v, Verdict::Forward { to, .. } if to == addr("10.1.0.5:5060")));
    // Not allowed: nothing, counted.
    assert!(matches!(
        c.handle(INVITE, addr("10.1.0.6:5060"), Transport::Udp, &lo),
        Verdict::Nothing
    ));
    // Rate limit: 2 per second per source, the third is refused.
    let v = c.handle(INVITE, addr("10.1.0.5:5060"), Transport::Udp, &lo);
    assert!(matches!(v, Verdict::Forward { .. }));
    assert!(matches!(
        c.handle(INVITE, addr("10.1.0.5:5060"), Transport::Udp, &lo),
        Verdict::Nothing
    ));
    let big = vec![b'a'; 1001];
    assert!(matches!(
        c.handle(&big, addr("10.9.0.2:5080"), Transport::Udp, &lo),
        Verdict::Nothing
    ));
    assert!(matches!(
        c.handle(
            b"garbage\r\n\r\n",
            addr("10.9.0.2:5080"),
            Transport::Udp,
            &lo
        ),
        Verdict::Nothing
    ));
    let h = ProxyHandle {
        stats: c.stats.clone(),
        tap: c.tap.clone(),
    };
    let n = h.counters();
    assert_eq!(n.get(LAYER, "dropped_not_allowed"), 1);
    assert_eq!(n.get(LAYER, "rate_limited"), 1);
    assert_eq!(n.get(LAYER, "dropped_oversize"), 1);
    assert_eq!(n.get(LAYER, "dropped_malformed"), 1);
    assert_eq!(n.get(LAYER_MALFORMED, "bad_start_line"), 1);
    assert_eq!(n.get(LAYER, "forwarded"), 3);
}

#[test]
fn a_response_to_a_foreign_address_is_never_relayed() {
    let cfg = ProxyConfig {
        listen: vec![addr(PROXY)],
        platform: Some(addr("10.1.0.5:5060")),
        trunk: Some(addr("10.9.0.2:5080")),
        ..Default::default()
    };
    let c = core(&cfg);
    let lo = |_: SocketAddr| Some(addr(PROXY));
    let resp = b"SIP/2.0 200 OK\r\n\
Via: SIP/2.0/UDP 10.1.0.1:5060;branch=z9hG4bKtwab\r\n\
Via: SIP/2.0/UDP 198.51.100.66:5060;branch=z9hG4bKx\r\n\
To: <sip:a@b>;tag=1\r\nFrom: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    assert!(matches!(
        c.handle(resp, addr("10.9.0.2:5080"), Transport::Udp, &lo),
        Verdict::Nothing
    ));
    let h = ProxyHandle {
        stats: c.stats.clone(),
        tap: c.tap.clone(),
    };
    assert_eq!(
        h.counters().get(LAYER, "dropped_destination_not_allowed"),
        1
    );
}

#[test]
fn unreachable_503_carries_retry_after_and_is_counted() {
    let cfg = ProxyConfig {
        listen: vec![addr(PROXY)],
        platform: Some(addr("10.1.0.5:5060")),
        trunk: Some(addr("10.9.0.2:5080")),
        ..Default::default()
    };
    let (tap, mut rx) = Tap::new(4);
    let c = Core::new(&cfg, vec![addr(PROXY)], tap);
    let r = c
        .unreachable_503(INVITE, addr("10.1.0.5:5060"), Transport::Udp, addr(PROXY))
        .unwrap();
    let t = text(&r);
    assert!(t.starts_with("SIP/2.0 503 Service Unavailable\r\n"));
    assert!(t.contains(&format!("\r\nRetry-After: {RETRY_AFTER_SECS}\r\n")));
    let tapped = rx.try_recv().unwrap();
    assert_eq!(tapped.dst, addr("10.1.0.5:5060"));
    assert_eq!(tapped.bytes, r);
}
