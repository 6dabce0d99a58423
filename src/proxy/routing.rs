//! RFC 3261 §16.11 stateless proxy logic: pure functions from the bytes of
//! one message (and where it came from) to the bytes to send. No I/O.
//!
//! Requests: drop our own Route entries (loose routing, §16.4), decrement
//! Max-Forwards or answer 483 at zero (§16.3), stamp `received`/`rport` on
//! the sender's Via (§18.2.1, RFC 3581), push our Via whose branch is a keyed
//! hash of the incoming branch (§16.11: retransmissions, the CANCEL and the
//! ACK for a non-2xx all get the same branch as their INVITE), and
//! Record-Route dialog-creating requests (§16.6 step 4). Responses: pop our
//! Via and send to the next one (§16.7 step 3, §18.2.2). Nothing else in the
//! message changes; the body and Content-Length are copied as they are.

use super::splice::{self, Edit, Line, Scanned};
use crate::decode::Transport;
use sha2::{Digest, Sha256};
use std::net::{IpAddr, SocketAddr};
use std::ops::Range;

/// RFC 3261 magic cookie; ours is followed by `tw` so our Via is recognisable.
pub const BRANCH_PREFIX: &[u8] = b"z9hG4bKtw";

/// What to do with one message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Send `bytes` to the next hop.
    Forward {
        bytes: Vec<u8>,
        to: SocketAddr,
        transport: Transport,
        invite: bool,
    },
    /// Answer the sender ourselves (483 Too Many Hops).
    Reply { code: u16, bytes: Vec<u8> },
    /// Drop, counted under this reason.
    Drop(&'static str),
}

/// Where a request came from and where it is going.
#[derive(Clone, Copy, Debug)]
pub struct Hop<'a> {
    /// Transport it arrived on (and is forwarded on).
    pub transport: Transport,
    /// The sender, as seen on the socket.
    pub src: SocketAddr,
    /// Our address as the sender sees it.
    pub local_in: SocketAddr,
    /// Our address as the next hop sees it (Via sent-by, Record-Route).
    pub local_out: SocketAddr,
    /// The next hop.
    pub dest: SocketAddr,
    /// Every address that is us (Route entries naming one are removed).
    pub ours: &'a [SocketAddr],
    /// Key of the branch hash.
    pub secret: &'a [u8],
}

/// Start line of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    Request {
        method: Range<usize>,
        uri: Range<usize>,
    },
    Response {
        code: u16,
    },
}

/// Classify the start line; `Err` names what was wrong.
pub fn kind(buf: &[u8], sc: &Scanned) -> Result<Kind, &'static str> {
    let sl = &buf[sc.start_line.clone()];
    if let Some(rest) = sl.strip_prefix(b"SIP/2.0 ") {
        let code = rest
            .get(..3)
            .and_then(splice::parse_u32)
            .filter(|c| (100..=699).contains(c))
            .ok_or("bad_status_code")?;
        if rest.len() > 3 && rest[3] != b' ' {
            return Err("bad_status_code");
        }
        return Ok(Kind::Response { code: code as u16 });
    }
    let sp1 = memchr::memchr(b' ', sl).ok_or("bad_request_line")?;
    let sp2 = memchr::memrchr(b' ', sl).ok_or("bad_request_line")?;
    if sp1 == 0 || sp2 <= sp1 + 1 || &sl[sp2 + 1..] != b"SIP/2.0" {
        return Err("bad_request_line");
    }
    if !sl[..sp1]
        .iter()
        .all(|c| c.is_ascii_alphabetic() || *c == b'-' || *c == b'_')
    {
        return Err("bad_method");
    }
    let o = sc.start_line.start;
    Ok(Kind::Request {
        method: o..o + sp1,
        uri: o + sp1 + 1..o + sp2,
    })
}

/// One Via value (`SIP/2.0/UDP host:port;params`).
#[derive(Clone, Debug, Default)]
pub struct ViaVal {
    /// The whole value, up to (not including) a separating comma.
    pub value: Range<usize>,
    pub transport: Range<usize>,
    /// Host without IPv6 brackets.
    pub host: Range<usize>,
    pub port: Option<u16>,
    /// `(name, value)` of each `;param`.
    pub params: Vec<(Range<usize>, Option<Range<usize>>)>,
    /// Start of the next value in the same header line, if any.
    pub next: Option<usize>,
}

impl ViaVal {
    pub fn param<'b>(&self, buf: &'b [u8], name: &str) -> Option<Option<&'b [u8]>> {
        self.params
            .iter()
            .find(|(n, _)| buf[n.clone()].eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v.clone().map(|v| &buf[v]))
    }
    fn param_range(&self, buf: &[u8], name: &str) -> Option<&(Range<usize>, Option<Range<usize>>)> {
        self.params
            .iter()
            .find(|(n, _)| buf[n.clone()].eq_ignore_ascii_case(name.as_bytes()))
    }
    pub fn branch<'b>(&self, buf: &'b [u8]) -> Option<&'b [u8]> {
        self.param(buf, "branch").flatten()
    }
}

/// End of the value starting at `s` (first comma outside quotes and `<>`).
fn value_end(buf: &[u8], s: usize, e: usize) -> usize {
    let (mut q, mut angle) = (false, false);
    let mut i = s;
    while i < e {
        match buf[i] {
            b'"' if !angle => q = !q,
            b'\\' if q => i += 1,
            b'<' if !q => angle = true,
            b'>' if !q => angle = false,
            b',' if !q && !angle => return i,
            _ => {}
        }
        i += 1;
    }
    e
}

/// Parse the Via value starting at `s` inside `s..e`.
pub fn parse_via(buf: &[u8], s: usize, e: usize) -> Option<ViaVal> {
    let s = splice::trim_start(buf, s, e);
    let ve = value_end(buf, s, e);
    let next = (ve < e).then(|| splice::trim_start(buf, ve + 1, e));
    let vend = splice::trim_end(buf, s, ve);
    // sent-protocol: SIP / 2.0 / transport, then LWS, then sent-by.
    let v = &buf[s..vend];
    let mut slashes = 0;
    let mut i = 0;
    while i < v.len() && slashes < 2 {
        if v[i] == b'/' {
            slashes += 1;
        }
        i += 1;
    }
    if slashes < 2
        || !v[..i]
            .iter()
            .filter(|c| !c.is_ascii_whitespace())
            .eq(b"SIP/2.0/".iter())
    {
        return None;
    }
    let ts = s + splice::trim_start(v, i, v.len());
    let mut j = ts;
    while j < vend && !buf[j].is_ascii_whitespace() {
        j += 1;
    }
    let transport = ts..j;
    let hs = splice::trim_start(buf, j, vend);
    if hs == j || transport.is_empty() {
        return None;
    }
    let (host, mut k) = if buf.get(hs) == Some(&b'[') {
        let close = memchr::memchr(b']', &buf[hs..vend])? + hs;
        (hs + 1..close, close + 1)
    } else {
        let mut k = hs;
        while k < vend && !matches!(buf[k], b':' | b';' | b' ' | b'\t') {
            k += 1;
        }
        (hs..k, k)
    };
    if host.is_empty() {
        return None;
    }
    k = splice::trim_start(buf, k, vend);
    let mut port = None;
    if buf.get(k) == Some(&b':') && k < vend {
        let ps = splice::trim_start(buf, k + 1, vend);
        let mut pe = ps;
        while pe < vend && buf[pe].is_ascii_digit() {
            pe += 1;
        }
        port = Some(u16::try_from(splice::parse_u32(&buf[ps..pe])?).ok()?);
        k = splice::trim_start(buf, pe, vend);
    }
    let mut params = Vec::new();
    while k < vend {
        if buf[k] != b';' {
            return None;
        }
        let ns = splice::trim_start(buf, k + 1, vend);
        let mut ne = ns;
        while ne < vend && !matches!(buf[ne], b';' | b'=' | b' ' | b'\t') {
            ne += 1;
        }
        let mut after = splice::trim_start(buf, ne, vend);
        let mut val = None;
        if buf.get(after) == Some(&b'=') && after < vend {
            let vs = splice::trim_start(buf, after + 1, vend);
            let mut ve2 = vs;
            if buf.get(vs) == Some(&b'"') {
                ve2 = vs + 1;
                while ve2 < vend && buf[ve2] != b'"' {
                    ve2 += 1;
                }
                ve2 = (ve2 + 1).min(vend);
            } else {
                while ve2 < vend && !matches!(buf[ve2], b';' | b' ' | b'\t') {
                    ve2 += 1;
                }
            }
            val = Some(vs..ve2);
            after = splice::trim_start(buf, ve2, vend);
        }
        if ne == ns {
            return None;
        }
        params.push((ns..ne, val));
        k = after;
    }
    Some(ViaVal {
        value: s..vend,
        transport,
        host,
        port,
        params,
        next,
    })
}

/// An IP literal (`1.2.3.4`, `::1`, `[::1]`).
pub fn parse_ip(b: &[u8]) -> Option<IpAddr> {
    let b = b
        .strip_prefix(b"[")
        .and_then(|b| b.strip_suffix(b"]"))
        .unwrap_or(b);
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// Host and port of a SIP URI inside a name-addr or addr-spec value.
pub fn uri_host_port(v: &[u8]) -> Option<(IpAddr, u16)> {
    let uri = match memchr::memchr(b'<', v) {
        Some(lt) => &v[lt + 1..lt + 1 + memchr::memchr(b'>', &v[lt + 1..])?],
        None => v,
    };
    let (rest, default_port) = if uri.len() >= 4 && uri[..4].eq_ignore_ascii_case(b"sip:") {
        (&uri[4..], 5060)
    } else if uri.len() >= 5 && uri[..5].eq_ignore_ascii_case(b"sips:") {
        (&uri[5..], 5061)
    } else {
        return None;
    };
    let hp_end = rest
        .iter()
        .position(|c| matches!(c, b';' | b'?' | b'>'))
        .unwrap_or(rest.len());
    let mut hp = &rest[..hp_end];
    if let Some(at) = memchr::memrchr(b'@', hp) {
        hp = &hp[at + 1..];
    }
    let (host, port) = if hp.first() == Some(&b'[') {
        let close = memchr::memchr(b']', hp)?;
        (&hp[..=close], &hp[close + 1..])
    } else {
        match memchr::memchr(b':', hp) {
            Some(c) => (&hp[..c], &hp[c..]),
            None => (hp, &hp[hp.len()..]),
        }
    };
    let port = match port.strip_prefix(b":") {
        Some(p) => u16::try_from(splice::parse_u32(p)?).ok()?,
        None if port.is_empty() => default_port,
        None => return None,
    };
    Some((parse_ip(host)?, port))
}

/// The `tag` parameter of a From/To value (outside the `<>` URI).
pub fn tag(v: &[u8]) -> Option<&[u8]> {
    let params = match memchr::memrchr(b'>', v) {
        Some(gt) => &v[gt + 1..],
        None => v,
    };
    let mut rest = params;
    while let Some(sc) = memchr::memchr(b';', rest) {
        rest = &rest[sc + 1..];
        let end = memchr::memchr(b';', rest).unwrap_or(rest.len());
        let p = rest[..end].trim_ascii();
        if let Some(eq) = memchr::memchr(b'=', p) {
            if p[..eq].trim_ascii().eq_ignore_ascii_case(b"tag") {
                return Some(p[eq + 1..].trim_ascii());
            }
        }
    }
    None
}

/// The headers every request and response must carry to be forwarded.
fn check_mandatory(buf: &[u8], sc: &Scanned, request: bool) -> Result<(), &'static str> {
    for (n, c) in [
        ("via", Some("v")),
        ("call-id", Some("i")),
        ("cseq", None),
        ("from", Some("f")),
        ("to", Some("t")),
    ] {
        if sc.find(buf, n, c).is_none() {
            if !request && (n == "from" || n == "to") {
                continue;
            }
            return Err("missing_header");
        }
    }
    Ok(())
}

fn top_via(buf: &[u8], sc: &Scanned) -> Result<(usize, ViaVal), &'static str> {
    let i = sc.position(buf, "via", Some("v")).ok_or("missing_header")?;
    let l = &sc.headers[i];
    let v = parse_via(buf, l.value.start, l.value.end).ok_or("bad_via")?;
    Ok((i, v))
}

/// `;received=`/`;rport=` edits for the sender's Via (RFC 3261 §18.2.1, RFC
/// 3581). `force_rport` fills rport even when the sender did not ask (used
/// on TCP so the response finds the same connection).
fn stamp_via(buf: &[u8], v: &ViaVal, src: SocketAddr, force_rport: bool) -> Vec<Edit> {
    let mut edits = Vec::new();
    let rport = v.param_range(buf, "rport");
    let host_is_src = parse_ip(&buf[v.host.clone()]) == Some(src.ip());
    if host_is_src && rport.is_none() && !force_rport {
        return edits;
    }
    let ip = src.ip().to_string();
    match rport {
        Some((n, None)) => edits.push(Edit {
            at: n.clone(),
            with: format!("rport={}", src.port()).into_bytes(),
        }),
        Some((_, Some(val))) => edits.push(Edit {
            at: val.clone(),
            with: src.port().to_string().into_bytes(),
        }),
        None if force_rport => edits.push(Edit::insert(
            v.value.end,
            format!(";rport={}", src.port()).into_bytes(),
        )),
        None => {}
    }
    match v.param_range(buf, "received") {
        Some((_, Some(val))) => edits.push(Edit {
            at: val.clone(),
            with: ip.into_bytes(),
        }),
        Some((n, None)) => edits.push(Edit {
            at: n.clone(),
            with: format!("received={ip}").into_bytes(),
        }),
        None => edits.push(Edit::insert(
            v.value.end,
            format!(";received={ip}").into_bytes(),
        )),
    }
    edits
}

/// The branch for our Via: keyed hash of the incoming branch, or for an
/// RFC 2543 sender (no magic cookie) of the fields §16.11 names, minus the
/// To tag so an ACK for a non-2xx matches its INVITE.
pub fn derive_branch(buf: &[u8], sc: &Scanned, v: &ViaVal, secret: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(secret);
    match v.branch(buf) {
        Some(b) if b.starts_with(b"z9hG4bK") => {
            h.update(b"3261");
            h.update(b);
        }
        _ => {
            h.update(b"2543");
            h.update(&buf[v.value.clone()]);
            for (n, c) in [("call-id", Some("i")), ("cseq", None)] {
                if let Some(l) = sc.find(buf, n, c) {
                    let val = &buf[l.value.clone()];
                    // CSeq number only: the CANCEL/ACK method differs from the INVITE.
                    let val = if n == "cseq" {
                        val.split(|c| *c == b' ').next().unwrap_or(val)
                    } else {
                        val
                    };
                    h.update(val);
                    h.update(b"\0");
                }
            }
            if let Some(f) = sc.find(buf, "from", Some("f")) {
                h.update(tag(&buf[f.value.clone()]).unwrap_or_default());
            }
            if let Ok(Kind::Request { uri, .. }) = kind(buf, sc) {
                h.update(&buf[uri]);
            }
        }
    }
    let d = h.finalize();
    let mut s = String::with_capacity(BRANCH_PREFIX.len() + 20);
    s.push_str(std::str::from_utf8(BRANCH_PREFIX).unwrap_or("z9hG4bK"));
    for b in &d[..10] {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// `host:port` as written in SIP (IPv6 in brackets).
pub fn hostport(a: SocketAddr) -> String {
    match a {
        SocketAddr::V4(v) => format!("{}:{}", v.ip(), v.port()),
        SocketAddr::V6(v) => format!("[{}]:{}", v.ip(), v.port()),
    }
}

fn transport_token(t: Transport) -> &'static str {
    match t {
        Transport::Udp => "UDP",
        Transport::Tcp => "TCP",
        Transport::Tls => "TLS",
        Transport::Sctp => "SCTP",
        Transport::Ws => "WS",
    }
}

fn is_dialog_creating(m: &[u8]) -> bool {
    [&b"INVITE"[..], b"SUBSCRIBE", b"REFER", b"NOTIFY"].contains(&m)
}

/// Every Route value in order: (header line index, value range).
fn route_values(buf: &[u8], sc: &Scanned) -> Vec<(usize, Range<usize>)> {
    let mut out = Vec::new();
    for (i, l) in sc.headers.iter().enumerate() {
        if !splice::is_name(buf, l, "route", None) {
            continue;
        }
        let mut s = l.value.start;
        while s < l.value.end {
            let e = value_end(buf, s, l.value.end);
            out.push((i, s..splice::trim_end(buf, s, e)));
            s = splice::trim_start(buf, (e + 1).min(l.value.end), l.value.end);
            if e >= l.value.end {
                break;
            }
        }
    }
    out
}

/// Edits removing the leading Route values that name us.
fn strip_our_routes(buf: &[u8], sc: &Scanned, ours: &[SocketAddr]) -> Vec<Edit> {
    let vals = route_values(buf, sc);
    let n = vals
        .iter()
        .take_while(|(_, r)| {
            uri_host_port(&buf[r.clone()])
                .is_some_and(|(ip, port)| ours.iter().any(|o| o.ip() == ip && o.port() == port))
        })
        .count();
    let mut edits = Vec::new();
    let mut k = 0;
    while k < n {
        let line = vals[k].0;
        let in_line = vals.iter().filter(|(l, _)| *l == line).count();
        let removed = vals[k..n].iter().take_while(|(l, _)| *l == line).count();
        let l: &Line = &sc.headers[line];
        if removed == in_line {
            edits.push(Edit::remove(l.line.clone()));
        } else {
            // Keep the rest of the line: cut from the first removed value to the first kept one.
            edits.push(Edit::remove(vals[k].1.start..vals[k + removed].1.start));
        }
        k += removed;
    }
    edits
}

/// Forward a request (the caller chose `hop.dest` from the side it came from).
pub fn route_request(buf: &[u8], sc: &Scanned, hop: &Hop<'_>) -> Decision {
    let (method, _uri) = match kind(buf, sc) {
        Ok(Kind::Request { method, uri }) => (method, uri),
        Ok(Kind::Response { .. }) => return Decision::Drop("not_a_request"),
        Err(e) => return Decision::Drop(e),
    };
    if let Err(e) = check_mandatory(buf, sc, true) {
        return Decision::Drop(e);
    }
    let m = &buf[method];
    let (via_idx, via) = match top_via(buf, sc) {
        Ok(v) => v,
        Err(e) => return Decision::Drop(e),
    };
    let force_rport = hop.transport.is_stream();
    let mut edits: Vec<Edit> = Vec::with_capacity(8);

    // §16.3 step 3 / §16.6 step 3: Max-Forwards.
    let mut mf_insert = false;
    match sc.find(buf, "max-forwards", None) {
        Some(l) => match splice::parse_u32(&buf[l.value.clone()]) {
            Some(0) if m == b"ACK" => return Decision::Drop("max_forwards_ack"),
            Some(0) => {
                let bytes = synth_response(
                    buf,
                    sc,
                    483,
                    "Too Many Hops",
                    hop.src,
                    force_rport,
                    hop.secret,
                    &[],
                );
                return Decision::Reply { code: 483, bytes };
            }
            Some(n) => edits.push(Edit {
                at: l.value.clone(),
                with: (n.min(256) - 1).to_string().into_bytes(),
            }),
            None => return Decision::Drop("bad_max_forwards"),
        },
        None => mf_insert = true,
    }

    // §16.4: loose routing, our own entries leave the Route set.
    edits.extend(strip_our_routes(buf, sc, hop.ours));

    // §18.2.1: where the sender really is.
    edits.extend(stamp_via(buf, &via, hop.src, force_rport));

    // Our Via (and Record-Route, Max-Forwards) go above the sender's Via.
    let at = sc.headers[via_idx].line.start;
    let branch = derive_branch(buf, sc, &via, hop.secret);
    let proto = transport_token(hop.transport);
    let mut ins = format!(
        "Via: SIP/2.0/{proto} {};branch={branch}",
        hostport(hop.local_out)
    );
    if hop.transport == Transport::Udp {
        ins.push_str(";rport");
    }
    ins.push_str("\r\n");
    edits.push(Edit::insert(at, ins.into_bytes()));
    let to_tag = sc
        .find(buf, "to", Some("t"))
        .and_then(|l| tag(&buf[l.value.clone()]));
    if is_dialog_creating(m) && to_tag.is_none() {
        let tp = if hop.transport == Transport::Tcp {
            ";transport=tcp"
        } else {
            ""
        };
        let mut rr = format!("Record-Route: <sip:{}{tp};lr>\r\n", hostport(hop.local_out));
        if hop.local_in != hop.local_out {
            rr.push_str(&format!(
                "Record-Route: <sip:{}{tp};lr>\r\n",
                hostport(hop.local_in)
            ));
        }
        let rr_at = sc
            .find(buf, "record-route", None)
            .map_or(at, |l| l.line.start);
        edits.push(Edit::insert(rr_at, rr.into_bytes()));
    }
    if mf_insert {
        edits.push(Edit::insert(at, b"Max-Forwards: 70\r\n".to_vec()));
    }
    Decision::Forward {
        bytes: splice::apply(buf, sc.end, &mut edits),
        to: hop.dest,
        transport: hop.transport,
        invite: m == b"INVITE",
    }
}

/// Whether this Via is one we pushed.
pub fn via_is_ours(buf: &[u8], v: &ViaVal, ours: &[SocketAddr]) -> bool {
    let Some(ip) = parse_ip(&buf[v.host.clone()]) else {
        return false;
    };
    let port = v.port.unwrap_or(5060);
    v.branch(buf).is_some_and(|b| b.starts_with(BRANCH_PREFIX))
        && ours.iter().any(|o| o.ip() == ip && o.port() == port)
}

/// Where a response goes: the Via below ours (`received`/`rport` honoured).
pub fn route_response(buf: &[u8], sc: &Scanned, ours: &[SocketAddr]) -> Decision {
    match kind(buf, sc) {
        Ok(Kind::Response { .. }) => {}
        Ok(Kind::Request { .. }) => return Decision::Drop("not_a_response"),
        Err(e) => return Decision::Drop(e),
    }
    if let Err(e) = check_mandatory(buf, sc, false) {
        return Decision::Drop(e);
    }
    let (idx, top) = match top_via(buf, sc) {
        Ok(v) => v,
        Err(e) => return Decision::Drop(e),
    };
    if !via_is_ours(buf, &top, ours) {
        return Decision::Drop("response_not_ours");
    }
    let line = &sc.headers[idx];
    let (edit, next) = match top.next {
        // More values on the same line: remove ours and the comma.
        Some(n) => (
            Edit::remove(top.value.start..n),
            parse_via(buf, n, line.value.end),
        ),
        None => {
            let next_line = sc.headers[idx + 1..]
                .iter()
                .find(|l| splice::is_name(buf, l, "via", Some("v")));
            (
                Edit::remove(line.line.clone()),
                next_line.and_then(|l| parse_via(buf, l.value.start, l.value.end)),
            )
        }
    };
    let Some(next) = next else {
        return Decision::Drop("response_no_next_via");
    };
    let transport = match &buf[next.transport.clone()] {
        t if t.eq_ignore_ascii_case(b"UDP") => Transport::Udp,
        t if t.eq_ignore_ascii_case(b"TCP") => Transport::Tcp,
        _ => return Decision::Drop("unsupported_transport"),
    };
    let ip = next
        .param(buf, "received")
        .flatten()
        .and_then(parse_ip)
        .or_else(|| parse_ip(&buf[next.host.clone()]));
    let Some(ip) = ip else {
        return Decision::Drop("via_host_not_ip");
    };
    let port = match next
        .param(buf, "rport")
        .flatten()
        .and_then(splice::parse_u32)
    {
        Some(p) if p > 0 && p <= 65535 => p as u16,
        _ => next.port.unwrap_or(5060),
    };
    let mut edits = [edit];
    Decision::Forward {
        bytes: splice::apply(buf, sc.end, &mut edits),
        to: SocketAddr::new(ip, port),
        transport,
        invite: false,
    }
}

/// A response generated by the proxy itself (483, 503), per §8.2.6: Via
/// (sender's stamped), From, To (with a stable tag), Call-ID and CSeq copied.
#[allow(clippy::too_many_arguments)]
pub fn synth_response(
    buf: &[u8],
    sc: &Scanned,
    code: u16,
    reason: &str,
    src: SocketAddr,
    force_rport: bool,
    secret: &[u8],
    extra: &[&str],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(format!("SIP/2.0 {code} {reason}\r\n").as_bytes());
    let mut first_via = true;
    for l in &sc.headers {
        let name = if splice::is_name(buf, l, "via", Some("v")) {
            "Via"
        } else if splice::is_name(buf, l, "from", Some("f")) {
            "From"
        } else if splice::is_name(buf, l, "to", Some("t")) {
            "To"
        } else if splice::is_name(buf, l, "call-id", Some("i")) {
            "Call-ID"
        } else if splice::is_name(buf, l, "cseq", None) {
            "CSeq"
        } else {
            continue;
        };
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        let v = l.value.clone();
        if name == "Via" && first_via {
            first_via = false;
            if let Some(via) = parse_via(buf, v.start, v.end) {
                let mut e = stamp_via(buf, &via, src, force_rport);
                let mut one = splice::apply(buf, v.end, &mut e);
                one.drain(..v.start);
                out.extend_from_slice(&one);
                out.extend_from_slice(b"\r\n");
                continue;
            }
        }
        out.extend_from_slice(&buf[v.clone()]);
        if name == "To" && tag(&buf[v]).is_none() {
            let mut h = Sha256::new();
            h.update(secret);
            h.update(b"totag");
            if let Some(c) = sc.find(buf, "call-id", Some("i")) {
                h.update(&buf[c.value.clone()]);
            }
            let d = h.finalize();
            out.extend_from_slice(b";tag=tw");
            for b in &d[..6] {
                out.extend_from_slice(format!("{b:02x}").as_bytes());
            }
        }
        out.extend_from_slice(b"\r\n");
    }
    for e in extra {
        out.extend_from_slice(e.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"Server: trunkwatch\r\nContent-Length: 0\r\n\r\n");
    out
}
