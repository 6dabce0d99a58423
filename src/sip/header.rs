//! Header names: the well-known ones the parser indexes, compact forms
//! (RFC 3261 7.3.3 and later RFCs), case-insensitive comparison, and the
//! byte classes shared by the tokenizers.

/// RFC 3261 25.1 `token` characters.
const fn token_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
            );
        c += 1;
    }
    t
}

static TOKEN: [bool; 256] = token_table();

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

impl Known {
    /// Canonical (long) name.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Known::CallId => "Call-ID",
            Known::CSeq => "CSeq",
            Known::Via => "Via",
            Known::From => "From",
            Known::To => "To",
            Known::ContentLength => "Content-Length",
            Known::Contact => "Contact",
            Known::Reason => "Reason",
            Known::ContentType => "Content-Type",
            Known::MaxForwards => "Max-Forwards",
            Known::RecordRoute => "Record-Route",
            Known::Route => "Route",
            Known::UserAgent => "User-Agent",
            Known::Server => "Server",
        }
    }
}

/// Classify a header name; dispatch on length and first byte so the common
/// case costs one or two comparisons.
#[inline]
pub(crate) fn known(name: &[u8]) -> Option<Known> {
    let first = *name.first()? | 0x20;
    let k = match (name.len(), first) {
        (1, b'i') => Known::CallId,
        (1, b'v') => Known::Via,
        (1, b'f') => Known::From,
        (1, b't') => Known::To,
        (1, b'l') => Known::ContentLength,
        (1, b'm') => Known::Contact,
        (1, b'c') => Known::ContentType,
        (1, _) => return None,
        (2, b't') => Known::To,
        (3, b'v') => Known::Via,
        (4, b'f') => Known::From,
        (4, b'c') => Known::CSeq,
        (5, b'r') => Known::Route,
        (6, b's') => Known::Server,
        (6, b'r') => Known::Reason,
        (7, b'c') => {
            if name[1] | 0x20 == b'a' {
                Known::CallId
            } else {
                Known::Contact
            }
        }
        (10, b'u') => Known::UserAgent,
        (12, b'c') => Known::ContentType,
        (12, b'm') => Known::MaxForwards,
        (12, b'r') => Known::RecordRoute,
        (14, b'c') => Known::ContentLength,
        _ => return None,
    };
    if name.len() == 1 || name.eq_ignore_ascii_case(k.name().as_bytes()) {
        Some(k)
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
