//! Per-call state: calls keyed by Call-ID, the initial INVITE transaction,
//! retransmissions, challenges, redirects, forks, CANCEL, BYE and timers on
//! capture time. No I/O.

pub mod record;

pub use record::{CallMedia, CallRecord, Progress, ReasonInfo};
