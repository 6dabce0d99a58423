//! Capture time. Every timer in `decode`, `track` and `classify` runs on
//! packet timestamps, never on the wall clock, so a replay is deterministic.

use std::fmt;

/// Nanoseconds since the Unix epoch, as written by the capture.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// From seconds and nanoseconds (pcap and pcapng carry both).
    pub const fn from_secs_nanos(secs: i64, nanos: u32) -> Self {
        Timestamp(
            secs.saturating_mul(1_000_000_000)
                .saturating_add(nanos as i64),
        )
    }

    /// From whole milliseconds since the epoch.
    pub const fn from_millis(ms: i64) -> Self {
        Timestamp(ms.saturating_mul(1_000_000))
    }

    /// Wall clock now; only for live sources and the proxy, never in the core.
    pub fn now() -> Self {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp::from_secs_nanos(d.as_secs() as i64, d.subsec_nanos())
    }

    pub const fn as_nanos(self) -> i64 {
        self.0
    }

    /// Whole milliseconds (floor) since the epoch.
    pub const fn as_millis(self) -> i64 {
        self.0.div_euclid(1_000_000)
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }

    /// `self + ms` milliseconds, saturating.
    pub const fn plus_millis(self, ms: i64) -> Self {
        Timestamp(self.0.saturating_add(ms.saturating_mul(1_000_000)))
    }

    /// Milliseconds from `earlier` to `self`, clamped at zero (captures can
    /// carry small clock steps backwards; a negative duration is never useful).
    pub fn millis_since(self, earlier: Timestamp) -> u64 {
        let d = self.0.saturating_sub(earlier.0);
        if d <= 0 {
            0
        } else {
            (d / 1_000_000) as u64
        }
    }

    /// RFC 3339 in UTC with microseconds, e.g. `2026-12-04T21:43:59.123456Z`.
    pub fn to_rfc3339(self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.div_euclid(1_000_000_000);
        let micros = self.0.rem_euclid(1_000_000_000) / 1_000;
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z",
            sod / 3600,
            (sod % 3600) / 60,
            sod % 60
        )
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian
/// (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Parse RFC 3339 / ISO 8601 UTC (`2026-12-04T21:43:59Z`, fractional seconds
/// and `+hh:mm` offsets accepted) or plain epoch seconds (`1733348639.5`).
/// Used for Butter call records, which are not on the hot path.
pub fn parse_time(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if let Ok(v) = s.parse::<f64>() {
        // Epoch seconds, or milliseconds when implausibly large for seconds.
        let secs = if v > 1e11 { v / 1000.0 } else { v };
        return Some(Timestamp((secs * 1e9).round() as i64));
    }
    let b = s.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse::<i64>().ok() };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b't' || b[10] == b' ') {
        return None;
    }
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut i = 19;
    let mut nanos: i64 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let frac = &s[start..i];
        let mut scale = 1_000_000_000i64;
        for c in frac.bytes().take(9) {
            scale /= 10;
            nanos += (c - b'0') as i64 * scale;
        }
    }
    let offset_secs = match b.get(i) {
        None | Some(b'Z') | Some(b'z') => 0,
        Some(&sign @ (b'+' | b'-')) => {
            let oh = num(i + 1..i + 3)?;
            let om = num(i + 4..i + 6).unwrap_or(0);
            let o = oh * 3600 + om * 60;
            if sign == b'+' {
                o
            } else {
                -o
            }
        }
        _ => return None,
    };
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let days = days_from_civil(y, mo as u32, d as u32);
    let secs = days * 86_400 + h * 3600 + mi * 60 + se - offset_secs;
    Some(Timestamp(secs * 1_000_000_000 + nanos))
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 } as i64;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339() {
        assert_eq!(
            Timestamp::from_secs_nanos(1_120_470_049, 188_993_000).to_string(),
            "2005-07-04T09:40:49.188993Z"
        );
        assert_eq!(Timestamp(0).to_string(), "1970-01-01T00:00:00.000000Z");
    }

    #[test]
    fn parses_what_it_formats() {
        let t = Timestamp::from_secs_nanos(1_733_348_639, 123_456_000);
        assert_eq!(parse_time(&t.to_string()), Some(t));
        assert_eq!(parse_time("1733348639.123456"), Some(t));
        assert_eq!(
            parse_time("2024-12-04T23:43:59.123456+02:00"),
            parse_time("2024-12-04T21:43:59.123456Z")
        );
        assert_eq!(parse_time("not a time"), None);
    }

    #[test]
    fn durations_clamp_at_zero() {
        let a = Timestamp::from_millis(10_000);
        assert_eq!(a.plus_millis(1500).millis_since(a), 1500);
        assert_eq!(a.millis_since(a.plus_millis(5)), 0);
    }
}
