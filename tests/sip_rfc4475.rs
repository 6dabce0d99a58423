//! RFC 4475 torture tests: every one of the 49 messages (byte-exact copies in
//! fixtures/sip/rfc4475/) handled as ../shared/rfc4475/INDEX.md says.
//!
//! Valid and semantics-class messages must parse with their key fields
//! asserted; invalid ones are either rejected by `parse` with a typed error
//! ("reject") or parse and fail in the accessor that reads the bad field and
//! in `Message::validate` ("flag"). Nothing may panic or wrap a number.

use std::path::PathBuf;
use trunkwatch::sip::{self, parse, parse_stream, ErrorKind, Message, Method, Status};

fn fixture(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/sip/rfc4475")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

enum Start {
    Req(&'static [u8]),
    Resp(u16),
}

struct Valid {
    file: &'static str,
    start: Start,
    call_id: Option<&'static [u8]>,
    cseq: Option<(u32, &'static [u8])>,
    branch: Option<&'static [u8]>,
    from_tag: Option<&'static [u8]>,
    to_tag: Option<&'static [u8]>,
    max_forwards: Option<u32>,
    vias: usize,
    body_len: usize,
}

#[allow(clippy::too_many_arguments)]
const fn v(
    file: &'static str,
    start: Start,
    call_id: Option<&'static [u8]>,
    cseq: Option<(u32, &'static [u8])>,
    branch: Option<&'static [u8]>,
    from_tag: Option<&'static [u8]>,
    to_tag: Option<&'static [u8]>,
    max_forwards: Option<u32>,
    vias: usize,
    body_len: usize,
) -> Valid {
    Valid {
        file,
        start,
        call_id,
        cseq,
        branch,
        from_tag,
        to_tag,
        max_forwards,
        vias,
        body_len,
    }
}

use Start::{Req, Resp};

const INTMETH: &[u8] = b"!interesting-Method0123456789_*+`.%indeed'~";

/// Valid (3.1.1), transaction (3.2), semantics (3.3) and backward
/// compatibility (3.4) messages, plus baddate (3.1.2.12: a monitor never
/// reads Date, so it accepts it).
#[rustfmt::skip]
const VALID: &[Valid] = &[
    v("wsinv.dat", Req(b"INVITE"), Some(b"wsinv.ndaksdj@192.0.2.1"), Some((9, b"INVITE")), Some(b"390skdjuw"), Some(b"98asjd8"), Some(b"1918181833n"), Some(68), 3, 150),
    v("intmeth.dat", Req(INTMETH), Some(b"intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{"), Some((139122385, INTMETH)), Some(b"z9hG4bK-.!%66*_+`'~"), Some(b"_token~1'+`*%!-."), None, Some(255), 1, 0),
    v("esc01.dat", Req(b"INVITE"), Some(b"esc01.239409asdfakjkn23onasd0-3234"), Some((234234, b"INVITE")), Some(b"z9hG4bKkdjuw"), Some(b"938"), None, Some(87), 1, 150),
    v("escnull.dat", Req(b"REGISTER"), Some(b"escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd"), Some((14398234, b"REGISTER")), Some(b"z9hG4bKkdjuw"), Some(b"839923423"), None, Some(70), 1, 0),
    v("esc02.dat", Req(b"RE%47IST%45R"), Some(b"esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf"), Some((29344, b"RE%47IST%45R")), Some(b"z9hG4bK209%fzsnel234"), Some(b"f232jadfj23"), None, Some(70), 1, 0),
    v("lwsdisp.dat", Req(b"OPTIONS"), Some(b"lwsdisp.1234abcd@funky.example.com"), Some((60, b"OPTIONS")), Some(b"z9hG4bKkdjuw"), Some(b"323"), None, Some(70), 1, 0),
    v("longreq.dat", Req(b"INVITE"), Some(b"longreq.onereallyreallyreallyreallyreallyreallyreallyreallyreallyreallyreallyreallyreallyreallyreallyreallyreallyreallyreallyreallylongcallid"), Some((3882340, b"INVITE")), None, Some(b"12982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982424"), None, Some(70), 34, 150),
    v("dblreq.dat", Req(b"REGISTER"), Some(b"dblreq.0ha0isndaksdj99sdfafnl3lk233412"), Some((8, b"REGISTER")), Some(b"z9hG4bKkdjuw23492"), Some(b"43251j3j324"), None, Some(8), 1, 0),
    v("semiuri.dat", Req(b"OPTIONS"), Some(b"semiuri.0ha0isndaksdj"), Some((8, b"OPTIONS")), Some(b"z9hG4bKkdjuw"), Some(b"33242"), None, Some(3), 1, 0),
    v("transports.dat", Req(b"OPTIONS"), Some(b"transports.kijh4akdnaqjkwendsasfdj"), Some((60, b"OPTIONS")), Some(b"z9hG4bKkdjuw"), Some(b"323"), None, Some(70), 5, 0),
    v("mpart01.dat", Req(b"MESSAGE"), Some(b"3d9485ad0c49859b@Zmx1ZmZ5LW1hYy0xNi5sb2NhbA.."), Some((1, b"MESSAGE")), Some(b"z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-"), Some(b"2fb0dcc9"), None, Some(70), 1, 553),
    v("unreason.dat", Resp(200), Some(b"unreason.1234ksdfak3j2erwedfsASdf"), Some((35, b"INVITE")), Some(b"z9hG4bK1324923"), Some(b"11141343"), Some(b"2229"), None, 1, 154),
    v("noreason.dat", Resp(100), Some(b"noreason.asndj203insdf99223ndf"), Some((35, b"INVITE")), Some(b"z9hG4bK2398ndaoe"), Some(b"39ansfi3"), Some(b"902jndnke3"), None, 1, 0),
    v("badbranch.dat", Req(b"OPTIONS"), Some(b"badbranch.sadonfo23i420jv0as0derf3j3n"), Some((8, b"OPTIONS")), Some(b"z9hG4bK"), Some(b"33242"), None, Some(3), 1, 0),
    v("insuf.dat", Req(b"INVITE"), None, Some((193942, b"INVITE")), Some(b"z9hG4bKkdj.insuf"), None, None, None, 1, 152),
    v("unkscm.dat", Req(b"OPTIONS"), Some(b"unkscm.nasdfasser0q239nwsdfasdkl34"), Some((3923423, b"OPTIONS")), Some(b"z9hG4bKkdjuw39234"), Some(b"384"), None, Some(3), 1, 0),
    v("novelsc.dat", Req(b"OPTIONS"), Some(b"novelsc.asdfasser0q239nwsdfasdkl34"), Some((3923423, b"OPTIONS")), Some(b"z9hG4bKkdjuw39234"), Some(b"384"), None, Some(3), 1, 0),
    v("unksm2.dat", Req(b"REGISTER"), Some(b"unksm2.daksdj@hyphenated-host.example.com"), Some((234902, b"REGISTER")), Some(b"z9hG4bKkdjuw"), Some(b"3234233"), None, Some(70), 1, 0),
    v("bext01.dat", Req(b"OPTIONS"), Some(b"bext01.0ha0isndaksdj"), Some((8, b"OPTIONS")), Some(b"z9hG4bKkdjuw"), Some(b"242etr"), None, Some(6), 1, 0),
    v("invut.dat", Req(b"INVITE"), Some(b"invut.0ha0isndaksdjadsfij34n23d"), Some((235448, b"INVITE")), Some(b"z9hG4bKkdjuw"), Some(b"8392034"), None, Some(70), 1, 40),
    v("regaut01.dat", Req(b"REGISTER"), Some(b"regaut01.0ha0isndaksdj"), Some((9338, b"REGISTER")), Some(b"z9hG4bKkdjuw"), Some(b"87321hj23128"), None, Some(8), 1, 0),
    // Several values in single-value headers: the first one is reported.
    v("multi01.dat", Req(b"INVITE"), Some(b"multi01.98asdh@192.0.2.1"), Some((5, b"INVITE")), Some(b"z9hG4bKkdjuw"), Some(b"3413415"), None, Some(70), 1, 154),
    v("bcast.dat", Resp(200), Some(b"bcast.0384840201234ksdfak3j2erwedfsASdf"), Some((35, b"INVITE")), Some(b"z9hG4bK1324923"), Some(b"11141343"), Some(b"2229"), None, 2, 154),
    v("zeromf.dat", Req(b"OPTIONS"), Some(b"zeromf.jfasdlfnm2o2l43r5u0asdfas"), Some((39234321, b"OPTIONS")), Some(b"z9hG4bKkdjuw2349i"), Some(b"3ghsd41"), None, Some(0), 1, 0),
    v("cparam01.dat", Req(b"REGISTER"), Some(b"cparam01.70710@saturn.example.com"), Some((2, b"REGISTER")), Some(b"z9hG4bKkdjuw"), Some(b"DkfVgjkrtMwaerKKpe"), None, Some(70), 1, 0),
    v("cparam02.dat", Req(b"REGISTER"), Some(b"cparam02.70710@saturn.example.com"), Some((3, b"REGISTER")), Some(b"z9hG4bKkdjuw"), Some(b"838293"), None, Some(70), 1, 0),
    v("regescrt.dat", Req(b"REGISTER"), Some(b"regescrt.k345asrl3fdbv@192.0.2.1"), Some((14398234, b"REGISTER")), Some(b"z9hG4bKkdjuw"), Some(b"8"), None, Some(70), 1, 0),
    v("sdp01.dat", Req(b"INVITE"), Some(b"sdp01.ndaksdj9342dasdd"), Some((8, b"INVITE")), Some(b"z9hG4bKkdjuw"), Some(b"234"), None, Some(5), 1, 150),
    // RFC 2543 syntax: no branch, no From tag, no Content-Length (rest of datagram).
    v("inv2543.dat", Req(b"INVITE"), Some(b"inv2543.1717@ift.client.example.com"), Some((56, b"INVITE")), None, None, None, None, 1, 105),
    v("baddate.dat", Req(b"INVITE"), Some(b"baddate.239423mnsadf3j23lj42--sedfnm234"), Some((1392934, b"INVITE")), Some(b"z9hG4bKkdjuw"), Some(b"2234923"), None, Some(70), 1, 150),
];

/// Invalid messages `parse` rejects.
const REJECT: &[(&str, ErrorKind)] = &[
    ("clerr.dat", ErrorKind::Truncated),
    ("ncl.dat", ErrorKind::BadContentLength),
    ("ltgtruri.dat", ErrorKind::BadRequestUri),
    ("lwsruri.dat", ErrorKind::BadStartLine),
    ("lwsstart.dat", ErrorKind::BadRequestUri),
    ("trws.dat", ErrorKind::BadStartLine),
    ("escruri.dat", ErrorKind::BadRequestUri),
    ("badvers.dat", ErrorKind::BadVersion),
    ("bigcode.dat", ErrorKind::BadStatusCode),
];

/// Invalid messages that parse (framing is sound) but are flagged by the
/// accessor of the bad field and by `validate`.
const FLAG: &[(&str, &str, ErrorKind)] = &[
    // Via parameters are tokenised only when read: the empty ones of
    // badinv01 are flagged by the validating walk over every Via.
    ("badinv01.dat", "vias", ErrorKind::BadParam),
    ("badinv01.dat", "contacts", ErrorKind::BadParam),
    ("scalar02.dat", "cseq", ErrorKind::Overflow),
    ("scalar02.dat", "max_forwards", ErrorKind::Overflow),
    ("scalarlg.dat", "cseq", ErrorKind::Overflow),
    ("quotbal.dat", "to", ErrorKind::UnterminatedQuote),
    ("regbadct.dat", "contacts", ErrorKind::BadNameAddr),
    ("badaspec.dat", "to", ErrorKind::BadNameAddr),
    ("baddn.dat", "from", ErrorKind::BadNameAddr),
    ("baddn.dat", "to", ErrorKind::BadNameAddr),
    ("mismatch01.dat", "validate", ErrorKind::CSeqMethodMismatch),
    ("mismatch02.dat", "validate", ErrorKind::CSeqMethodMismatch),
    (
        "mcl01.dat",
        "content_length",
        ErrorKind::ConflictingContentLength,
    ),
];

fn accessor(m: &Message<'_>, name: &str) -> Result<(), sip::Error> {
    match name {
        "top_via" => m.top_via().map(drop),
        "vias" => m.vias().try_for_each(|v| {
            let v = v?;
            // `check_params` offsets are relative to the parameters.
            let at = v.params().as_ptr() as usize - m.as_bytes().as_ptr() as usize;
            v.check_params().map_err(|e| sip::Error {
                offset: e.offset + at,
                ..e
            })
        }),
        "contacts" => m.contacts().try_for_each(|c| c.map(drop)),
        "cseq" => m.cseq().map(drop),
        "max_forwards" => m.max_forwards().map(drop),
        "to" => m.to().map(drop),
        "from" => m.from().map(drop),
        "content_length" => m.content_length().map(drop),
        "validate" => m.validate(),
        other => panic!("unknown accessor {other}"),
    }
}

/// Touch every accessor (must not panic whatever the result).
fn exercise(m: &Message<'_>) {
    let _ = (
        m.start_line(),
        m.method(),
        m.status(),
        m.reason_phrase(),
        m.request_uri(),
    );
    let _ = (
        m.call_id(),
        m.cseq(),
        m.top_via(),
        m.from(),
        m.to(),
        m.max_forwards(),
    );
    let _ = (
        m.content_length(),
        m.content_type(),
        m.user_agent(),
        m.server(),
        m.body(),
    );
    let _ = (
        m.vias().count(),
        m.contacts().count(),
        m.routes().count(),
        m.record_routes().count(),
    );
    let _ = (
        m.reasons().count(),
        m.headers().count(),
        m.header_all("v").count(),
        m.validate(),
    );
    if let Ok(s) = sip::sdp::parse(m.body()) {
        for media in s.media() {
            let _ = media.payload_types().count();
        }
    }
}

#[test]
fn all_49_files_are_covered() {
    let mut names: Vec<&str> = VALID.iter().map(|v| v.file).collect();
    names.extend(REJECT.iter().map(|r| r.0));
    names.extend(FLAG.iter().map(|f| f.0));
    names.sort_unstable();
    names.dedup();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/sip/rfc4475");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort_unstable();
    assert_eq!(files.len(), 49);
    assert_eq!(names, files);
}

#[test]
fn fixtures_are_byte_exact_copies() {
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/rfc4475");
    let names = VALID
        .iter()
        .map(|v| v.file)
        .chain(REJECT.iter().map(|r| r.0))
        .chain(FLAG.iter().map(|f| f.0));
    for f in names {
        let original =
            std::fs::read(shared.join(f)).unwrap_or_else(|e| panic!("../shared/rfc4475/{f}: {e}"));
        assert_eq!(fixture(f), original, "{f}");
    }
}

#[test]
fn valid_messages_parse_with_key_fields() {
    for t in VALID {
        let buf = fixture(t.file);
        let m = parse(&buf).unwrap_or_else(|e| panic!("{}: {e} ({})", t.file, e.code()));
        let f = t.file;
        match t.start {
            Req(method) => assert_eq!(m.method().map(|m| m.as_bytes()), Some(method), "{f}"),
            Resp(code) => assert_eq!(m.status(), Some(code), "{f}"),
        }
        assert_eq!(m.call_id(), t.call_id, "{f} Call-ID");
        let cseq = m.cseq().ok().map(|c| (c.seq, c.method.as_bytes()));
        assert_eq!(cseq, t.cseq, "{f} CSeq");
        assert_eq!(m.top_via().unwrap().branch(), t.branch, "{f} branch");
        assert_eq!(
            m.from().ok().and_then(|n| n.tag()),
            t.from_tag,
            "{f} From tag"
        );
        assert_eq!(m.to().ok().and_then(|n| n.tag()), t.to_tag, "{f} To tag");
        assert_eq!(
            m.max_forwards().unwrap(),
            t.max_forwards,
            "{f} Max-Forwards"
        );
        let vias: Vec<_> = m.vias().collect::<Result<_, _>>().unwrap();
        assert_eq!(vias.len(), t.vias, "{f} Vias");
        assert_eq!(m.body().len(), t.body_len, "{f} body");
        m.validate()
            .unwrap_or_else(|e| panic!("{f}: validate: {e}"));
        exercise(&m);
    }
}

#[test]
fn specific_details() {
    let b = fixture("wsinv.dat");
    let m = parse(&b).unwrap();
    assert_eq!(
        m.request_uri(),
        Some(&b"sip:vivekg@chair-dnrc.example.com;unknownparam"[..])
    );
    assert_eq!(
        m.header("NewFangledHeader"),
        Some(&b"newfangled value\r\n continued newfangled value"[..])
    );
    assert_eq!(
        m.header("UnknownHeaderWithUnusualValue"),
        Some(&b";;,,;;,;"[..])
    );
    assert_eq!(
        m.routes().next().unwrap().unwrap().uri,
        b"sip:services.example.com;lr;unknownwith=value;unknown-no-value"
    );
    assert_eq!(m.to().unwrap().uri, b"sip:vivekg@chair-dnrc.example.com");

    let b = fixture("dblreq.dat");
    let m = parse(&b).unwrap();
    assert!(m.as_bytes().len() < b.len(), "trailing INVITE ignored");
    assert_eq!(m.method(), Some(Method::Register));

    let b = fixture("unreason.dat");
    let m = parse(&b).unwrap();
    let reason = std::str::from_utf8(m.reason_phrase().unwrap()).unwrap();
    assert!(reason.starts_with("= 2**3 * 5**2 но сто"));
    assert_eq!(
        parse(&fixture("noreason.dat")).unwrap().reason_phrase(),
        Some(&b""[..])
    );

    let b = fixture("transports.dat");
    let m = parse(&b).unwrap();
    let t: Vec<_> = m.vias().map(|v| v.unwrap().transport).collect();
    assert_eq!(t, [&b"UDP"[..], b"SCTP", b"TLS", b"UNKNOWN", b"TCP"]);

    let b = fixture("esc02.dat");
    let m = parse(&b).unwrap();
    // `C%6Fntact` is a different (extension) header, not Contact.
    assert_eq!(m.contacts().count(), 2);
    assert_eq!(
        m.header("C%6Fntact"),
        Some(&b"<sip:alias2@host2.example.com>"[..])
    );

    let b = fixture("cparam01.dat");
    let c = parse(&b).unwrap().contacts().next().unwrap().unwrap();
    assert_eq!(
        (c.uri, c.param("unknownparam")),
        (&b"sip:+19725552222@gw1.example.net"[..], Some(&b""[..]))
    );
    let b = fixture("cparam02.dat");
    let c = parse(&b).unwrap().contacts().next().unwrap().unwrap();
    assert_eq!(
        (c.uri, c.param("unknownparam")),
        (&b"sip:+19725552222@gw1.example.net;unknownparam"[..], None)
    );

    let b = fixture("regescrt.dat");
    let c = parse(&b).unwrap().contacts().next().unwrap().unwrap();
    assert_eq!(
        c.uri,
        b"sip:user@example.com?Route=%3Csip:sip.example.com%3E"
    );

    let b = fixture("multi01.dat");
    let m = parse(&b).unwrap();
    assert_eq!(m.header_all("Call-ID").count(), 2);
    assert_eq!(m.header_all("CSeq").count(), 2);

    let b = fixture("lwsdisp.dat");
    assert_eq!(
        parse(&b).unwrap().from().unwrap().display,
        Some(&b"caller"[..])
    );

    let b = fixture("sdp01.dat");
    let m = parse(&b).unwrap();
    let s = sip::sdp::parse(m.body()).unwrap();
    assert!(s.media().count() >= 1);
}

#[test]
fn invalid_messages_are_rejected() {
    for (f, kind) in REJECT {
        let buf = fixture(f);
        let err = parse(&buf).map(|_| ()).unwrap_err();
        assert_eq!(err.kind, *kind, "{f}: {err}");
        assert!(err.offset <= buf.len(), "{f}");
    }
}

#[test]
fn invalid_messages_are_flagged() {
    for (f, acc, kind) in FLAG {
        let buf = fixture(f);
        let m = parse(&buf).unwrap_or_else(|e| panic!("{f}: {e}"));
        let err = accessor(&m, acc).unwrap_err();
        assert_eq!(err.kind, *kind, "{f} {acc}: {err}");
        assert!(err.offset < buf.len(), "{f} {acc}");
        assert!(m.validate().is_err(), "{f}");
        exercise(&m);
    }
    // Overlarge numbers are never wrapped: the CSeq of scalar02 is
    // 36893488147419103232 = 2 * 2^64.
    let b = fixture("scalar02.dat");
    assert_eq!(
        parse(&b).unwrap().cseq().unwrap_err().kind,
        ErrorKind::Overflow
    );
    // mcl01: the datagram bounds the body.
    let b = fixture("mcl01.dat");
    let m = parse(&b).unwrap();
    assert_eq!(m.body().len(), 67);
    assert_eq!(
        parse_stream(&b).unwrap_err().kind,
        ErrorKind::ConflictingContentLength
    );
}

/// Every torture message through the stream framer: a message with a
/// Content-Length frames to exactly what `parse` reads, and every proper
/// prefix of it is `Partial`.
#[test]
fn stream_framer_on_torture_messages() {
    for t in VALID {
        let buf = fixture(t.file);
        let m = parse(&buf).unwrap();
        let Ok(Some(_)) = m.content_length() else {
            continue;
        };
        let len = m.as_bytes().len();
        assert_eq!(
            parse_stream(&buf).unwrap(),
            Status::Complete(len),
            "{}",
            t.file
        );
        for cut in 0..len {
            assert_eq!(
                parse_stream(&buf[..cut]).unwrap(),
                Status::Partial,
                "{} cut {cut}",
                t.file
            );
        }
    }
}
