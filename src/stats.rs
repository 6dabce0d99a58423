//! Problem counters shared by every layer: nothing is dropped silently.
//!
//! Each entry is `(layer, reason)`, both `&'static str` from small fixed sets,
//! so they double as Prometheus labels and as summary lines. A `BTreeMap`
//! keeps the order stable, so summaries are byte-for-byte reproducible.

use std::collections::BTreeMap;

/// Counts of problems (malformed, truncated, evicted, dropped, not decoded...)
/// keyed by layer and reason.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    map: BTreeMap<(&'static str, &'static str), u64>,
}

impl Counters {
    pub fn new() -> Self {
        Self::default()
    }

    /// Count one occurrence of `reason` at `layer` (e.g. `("ip", "fragment_evicted")`).
    #[inline]
    pub fn inc(&mut self, layer: &'static str, reason: &'static str) {
        self.add(layer, reason, 1);
    }

    #[inline]
    pub fn add(&mut self, layer: &'static str, reason: &'static str, n: u64) {
        if n > 0 {
            *self.map.entry((layer, reason)).or_insert(0) += n;
        }
    }

    /// Overwrite a count read from elsewhere (e.g. libpcap's kernel drops).
    pub fn set(&mut self, layer: &'static str, reason: &'static str, n: u64) {
        if n == 0 {
            self.map.remove(&(layer, reason));
        } else {
            self.map.insert((layer, reason), n);
        }
    }

    pub fn get(&self, layer: &str, reason: &str) -> u64 {
        self.map
            .iter()
            .find(|((l, r), _)| *l == layer && *r == reason)
            .map_or(0, |(_, n)| *n)
    }

    /// Sum of all reasons at one layer.
    pub fn layer_total(&self, layer: &str) -> u64 {
        self.map
            .iter()
            .filter(|((l, _), _)| *l == layer)
            .map(|(_, n)| n)
            .sum()
    }

    pub fn total(&self) -> u64 {
        self.map.values().sum()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// `(layer, reason, count)` in stable order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &'static str, u64)> + '_ {
        self.map.iter().map(|((l, r), n)| (*l, *r, *n))
    }

    /// Add every count of `other` into `self`.
    pub fn merge(&mut self, other: &Counters) {
        for (l, r, n) in other.iter() {
            self.add(l, r, n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_merges_in_stable_order() {
        let mut a = Counters::new();
        a.inc("tcp", "gap");
        a.inc("ip", "fragment_evicted");
        a.add("tcp", "gap", 2);
        let mut b = Counters::new();
        b.inc("ip", "fragment_evicted");
        a.merge(&b);
        let v: Vec<_> = a.iter().collect();
        assert_eq!(v, vec![("ip", "fragment_evicted", 2), ("tcp", "gap", 3)]);
        assert_eq!(a.get("tcp", "gap"), 3);
        assert_eq!(a.layer_total("ip"), 2);
        assert_eq!(a.total(), 5);
        a.set("tcp", "gap", 0);
        assert_eq!(a.get("tcp", "gap"), 0);
    }
}
