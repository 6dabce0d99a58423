//! track (being built; see docs/contracts.md).
