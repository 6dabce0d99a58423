//! classify (being built; see docs/contracts.md).
