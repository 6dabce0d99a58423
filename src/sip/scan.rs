//! Line ends found 64 bytes at a time.
//!
//! The header pass needs every LF of the header block. Looking for each
//! one from the start of its line costs a loop per line whose exit the
//! branch predictor cannot know; instead one block of 64 bytes becomes a
//! bit mask of its LFs (four SSE2 compares on x86_64, baseline there and
//! reached through `safe_arch`'s safe wrappers; a word-at-a-time fallback
//! elsewhere), and each line end is then one `trailing_zeros`.

/// Bit `i` set when `b[i] == byte`.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn eq_mask64(b: &[u8; 64], byte: u8) -> u64 {
    use safe_arch::{cmp_eq_mask_i8_m128i, m128i, move_mask_i8_m128i, set_splat_i8_m128i};
    let needle = set_splat_i8_m128i(byte as i8);
    let lane = |i: usize| -> u64 {
        let mut c = [0u8; 16];
        c.copy_from_slice(&b[i..i + 16]);
        let eq = cmp_eq_mask_i8_m128i(m128i::from(c), needle);
        u64::from(move_mask_i8_m128i(eq) as u16)
    };
    lane(0) | lane(16) << 16 | lane(32) << 32 | lane(48) << 48
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
#[inline(always)]
fn eq_mask64(b: &[u8; 64], byte: u8) -> u64 {
    eq_mask64_swar(b, byte)
}

/// [`eq_mask64`] a word at a time (the portable version; also the
/// reference the SIMD one is tested against).
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
#[inline(always)]
fn eq_mask64_swar(b: &[u8; 64], byte: u8) -> u64 {
    const LO7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let pat = 0x0101_0101_0101_0101u64 * u64::from(byte);
    let mut out = 0u64;
    for k in 0..8 {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[8 * k..8 * k + 8]);
        let x = u64::from_le_bytes(w) ^ pat;
        // High bit of each byte that is zero, exactly (no carry between bytes).
        let zero = !(((x & LO7) + LO7) | x | LO7);
        // Gather the eight high bits into one byte.
        let bits = (zero >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56;
        out |= bits << (8 * k);
    }
    out
}

/// Bit `i` set when `b[i]` is `x` or `y`.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn eq2_mask16(b: [u8; 16], x: u8, y: u8) -> u32 {
    use safe_arch::{
        bitor_m128i, cmp_eq_mask_i8_m128i, m128i, move_mask_i8_m128i, set_splat_i8_m128i,
    };
    let v = m128i::from(b);
    let ex = cmp_eq_mask_i8_m128i(v, set_splat_i8_m128i(x as i8));
    let ey = cmp_eq_mask_i8_m128i(v, set_splat_i8_m128i(y as i8));
    move_mask_i8_m128i(bitor_m128i(ex, ey)) as u32 & 0xffff
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
#[inline(always)]
fn eq2_mask16(b: [u8; 16], x: u8, y: u8) -> u32 {
    b.iter()
        .enumerate()
        .fold(0, |m, (i, &c)| m | u32::from(c == x || c == y) << i)
}

#[inline(always)]
fn chunk16(s: &[u8], at: usize) -> [u8; 16] {
    let mut c = [0u8; 16];
    c.copy_from_slice(&s[at..at + 16]);
    c
}

/// Index of the first byte at or after `from` that is `x` or `y`: 16
/// bytes per step with no call and no set-up, for the short runs inside a
/// header value (where `memchr`'s entry costs more than the scan).
#[inline(always)]
pub(crate) fn find2(s: &[u8], from: usize, x: u8, y: u8) -> Option<usize> {
    let len = s.len();
    let mut i = from;
    while i + 16 <= len {
        let m = eq2_mask16(chunk16(s, i), x, y);
        if m != 0 {
            return Some(i + m.trailing_zeros() as usize);
        }
        i += 16;
    }
    if i >= len {
        return None;
    }
    if len >= 16 {
        // The last 16 bytes, overlapping what was already checked.
        let base = len - 16;
        let m = eq2_mask16(chunk16(s, base), x, y) >> (i - base);
        return (m != 0).then(|| i + m.trailing_zeros() as usize);
    }
    s[i..].iter().position(|&c| c == x || c == y).map(|p| i + p)
}

/// Bit `i` set when `b[i]` is a letter, a digit, `-` or `.`: the bytes of
/// nearly every header name, each surely a token byte.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn namey_mask16(b: [u8; 16]) -> u32 {
    use safe_arch::{
        bitor_m128i, cmp_eq_mask_i8_m128i, m128i, max_u8_m128i, move_mask_i8_m128i,
        set_splat_i8_m128i, sub_i8_m128i,
    };
    let splat = |x: u8| set_splat_i8_m128i(x as i8);
    let v = m128i::from(b);
    // `x - lo <= hi - lo` unsigned: the maximum of the two is `hi - lo`.
    let within = |x: m128i, lo: u8, hi: u8| {
        let d = sub_i8_m128i(x, splat(lo));
        cmp_eq_mask_i8_m128i(max_u8_m128i(d, splat(hi - lo)), splat(hi - lo))
    };
    // `| 0x20` maps exactly the upper-case letters onto the lower-case ones.
    let letter = within(bitor_m128i(v, splat(0x20)), b'a', b'z');
    let digit = within(v, b'0', b'9');
    let dash = cmp_eq_mask_i8_m128i(v, splat(b'-'));
    let dot = cmp_eq_mask_i8_m128i(v, splat(b'.'));
    let ok = bitor_m128i(bitor_m128i(letter, digit), bitor_m128i(dash, dot));
    move_mask_i8_m128i(ok) as u32 & 0xffff
}

/// Bit `i` set when `b[i]` may end an unquoted parameter value: LWS or a
/// control byte, `;` `,` `"` `<` `>`.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn pstop_mask16(b: [u8; 16]) -> u32 {
    use safe_arch::{
        bitor_m128i, cmp_eq_mask_i8_m128i, m128i, max_u8_m128i, move_mask_i8_m128i,
        set_splat_i8_m128i,
    };
    let splat = |x: u8| set_splat_i8_m128i(x as i8);
    let v = m128i::from(b);
    let eq = |x: u8| cmp_eq_mask_i8_m128i(v, splat(x));
    let low = cmp_eq_mask_i8_m128i(max_u8_m128i(v, splat(b' ')), splat(b' '));
    let seps = bitor_m128i(
        bitor_m128i(eq(b';'), eq(b',')),
        bitor_m128i(eq(b'"'), eq(b'<')),
    );
    move_mask_i8_m128i(bitor_m128i(bitor_m128i(low, seps), eq(b'>'))) as u32 & 0xffff
}

/// End of the run of `table` bytes starting at `i`, 16 bytes per step:
/// `candidates` marks every byte that may be outside the table (a
/// superset), and only those are looked up. The last step overlaps the one
/// before it, so nothing past the slice is read and there is no byte loop
/// unless the slice is shorter than 16 bytes.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn run_end16(
    table: &[bool; 256],
    s: &[u8],
    mut i: usize,
    candidates: impl Fn([u8; 16]) -> u32,
) -> usize {
    let len = s.len();
    let first_out = |at: usize, mut c: u32| -> Option<usize> {
        while c != 0 {
            let k = c.trailing_zeros() as usize;
            if !table[s[at + k] as usize] {
                return Some(at + k);
            }
            c &= c - 1;
        }
        None
    };
    while i + 16 <= len {
        if let Some(e) = first_out(i, candidates(chunk16(s, i))) {
            return e;
        }
        i += 16;
    }
    if i >= len {
        return len;
    }
    if len < 16 {
        return i + s[i..]
            .iter()
            .position(|&b| !table[b as usize])
            .unwrap_or(len - i);
    }
    let base = len - 16;
    first_out(base, candidates(chunk16(s, base)) & (!0u32 << (i - base))).unwrap_or(len)
}

/// End of the run of token bytes (RFC 3261 `token`) starting at `i`; same
/// answer as the table scan.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
pub(crate) fn token_end(s: &[u8], i: usize) -> usize {
    run_end16(&super::header::TOKEN, s, i, |b| !namey_mask16(b) & 0xffff)
}

/// End of the run of host-name bytes starting at `i`.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
pub(crate) fn host_end(s: &[u8], i: usize) -> usize {
    run_end16(&super::value::HOST, s, i, |b| !namey_mask16(b) & 0xffff)
}

/// End of an unquoted parameter value starting at `i`.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
pub(crate) fn pvalue_end(s: &[u8], i: usize) -> usize {
    run_end16(&super::value::PVALUE, s, i, pstop_mask16)
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
#[inline(always)]
pub(crate) fn token_end(s: &[u8], i: usize) -> usize {
    super::value::scan_end(&super::header::TOKEN, s, i, super::value::token_wordy)
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
#[inline(always)]
pub(crate) fn host_end(s: &[u8], i: usize) -> usize {
    super::value::scan_end(&super::value::HOST, s, i, super::value::host_wordy)
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
#[inline(always)]
pub(crate) fn pvalue_end(s: &[u8], i: usize) -> usize {
    super::value::scan_end(&super::value::PVALUE, s, i, super::value::wordy)
}

/// LF mask of `buf[at..at + 64]`; bytes past the end count as not LF.
#[inline(always)]
fn lf_block(buf: &[u8], at: usize) -> u64 {
    match buf.get(at..at + 64) {
        Some(b) => {
            let mut block = [0u8; 64];
            block.copy_from_slice(b);
            eq_mask64(&block, b'\n')
        }
        None => lf_tail(buf, at),
    }
}

/// The last, partial block: the buffer's last 64 bytes, shifted so bit 0
/// is `at`; a buffer shorter than a block is copied into zeros first.
/// Nothing past the buffer is read.
#[inline(always)]
fn lf_tail(buf: &[u8], at: usize) -> u64 {
    let len = buf.len();
    if at >= len {
        return 0;
    }
    if len >= 64 {
        let mut block = [0u8; 64];
        block.copy_from_slice(&buf[len - 64..]);
        return eq_mask64(&block, b'\n') >> (at - (len - 64));
    }
    let rest = buf.get(at..).unwrap_or_default();
    let mut block = [0u8; 64];
    block[..rest.len()].copy_from_slice(rest);
    eq_mask64(&block, b'\n')
}

/// Finds the LFs of one buffer, front to back.
///
/// The mask of the block after the current one is computed ahead of
/// need: moving to the next block then waits for no load, and the line
/// after a block boundary is found as fast as any other.
#[derive(Debug)]
pub(crate) struct LineEnds<'a> {
    buf: &'a [u8],
    /// Start of the block `mask` describes.
    at: usize,
    mask: u64,
    /// Mask of the block at `at + 64`.
    ahead: u64,
}

impl<'a> LineEnds<'a> {
    #[inline(always)]
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        LineEnds {
            buf,
            at: 0,
            mask: lf_block(buf, 0),
            ahead: lf_block(buf, 64),
        }
    }

    /// Index of the first LF at or after `from`. Cheapest when `from` only
    /// grows between calls; any `from` gives the right answer.
    #[inline(always)]
    pub(crate) fn find(&mut self, mut from: usize) -> Option<usize> {
        loop {
            let off = from.wrapping_sub(self.at);
            if off < 64 {
                let m = self.mask & (!0u64 << off);
                if m != 0 {
                    return Some(self.at + m.trailing_zeros() as usize);
                }
                self.at += 64;
                from = self.at;
                self.mask = self.ahead;
            } else {
                self.at = from;
                self.mask = lf_block(self.buf, from);
            }
            if self.at >= self.buf.len() {
                // A block past the end holds no LF.
                self.mask = 0;
                self.ahead = 0;
                return None;
            }
            self.ahead = lf_block(self.buf, self.at + 64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simd_and_portable_masks_agree() {
        let mut b = [0u8; 64];
        for seed in 0u64..2000 {
            let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            for v in b.iter_mut() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // Mostly LF and its neighbours, with every byte value seen.
                *v = match x % 4 {
                    0 => b'\n',
                    1 => (x >> 8) as u8,
                    2 => b'\n' ^ (1 << ((x >> 8) % 8)),
                    _ => 0x8a,
                };
            }
            let want = b
                .iter()
                .enumerate()
                .fold(0u64, |m, (i, &c)| m | u64::from(c == b'\n') << i);
            assert_eq!(eq_mask64(&b, b'\n'), want);
            assert_eq!(eq_mask64_swar(&b, b'\n'), want);
        }
    }

    #[test]
    fn run_ends_match_the_tables() {
        use crate::sip::header::TOKEN;
        use crate::sip::value::{HOST, PVALUE};
        let bytes: Vec<u8> = (0..=255u8).collect();
        for len in 0..60usize {
            for bad_at in (0..len).step_by(3).chain([len]) {
                for &bad in bytes
                    .iter()
                    .step_by(7)
                    .chain(b":_!%~.-@ \t\r\n;,\"<>\x01\x7f\x80")
                {
                    let mut s: Vec<u8> = (0..len).map(|i| b"Ab-9.zQx"[i % 8]).collect();
                    if bad_at < len {
                        s[bad_at] = bad;
                    }
                    for from in [0, 1, 5, 17].into_iter().filter(|&f| f <= len) {
                        let end = |t: &[bool; 256]| {
                            (from..len).find(|&i| !t[s[i] as usize]).unwrap_or(len)
                        };
                        assert_eq!(token_end(&s, from), end(&TOKEN), "{s:?} from {from}");
                        assert_eq!(host_end(&s, from), end(&HOST), "{s:?} from {from}");
                        assert_eq!(pvalue_end(&s, from), end(&PVALUE), "{s:?} from {from}");
                    }
                }
            }
        }
    }

    #[test]
    fn find2_finds_the_first_of_either() {
        for len in 0..80usize {
            for (p, q) in [(len / 3, len / 2), (len.saturating_sub(1), 0), (5, 40)] {
                let mut s = vec![b'a'; len];
                if p < len {
                    s[p] = b',';
                }
                if q < len && q % 2 == 1 {
                    s[q] = b'"';
                }
                for from in 0..len + 2 {
                    let want = s
                        .get(from..)
                        .and_then(|t| t.iter().position(|&c| c == b',' || c == b'"'))
                        .map(|i| from + i);
                    assert_eq!(find2(&s, from, b',', b'"'), want, "{len} {p} {q} {from}");
                    let want = s
                        .get(from..)
                        .and_then(|t| t.iter().position(|&c| c == b','))
                        .map(|i| from + i);
                    assert_eq!(find2(&s, from, b',', b','), want);
                }
            }
        }
    }

    /// Every LF is found from every start, in any order of calls, on
    /// buffers of every length around the block size.
    #[test]
    fn finds_every_line_end() {
        for len in 0..200usize {
            let buf: Vec<u8> = (0..len)
                .map(|i| {
                    if i % 7 == 3 || i % 61 == 60 {
                        b'\n'
                    } else {
                        b'a'
                    }
                })
                .collect();
            let want = |from: usize| (from..len).find(|&i| buf[i] == b'\n');
            let mut fwd = LineEnds::new(&buf);
            for from in 0..len + 70 {
                assert_eq!(fwd.find(from), want(from), "len {len} from {from}");
            }
            let mut back = LineEnds::new(&buf);
            for from in (0..len + 3).rev() {
                assert_eq!(back.find(from), want(from), "len {len} from {from}");
            }
            // Walking line to line, as the header pass does.
            let mut walk = LineEnds::new(&buf);
            let mut pos = 0;
            while let Some(lf) = walk.find(pos) {
                assert_eq!(Some(lf), want(pos));
                pos = lf + 1;
            }
            assert_eq!(want(pos), None);
        }
    }
}
