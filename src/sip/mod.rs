//! sip (being built; see docs/contracts.md).
