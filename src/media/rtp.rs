//! RTP/RTCP header checks (RFC 3550, RFC 5761, RFC 7983) and per-stream
//! sequence accounting (RFC 3550 appendix A.1/A.3). Borrowed views only.

/// What a UDP payload on a media port is, by its first bytes (RFC 7983 §7).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    Rtp(Rtp),
    /// An RTCP compound packet; `packet_type` of its first packet (200..=207).
    Rtcp {
        packet_type: u8,
    },
    /// STUN (ICE connectivity checks), first byte 0..=3.
    Stun,
    /// DTLS (DTLS-SRTP key exchange), first byte 20..=63.
    Dtls,
    /// ZRTP (RFC 6189): version bits 0, magic cookie `ZRTP` at offset 4.
    Zrtp,
    /// Version 2 but the lengths do not add up, or an RTCP type outside 200..=207.
    Malformed(&'static str),
    /// None of the above.
    Other,
}

/// A validated RTP header, and where the payload it carries is (padding
/// removed): offsets, so the header can outlive the packet's bytes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Rtp {
    pub marker: bool,
    pub payload_type: u8,
    pub seq: u16,
    pub timestamp: u32,
    pub ssrc: u32,
    /// Offsets in the packet (u32 keeps the header small; a UDP payload is
    /// at most 64 KiB).
    pub payload_start: u32,
    pub payload_end: u32,
}

impl Rtp {
    /// The payload within `packet`, the bytes this header was read from.
    pub fn payload<'a>(&self, packet: &'a [u8]) -> &'a [u8] {
        &packet[self.payload_start as usize..self.payload_end as usize]
    }
}

/// Classify one UDP payload seen on (or near) a media port.
///
/// RFC 5761 §4: with RTP and RTCP multiplexed, the second byte tells them
/// apart: 192..=223 is RTCP (RTP payload types 64..=95 are not used for that
/// reason); RTCP packet types in use are 200 (SR) to 207 (XR).
pub fn classify(p: &[u8]) -> Kind {
    let Some(&b0) = p.first() else {
        return Kind::Other;
    };
    if u32::try_from(p.len()).is_err() {
        return Kind::Other; // larger than any datagram
    }
    match b0 {
        0..=3 => return Kind::Stun,
        20..=63 => return Kind::Dtls,
        16 if p.len() >= 8 && &p[4..8] == b"ZRTP" => return Kind::Zrtp,
        128..=191 => {}
        _ => return Kind::Other,
    }
    if p.len() < 4 {
        return Kind::Malformed("rtp_too_short");
    }
    let b1 = p[1];
    if (192..=223).contains(&b1) {
        if !(200..=207).contains(&b1) {
            return Kind::Malformed("rtcp_bad_type");
        }
        // Length in 32-bit words minus one; the first packet must fit.
        let words = u16::from_be_bytes([p[2], p[3]]) as usize + 1;
        if words * 4 > p.len() {
            return Kind::Malformed("rtcp_bad_length");
        }
        return Kind::Rtcp { packet_type: b1 };
    }
    if p.len() < 12 {
        return Kind::Malformed("rtp_too_short");
    }
    let cc = (b0 & 0x0f) as usize;
    let mut off = 12 + 4 * cc;
    if b0 & 0x10 != 0 {
        // Header extension: 16-bit profile, 16-bit length in words.
        if p.len() < off + 4 {
            return Kind::Malformed("rtp_bad_extension");
        }
        let words = u16::from_be_bytes([p[off + 2], p[off + 3]]) as usize;
        off += 4 + 4 * words;
    }
    if off > p.len() {
        return Kind::Malformed("rtp_bad_header_length");
    }
    let mut end = p.len();
    if b0 & 0x20 != 0 {
        let pad = p[p.len() - 1] as usize;
        if pad == 0 || off + pad > p.len() {
            return Kind::Malformed("rtp_bad_padding");
        }
        end -= pad;
    }
    Kind::Rtp(Rtp {
        marker: b1 & 0x80 != 0,
        payload_type: b1 & 0x7f,
        seq: u16::from_be_bytes([p[2], p[3]]),
        timestamp: u32::from_be_bytes([p[4], p[5], p[6], p[7]]),
        ssrc: u32::from_be_bytes([p[8], p[9], p[10], p[11]]),
        payload_start: off as u32,
        payload_end: end as u32,
    })
}

/// RFC 3550 A.1: a forward jump this large is a restart, not loss.
const MAX_DROPOUT: u16 = 3000;
/// RFC 3550 A.1: a backward step this small is reordering.
const MAX_MISORDER: u16 = 100;

/// Sequence state of one SSRC: expected vs received, across 16-bit wraparound
/// and source restarts.
#[derive(Clone, Debug, Default)]
pub struct SeqTracker {
    started: bool,
    base: u16,
    max: u16,
    /// Completed 16-bit cycles since `base`.
    cycles: u64,
    /// Packets counted since `base`.
    received: u64,
    /// Loss carried from sequence runs ended by a restart.
    lost_before: u64,
    /// RFC 3550 `bad_seq`: a large jump is a restart only when the next
    /// packet follows it.
    bad_seq: Option<u16>,
    /// Jumps judged to be source restarts.
    pub restarts: u64,
}

impl SeqTracker {
    /// Account one packet.
    pub fn update(&mut self, seq: u16) {
        if !self.started {
            self.restart(seq);
            return;
        }
        let udelta = seq.wrapping_sub(self.max);
        if udelta < MAX_DROPOUT {
            if seq < self.max {
                self.cycles += 1;
            }
            self.max = seq;
            self.received += 1;
            self.bad_seq = None;
        } else if udelta <= u16::MAX - MAX_MISORDER {
            // Very large jump: restart when the following packet confirms it.
            if self.bad_seq == Some(seq) {
                self.lost_before += self.lost_current();
                self.restarts += 1;
                self.restart(seq);
            } else {
                self.bad_seq = Some(seq.wrapping_add(1));
                // Counted as received so packets = received; not in the run.
                self.received += 1;
            }
        } else {
            // Duplicate or reordered: received, no change to the maximum.
            self.received += 1;
        }
    }

    fn restart(&mut self, seq: u16) {
        self.started = true;
        self.base = seq;
        self.max = seq;
        self.cycles = 0;
        self.received = 1;
        self.bad_seq = None;
    }

    fn expected_current(&self) -> u64 {
        if !self.started {
            return 0;
        }
        ((self.cycles << 16) + u64::from(self.max) + 1).saturating_sub(u64::from(self.base))
    }

    fn lost_current(&self) -> u64 {
        self.expected_current().saturating_sub(self.received)
    }

    /// Packets expected but never seen (duplicates never make it negative).
    pub fn lost(&self) -> u64 {
        self.lost_before + self.lost_current()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rtp(pt: u8, seq: u16, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![0x80, pt];
        v.extend_from_slice(&seq.to_be_bytes());
        v.extend_from_slice(&1234u32.to_be_bytes());
        v.extend_from_slice(&0xdead_beefu32.to_be_bytes());
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn rtp_and_rtcp_are_told_apart() {
        let p = rtp(0, 7, &[0xff; 160]);
        match classify(&p) {
            Kind::Rtp(r) => {
                assert_eq!((r.payload_type, r.seq, r.ssrc), (0, 7, 0xdead_beef));
                assert_eq!(r.payload(&p).len(), 160);
            }
            k => panic!("{k:?}"),
        }
        // Marker bit set with PT 8: 0x88, still RTP.
        assert!(
            matches!(classify(&rtp(0x88, 1, &[0xd5; 8])), Kind::Rtp(r) if r.marker && r.payload_type == 8)
        );
        // RTCP receiver report: V=2, RC=0, PT=201, length 1 word.
        let rr = [0x80, 201, 0, 1, 1, 2, 3, 4];
        assert_eq!(classify(&rr), Kind::Rtcp { packet_type: 201 });
        assert_eq!(
            classify(&[0x80, 201, 0, 9, 1, 2, 3, 4]),
            Kind::Malformed("rtcp_bad_length")
        );
        assert_eq!(
            classify(&[0x80, 195, 0, 0]),
            Kind::Malformed("rtcp_bad_type")
        );
        assert_eq!(classify(&[0x00, 0x01, 0, 0]), Kind::Stun);
        assert_eq!(classify(&[22, 0xfe, 0xfd]), Kind::Dtls);
        assert_eq!(
            classify(&[0x10, 0, 0, 1, b'Z', b'R', b'T', b'P']),
            Kind::Zrtp
        );
        assert_eq!(classify(b"hello"), Kind::Other);
        assert_eq!(classify(&[0x80, 0, 1]), Kind::Malformed("rtp_too_short"));
    }

    #[test]
    fn csrc_extension_and_padding_are_skipped() {
        // CC=1, X=1, P=1.
        let mut p = vec![0x80 | 0x20 | 0x10 | 0x01, 0];
        p.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0, 0, 1]); // seq, ts, ssrc
        p.extend_from_slice(&[9, 9, 9, 9]); // CSRC
        p.extend_from_slice(&[0xbe, 0xde, 0, 1, 1, 2, 3, 4]); // one-word extension
        p.extend_from_slice(&[0xff; 4]); // payload
        p.extend_from_slice(&[0, 0, 3]); // 3 bytes of padding
        match classify(&p) {
            Kind::Rtp(r) => assert_eq!(r.payload(&p), &[0xff; 4]),
            k => panic!("{k:?}"),
        }
        let last = p.len() - 1;
        p[last] = 200;
        assert_eq!(classify(&p), Kind::Malformed("rtp_bad_padding"));
    }

    #[test]
    fn loss_survives_wraparound_reordering_and_duplicates() {
        let mut s = SeqTracker::default();
        for seq in [65_530u16, 65_531, 65_533, 65_532, 65_535, 0, 1, 1, 4] {
            s.update(seq);
        }
        // Expected 65530..=65535 and 0..=4: 11; received 9 (1 twice): 65534, 2
        // and 3 missing, but a duplicate hides one loss, as in RFC 3550.
        assert_eq!(s.expected_current(), 11);
        assert_eq!(s.lost(), 2);
    }

    #[test]
    fn large_jump_is_a_restart_once_confirmed() {
        let mut s = SeqTracker::default();
        for seq in 100u16..110 {
            s.update(seq);
        }
        s.update(40_000);
        s.update(40_001);
        s.update(40_003);
        assert_eq!(s.restarts, 1);
        // Loss only within the runs: 40_002 missing.
        assert_eq!(s.lost(), 1);
    }
}
