//! Live capture from a network interface with libpcap (feature `live-capture`).
