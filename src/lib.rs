//! trunkwatch: SIP trunk edge monitor.
//!
//! Data flows one way: [`capture`] → [`decode`] → [`sip`] → [`track`] →
//! [`classify`] → [`sink`]. The middle four do no I/O and never touch tokio,
//! so a replay is deterministic. [`proxy`] is both a source and a forwarder.

pub mod capture;
pub mod classify;
pub mod config;
pub mod decode;
pub mod media;
pub mod outcome;
pub mod pipeline;
pub mod proxy;
pub mod replay;
pub mod sink;
pub mod sip;
pub mod stats;
pub mod telemetry;
pub mod time;
pub mod track;
