#!/usr/bin/env python3
"""Wrap raw G.711 bytes (8 kHz, one byte per sample) into an RTP pcap that
sipp's play_pcap_audio can play: Ethernet/IPv4/UDP, 160-byte payloads every
20 ms, RFC 3550 headers (V=2, marker on the first packet).

usage: rtp_pcap.py RAW OUT.pcap PT SSRC_HEX [--drop-every N]
  --drop-every N  leave out every Nth packet (a sequence gap per N packets),
                  to check loss accounting end to end.
"""
import struct
import sys


def ip_checksum(hdr: bytes) -> int:
    s = sum(struct.unpack("!10H", hdr))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def main() -> None:
    args = sys.argv[1:]
    drop = 0
    if "--drop-every" in args:
        i = args.index("--drop-every")
        drop = int(args[i + 1])
        del args[i : i + 2]
    raw_path, out_path, pt, ssrc = args[0], args[1], int(args[2]), int(args[3], 16)
    raw = open(raw_path, "rb").read()
    frame = 160
    n = len(raw) // frame
    src, dst = bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1])
    out = open(out_path, "wb")
    out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    t0 = 1_700_000_000
    for k in range(n):
        if drop and k % drop == drop - 1:
            continue
        payload = raw[k * frame : (k + 1) * frame]
        marker = 0x80 if k == 0 else 0
        rtp = struct.pack("!BBHII", 0x80, marker | pt, k & 0xFFFF, k * frame, ssrc) + payload
        udp = struct.pack("!HHHH", 6000, 6002, 8 + len(rtp), 0) + rtp
        iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), k & 0xFFFF, 0, 64, 17, 0, src, dst)
        iph = iph[:10] + struct.pack("!H", ip_checksum(iph)) + iph[12:]
        eth = b"\x00" * 12 + b"\x08\x00"
        pkt = eth + iph + udp
        usec = k * 20_000
        out.write(struct.pack("<IIII", t0 + usec // 1_000_000, usec % 1_000_000, len(pkt), len(pkt)))
        out.write(pkt)
    out.close()


if __name__ == "__main__":
    main()
