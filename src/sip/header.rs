//! Header names: the well-known ones the parser indexes, compact forms
//! (RFC 3261 7.3.3 and later RFCs), case-insensitive comparison, and the
//! byte classes shared by the tokenizers.

/// A byte class: ASCII letters and digits plus the bytes in `extra`.
pub(crate) const fn alnum_and(extra: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = (c as u8).is_ascii_alphanumeric();
        c += 1;
    }
    let mut i = 0;
    while i < extra.len() {
        t[extra[i] as usize] = true;
        i += 1;
    }
    t
}

/// RFC 3261 25.1 `token` characters.
pub(crate) static TOKEN: [bool; 256] = alnum_and(b"-.!%*_+`'~");

#[inline(always)]
pub(crate) fn is_token(b: u8) -> bool {
    TOKEN[b as usize]
}

/// `LWS`/`SWS` bytes: folding has already been validated, so inside a
/// header value CR and LF only ever appear as part of a fold.
#[inline(always)]
pub(crate) fn is_lws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Strip leading and trailing LWS.
#[inline]
pub(crate) fn trim(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if is_lws(*first) {
            s = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = s {
        if is_lws(*last) {
            s = rest;
        } else {
            break;
        }
    }
    s
}

/// Well-known headers whose first occurrence is recorded at parse time.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Known {
    CallId = 0,
    CSeq,
    Via,
    From,
    To,
    ContentLength,
    Contact,
    Reason,
    ContentType,
    MaxForwards,
    RecordRoute,
    Route,
    UserAgent,
    Server,
}

/// Number of [`Known`] headers (size of the index).
pub(crate) const KNOWN_COUNT: usize = 14;

/// `name` (token characters only) equals the lowercase `lower`, ignoring
/// ASCII case: `| 0x20` folds case and maps no other token byte onto a
/// letter or `-`.
#[inline(always)]
fn eq_lower(name: &[u8], lower: &[u8]) -> bool {
    name.len() == lower.len() && name.iter().zip(lower).all(|(&a, &b)| a | 0x20 == b)
}

/// Classify a header name already checked to be a token; dispatch on
/// length and first byte so the common case costs one or two comparisons.
#[inline(always)]
pub(crate) fn known(name: &[u8]) -> Option<Known> {
    // Lengths of the indexed names and their compact forms: most other
    // names are ruled out by one bit test, before any table jump.
    const LENGTHS: u32 =
        1 << 1 | 1 << 2 | 1 << 3 | 1 << 4 | 1 << 5 | 1 << 6 | 1 << 7 | 1 << 10 | 1 << 12 | 1 << 14;
    if name.len() >= 32 || (LENGTHS >> name.len()) & 1 == 0 {
        return None;
    }
    let first = *name.first()? | 0x20;
    let (k, lower): (Known, &[u8]) = match (name.len(), first) {
        (1, b'i') => return Some(Known::CallId),
        (1, b'v') => return Some(Known::Via),
        (1, b'f') => return Some(Known::From),
        (1, b't') => return Some(Known::To),
        (1, b'l') => return Some(Known::ContentLength),
        (1, b'm') => return Some(Known::Contact),
        (1, b'c') => return Some(Known::ContentType),
        (2, b't') => (Known::To, b"to"),
        (3, b'v') => (Known::Via, b"via"),
        (4, b'f') => (Known::From, b"from"),
        (4, b'c') => (Known::CSeq, b"cseq"),
        (5, b'r') => (Known::Route, b"route"),
        (6, b's') => (Known::Server, b"server"),
        (6, b'r') => (Known::Reason, b"reason"),
        (7, b'c') => {
            if name[1] | 0x20 == b'a' {
                (Known::CallId, b"call-id")
            } else {
                (Known::Contact, b"contact")
            }
        }
        (10, b'u') => (Known::UserAgent, b"user-agent"),
        (12, b'c') => (Known::ContentType, b"content-type"),
        (12, b'm') => (Known::MaxForwards, b"max-forwards"),
        (12, b'r') => (Known::RecordRoute, b"record-route"),
        (14, b'c') => (Known::ContentLength, b"content-length"),
        _ => return None,
    };
    eq_lower(name, lower).then_some(k)
}

/// [`known`] for a caller-supplied name that may contain any byte.
#[inline]
pub(crate) fn known_checked(name: &[u8]) -> Option<Known> {
    if name.iter().all(|&b| is_token(b)) {
        known(name)
    } else {
        None
    }
}

/// Compact forms: RFC 3261 7.3.3 (i m e l c f s k t v), RFC 3265 (o u),
/// RFC 3515 (r), RFC 3892 (b), RFC 4028 (x), RFC 4474/8224 (y n),
/// RFC 3841 (a j d).
const COMPACT: [(u8, &str); 20] = [
    (b'a', "Accept-Contact"),
    (b'b', "Referred-By"),
    (b'c', "Content-Type"),
    (b'd', "Request-Disposition"),
    (b'e', "Content-Encoding"),
    (b'f', "From"),
    (b'i', "Call-ID"),
    (b'j', "Reject-Contact"),
    (b'k', "Supported"),
    (b'l', "Content-Length"),
    (b'm', "Contact"),
    (b'n', "Identity-Info"),
    (b'o', "Event"),
    (b'r', "Refer-To"),
    (b's', "Subject"),
    (b't', "To"),
    (b'u', "Allow-Events"),
    (b'v', "Via"),
    (b'x', "Session-Expires"),
    (b'y', "Identity"),
];

/// The long form of a header name: a compact letter is expanded, anything
/// else is returned as is.
pub fn canonical_name(name: &[u8]) -> &[u8] {
    if let [c] = name {
        let c = c | 0x20;
        for (letter, long) in COMPACT.iter() {
            if *letter == c {
                return long.as_bytes();
            }
        }
    }
    name
}

/// Case-insensitive header-name equality with compact forms equivalent
/// (`"i"` == `"Call-ID"`).
#[inline]
pub fn name_eq(a: &[u8], b: &[u8]) -> bool {
    a.eq_ignore_ascii_case(b) || canonical_name(a).eq_ignore_ascii_case(canonical_name(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names_and_compact_forms() {
        assert_eq!(known(b"Call-ID"), Some(Known::CallId));
        assert_eq!(known(b"call-id"), Some(Known::CallId));
        assert_eq!(known(b"i"), Some(Known::CallId));
        assert_eq!(known(b"Contact"), Some(Known::Contact));
        assert_eq!(known(b"M"), Some(Known::Contact));
        assert_eq!(known(b"MaX-fOrWaRdS"), Some(Known::MaxForwards));
        assert_eq!(known(b"Content-Length"), Some(Known::ContentLength));
        assert_eq!(known(b"Content-Lengtx"), None);
        assert_eq!(known(b"k"), None);
        assert_eq!(known(b""), None);
        assert!(name_eq(b"k", b"Supported"));
        assert!(name_eq(b"SUPPORTED", b"k"));
        assert!(name_eq(b"o", b"event"));
        assert!(!name_eq(b"o", b"Organization"));
        assert!(name_eq(b"X-Butter-Call-Id", b"x-butter-call-id"));
    }

    #[test]
    fn token_and_trim() {
        assert!(is_token(b'!') && is_token(b'~') && !is_token(b':') && !is_token(b' '));
        assert_eq!(trim(b" \r\n a b\t"), b"a b");
        assert_eq!(trim(b"   "), b"");
    }
}
