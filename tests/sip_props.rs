//! Property tests (run in every `cargo test`, modest case counts):
//! arbitrary and mutated input never panics and errors point inside the
//! input; messages rendered from random valid parts parse back to those
//! parts; the stream framer splits concatenations exactly.

use proptest::prelude::*;
use std::path::PathBuf;
use std::sync::OnceLock;
use trunkwatch::sip::{self, parse, parse_stream, Method, Status};

fn fixtures() -> &'static Vec<Vec<u8>> {
    static F: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    F.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/sip");
        let mut out = Vec::new();
        for dir in ["bench", "real", "rfc4475"] {
            let mut paths: Vec<_> = std::fs::read_dir(root.join(dir))
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            paths.sort();
            out.extend(paths.iter().map(|p| std::fs::read(p).unwrap()));
        }
        out
    })
}

/// Run every entry point and accessor; check the invariants that hold for
/// any input.
fn check_any(buf: &[u8]) {
    match parse(buf) {
        Err(e) => assert!(
            e.offset <= buf.len(),
            "offset {} > len {}",
            e.offset,
            buf.len()
        ),
        Ok(m) => {
            let b = m.as_bytes();
            assert!(b.len() <= buf.len());
            let _ = (
                m.start_line(),
                m.call_id(),
                m.content_type(),
                m.user_agent(),
                m.server(),
            );
            for r in [
                m.cseq().map(drop),
                m.top_via().map(drop),
                m.from().map(drop),
                m.to().map(drop),
            ] {
                if let Err(e) = r {
                    assert!(e.offset <= buf.len());
                }
            }
            for v in m.vias().flatten() {
                let _ = v.param("x");
            }
            for list in [m.contacts(), m.routes(), m.record_routes()] {
                for n in list.flatten() {
                    let _ = (n.tag(), n.user(), n.host(), n.param("q"));
                }
            }
            let _ = (
                m.max_forwards(),
                m.content_length(),
                m.reasons().count(),
                m.validate(),
            );
            let _ = (
                m.headers().count(),
                m.header("x-y"),
                m.header_all("v").count(),
            );
            if let Ok(s) = sip::sdp::parse(m.body()) {
                let _ = (s.connection(), s.direction());
                for media in s.media() {
                    let _ = media.payload_types().count();
                }
            }
        }
    }
    match parse_stream(buf) {
        Ok(Status::Complete(n)) => {
            assert!(n <= buf.len());
            // What the framer delimits, the datagram parser accepts whole.
            let m = parse(&buf[..n]).expect("framed message parses");
            assert!(m.as_bytes().len() <= n);
        }
        Ok(Status::Partial) => {}
        Err(e) => assert!(e.offset <= buf.len()),
    }
    let _ = sip::sdp::parse(buf).map(|s| s.media().count());
}

const SIPISH: &[u8] = b"SIP/2.0 INVITE sip:a@b;tag=x,<>\"\\:=\r\n\r\n \tVia: From: To: CSeq: l: 0 9 Content-Length: m=audio c=IN IP4 ";

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(buf in proptest::collection::vec(any::<u8>(), 0..700)) {
        check_any(&buf);
    }

    #[test]
    fn sip_alphabet_never_panics(
        start in prop::sample::select(vec![&b"INVITE sip:a@b SIP/2.0\r\n"[..], b"SIP/2.0 486 Busy\r\n", b""]),
        body in proptest::collection::vec(prop::sample::select(SIPISH.to_vec()), 0..400),
    ) {
        let mut buf = start.to_vec();
        buf.extend_from_slice(&body);
        check_any(&buf);
    }

    #[test]
    fn mutated_real_messages_never_panic(
        which in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..4, any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let f = fixtures();
        let mut buf = f[which.index(f.len())].clone();
        for (at, kind, byte) in edits {
            if buf.is_empty() { break; }
            let i = at.index(buf.len());
            match kind {
                0 => buf[i] = byte,
                1 => buf.insert(i, byte),
                2 => { buf.remove(i); }
                _ => buf[i] = [b'\r', b'\n', b':', b';', b',', b'"', b'<', b' '][byte as usize % 8],
            }
        }
        check_any(&buf);
        let c = cut.index(buf.len() + 1);
        check_any(&buf[..c]);
    }
}

/// Valid parts of a message.
#[derive(Clone, Debug)]
struct Parts {
    request: Option<String>,
    code: u16,
    reason: String,
    user: String,
    host: String,
    call_id: String,
    cseq: u32,
    cseq_method: String,
    branch: String,
    port: Option<u16>,
    display: Option<String>,
    from_tag: String,
    to_tag: Option<String>,
    max_forwards: u8,
    body: Vec<u8>,
    compact: bool,
    lower: bool,
    space_before_colon: bool,
    extra: Vec<(String, String)>,
}

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "PRACK", "UPDATE", "INFO", "REGISTER"
        ])
        .prop_map(String::from),
        "[A-Z][A-Z0-9!%*_+`'~.-]{0,10}",
    ]
}

fn parts() -> impl Strategy<Value = Parts> {
    (
        (
            prop::option::of(method()),
            100u16..700,
            "[A-Za-z][A-Za-z ]{0,20}",
            "[a-z0-9+]{1,12}",
            "[a-z]{1,10}\\.example\\.(com|net)",
        ),
        (
            "[A-Za-z0-9][A-Za-z0-9.@_-]{0,40}",
            0u32..=0x7fff_ffff,
            method(),
            "z9hG4bK[A-Za-z0-9.-]{1,24}",
            prop::option::of(1u16..),
        ),
        (
            prop::option::of("[A-Za-z0-9][A-Za-z0-9 ,;:<>]{0,15}[A-Za-z0-9]"),
            "[A-Za-z0-9-]{1,16}",
            prop::option::of("[A-Za-z0-9-]{1,16}"),
            any::<u8>(),
        ),
        (
            proptest::collection::vec(any::<u8>(), 0..120),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
        ),
        proptest::collection::vec(("X-[A-Za-z]{1,8}", "[a-z0-9][a-z0-9 ]{0,20}[a-z0-9]"), 0..4),
    )
        .prop_map(
            |(
                (request, code, reason, user, host),
                (call_id, cseq, m, branch, port),
                (display, from_tag, to_tag, mf),
                (body, compact, lower, space),
                extra,
            )| {
                let cseq_method = request.clone().unwrap_or(m);
                Parts {
                    request,
                    code,
                    reason,
                    user,
                    host,
                    call_id,
                    cseq,
                    cseq_method,
                    branch,
                    port,
                    display,
                    from_tag,
                    to_tag,
                    max_forwards: mf,
                    body,
                    compact,
                    lower,
                    space_before_colon: space,
                    extra,
                }
            },
        )
}

fn render(p: &Parts) -> Vec<u8> {
    let name = |long: &str, short: &str| {
        let n = if p.compact && !short.is_empty() {
            short.to_string()
        } else {
            long.to_string()
        };
        let n = if p.lower { n.to_lowercase() } else { n };
        if p.space_before_colon {
            format!("{n} :")
        } else {
            format!("{n}:")
        }
    };
    let mut s = match &p.request {
        Some(m) => format!("{m} sip:{}@{} SIP/2.0\r\n", p.user, p.host),
        None => format!("SIP/2.0 {} {}\r\n", p.code, p.reason),
    };
    let port = p.port.map(|x| format!(":{x}")).unwrap_or_default();
    s += &format!(
        "{} SIP/2.0/UDP {}{port};branch={};rport\r\n",
        name("Via", "v"),
        p.host,
        p.branch
    );
    let display = p
        .display
        .as_ref()
        .map(|d| format!("\"{d}\" "))
        .unwrap_or_default();
    s += &format!(
        "{} {display}<sip:{}@{}>;tag={}\r\n",
        name("From", "f"),
        p.user,
        p.host,
        p.from_tag
    );
    let to_tag = p
        .to_tag
        .as_ref()
        .map(|t| format!(";tag={t}"))
        .unwrap_or_default();
    s += &format!("{} sip:{}@{}{to_tag}\r\n", name("To", "t"), p.user, p.host);
    s += &format!("{} {}\r\n", name("Call-ID", "i"), p.call_id);
    s += &format!("{} {} {}\r\n", name("CSeq", ""), p.cseq, p.cseq_method);
    s += &format!("{} {}\r\n", name("Max-Forwards", ""), p.max_forwards);
    for (n, v) in &p.extra {
        s += &format!("{n}: {v}\r\n");
    }
    s += &format!("{} {}\r\n\r\n", name("Content-Length", "l"), p.body.len());
    let mut out = s.into_bytes();
    out.extend_from_slice(&p.body);
    out
}

fn assert_parts(buf: &[u8], p: &Parts) -> Result<(), TestCaseError> {
    let m = parse(buf)
        .map_err(|e| TestCaseError::fail(format!("{e}: {}", String::from_utf8_lossy(buf))))?;
    match &p.request {
        Some(method) => {
            prop_assert_eq!(m.method(), Some(Method::from_bytes(method.as_bytes())));
            let uri = format!("sip:{}@{}", p.user, p.host);
            prop_assert_eq!(m.request_uri(), Some(uri.as_bytes()));
        }
        None => {
            prop_assert_eq!(m.status(), Some(p.code));
            prop_assert_eq!(m.reason_phrase(), Some(p.reason.as_bytes()));
        }
    }
    prop_assert_eq!(m.call_id(), Some(p.call_id.as_bytes()));
    let c = m.cseq().unwrap();
    prop_assert_eq!(c.seq, p.cseq);
    prop_assert_eq!(c.method.as_bytes(), p.cseq_method.as_bytes());
    let v = m.top_via().unwrap();
    prop_assert_eq!(v.branch(), Some(p.branch.as_bytes()));
    prop_assert_eq!(v.host, p.host.as_bytes());
    prop_assert_eq!(v.port, p.port);
    prop_assert_eq!(v.rport(), Some(&b""[..]));
    let f = m.from().unwrap();
    prop_assert_eq!(f.tag(), Some(p.from_tag.as_bytes()));
    prop_assert_eq!(f.display, p.display.as_deref().map(str::as_bytes));
    prop_assert_eq!(f.user(), Some(p.user.as_bytes()));
    prop_assert_eq!(f.host(), Some(p.host.as_bytes()));
    let t = m.to().unwrap();
    prop_assert_eq!(t.tag(), p.to_tag.as_deref().map(str::as_bytes));
    prop_assert_eq!(m.max_forwards().unwrap(), Some(u32::from(p.max_forwards)));
    prop_assert_eq!(m.content_length().unwrap(), Some(p.body.len()));
    prop_assert_eq!(m.body(), &p.body[..]);
    for (n, v) in &p.extra {
        prop_assert!(m.header_all(n).any(|x| x == v.as_bytes()), "{n}: {v}");
        prop_assert!(m.header(n).is_some());
    }
    prop_assert!(m.validate().is_ok());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn rendered_parts_parse_back(p in parts(), trailing in proptest::collection::vec(any::<u8>(), 0..16)) {
        let mut buf = render(&p);
        assert_parts(&buf, &p)?;
        // Octets after the body of a datagram are ignored.
        buf.extend_from_slice(&trailing);
        assert_parts(&buf, &p)?;
    }

    #[test]
    fn stream_framer_splits_concatenations(
        msgs in proptest::collection::vec((parts(), 0usize..3), 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut stream = Vec::new();
        let mut lens = Vec::new();
        for (p, keepalives) in &msgs {
            let start = stream.len();
            for _ in 0..*keepalives {
                stream.extend_from_slice(b"\r\n");
            }
            stream.extend_from_slice(&render(p));
            lens.push(stream.len() - start);
        }
        stream.extend_from_slice(b"\r\n\r\n");
        let mut pos = 0;
        for ((p, _), len) in msgs.iter().zip(&lens) {
            prop_assert_eq!(parse_stream(&stream[pos..]).unwrap(), Status::Complete(*len));
            assert_parts(&stream[pos..pos + len], p)?;
            pos += len;
        }
        prop_assert_eq!(parse_stream(&stream[pos..]).unwrap(), Status::Partial);
        // Any proper prefix of the first message is Partial.
        let c = cut.index(lens[0]);
        prop_assert_eq!(parse_stream(&stream[..c]).unwrap(), Status::Partial);
    }
}
