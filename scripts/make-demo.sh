#!/usr/bin/env bash
# Records fixtures/demo/trunk-demo.pcap, the capture the README's main
# command replays, from REAL sipp traffic on loopback: a Butter platform
# (LiveKit SIP) on 127.0.10.1 and a carrier SBC on 127.0.20.1, calls in both
# directions, three lanes running concurrently so the calls interleave.
# Every sipp run must succeed on both sides or the script fails.
#
# dumpcap 4.0 has no -F: -P writes classic pcap.
# Needs: sipp 3.6 (sip-tester), dumpcap, root (dumpcap on lo, and sipp's raw
# socket for play_pcap_audio). Usage: scripts/make-demo.sh [OUT.pcap]
# After re-recording, review `trunkwatch replay` output and re-bless
# fixtures/expected/demo.jsonl (TRUNKWATCH_BLESS=1 scripts/readme-main.sh).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SCN=$ROOT/tests/sipp
OUT=${1:-$ROOT/fixtures/demo/trunk-demo.pcap}
PLATFORM=127.0.10.1
CARRIER=127.0.20.1
AUDIO=/usr/share/sip-tester/g711a.pcap

for tool in sipp dumpcap; do
    command -v "$tool" >/dev/null || { echo "make-demo: $tool not found (apt-get install sip-tester tshark)" >&2; exit 2; }
done
[ -r "$AUDIO" ] || { echo "make-demo: $AUDIO missing (package sip-tester)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "make-demo: run as root (dumpcap on lo, sipp raw socket for RTP)" >&2; exit 2; }

WORK=$(mktemp -d /tmp/trunkwatch-demo.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]:-}"; do
        [ -n "$p" ] && kill "$p" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

# One call: a sipp UAS, then a sipp UAC toward it; both must exit 0.
#   pair NAME LANE DIR UAS_XML UAC_XML DIALLED [UAC args...]
# DIR out: platform UAC -> carrier UAS; in: carrier UAC -> platform UAS.
# Lane k uses SIP port 5060+2k on both hosts, control ports 8900+10k(+1)
# and media ports 20000+100k (UAS) / 20050+100k (UAC).
pair() {
    local name=$1 lane=$2 dir=$3 uas=$4 uac=$5 dialled=$6
    shift 6
    local port=$((5060 + 2 * lane)) cp=$((8900 + 10 * lane)) mp=$((20000 + 100 * lane))
    local uas_ip=$CARRIER uac_ip=$PLATFORM
    if [ "$dir" = in ]; then uas_ip=$PLATFORM uac_ip=$CARRIER; fi
    timeout 40 sipp -sf "$SCN/$uas.xml" -i "$uas_ip" -p "$port" -m 1 -mp "$mp" -cp "$cp" \
        -nostdin -timeout 30s -timeout_error -trace_err -error_file "$WORK/$name.uas.err" \
        >"$WORK/$name.uas.out" 2>&1 &
    local uas_pid=$!
    PIDS+=("$uas_pid")
    sleep 0.2
    local rc_uac=0 rc_uas=0
    timeout 40 sipp -sf "$SCN/$uac.xml" -i "$uac_ip" -p "$port" -m 1 -r 1 -mp $((mp + 50)) \
        -cp $((cp + 1)) -nostdin -timeout 30s -timeout_error -s "$dialled" \
        -trace_err -error_file "$WORK/$name.uac.err" "$@" "$uas_ip:$port" \
        >"$WORK/$name.uac.out" 2>&1 || rc_uac=$?
    wait "$uas_pid" || rc_uas=$?
    if [ "$rc_uac" != 0 ] || [ "$rc_uas" != 0 ]; then
        echo "make-demo: $name FAILED (uac rc=$rc_uac, uas rc=$rc_uas)" >&2
        grep -hE "Successful call|Failed call" "$WORK/$name".ua?.out >&2 || true
        cat "$WORK/$name".ua?.err >&2 2>/dev/null || true
        return 1
    fi
    echo "  $name ok ($dir, $uac -> $uas)"
}

# Lanes (run concurrently; calls inside a lane run one after another).
# Butter ids: -key bid <12 hex> gives X-Butter-Call-Id: call_<bid>1.
lane0() {
    pair out_completed_caller_bye 0 out uas_answer uac_caller_bye +12125550101 -key bid 4f1a9c2e7b30
    pair out_busy_486 0 out uas_486 uac_reject +12125550102 -key bid 4f1a9c2e7b31 -set expected 486
    pair out_failed_404 0 out uas_404 uac_reject +12125550100 -key bid 4f1a9c2e7b32 -set expected 404
    pair out_canceled_487 0 out uas_cancel uac_cancel +12125550103 -key bid 4f1a9c2e7b33
    pair out_auth_407_then_200 0 out uas_auth uac_auth +12125550104 -key bid 4f1a9c2e7b34
    pair in_completed 0 in demo_uas_platform_answer demo_uac_inbound +14155550100 -set expected 200
}
lane1() {
    sleep 0.7
    pair out_completed_callee_bye 1 out uas_answer_bye uac_callee_bye +12125550111 -key bid 8d03e6b5a1c0
    pair out_noanswer_480 1 out uas_480 uac_reject +12125550112 -key bid 8d03e6b5a1c1 -set expected 480
    pair out_failed_503 1 out uas_503 uac_reject +12125550113 -key bid 8d03e6b5a1c2 -set expected 503
    pair out_busy_603 1 out uas_603 uac_reject +12125550114 -key bid 8d03e6b5a1c3 -set expected 603
    pair in_failed_404 1 in demo_uas_platform_404 demo_uac_inbound +14155550177 -set expected 404
}
lane2() {
    sleep 1.9
    # "connects but silence": the carrier plays real speech, the platform sends nothing
    pair out_one_way_media 2 out demo_uas_answer_audio uac_callee_bye +12125550121 -key bid c7e2049d5f18
}

echo "make-demo: recording $OUT"
dumpcap -q -i lo -f "host $PLATFORM or host $CARRIER" -P -w "$WORK/demo.pcap" 2>"$WORK/dumpcap.err" &
DUMPCAP=$!
PIDS+=("$DUMPCAP")
for _ in $(seq 100); do
    grep -q "Capturing on" "$WORK/dumpcap.err" 2>/dev/null && break
    sleep 0.05
done
grep -q "Capturing on" "$WORK/dumpcap.err" || { echo "make-demo: dumpcap did not start: $(cat "$WORK/dumpcap.err")" >&2; exit 1; }

lane0 & L0=$!
lane1 & L1=$!
lane2 & L2=$!
PIDS+=("$L0" "$L1" "$L2")
rc=0
wait "$L0" || rc=1
wait "$L1" || rc=1
wait "$L2" || rc=1
sleep 0.3   # let the last packets reach the capture
kill -INT "$DUMPCAP"
wait "$DUMPCAP" || true
[ $rc = 0 ] || { echo "make-demo: a sipp run failed; capture not written" >&2; exit 1; }

mkdir -p "$(dirname "$OUT")"
mv "$WORK/demo.pcap" "$OUT"
echo "make-demo: wrote $OUT ($(stat -c %s "$OUT") bytes)"
command -v capinfos >/dev/null && capinfos -c -u "$OUT" | tail -n +2 || true
