#!/usr/bin/env bash
# Records the sipp fixture captures in fixtures/pcap/sipp/ from real sipp runs
# on loopback: for each scenario, dumpcap on lo (port filter), sipp UAS, then
# sipp UAC, then dumpcap stopped. Each scenario has its own port block so
# captures never mix. Usage: scripts/sipp/record.sh [NAME...]  (default: all)
# Needs: sipp 3.6, dumpcap (root or CAP_NET_RAW).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SCN=$ROOT/tests/sipp
OUT=$ROOT/fixtures/pcap/sipp
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/trunkwatch-sipp-rec.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]:-}"; do
        [ -n "$p" ] && kill "$p" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

# name | index | uas scenario | uac scenario | calls | extra UAS args | extra UAC args | ip family/transport
# index picks the port block: UAS 25000+20*i, UAC +5 (keep-alive pair +10/+15).
SCENARIOS=(
"completed_caller_bye|0|uas_answer|uac_caller_bye|2|||udp4"
"completed_callee_bye|1|uas_answer_bye|uac_callee_bye|1|||udp4"
"busy_486|2|uas_486|uac_reject|1||-set expected 486|udp4"
"busy_600|3|uas_600|uac_reject|1||-set expected 600|udp4"
"busy_603_decline|4|uas_603|uac_reject|1||-set expected 603|udp4"
"failed_404|5|uas_404|uac_reject|1||-set expected 404|udp4"
"noanswer_408|6|uas_408|uac_reject|1||-set expected 408|udp4"
"noanswer_480|7|uas_480|uac_reject|1||-set expected 480|udp4"
"failed_503_retry_after|8|uas_503|uac_reject|1||-set expected 503|udp4"
"canceled_487|9|uas_cancel|uac_cancel|1|||udp4"
"noanswer_cancel_q850_19|10|uas_cancel|uac_cancel_noanswer|1|||udp4"
"auth_407_then_200|11|uas_auth|uac_auth|1|||udp4"
"reinvite_200|12|uas_reinvite_200|uac_reinvite|1|||udp4"
"reinvite_491|13|uas_reinvite_491|uac_reinvite|1|||udp4"
"redirect_302|14|uas_redirect|uac_redirect|1|||udp4"
"fork_two_180|15|uas_fork|uac_fork|1|||udp4"
"completed_caller_bye_ipv6|16|uas_answer|uac_caller_bye|1|||udp6"
"completed_caller_bye_tcp|17|uas_answer|uac_caller_bye|2|||tcp4"
"timer_b_no_response|18|uas_silent|uac_timer_b|1||-max_invite_retrans 10|udp4"
"late_ack_200_retransmitted|19|uas_answer|uac_late_ack|1|||udp4"
)

# Butter call id prefix per scenario: call_<12 hex><call number>
bid() { printf 'b077e5%04x%02x' "$1" 1; }

start_dumpcap() { # file filter
    local f=$1 filt=$2
    dumpcap -q -i lo -f "$filt" -P -w "$f" 2>"$WORK/dumpcap.err" &
    DUMPCAP=$!
    PIDS+=("$DUMPCAP")
    for _ in $(seq 100); do
        grep -q "Capturing on" "$WORK/dumpcap.err" 2>/dev/null && return 0
        sleep 0.05
    done
    echo "dumpcap did not start: $(cat "$WORK/dumpcap.err")" >&2
    return 1
}

stop_dumpcap() {
    sleep 0.3   # let the last packets reach the capture
    kill -INT "$DUMPCAP"
    wait "$DUMPCAP" || true
}

run_sipp_pair() { # uas uac ip port_uas port_uac calls transport extra_uas extra_uac ctl media timeout
    local uas=$1 uac=$2 ip=$3 pu=$4 pc=$5 m=$6 t=$7 xu=$8 xc=$9 ctl=${10} media=${11} bidv=${12}
    local remote=$ip
    [[ $ip == *:* ]] && remote="[$ip]"
    # shellcheck disable=SC2086
    timeout 80 sipp -sf "$SCN/$uas.xml" -i "$ip" -p "$pu" -t "$t" -m "$m" -mp "$media" -cp "$ctl" \
        -nostdin -timeout 70s -timeout_error -trace_err -error_file "$WORK/$uas.err" $xu \
        >"$WORK/uas.out" 2>&1 &
    local uas_pid=$!
    PIDS+=("$uas_pid")
    sleep 0.3
    local rc_uac=0 rc_uas=0
    # shellcheck disable=SC2086
    timeout 80 sipp -sf "$SCN/$uac.xml" -i "$ip" -p "$pc" -t "$t" -m "$m" -r 1 -mp $((media + 10)) \
        -cp $((ctl + 1)) -nostdin -timeout 70s -timeout_error -s +12125550123 -key bid "$bidv" \
        -trace_err -error_file "$WORK/$uac.err" $xc "$remote:$pu" >"$WORK/uac.out" 2>&1 || rc_uac=$?
    wait "$uas_pid" || rc_uas=$?
    if [ "$rc_uac" != 0 ] || [ "$rc_uas" != 0 ]; then
        echo "  sipp failed: uac rc=$rc_uac uas rc=$rc_uas" >&2
        grep -E "Successful call|Failed call" "$WORK/uac.out" "$WORK/uas.out" >&2 || true
        cat "$WORK"/*.err >&2 2>/dev/null || true
        return 1
    fi
}

record() {
    local name=$1 i=$2 uas=$3 uac=$4 m=$5 xu=$6 xc=$7 fam=$8
    local pu=$((25000 + 20 * i)) pc=$((25005 + 20 * i))
    local ctl=$((35000 + 20 * i)) media=$((30000 + 20 * i))
    local ip=127.0.0.1 t=u1
    [ "$fam" = udp6 ] && ip=::1
    [ "$fam" = tcp4 ] && t=t1
    local filt="port $pu or port $pc"
    local keepalive=0
    [ "$name" = timer_b_no_response ] && keepalive=1
    [ $keepalive = 1 ] && filt="$filt or port $((pu + 10)) or port $((pu + 15))"
    echo "== $name ($uac -> $uas, $fam, ports $pu/$pc)"
    local tmp=$WORK/$name.pcap
    start_dumpcap "$tmp" "$filt"
    run_sipp_pair "$uas" "$uac" "$ip" "$pu" "$pc" "$m" "$t" "$xu" "$xc" "$ctl" "$media" "$(bid "$i")"
    if [ $keepalive = 1 ]; then
        # a trunk OPTIONS keep-alive after Timer B, so the capture clock passes 32 s
        run_sipp_pair uas_options uac_options "$ip" $((pu + 10)) $((pu + 15)) 1 "$t" "" "" \
            $((ctl + 10)) $((media + 100)) "$(bid "$i")"
    fi
    stop_dumpcap
    mv "$tmp" "$OUT/$name.pcap"
    echo "   $(tshark -r "$OUT/$name.pcap" -Y sip 2>/dev/null | wc -l) SIP messages -> fixtures/pcap/sipp/$name.pcap"
}

want=("$@")
for row in "${SCENARIOS[@]}"; do
    IFS='|' read -r name i uas uac m xu xc fam <<<"$row"
    if [ ${#want[@]} -gt 0 ]; then
        skip=1
        for w in "${want[@]}"; do [ "$w" = "$name" ] && skip=0; done
        [ $skip = 1 ] && continue
    fi
    record "$name" "$i" "$uas" "$uac" "$m" "$xu" "$xc" "$fam"
done
