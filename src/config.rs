//! Configuration shared by every mode: built from defaults, then a TOML file
//! (`--config`), then command-line flags. Each layer takes its own section.

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The whole configuration. Unknown keys in the file are an error, so a typo
/// never silently falls back to a default.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub decode: DecodeConfig,
    pub track: TrackConfig,
    pub classify: ClassifyConfig,
    pub media: MediaConfig,
    pub webhook: WebhookConfig,
    pub proxy: ProxyConfig,
    /// Serve Prometheus `/metrics` here (`127.0.0.1:9464`).
    pub metrics_listen: Option<SocketAddr>,
}

/// Limits for the decoder; every eviction is counted.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DecodeConfig {
    /// Bytes held for incomplete IP datagrams across all flows.
    pub max_fragment_bytes: usize,
    /// Incomplete IP datagrams expire after this long (capture time).
    pub fragment_timeout_ms: u64,
    /// Bytes buffered per TCP direction waiting for a complete SIP message.
    pub max_tcp_flow_bytes: usize,
    /// Bytes buffered over all TCP flows.
    pub max_tcp_total_bytes: usize,
    /// Idle TCP flows are forgotten after this long (capture time).
    pub tcp_idle_timeout_ms: u64,
    /// TCP/UDP ports treated as TLS (not decodable) besides handshake detection.
    pub tls_ports: Vec<u16>,
}

impl Default for DecodeConfig {
    fn default() -> Self {
        DecodeConfig {
            max_fragment_bytes: 64 << 20,
            fragment_timeout_ms: 30_000,
            max_tcp_flow_bytes: 1 << 20,
            max_tcp_total_bytes: 256 << 20,
            tcp_idle_timeout_ms: 600_000,
            tls_ports: vec![5061],
        }
    }
}

/// Call tracking limits and timers (all on capture time).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrackConfig {
    /// RFC 3261 Timer B: an INVITE with no response at all after this long failed.
    pub timer_b_ms: u64,
    /// Finished calls stay this long so late retransmissions are recognised.
    pub linger_ms: u64,
    /// Open calls kept at most; the oldest are evicted (counted) beyond this.
    pub max_open_calls: usize,
    /// After a 401/407 challenge or a 3xx redirect, how long to wait for the
    /// caller's new INVITE before the challenge/redirect is the outcome. A
    /// phone that prompts its user for a password can take tens of seconds.
    pub retry_wait_ms: u64,
}

impl Default for TrackConfig {
    fn default() -> Self {
        TrackConfig {
            timer_b_ms: 32_000,
            linger_ms: 32_000,
            max_open_calls: 200_000,
            retry_wait_ms: 64_000,
        }
    }
}

/// What the classifier needs to know about the deployment.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClassifyConfig {
    /// Networks (or single addresses as /32, /128) of the Butter platform side;
    /// an INVITE from them is outbound, toward them inbound.
    pub platform_networks: Vec<IpNet>,
    /// Headers carrying the Butter call id, tried in order.
    pub butter_id_headers: Vec<String>,
    /// A CANCEL after ringing this long counts as no-answer (the platform's
    /// ring timeout), not as canceled.
    pub ring_timeout_ms: u64,
    /// Butter call records (JSONL or CSV) to join when no header carries the id.
    pub records: Option<PathBuf>,
    /// How far apart the record's start time and the INVITE may be.
    pub records_window_ms: u64,
}

impl Default for ClassifyConfig {
    fn default() -> Self {
        ClassifyConfig {
            platform_networks: Vec::new(),
            butter_id_headers: vec!["X-Butter-Call-Id".to_string()],
            ring_timeout_ms: 60_000,
            records: None,
            records_window_ms: 120_000,
        }
    }
}

/// Media ("connects but silence") thresholds.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MediaConfig {
    /// An answered call with no RTP at all after this long is `no_media`.
    pub no_media_ms: u64,
    /// A direction whose packets are silence for more than this share is `silent_media`.
    pub silence_share: f64,
    /// Media streams tracked at most (RTP for other streams is counted, not stored).
    pub max_streams: usize,
}

impl Default for MediaConfig {
    fn default() -> Self {
        MediaConfig {
            no_media_ms: 5_000,
            silence_share: 0.95,
            max_streams: 400_000,
        }
    }
}

/// Webhook sink: POST each outcome as JSON.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookConfig {
    pub url: Option<String>,
    /// When set, each body is signed: `X-Trunkwatch-Signature: sha256=<hex HMAC>`.
    pub secret: Option<String>,
    /// Outcomes waiting for delivery at most; beyond this they are dropped (counted).
    pub queue: usize,
    /// Attempts per outcome, with exponential backoff between them.
    pub max_attempts: u32,
    pub initial_backoff_ms: u64,
    pub timeout_ms: u64,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            url: None,
            secret: None,
            queue: 10_000,
            max_attempts: 5,
            initial_backoff_ms: 200,
            timeout_ms: 5_000,
        }
    }
}

/// Inline proxy addresses and protections.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProxyConfig {
    pub listen: Vec<SocketAddr>,
    /// Where requests from the trunk side go (the Butter / LiveKit SIP side).
    pub platform: Option<SocketAddr>,
    /// Where requests from the platform side go (the carrier).
    pub trunk: Option<SocketAddr>,
    /// Sources allowed to send through the proxy; empty means platform and trunk only.
    pub allow: Vec<IpNet>,
    /// Other source networks of the trunk side (carrier signalling nodes
    /// besides `trunk`); allowed, and their requests go to the platform.
    pub trunk_networks: Vec<IpNet>,
    /// Messages per second allowed from one source address (0: unlimited).
    pub rate_limit_per_source: u32,
    /// Largest message accepted, bytes.
    pub max_message_bytes: Option<usize>,
    /// Monitor queue length; a full queue is a counted drop.
    pub monitor_queue: Option<usize>,
}

/// A configuration file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("bad config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
}

impl Config {
    /// Read a TOML file.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim().replace('\n', " "),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_overrides_defaults_and_rejects_typos() {
        let c: Config = toml::from_str(
            "[classify]\nplatform_networks = [\"10.1.0.0/16\"]\nring_timeout_ms = 30000\n",
        )
        .unwrap();
        assert_eq!(c.classify.platform_networks.len(), 1);
        assert_eq!(c.classify.ring_timeout_ms, 30_000);
        assert_eq!(c.classify.butter_id_headers, vec!["X-Butter-Call-Id"]);
        assert_eq!(c.track.timer_b_ms, 32_000);
        assert!(toml::from_str::<Config>("[classify]\nring_timeout = 3\n").is_err());
    }
}

#[cfg(test)]
mod example_tests {
    use super::*;

    /// The example shipped in the repository must always load.
    #[test]
    fn example_config_loads() {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("trunkwatch.example.toml");
        let c = Config::from_file(&p).unwrap();
        assert_eq!(c.classify.platform_networks.len(), 2);
        assert_eq!(c.track.max_open_calls, 200_000);
    }
}
