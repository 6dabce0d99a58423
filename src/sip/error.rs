//! Parser errors: a small `Copy` value saying what failed and where.
//!
//! The hot path never allocates, so errors carry no text: a kind with a
//! stable snake_case [`ErrorKind::code`] (usable as a metric label) and the
//! byte offset in the input where the problem was found.

use std::fmt;

/// What was wrong with the input.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Nothing but whitespace/CRLF keep-alives.
    Empty,
    /// The input ended before the message did: no blank line after the
    /// headers, or a Content-Length larger than the datagram.
    Truncated,
    /// The first line is neither a request line nor a status line.
    BadStartLine,
    /// The request method is not a token.
    BadMethod,
    /// The Request-URI is malformed (no scheme, `<>`, LWS, escaped headers).
    BadRequestUri,
    /// A SIP version other than `SIP/2.0`.
    BadVersion,
    /// A status code that is not three digits in 100..=699.
    BadStatusCode,
    /// A header line that is not `token LWS ":" value`.
    BadHeader,
    /// A header the caller asked for is absent.
    MissingHeader,
    /// CSeq is not `number LWS method`.
    BadCSeq,
    /// The CSeq method differs from the request method (RFC 3261 8.1.1.5).
    CSeqMethodMismatch,
    /// A Via value is not `proto/version/transport sent-by *(;param)`.
    BadVia,
    /// A From/To/Contact/Route value is not a name-addr or addr-spec.
    BadNameAddr,
    /// A `;param` is malformed (empty name, empty value after `=`).
    BadParam,
    /// A quoted string without its closing quote.
    UnterminatedQuote,
    /// Max-Forwards is not a number.
    BadMaxForwards,
    /// Content-Length is not a non-negative decimal number.
    BadContentLength,
    /// Several Content-Length values that disagree.
    ConflictingContentLength,
    /// A number larger than its field allows (CSeq > 2^31-1, Max-Forwards
    /// > 255, Content-Length > 2^32-1, port > 65535). Never wrapped.
    Overflow,
    /// A message larger than 4 GiB (offsets are 32 bits).
    TooLarge,
    /// An SDP body line that is not `x=value`, or a malformed `c=`/`m=`.
    BadSdp,
}

impl ErrorKind {
    /// Short stable label, e.g. for `Counters` and metrics.
    pub const fn code(self) -> &'static str {
        match self {
            ErrorKind::Empty => "empty",
            ErrorKind::Truncated => "truncated",
            ErrorKind::BadStartLine => "bad_start_line",
            ErrorKind::BadMethod => "bad_method",
            ErrorKind::BadRequestUri => "bad_request_uri",
            ErrorKind::BadVersion => "bad_version",
            ErrorKind::BadStatusCode => "bad_status_code",
            ErrorKind::BadHeader => "bad_header",
            ErrorKind::MissingHeader => "missing_header",
            ErrorKind::BadCSeq => "bad_cseq",
            ErrorKind::CSeqMethodMismatch => "cseq_method_mismatch",
            ErrorKind::BadVia => "bad_via",
            ErrorKind::BadNameAddr => "bad_name_addr",
            ErrorKind::BadParam => "bad_param",
            ErrorKind::UnterminatedQuote => "unterminated_quote",
            ErrorKind::BadMaxForwards => "bad_max_forwards",
            ErrorKind::BadContentLength => "bad_content_length",
            ErrorKind::ConflictingContentLength => "conflicting_content_length",
            ErrorKind::Overflow => "overflow",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::BadSdp => "bad_sdp",
        }
    }

    /// Human description for logs and reports.
    pub const fn description(self) -> &'static str {
        match self {
            ErrorKind::Empty => "empty message (only CRLF keep-alives)",
            ErrorKind::Truncated => "message truncated",
            ErrorKind::BadStartLine => "malformed start line",
            ErrorKind::BadMethod => "malformed method",
            ErrorKind::BadRequestUri => "malformed Request-URI",
            ErrorKind::BadVersion => "unsupported SIP version (only SIP/2.0)",
            ErrorKind::BadStatusCode => "status code not in 100..=699",
            ErrorKind::BadHeader => "malformed header line",
            ErrorKind::MissingHeader => "required header missing",
            ErrorKind::BadCSeq => "malformed CSeq",
            ErrorKind::CSeqMethodMismatch => "CSeq method differs from request method",
            ErrorKind::BadVia => "malformed Via",
            ErrorKind::BadNameAddr => "malformed name-addr/addr-spec",
            ErrorKind::BadParam => "malformed header parameter",
            ErrorKind::UnterminatedQuote => "unterminated quoted string",
            ErrorKind::BadMaxForwards => "malformed Max-Forwards",
            ErrorKind::BadContentLength => "malformed Content-Length",
            ErrorKind::ConflictingContentLength => "conflicting Content-Length values",
            ErrorKind::Overflow => "number out of range",
            ErrorKind::TooLarge => "message too large",
            ErrorKind::BadSdp => "malformed SDP",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

/// A parse failure: what and at which byte offset of the parsed buffer.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Error {
    pub kind: ErrorKind,
    /// Byte offset into the buffer given to `parse`/`parse_stream`
    /// (for `sdp::parse`: into the body).
    pub offset: usize,
}

impl Error {
    #[inline]
    pub const fn new(kind: ErrorKind, offset: usize) -> Self {
        Error { kind, offset }
    }

    /// Stable label of the kind (`self.kind.code()`).
    #[inline]
    pub const fn code(&self) -> &'static str {
        self.kind.code()
    }

    /// The same error with its offset moved by `base` (sub-parsers work on
    /// a slice and report relative offsets).
    #[inline]
    pub(crate) const fn shift(self, base: usize) -> Self {
        Error {
            kind: self.kind,
            offset: self.offset.saturating_add(base),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.kind.description(), self.offset)
    }
}

impl std::error::Error for Error {}
