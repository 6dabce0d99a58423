//! sink (being built; see docs/contracts.md).
