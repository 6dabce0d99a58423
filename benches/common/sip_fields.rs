//! The work both the parser bench (`benches/sip_parse.rs`) and its
//! instruction-count driver (`examples/sip_parse_profile.rs`) measure.

/// Parse, then read what a tracker reads per message: the start line
/// (status code or method), Call-ID, CSeq, top Via branch and the From and
/// To tags; summed into a checksum so nothing is optimised away.
#[inline(never)]
pub fn trunkwatch_fields(buf: &[u8]) -> usize {
    let m = trunkwatch::sip::parse(buf).expect("parse");
    let start = match m.status() {
        Some(code) => code as usize,
        None => m.method().expect("method").as_bytes().len(),
    };
    let call_id = m.call_id().expect("Call-ID");
    let cseq = m.cseq().expect("CSeq");
    let branch = m.top_via().expect("Via").branch().expect("branch");
    let from_tag = m.from().expect("From").tag().expect("from tag");
    let to_tag = m.to().expect("To").tag().map_or(0, <[u8]>::len);
    start
        + call_id.len()
        + cseq.seq as usize
        + cseq.method.as_bytes().len()
        + branch.len()
        + from_tag.len()
        + to_tag
}
