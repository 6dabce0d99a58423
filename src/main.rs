//! trunkwatch command line: parse flags, build the [`Config`], run a mode.
//!
//! Exit codes: 0 done; 1 runtime failure; 2 bad usage or unreadable input.

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use trunkwatch::classify::Classifier;
use trunkwatch::config::Config;
use trunkwatch::pipeline::{Pipeline, Sinks};
use trunkwatch::sink;

/// SIP trunk edge monitor: why did each call end, in Butter's words.
///
/// Reads SIP from capture files, a live interface, or inline as a stateless
/// proxy, and prints one classified outcome per call as a JSON line.
#[derive(Debug, Parser)]
#[command(name = "trunkwatch", version, about, long_about = None)]
#[command(
    after_help = "Exit codes: 0 done, 1 runtime failure, 2 bad usage or unreadable input.\n\
Examples:\n  trunkwatch replay capture.pcapng > outcomes.jsonl\n  trunkwatch replay --summary json a.pcap b.pcap.gz\n  trunkwatch explain 486"
)]
struct Cli {
    /// More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Replay pcap/pcapng captures (also .gz; several files are merged by time).
    Replay(ReplayArgs),
    /// Sniff an interface live with libpcap (build with --features live-capture).
    Capture(CaptureArgs),
    /// Run inline as a stateless SIP edge proxy between platform and trunk.
    Proxy(ProxyArgs),
    /// Explain a SIP response code: meaning, usual cause, action, Butter status.
    Explain(ExplainArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
enum SummaryFormat {
    Text,
    Json,
    None,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
enum When {
    Auto,
    Always,
    Never,
}

/// Options shared by every mode; each also has a key in the `--config` file.
#[derive(Debug, Args)]
struct Common {
    /// TOML configuration file (see README); flags override it.
    #[arg(short, long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Network of the Butter platform side (repeatable), e.g. 10.20.0.0/16 or 192.0.2.7/32:
    /// INVITEs from it are outbound, toward it inbound.
    #[arg(long = "platform-net", value_name = "CIDR")]
    platform_nets: Vec<ipnet::IpNet>,
    /// Header carrying the Butter call id (repeatable; default X-Butter-Call-Id).
    #[arg(long = "id-header", value_name = "NAME")]
    id_headers: Vec<String>,
    /// Butter call records (JSONL or CSV) to join calls that carry no id header.
    #[arg(long, value_name = "FILE")]
    records: Option<PathBuf>,
    /// Ring timeout in seconds: a CANCEL after ringing this long counts as no-answer.
    #[arg(long, value_name = "SECS")]
    ring_timeout: Option<f64>,
    /// Open calls kept at most (the oldest are flushed as open, counted).
    #[arg(long, value_name = "N")]
    max_open_calls: Option<usize>,
    /// Write outcomes (JSON lines) here instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Summary on stderr at the end: a table for people, or JSON for machines.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
    summary: SummaryFormat,
    /// Serve Prometheus metrics at http://ADDR/metrics (e.g. 127.0.0.1:9464).
    #[arg(long, value_name = "ADDR")]
    metrics_listen: Option<SocketAddr>,
    /// POST each outcome as JSON to this URL.
    #[arg(long, value_name = "URL")]
    webhook: Option<String>,
    /// Sign webhook bodies with HMAC-SHA256 using this secret.
    #[arg(
        long,
        value_name = "SECRET",
        env = "TRUNKWATCH_WEBHOOK_SECRET",
        hide_env_values = true
    )]
    webhook_secret: Option<String>,
}

#[derive(Debug, Args)]
struct ReplayArgs {
    /// Capture files: pcap or pcapng, optionally gzip-compressed.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Replay at capture pace (for dashboards watching the metrics).
    #[arg(long)]
    realtime: bool,
    /// Replay at X times capture pace (implies --realtime).
    #[arg(long, value_name = "X")]
    speed: Option<f64>,
    /// Progress bar on stderr: auto shows it on a terminal for long replays.
    #[arg(long, value_enum, default_value_t = When::Auto)]
    progress: When,
    /// After the replay, keep serving /metrics until interrupted.
    #[arg(long)]
    hold_metrics: bool,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, Args)]
struct CaptureArgs {
    /// Interface to sniff (e.g. eth0, any, lo).
    #[arg(short, long, value_name = "IFACE")]
    interface: String,
    /// BPF filter; the default keeps all UDP, TCP, SCTP and IP fragments,
    /// since SIP runs on any port and later fragments carry no port.
    #[arg(short, long, value_name = "BPF")]
    filter: Option<String>,
    /// Bytes captured per packet.
    #[arg(long, default_value_t = 262_144)]
    snaplen: u32,
    /// Do not put the interface in promiscuous mode.
    #[arg(long)]
    no_promisc: bool,
    /// Stop after this many seconds (default: until SIGINT/SIGTERM).
    #[arg(long, value_name = "SECS")]
    duration: Option<f64>,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, Args)]
struct ProxyArgs {
    /// Address to listen on, UDP and TCP (repeatable; IPv4 or IPv6).
    #[arg(long, value_name = "ADDR")]
    listen: Vec<SocketAddr>,
    /// The platform side (Butter / LiveKit SIP or the PBX): requests from the trunk go here.
    #[arg(long, value_name = "ADDR")]
    platform: Option<SocketAddr>,
    /// The carrier trunk: requests from the platform go here.
    #[arg(long, value_name = "ADDR")]
    trunk: Option<SocketAddr>,
    /// Source networks allowed to use the proxy (repeatable; default: platform and trunk hosts).
    #[arg(long, value_name = "CIDR")]
    allow: Vec<ipnet::IpNet>,
    /// Messages per second allowed from one source address (0: unlimited).
    #[arg(long, value_name = "N")]
    rate_limit: Option<u32>,
    /// Stop after this many seconds (default: until SIGINT/SIGTERM).
    #[arg(long, value_name = "SECS")]
    duration: Option<f64>,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, Args)]
struct ExplainArgs {
    /// SIP response code, 100 to 699.
    code: u16,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// An error with the exit code it deserves.
struct Failure {
    code: u8,
    error: anyhow::Error,
}

impl Failure {
    fn usage(e: impl Into<anyhow::Error>) -> Self {
        Failure {
            code: 2,
            error: e.into(),
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Failure { code: 1, error }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    sink_logging(cli.verbose);
    let result = match cli.command {
        Command::Replay(a) => replay(a),
        Command::Capture(a) => capture(a),
        Command::Proxy(a) => proxy(a),
        Command::Explain(a) => explain(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            // One clear line, with the chain of causes, never a backtrace.
            let mut msg = f.error.to_string();
            for cause in f.error.chain().skip(1) {
                let c = cause.to_string();
                if !msg.contains(&c) {
                    msg.push_str(": ");
                    msg.push_str(&c);
                }
            }
            let _ = writeln!(std::io::stderr(), "trunkwatch: error: {msg}");
            ExitCode::from(f.code)
        }
    }
}

fn sink_logging(verbose: u8) {
    trunkwatch::telemetry::init_logging(verbose);
}

/// Defaults, then the file, then flags.
fn build_config(c: &Common) -> Result<Config, Failure> {
    let mut cfg = match &c.config {
        Some(p) => Config::from_file(p).map_err(Failure::usage)?,
        None => Config::default(),
    };
    if !c.platform_nets.is_empty() {
        cfg.classify.platform_networks = c.platform_nets.clone();
    }
    if !c.id_headers.is_empty() {
        cfg.classify.butter_id_headers = c.id_headers.clone();
    }
    if let Some(r) = &c.records {
        cfg.classify.records = Some(r.clone());
    }
    if let Some(s) = c.ring_timeout {
        if !(s.is_finite() && s >= 0.0) {
            return Err(Failure::usage(anyhow::anyhow!(
                "--ring-timeout must be a non-negative number of seconds"
            )));
        }
        cfg.classify.ring_timeout_ms = (s * 1000.0) as u64;
    }
    if let Some(n) = c.max_open_calls {
        cfg.track.max_open_calls = n.max(1);
    }
    if let Some(a) = c.metrics_listen {
        cfg.metrics_listen = Some(a);
    }
    if let Some(u) = &c.webhook {
        cfg.webhook.url = Some(u.clone());
    }
    if let Some(s) = &c.webhook_secret {
        cfg.webhook.secret = Some(s.clone());
    }
    Ok(cfg)
}

/// Open the sinks every mode shares.
fn build_pipeline(c: &Common, cfg: &Config) -> Result<Pipeline, Failure> {
    let classifier = Classifier::new(&cfg.classify).map_err(Failure::usage)?;
    let out: Box<dyn Write + Send> = match &c.output {
        Some(p) if p.as_os_str() != "-" => Box::new(
            std::fs::File::create(p)
                .with_context(|| format!("cannot create output file {}", p.display()))
                .map_err(Failure::usage)?,
        ),
        _ => Box::new(std::io::stdout()),
    };
    let metrics = match cfg.metrics_listen {
        Some(addr) => {
            sink::metrics::install(addr)
                .with_context(|| format!("cannot serve metrics on {addr}"))?;
            true
        }
        None => false,
    };
    let webhook = match &cfg.webhook.url {
        Some(_) => Some(
            sink::webhook::WebhookSink::start(&cfg.webhook)
                .context("cannot start the webhook sink")
                .map_err(Failure::usage)?,
        ),
        None => None,
    };
    let sinks = Sinks::new(Some(sink::jsonl::JsonlSink::new(out)), webhook, metrics);
    Ok(Pipeline::new(cfg, classifier, sinks))
}

/// Set on SIGINT/SIGTERM; every loop checks it, then flushes open calls.
fn shutdown_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                #[cfg(unix)]
                {
                    use tokio::signal::unix::{signal, SignalKind};
                    let (Ok(mut int), Ok(mut term)) = (
                        signal(SignalKind::interrupt()),
                        signal(SignalKind::terminate()),
                    ) else {
                        return;
                    };
                    tokio::select! {
                        _ = int.recv() => {},
                        _ = term.recv() => {},
                    }
                }
                #[cfg(not(unix))]
                {
                    let _ = tokio::signal::ctrl_c().await;
                }
                f.store(true, Ordering::SeqCst);
            });
        })
        .ok();
    flag
}

/// Print the summary, drain the webhook, report write errors.
fn finish_run(
    mut pipeline: Pipeline,
    common: &Common,
    extra: trunkwatch::stats::Counters,
) -> Result<(), Failure> {
    pipeline.finish();
    let problems = {
        let mut p = pipeline.problems();
        p.merge(&extra);
        p
    };
    let mut sinks = pipeline.into_sinks();
    if let Some(j) = sinks.jsonl.as_mut() {
        if let Err(e) = j.flush() {
            sinks.write_error.get_or_insert(e);
        }
    }
    let webhook = sinks
        .webhook
        .take()
        .map(|w| w.finish(Instant::now() + Duration::from_secs(10)));
    let mut all = problems;
    if let Some(st) = &webhook {
        st.add_to(&mut all);
    }
    if let Some(st) = &webhook {
        sinks.summary.set_webhook(*st);
    }
    match common.summary {
        SummaryFormat::Text => {
            let _ = write!(std::io::stderr(), "{}", sinks.summary.render_text(&all));
        }
        SummaryFormat::Json => {
            let _ = writeln!(std::io::stderr(), "{}", sinks.summary.render_json(&all));
        }
        SummaryFormat::None => {}
    }
    if let Some(e) = sinks.write_error {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(anyhow::Error::new(e)
                .context("cannot write outcomes")
                .into());
        }
    }
    Ok(())
}

fn replay(a: ReplayArgs) -> Result<(), Failure> {
    let cfg = build_config(&a.common)?;
    let mut replay = trunkwatch::capture::open_files(&a.files).map_err(|e| {
        if e.is_bad_input() {
            Failure::usage(e)
        } else {
            Failure::from(anyhow::Error::new(e))
        }
    })?;
    let mut pipeline = build_pipeline(&a.common, &cfg)?;
    let stop = shutdown_flag();
    let speed = match (a.realtime, a.speed) {
        (_, Some(x)) if x > 0.0 && x.is_finite() => Some(x),
        (_, Some(_)) => {
            return Err(Failure::usage(anyhow::anyhow!(
                "--speed must be a positive number"
            )))
        }
        (true, None) => Some(1.0),
        (false, None) => None,
    };
    let total = replay.bytes_total();
    let show = match a.progress {
        When::Always => true,
        When::Never => false,
        When::Auto => std::io::stderr().is_terminal() && total > 32 << 20,
    };
    let bar = progress_bar(show, total);
    if speed.is_none() {
        // As fast as possible: decode on a second core.
        let fin = trunkwatch::replay::run(replay, &cfg.decode, &mut pipeline, stop.clone(), {
            let bar = bar.clone();
            let mut last = 0u64;
            move |pipeline, frames, bytes| {
                if frames / 4096 == last / 4096 {
                    return;
                }
                last = frames;
                pipeline.flush_metrics();
                if let Some(b) = &bar {
                    b.set_position(bytes);
                    b.set_message(format!(
                        "{} frames, {} calls ended, {} open",
                        frames,
                        pipeline.outcomes(),
                        pipeline.open_calls()
                    ));
                }
            }
        })
        .map_err(|e| Failure::from(anyhow::Error::new(e).context("replay failed")))?;
        if stop.load(Ordering::Relaxed) {
            tracing::warn!("interrupted: flushing open calls");
        }
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        for w in &fin.warnings {
            let _ = writeln!(std::io::stderr(), "trunkwatch: warning: {w}");
        }
        return finish_replay(pipeline, &a, fin.capture_stats, &stop);
    }
    let started = Instant::now();
    let mut first_ts: Option<i64> = None;
    let mut n: u64 = 0;
    while let Some(frame) = replay.next_frame() {
        if let Some(x) = speed {
            let t0 = *first_ts.get_or_insert(frame.ts.0);
            let due = Duration::from_nanos(((frame.ts.0 - t0).max(0) as f64 / x) as u64);
            let el = started.elapsed();
            if due > el {
                std::thread::sleep(due - el);
            }
        }
        pipeline.on_frame(&frame);
        n += 1;
        if n % 4096 == 0 {
            if stop.load(Ordering::Relaxed) {
                tracing::warn!("interrupted: flushing open calls");
                break;
            }
            pipeline.flush_metrics();
            if let Some(b) = &bar {
                b.set_position(replay.bytes_read());
                b.set_message(format!(
                    "{} frames, {} calls ended, {} open",
                    n,
                    pipeline.outcomes(),
                    pipeline.open_calls()
                ));
            }
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    for w in replay.warnings() {
        let _ = writeln!(std::io::stderr(), "trunkwatch: warning: {w}");
    }
    let capture_stats = replay.stats().clone();
    finish_replay(pipeline, &a, capture_stats, &stop)
}

/// Summary and sinks after a replay; with `--hold-metrics`, keep serving.
fn finish_replay(
    pipeline: Pipeline,
    a: &ReplayArgs,
    capture_stats: trunkwatch::stats::Counters,
    stop: &AtomicBool,
) -> Result<(), Failure> {
    let metrics = pipeline.sinks().metrics;
    finish_run(pipeline, &a.common, capture_stats)?;
    if a.hold_metrics && metrics {
        let _ = writeln!(
            std::io::stderr(),
            "trunkwatch: replay done; serving metrics until interrupted"
        );
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    Ok(())
}

fn progress_bar(show: bool, total: u64) -> Option<indicatif::ProgressBar> {
    if !show {
        return None;
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr_with_hz(4),
    );
    let style = indicatif::ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, eta {eta}) {msg}",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    Some(bar)
}

#[cfg(feature = "live-capture")]
fn capture(a: CaptureArgs) -> Result<(), Failure> {
    use trunkwatch::capture::live::LiveCapture;
    let cfg = build_config(&a.common)?;
    let filter = a
        .filter
        .clone()
        .unwrap_or_else(|| trunkwatch::capture::live::DEFAULT_FILTER.to_string());
    let mut live = LiveCapture::open(&a.interface, Some(&filter), a.snaplen, !a.no_promisc)
        .map_err(|e| Failure::usage(anyhow::Error::new(e)))?;
    let mut pipeline = build_pipeline(&a.common, &cfg)?;
    let stop = shutdown_flag();
    let deadline = a
        .duration
        .map(|s| Instant::now() + Duration::from_secs_f64(s.max(0.0)));
    tracing::info!(interface = %a.interface, filter = %filter, "capturing");
    let mut last_idle = Instant::now();
    loop {
        if stop.load(Ordering::Relaxed) || deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        match live.next_frame() {
            Ok(Some(frame)) => pipeline.on_frame(&frame),
            Ok(None) => {}
            Err(e) => return Err(anyhow::Error::new(e).context("capture failed").into()),
        }
        if last_idle.elapsed() >= Duration::from_millis(250) {
            last_idle = Instant::now();
            pipeline.idle(trunkwatch::time::Timestamp::now());
        }
    }
    let mut extra = trunkwatch::stats::Counters::new();
    let (kernel, iface) = live.refresh_drops();
    extra.set("capture", "kernel_drops", kernel);
    extra.set("capture", "interface_drops", iface);
    if pipeline.sinks().metrics {
        sink::metrics::observe_capture_drops(kernel, iface);
    }
    finish_run(pipeline, &a.common, extra)
}

#[cfg(not(feature = "live-capture"))]
fn capture(_a: CaptureArgs) -> Result<(), Failure> {
    Err(Failure::usage(anyhow::anyhow!(
        "this trunkwatch was built without live capture; rebuild with `--features live-capture` (needs libpcap)"
    )))
}

fn proxy(a: ProxyArgs) -> Result<(), Failure> {
    let mut cfg = build_config(&a.common)?;
    if !a.listen.is_empty() {
        cfg.proxy.listen = a.listen.clone();
    }
    if a.platform.is_some() {
        cfg.proxy.platform = a.platform;
    }
    if a.trunk.is_some() {
        cfg.proxy.trunk = a.trunk;
    }
    if !a.allow.is_empty() {
        cfg.proxy.allow = a.allow.clone();
    }
    if let Some(r) = a.rate_limit {
        cfg.proxy.rate_limit_per_source = r;
    }
    if cfg.proxy.listen.is_empty() || cfg.proxy.platform.is_none() || cfg.proxy.trunk.is_none() {
        return Err(Failure::usage(anyhow::anyhow!(
            "proxy needs --listen, --platform and --trunk (or [proxy] listen/platform/trunk in the config file)"
        )));
    }
    let mut pipeline = build_pipeline(&a.common, &cfg)?;
    pipeline.set_media_visible(false);
    let stop = shutdown_flag();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("proxy")
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let (tap, mut rx) = trunkwatch::proxy::Tap::from_config(&cfg.proxy);
    let proxy = rt
        .block_on(trunkwatch::proxy::Proxy::bind(&cfg.proxy, tap))
        .map_err(|e| Failure::usage(anyhow::Error::new(e)))?;
    for addr in proxy.local_addrs() {
        tracing::info!(%addr, "proxy listening (udp and tcp)");
    }
    // The monitor runs on its own thread: forwarding never waits for it.
    let done = Arc::new(AtomicBool::new(false));
    let handle = rt.handle().clone();
    let monitor = {
        let done = done.clone();
        std::thread::Builder::new()
            .name("monitor".into())
            .spawn(move || {
                let mut last_idle = Instant::now();
                loop {
                    let next = handle.block_on(async {
                        tokio::time::timeout(Duration::from_millis(250), rx.recv()).await
                    });
                    match next {
                        Ok(Some(t)) => pipeline.on_sip(&trunkwatch::decode::SipPacket {
                            ts: t.ts,
                            frame: 0,
                            src: t.src,
                            dst: t.dst,
                            transport: t.transport,
                            payload: &t.bytes,
                        }),
                        Ok(None) => break,
                        Err(_) if done.load(Ordering::SeqCst) => break,
                        Err(_) => {}
                    }
                    if last_idle.elapsed() >= Duration::from_millis(250) {
                        last_idle = Instant::now();
                        pipeline.idle(trunkwatch::time::Timestamp::now());
                    }
                }
                pipeline
            })
            .context("cannot start the monitor thread")?
    };
    let deadline = a
        .duration
        .map(|s| Instant::now() + Duration::from_secs_f64(s.max(0.0)));
    let stats = rt.block_on(proxy.run(async {
        while !stop.load(Ordering::Relaxed) && deadline.is_none_or(|d| Instant::now() < d) {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }));
    done.store(true, Ordering::SeqCst);
    let pipeline = monitor
        .join()
        .map_err(|_| anyhow::anyhow!("the monitor thread panicked"))?;
    let stats = stats.map_err(|e| Failure::from(anyhow::Error::new(e)))?;
    drop(rt);
    // Traffic counts are not problems: report them apart.
    let mut problems = trunkwatch::stats::Counters::new();
    let mut traffic = Vec::new();
    for (layer, reason, n) in stats.counters.iter() {
        if reason.starts_with("forwarded") || reason == "keepalive" {
            traffic.push(format!("{reason} {n}"));
        } else {
            problems.add(layer, reason, n);
        }
    }
    if common_summary_wanted(&a.common) {
        let _ = writeln!(std::io::stderr(), "proxy: {}", traffic.join(", "));
    }
    finish_run(pipeline, &a.common, problems)
}

fn common_summary_wanted(c: &Common) -> bool {
    c.summary == SummaryFormat::Text
}

fn explain(a: ExplainArgs) -> Result<(), Failure> {
    if !(100..=699).contains(&a.code) {
        return Err(Failure::usage(anyhow::anyhow!(
            "{} is not a SIP response code (100 to 699)",
            a.code
        )));
    }
    let e = trunkwatch::classify::explain(a.code);
    let mut out = std::io::stdout();
    let r = if a.json {
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&e).unwrap_or_default()
        )
    } else {
        write!(out, "{e}")
    };
    r.context("cannot write to stdout")?;
    Ok(())
}
