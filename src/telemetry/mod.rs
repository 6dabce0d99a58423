//! telemetry (being built; see docs/contracts.md).
