//! Zero-copy SIP parser (RFC 3261) and a minimal SDP reader.
//!
//! [`parse`] makes one pass over the start line and header block, checks
//! the syntax, and records where the well-known headers are in a small
//! fixed index; every field is a borrowed slice of the input and nothing is
//! allocated. Typed accessors ([`Message::cseq`], [`Message::top_via`],
//! [`Message::from`], ...) tokenise a value only when asked. [`parse_stream`]
//! frames messages on a TCP stream. Errors are small `Copy` values with a
//! kind, a byte offset and a stable [`ErrorKind::code`] label.

mod error;
mod header;
mod message;
mod parse;
mod scan;
pub mod sdp;
mod value;

pub use error::{Error, ErrorKind};
pub(crate) use header::is_token;
pub use header::{canonical_name, name_eq};
pub use message::{CSeq, Header, HeaderValues, Headers, Message, NameAddrs, Reasons, Vias};
pub use parse::{parse, parse_stream, Status};
pub use value::{NameAddr, Reason, Via};

/// A request method (RFC 3261 and extensions). Methods are case-sensitive.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Method<'a> {
    Invite,
    Ack,
    Bye,
    Cancel,
    Register,
    Options,
    Prack,
    Update,
    Info,
    Subscribe,
    Notify,
    Refer,
    Message,
    Publish,
    Other(&'a [u8]),
}

impl<'a> Method<'a> {
    #[inline]
    pub fn from_bytes(b: &'a [u8]) -> Self {
        match b {
            b"INVITE" => Method::Invite,
            b"ACK" => Method::Ack,
            b"BYE" => Method::Bye,
            b"CANCEL" => Method::Cancel,
            b"REGISTER" => Method::Register,
            b"OPTIONS" => Method::Options,
            b"PRACK" => Method::Prack,
            b"UPDATE" => Method::Update,
            b"INFO" => Method::Info,
            b"SUBSCRIBE" => Method::Subscribe,
            b"NOTIFY" => Method::Notify,
            b"REFER" => Method::Refer,
            b"MESSAGE" => Method::Message,
            b"PUBLISH" => Method::Publish,
            other => Method::Other(other),
        }
    }

    /// The method as sent.
    #[inline]
    pub fn as_bytes(&self) -> &'a [u8] {
        match *self {
            Method::Other(b) => b,
            known => known.label().as_bytes(),
        }
    }

    /// The method as text (an extension method is a token, hence ASCII;
    /// anything else reads `"OTHER"`).
    #[inline]
    pub fn as_str(&self) -> &str {
        match *self {
            Method::Other(b) => std::str::from_utf8(b).unwrap_or("OTHER"),
            known => known.label(),
        }
    }

    /// Metric label from a fixed set: extension methods are `"OTHER"`.
    #[inline]
    pub fn label(&self) -> &'static str {
        match self {
            Method::Invite => "INVITE",
            Method::Ack => "ACK",
            Method::Bye => "BYE",
            Method::Cancel => "CANCEL",
            Method::Register => "REGISTER",
            Method::Options => "OPTIONS",
            Method::Prack => "PRACK",
            Method::Update => "UPDATE",
            Method::Info => "INFO",
            Method::Subscribe => "SUBSCRIBE",
            Method::Notify => "NOTIFY",
            Method::Refer => "REFER",
            Method::Message => "MESSAGE",
            Method::Publish => "PUBLISH",
            Method::Other(_) => "OTHER",
        }
    }
}

impl std::fmt::Display for Method<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&String::from_utf8_lossy(self.as_bytes()))
    }
}

/// First line of a message.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum StartLine<'a> {
    Request { method: Method<'a>, uri: &'a [u8] },
    Response { code: u16, reason: &'a [u8] },
}

#[cfg(test)]
mod tests;
