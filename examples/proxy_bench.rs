//! Runs the proxy directly (no CLI) for `benches/proxy.sh`:
//! `proxy_bench LISTEN PLATFORM TRUNK`. The monitor tap is drained by a
//! task that parses every copy, as the tracker would. Stops on SIGTERM or
//! Ctrl-C and prints the counters.

use std::net::SocketAddr;
use trunkwatch::config::ProxyConfig;
use trunkwatch::proxy::{self, Tap};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 3 {
        return Err("usage: proxy_bench LISTEN PLATFORM TRUNK".into());
    }
    let parse = |s: &str| s.parse::<SocketAddr>();
    let cfg = ProxyConfig {
        listen: vec![parse(&args[0])?],
        platform: Some(parse(&args[1])?),
        trunk: Some(parse(&args[2])?),
        ..Default::default()
    };
    let workers = std::env::var("PROXY_WORKERS")
        .ok()
        .and_then(|w| w.parse().ok())
        .unwrap_or(2);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let (tap, mut rx) = Tap::from_config(&cfg);
        let monitor = tokio::spawn(async move {
            let mut n = 0u64;
            while let Some(t) = rx.recv().await {
                if trunkwatch::sip::parse(&t.bytes).is_ok() {
                    n += 1;
                }
            }
            n
        });
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        let stop = async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        };
        let stats = proxy::run(&cfg, tap, stop).await?;
        monitor.abort();
        for (l, r, n) in stats.counters.iter() {
            eprintln!("{l}.{r} = {n}");
        }
        Ok::<(), Box<dyn std::error::Error>>(())
    })
}
