//! G.711 (ITU-T G.711) expansion to linear PCM, only to tell silence from
//! sound: a packet is silent when the mean power of its samples is below
//! [`SILENCE_DBOV`]. Digital silence (u-law 0xFF/0x7F, A-law 0xD5/0x55) and
//! the lowest quantisation steps all fall below it; speech never does.

/// Silence threshold, dB relative to a full-scale sine-free reference
/// (16-bit full scale = 0 dBov). -60 dBov is below any line noise a handset
/// or carrier passes on, and far above digital silence.
pub const SILENCE_DBOV: f64 = -60.0;

/// Mean square (in 16-bit linear units) at [`SILENCE_DBOV`]: 32768² · 10^(dB/10).
const SILENT_MEAN_SQUARE: i64 = 1074; // 32768^2 * 1e-6 = 1073.7

/// Which G.711 law a payload type uses.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Law {
    Mu,
    A,
}

const fn ulaw_to_linear(u: u8) -> i16 {
    // ITU-T G.711 / Sun g711.c: complement, then bias 0x84 per segment.
    let u = !u;
    let t = (((u & 0x0f) as i32) << 3) + 0x84;
    let t = t << ((u & 0x70) >> 4);
    (if u & 0x80 != 0 { 0x84 - t } else { t - 0x84 }) as i16
}

const fn alaw_to_linear(a: u8) -> i16 {
    let a = a ^ 0x55;
    let mut t = ((a & 0x0f) as i32) << 4;
    let seg = (a & 0x70) >> 4;
    match seg {
        0 => t += 8,
        1 => t += 0x108,
        _ => {
            t += 0x108;
            t <<= seg - 1;
        }
    }
    (if a & 0x80 != 0 { t } else { -t }) as i16
}

const fn table(law: Law) -> [i16; 256] {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = match law {
            Law::Mu => ulaw_to_linear(i as u8),
            Law::A => alaw_to_linear(i as u8),
        };
        i += 1;
    }
    t
}

static ULAW: [i16; 256] = table(Law::Mu);
static ALAW: [i16; 256] = table(Law::A);

/// Expand one G.711 byte to 16-bit linear PCM.
pub fn to_linear(law: Law, b: u8) -> i16 {
    match law {
        Law::Mu => ULAW[b as usize],
        Law::A => ALAW[b as usize],
    }
}

/// Squares of the expanded samples (at most 32256² < 2³⁰, so a u32 holds one
/// and a u64 sum never overflows for any UDP payload).
const fn squares(t: &[i16; 256]) -> [u32; 256] {
    let mut q = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let s = t[i] as i32;
        q[i] = (s * s) as u32;
        i += 1;
    }
    q
}

static ULAW_SQ: [u32; 256] = squares(&ULAW);
static ALAW_SQ: [u32; 256] = squares(&ALAW);

/// True when the payload's mean power is below [`SILENCE_DBOV`]. An empty
/// payload carries no sound and counts as silent.
///
/// Runs for every RTP packet, so the sum of squares stops as soon as it
/// reaches the threshold (the sum only grows): speech is decided after a few
/// samples, silence needs the whole payload. Same answer as the full sum.
pub fn is_silent(law: Law, payload: &[u8]) -> bool {
    let q = match law {
        Law::Mu => &ULAW_SQ,
        Law::A => &ALAW_SQ,
    };
    let limit = SILENT_MEAN_SQUARE as u64 * payload.len() as u64;
    let mut sum = 0u64;
    for chunk in payload.chunks(16) {
        sum += chunk.iter().map(|&b| u64::from(q[b as usize])).sum::<u64>();
        if sum >= limit {
            return false;
        }
    }
    sum < limit
}

/// [`is_silent`] under both laws at once, `[u-law, A-law]`: one pass that
/// stops as soon as both sums reach the threshold (speech: after a few
/// samples). Same answers as two calls.
pub fn silent_mu_a(payload: &[u8]) -> [bool; 2] {
    let limit = SILENT_MEAN_SQUARE as u64 * payload.len() as u64;
    let (mut mu, mut a) = (0u64, 0u64);
    // Short chunks: one loud sample already exceeds a whole packet's budget.
    for chunk in payload.chunks(4) {
        for &b in chunk {
            mu += u64::from(ULAW_SQ[b as usize]);
            a += u64::from(ALAW_SQ[b as usize]);
        }
        if mu >= limit && a >= limit {
            return [false, false];
        }
    }
    [mu < limit, a < limit]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_values() {
        // Zero codes of each law.
        assert_eq!(to_linear(Law::Mu, 0xff), 0);
        assert_eq!(to_linear(Law::Mu, 0x7f), 0);
        assert_eq!(to_linear(Law::A, 0xd5), 8);
        assert_eq!(to_linear(Law::A, 0x55), -8);
        // Extremes (G.711 tables: u-law ±32124, A-law ±32256).
        assert_eq!(to_linear(Law::Mu, 0x00), -32124);
        assert_eq!(to_linear(Law::Mu, 0x80), 32124);
        assert_eq!(to_linear(Law::A, 0xaa), 32256);
        assert_eq!(to_linear(Law::A, 0x2a), -32256);
        // Monotonic within the positive u-law half (0xff..0x80 rising).
        for b in 0x81u8..=0xff {
            assert!(to_linear(Law::Mu, b) < to_linear(Law::Mu, b - 1));
        }
    }

    /// The one-pass judgement under both laws agrees with one law at a
    /// time: digital silence, low noise, tones, random bytes, every length.
    #[test]
    fn both_laws_at_once_agree() {
        let mut x = 0x1234_5678u32;
        let mut payloads: Vec<Vec<u8>> = vec![
            vec![],
            vec![0xff; 160],
            vec![0xd5; 160],
            [0xfe, 0x7e, 0xfd, 0x7d].repeat(40),
            [0x55, 0xd5].repeat(80),
        ];
        for n in 0..400usize {
            // Mostly quiet bytes with an occasional loud one, and pure noise.
            let len = n % 181;
            payloads.push(
                (0..len)
                    .map(|_| {
                        x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                        let b = (x >> 24) as u8;
                        if n % 3 == 0 || b < 4 {
                            b
                        } else {
                            [0xff, 0xfe, 0x7f, 0xd5, 0x55, 0xd4][(b % 6) as usize]
                        }
                    })
                    .collect(),
            );
        }
        for p in &payloads {
            assert_eq!(
                silent_mu_a(p),
                [is_silent(Law::Mu, p), is_silent(Law::A, p)],
                "{p:?}"
            );
        }
    }

    #[test]
    fn silence_and_sound() {
        assert!(is_silent(Law::Mu, &[0xff; 160]));
        assert!(is_silent(Law::Mu, &[0x7f; 160]));
        assert!(is_silent(Law::A, &[0xd5; 160]));
        assert!(is_silent(Law::A, &[0x55, 0xd5].repeat(80)));
        // Lowest steps (±8, ±16) are still silence.
        assert!(is_silent(Law::Mu, &[0xfe, 0x7e, 0xfd, 0x7d].repeat(40)));
        // A 1 kHz tone at about -20 dBov is sound.
        let tone: Vec<u8> = (0..160)
            .map(|i| {
                let s = (3277.0 * (i as f64 * std::f64::consts::TAU / 8.0).sin()) as i16;
                (0u8..=255)
                    .min_by_key(|&b| (to_linear(Law::Mu, b) as i32 - s as i32).abs())
                    .unwrap_or(0xff)
            })
            .collect();
        assert!(!is_silent(Law::Mu, &tone));
    }

    /// The early-exit sum answers exactly as the plain mean power does.
    #[test]
    fn early_exit_matches_full_sum() {
        let full = |law: Law, p: &[u8]| {
            let sum: i64 = p.iter().map(|&b| i64::from(to_linear(law, b)).pow(2)).sum();
            sum < SILENT_MEAN_SQUARE * p.len() as i64
        };
        let mut x = 0x1234_5678u32;
        for len in [0usize, 1, 15, 16, 17, 160, 161, 320, 1500] {
            for round in 0..64u32 {
                let p: Vec<u8> = (0..len)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 17;
                        x ^= x << 5;
                        // Mostly near-silent codes, sometimes a loud one.
                        let quiet = [0xff, 0x7f, 0xfe, 0x7e, 0xd5, 0x55, 0xd4, 0x54];
                        if x % (round + 2) == 0 {
                            x as u8
                        } else {
                            quiet[(x >> 8) as usize % quiet.len()]
                        }
                    })
                    .collect();
                for law in [Law::Mu, Law::A] {
                    assert_eq!(is_silent(law, &p), full(law, &p), "{law:?} {p:?}");
                }
            }
        }
    }
}
