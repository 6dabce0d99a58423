#!/usr/bin/env python3
"""INVITE -> 200 round trip, timed here in microseconds (sipp's own rtt is
rounded to milliseconds). Sends N calls one after the other (INVITE, wait
for 200, ACK, BYE, wait for 200) from a fixed local port to TARGET, which is
either a sipp UAS directly or a proxy in front of it.

usage: proxy_rtt.py LOCAL_PORT TARGET_HOST:PORT N  ->  prints 'median p99' (us)
"""
import socket, sys, time, random

local_port, target, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
host, port = target.rsplit(":", 1)
dst = (host, int(port))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", local_port))
s.settimeout(2.0)
me = f"127.0.0.1:{local_port}"
rtts = []
tag = f"{random.getrandbits(32):x}"


def msg(method, cid, cseq, branch, to_tag=""):
    return (f"{method} sip:bench@{target} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {me};branch=z9hG4bK{branch}\r\n"
            f"Max-Forwards: 70\r\n"
            f"From: <sip:rtt@{me}>;tag={tag}\r\n"
            f"To: <sip:bench@{target}>{to_tag}\r\n"
            f"Call-ID: {cid}\r\nCSeq: {cseq} {method}\r\n"
            f"Contact: <sip:rtt@{me}>\r\nContent-Length: 0\r\n\r\n").encode()


def wait_final(cid, method):
    while True:
        data = s.recv(65535)
        if cid.encode() not in data:
            continue
        if data.startswith(b"SIP/2.0 2") and (b" " + method.encode() + b"\r\n") in data:
            return data


for i in range(n):
    cid = f"rtt-{tag}-{i}"
    inv = msg("INVITE", cid, 1, f"i{tag}{i}")
    t0 = time.perf_counter_ns()
    s.sendto(inv, dst)
    try:
        ok = wait_final(cid, "INVITE")
    except socket.timeout:
        continue
    rtts.append((time.perf_counter_ns() - t0) / 1000)
    to_line = [l for l in ok.split(b"\r\n") if l.lower().startswith(b"to:")][0].decode()
    to_tag = ";" + to_line.split(";", 1)[1] if ";" in to_line else ""
    s.sendto(msg("ACK", cid, 1, f"a{tag}{i}", to_tag), dst)
    s.sendto(msg("BYE", cid, 2, f"b{tag}{i}", to_tag), dst)
    try:
        wait_final(cid, "BYE")
    except socket.timeout:
        pass
rtts.sort()
if not rtts:
    print("nan nan")
else:
    print(f"{rtts[len(rtts)//2]:.0f} {rtts[min(len(rtts)-1, int(len(rtts)*0.99))]:.0f}")
