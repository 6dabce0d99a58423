//! proxy (being built; see docs/contracts.md).
