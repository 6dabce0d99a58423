//! WebSocket framing (RFC 6455) for SIP over WebSocket (RFC 7118): after the
//! HTTP Upgrade, each WebSocket message (possibly fragmented over frames,
//! masked from client to server) carries one SIP message.

/// Reassembly state of one direction of a WebSocket connection.
#[derive(Debug, Default)]
pub(super) struct WsState {
    msg: Vec<u8>,
    in_msg: bool,
}

impl WsState {
    pub(super) fn mem(&self) -> usize {
        self.msg.len()
    }

    pub(super) fn clear(&mut self) {
        self.msg = Vec::new();
        self.in_msg = false;
    }
}

/// Consume the complete frames at the front of `buf`, calling `emit` with the
/// payload of every complete data message. Returns the bytes consumed, or the
/// reason the stream cannot be followed (a counter name at layer `ws`).
pub(super) fn frames(
    st: &mut WsState,
    buf: &[u8],
    max: usize,
    emit: &mut dyn FnMut(&[u8]),
) -> Result<usize, &'static str> {
    let mut pos = 0;
    loop {
        let b = &buf[pos..];
        if b.len() < 2 {
            break;
        }
        let fin = b[0] & 0x80 != 0;
        let rsv = b[0] & 0x70;
        let op = b[0] & 0x0f;
        let masked = b[1] & 0x80 != 0;
        let (len, mut h) = match b[1] & 0x7f {
            126 => {
                if b.len() < 4 {
                    break;
                }
                (u16::from_be_bytes([b[2], b[3]]) as u64, 4)
            }
            127 => {
                if b.len() < 10 {
                    break;
                }
                let mut a = [0u8; 8];
                a.copy_from_slice(&b[2..10]);
                (u64::from_be_bytes(a), 10)
            }
            n => (n as u64, 2),
        };
        if rsv & 0x40 != 0 {
            return Err("compressed_not_decoded"); // permessage-deflate (RFC 7692)
        }
        if rsv != 0 {
            return Err("bad_frame");
        }
        if !matches!(op, 0 | 1 | 2 | 8 | 9 | 10) {
            return Err("bad_opcode");
        }
        if len > max as u64 {
            return Err("message_too_large");
        }
        let len = len as usize;
        let mut mask = None;
        if masked {
            if b.len() < h + 4 {
                break;
            }
            mask = Some([b[h], b[h + 1], b[h + 2], b[h + 3]]);
            h += 4;
        }
        if b.len() < h + len {
            break;
        }
        let payload = &b[h..h + len];
        pos += h + len;
        if op >= 8 {
            continue; // close, ping, pong
        }
        if op != 0 {
            if st.in_msg {
                return Err("bad_fragmentation");
            }
            st.msg.clear();
            st.in_msg = true;
        } else if !st.in_msg {
            return Err("bad_fragmentation");
        }
        if st.msg.len() + len > max {
            return Err("message_too_large");
        }
        let start = st.msg.len();
        st.msg.extend_from_slice(payload);
        if let Some(m) = mask {
            // The mask restarts with every frame.
            for (i, x) in st.msg[start..].iter_mut().enumerate() {
                *x ^= m[i & 3];
            }
        }
        if fin {
            emit(&st.msg);
            st.msg.clear();
            st.in_msg = false;
        }
    }
    Ok(pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(fin: bool, op: u8, mask: Option<[u8; 4]>, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![(fin as u8) << 7 | op];
        let m = if mask.is_some() { 0x80 } else { 0 };
        if payload.len() < 126 {
            v.push(m | payload.len() as u8);
        } else {
            v.push(m | 126);
            v.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        }
        match mask {
            Some(k) => {
                v.extend_from_slice(&k);
                v.extend(payload.iter().enumerate().map(|(i, b)| b ^ k[i & 3]));
            }
            None => v.extend_from_slice(payload),
        }
        v
    }

    #[test]
    fn masked_fragmented_and_control_frames() {
        let msg = b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 0\r\n\r\n";
        let mut buf = frame(false, 1, Some([1, 2, 3, 4]), &msg[..10]);
        buf.extend(frame(true, 9, None, b"ping"));
        buf.extend(frame(true, 0, Some([9, 8, 7, 6]), &msg[10..]));
        buf.extend(frame(true, 1, None, &[b'x'; 300]));
        let mut st = WsState::default();
        let mut got = Vec::new();
        // Fed byte by byte: partial frames wait.
        let mut fed = Vec::new();
        let mut used = 0;
        for &b in &buf {
            fed.push(b);
            used += frames(&mut st, &fed[used..], 1 << 20, &mut |m| {
                got.push(m.to_vec())
            })
            .unwrap();
        }
        assert_eq!(used, buf.len());
        assert_eq!(got, vec![msg.to_vec(), vec![b'x'; 300]]);
    }

    #[test]
    fn rejects_bad_frames() {
        let mut st = WsState::default();
        assert_eq!(
            frames(&mut st, &frame(true, 0, None, b"x"), 100, &mut |_| {}),
            Err("bad_fragmentation")
        );
        assert_eq!(
            frames(&mut st, &[0x83, 0], 100, &mut |_| {}),
            Err("bad_opcode")
        );
        assert_eq!(
            frames(&mut st, &[0xc1, 0], 100, &mut |_| {}),
            Err("compressed_not_decoded")
        );
    }
}
