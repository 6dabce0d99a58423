//! Logging set-up. The subscriber is global to a process, so this binary
//! holds one test, which also owns the RUST_LOG variable.

use trunkwatch::telemetry::{self, LoggingError};

#[test]
fn bad_rust_log_is_named_then_default_installs_once() {
    std::env::set_var("RUST_LOG", "trunkwatch=loudest");
    let err = telemetry::try_init_logging(0).unwrap_err();
    assert!(matches!(err, LoggingError::BadFilter { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("RUST_LOG=\"trunkwatch=loudest\""), "{msg}");

    // The forgiving entry point falls back to the -v level and installs.
    telemetry::init_logging(1);
    std::env::remove_var("RUST_LOG");
    assert!(matches!(
        telemetry::try_init_logging(0),
        Err(LoggingError::AlreadyInstalled)
    ));
    // A second call is harmless.
    telemetry::init_logging(2);
    assert!(tracing::enabled!(target: "trunkwatch", tracing::Level::INFO));
    assert!(!tracing::enabled!(target: "trunkwatch", tracing::Level::DEBUG));
    assert!(!tracing::enabled!(target: "hyper", tracing::Level::INFO));
}
