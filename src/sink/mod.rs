//! Outputs: JSON lines, the end-of-run summary, webhooks and Prometheus
//! metrics. The only layer after `classify`, and the one that does I/O.

pub mod jsonl;
pub mod metrics;
pub mod summary;
pub mod webhook;

pub use jsonl::JsonlSink;
pub use summary::Summary;
pub use webhook::{WebhookSink, WebhookStats};
