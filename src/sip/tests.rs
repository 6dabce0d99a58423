//! Unit tests on real messages (captured carrier traffic and RFC 4475).

use super::*;

const INVITE: &[u8] = include_bytes!("../../fixtures/sip/real/carrier-invite.sip");
const BUSY: &[u8] = include_bytes!("../../fixtures/sip/real/proxy-486.sip");
const OK_SDP: &[u8] = include_bytes!("../../fixtures/sip/real/carrier-200-sdp.sip");
const HOPS: &[u8] = include_bytes!("../../fixtures/sip/real/carrier-483.sip");
const WSINV: &[u8] = include_bytes!("../../fixtures/sip/rfc4475/wsinv.dat");

#[test]
fn carrier_invite() {
    let m = parse(INVITE).unwrap();
    assert_eq!(m.method(), Some(Method::Invite));
    assert_eq!(m.status(), None);
    assert_eq!(
        m.request_uri(),
        Some(&b"sip:+390289279987@fastweb.it;user=phone"[..])
    );
    assert_eq!(m.call_id(), Some(&b"000d3beb000d3bd-0@10.2.254.197"[..]));
    let c = m.cseq().unwrap();
    assert_eq!((c.seq, c.method), (1, Method::Invite));
    let v = m.top_via().unwrap();
    assert_eq!(v.transport, b"UDP");
    assert_eq!(v.host, b"10.252.47.107");
    assert_eq!(v.port, Some(5060));
    assert_eq!(v.branch(), Some(&b"z9hG4bKdtv49tkbcc37nimia53bvq9dt5"[..]));
    let f = m.from().unwrap();
    assert_eq!(f.display, Some(&b"0398927986"[..]));
    assert_eq!(f.user(), Some(&b"+390398927986"[..]));
    assert_eq!(f.host(), Some(&b"telecomitalia.it"[..]));
    assert_eq!(f.tag(), Some(&b"000d3b90"[..]));
    let t = m.to().unwrap();
    assert_eq!(t.tag(), None);
    assert_eq!(t.uri, b"sip:+390289279987@fastweb.it;user=phone");
    assert_eq!(m.max_forwards().unwrap(), Some(69));
    assert_eq!(m.content_length().unwrap(), Some(198));
    assert_eq!(m.content_type(), Some(&b"application/sdp"[..]));
    assert_eq!(m.body().len(), 198);
    assert_eq!(m.as_bytes().len(), INVITE.len());
    assert_eq!(m.header("supported"), Some(&b"100rel"[..]));
    assert_eq!(m.header("k"), Some(&b"100rel"[..]));
    assert_eq!(m.header("i"), m.call_id());
    assert_eq!(m.header("X-Nope"), None);
    let contacts: Vec<_> = m.contacts().map(Result::unwrap).collect();
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].param("transport"), None);
    assert_eq!(
        contacts[0].uri,
        b"sip:0398927986.iIiIiI.0a02fec5.@10.252.47.107:5060;transport=udp"
    );
    let routes: Vec<_> = m.routes().map(Result::unwrap).collect();
    assert_eq!(routes[0].host(), Some(&b"172.22.204.85"[..]));
    assert_eq!(m.record_routes().count(), 0);
    assert_eq!(m.headers().count(), 15);
    m.validate().unwrap();
    let sdp = sdp::parse(m.body()).unwrap();
    assert_eq!(sdp.connection(), Some(&b"10.252.47.107"[..]));
    let media: Vec<_> = sdp.media().collect();
    assert_eq!(media.len(), 1);
    assert_eq!(media[0].port, 10804);
    assert_eq!(
        media[0].payload_types().collect::<Vec<_>>(),
        vec![8, 18, 101]
    );
}

#[test]
fn busy_486_two_vias() {
    let m = parse(BUSY).unwrap();
    assert_eq!(m.status(), Some(486));
    assert_eq!(m.reason_phrase(), Some(&b"Busy Here"[..]));
    assert_eq!(m.method(), None);
    assert_eq!(
        m.start_line(),
        StartLine::Response {
            code: 486,
            reason: b"Busy Here"
        }
    );
    let vias: Vec<_> = m.vias().map(Result::unwrap).collect();
    assert_eq!(vias.len(), 2);
    assert_eq!(vias[0].host, b"luntikpc");
    assert_eq!(vias[0].rport(), Some(&b"5060"[..]));
    assert_eq!(vias[0].received(), Some(&b"192.168.100.55"[..]));
    assert_eq!(
        vias[1].branch(),
        Some(&b"z9hG4bK-524287-1---75b085095731e466"[..])
    );
    assert_eq!(m.to().unwrap().tag(), Some(&b"7f6bb05f"[..]));
    assert_eq!(m.from().unwrap().tag(), Some(&b"8fc2b928"[..]));
    assert_eq!(m.user_agent(), Some(&b"Zoiper v2.10.17.3-mod"[..]));
    assert_eq!(m.server(), None);
    assert_eq!(m.body(), b"");
    assert_eq!(m.header_all("via").count(), 2);
    m.validate().unwrap();
}

#[test]
fn ok_with_sdp_and_response_without_reason_lines() {
    let m = parse(OK_SDP).unwrap();
    assert_eq!(m.status(), Some(200));
    assert_eq!(m.cseq().unwrap().method, Method::Invite);
    assert!(sdp::parse(m.body()).unwrap().media().count() >= 1);
    assert_eq!(m.reasons().count(), 0);
    let m = parse(HOPS).unwrap();
    assert_eq!(m.status(), Some(483));
    assert_eq!(
        m.header("Warning"),
        Some(&br#"399  "Max-Forwards zero""#[..])
    );
}

#[test]
fn wsinv_folding_compact_forms_odd_case() {
    let m = parse(WSINV).unwrap();
    assert_eq!(m.call_id(), Some(&b"wsinv.ndaksdj@192.0.2.1"[..]));
    let c = m.cseq().unwrap();
    assert_eq!((c.seq, c.method), (9, Method::Invite));
    assert_eq!(m.max_forwards().unwrap(), Some(68));
    assert_eq!(m.to().unwrap().tag(), Some(&b"1918181833n"[..]));
    assert_eq!(m.from().unwrap().tag(), Some(&b"98asjd8"[..]));
    assert_eq!(m.from().unwrap().display, Some(&br#"J Rosenberg \\\""#[..]));
    let vias: Vec<_> = m.vias().map(Result::unwrap).collect();
    assert_eq!(vias.len(), 3);
    assert_eq!(vias[0].branch(), Some(&b"390skdjuw"[..]));
    assert_eq!(vias[0].host, b"192.0.2.2");
    assert_eq!(vias[1].transport, b"TCP");
    assert_eq!(vias[1].branch(), Some(&b"z9hG4bK9ikj8"[..]));
    assert_eq!(vias[2].host, b"192.168.255.111");
    assert_eq!(vias[2].branch(), Some(&b"z9hG4bK30239"[..]));
    let ct: Vec<_> = m.contacts().map(Result::unwrap).collect();
    assert_eq!(ct[0].param("newparam"), Some(&b"newvalue"[..]));
    assert_eq!(ct[0].param("secondparam"), Some(&b""[..]));
    assert_eq!(ct[0].param("q"), Some(&b"0.33"[..]));
    assert_eq!(m.header("Subject"), Some(&b""[..]));
    assert_eq!(m.body().len(), 150);
    m.validate().unwrap();
}

#[test]
fn reasons_and_x_headers() {
    let msg = b"BYE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCall-ID: x\r\n\
X-Butter-Call-Id: call_123\r\nReason: Q.850;cause=16;text=\"Normal call clearing\", SIP;cause=200\r\n\
Reason: SIP ;cause=487 ;text=\"Call, completed\"\r\nContent-Length: 0\r\n\r\n";
    let m = parse(msg).unwrap();
    assert_eq!(m.header("x-butter-call-id"), Some(&b"call_123"[..]));
    let r: Vec<_> = m.reasons().collect();
    assert_eq!(r.len(), 3);
    assert_eq!(
        (r[0].protocol, r[0].cause, r[0].text),
        (&b"Q.850"[..], Some(16), Some(&b"Normal call clearing"[..]))
    );
    assert_eq!(
        (r[1].protocol, r[1].cause, r[1].text),
        (&b"SIP"[..], Some(200), None)
    );
    assert_eq!(
        (r[2].protocol, r[2].cause, r[2].text),
        (&b"SIP"[..], Some(487), Some(&b"Call, completed"[..]))
    );
}

#[test]
fn start_line_errors() {
    let e = |m: &[u8]| parse(m).unwrap_err();
    assert_eq!(
        e(b"SIP/2.0 4294967301 x\r\n\r\n").kind,
        ErrorKind::BadStatusCode
    );
    assert_eq!(e(b"SIP/2.0 099 x\r\n\r\n").kind, ErrorKind::BadStatusCode);
    assert_eq!(e(b"SIP/2.0 700 x\r\n\r\n").kind, ErrorKind::BadStatusCode);
    assert_eq!(e(b"SIP/7.0 200 OK\r\n\r\n").kind, ErrorKind::BadVersion);
    assert_eq!(
        e(b"OPTIONS sip:a@b SIP/7.0\r\n\r\n").kind,
        ErrorKind::BadVersion
    );
    assert_eq!(
        e(b"OPTIONS sip:a@b SIP/2.0 \r\n\r\n").kind,
        ErrorKind::BadStartLine
    );
    assert_eq!(
        e(b"INVITE <sip:a@b> SIP/2.0\r\n\r\n").kind,
        ErrorKind::BadRequestUri
    );
    assert_eq!(e(b"\r\n\r\n").kind, ErrorKind::Empty);
    assert_eq!(e(b"").kind, ErrorKind::Empty);
    assert_eq!(
        e(b"OPTIONS sip:a@b SIP/2.0\r\nVia: x").kind,
        ErrorKind::Truncated
    );
    assert_eq!(e(b"OPTIONS sip:a@b SIP/2.0").kind, ErrorKind::Truncated);
    // A datagram ending right after a header line: the boundary ends it.
    let m = parse(b"OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n").unwrap();
    assert_eq!((m.header("v"), m.body()), (Some(&b"x"[..]), &b""[..]));
    assert_eq!(
        parse_stream(b"OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n"),
        Ok(Status::Partial)
    );
    assert_eq!(
        e(b"OPTIONS sip:a@b SIP/2.0\r\nbad line\r\n\r\n").kind,
        ErrorKind::BadHeader
    );
    let err = e(b"\r\nOPTIONS sip:a@b SIP/2.0\r\nContent-Length: 10\r\n\r\nabc");
    assert_eq!((err.kind, err.code()), (ErrorKind::Truncated, "truncated"));
    let err = e(b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\n");
    assert_eq!((err.kind, err.offset), (ErrorKind::BadContentLength, 41));
    assert_eq!(
        e(b"OPTIONS sip:a@b SIP/2.0\r\nl: 99999999999\r\n\r\n").kind,
        ErrorKind::Overflow
    );
}

#[test]
fn response_with_empty_reason_and_leading_keepalive() {
    let m = parse(b"\r\n\r\nSIP/2.0 100 \r\nCall-ID: a\r\n\r\n").unwrap();
    assert_eq!(m.status(), Some(100));
    assert_eq!(m.reason_phrase(), Some(&b""[..]));
    assert_eq!(
        m.cseq().unwrap_err(),
        Error::new(ErrorKind::MissingHeader, 4 + 26)
    );
    let m = parse(b"SIP/2.0 183\nCall-ID: a\n\n").unwrap();
    assert_eq!(m.status(), Some(183));
    assert_eq!(m.call_id(), Some(&b"a"[..]));
}

#[test]
fn stream_framing() {
    let mut buf = Vec::new();
    buf.extend_from_slice(b"\r\n\r\n");
    buf.extend_from_slice(INVITE);
    let first = buf.len();
    buf.extend_from_slice(b"\r\n");
    buf.extend_from_slice(BUSY);
    assert_eq!(parse_stream(&buf).unwrap(), Status::Complete(first));
    assert_eq!(
        parse_stream(&buf[first..]).unwrap(),
        Status::Complete(2 + BUSY.len())
    );
    for cut in 0..first {
        assert_eq!(
            parse_stream(&buf[..cut]).unwrap(),
            Status::Partial,
            "cut at {cut}"
        );
    }
    let m = parse(&buf[..first]).unwrap();
    assert_eq!(m.as_bytes(), INVITE);
    assert!(parse_stream(b"GARBAGE LINE\r\n\r\n").is_err());
}

#[test]
fn method_labels() {
    assert_eq!(Method::from_bytes(b"INVITE").label(), "INVITE");
    assert_eq!(Method::from_bytes(b"invite"), Method::Other(b"invite"));
    assert_eq!(Method::from_bytes(b"FOO").label(), "OTHER");
    assert_eq!(Method::from_bytes(b"FOO").as_str(), "FOO");
    assert_eq!(Method::Bye.as_bytes(), b"BYE");
}
