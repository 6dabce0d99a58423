#!/usr/bin/env bash
# Runs every sipp pair through `trunkwatch proxy` on loopback (UAC = platform
# -> proxy -> UAS = trunk) and prints, per scenario, sipp's exit codes and the
# outcome the proxy's monitor emitted next to the expected one. A quick check
# that the scenarios pass a Record-Routing proxy and of proxy-mode tracking.
# Usage: scripts/sipp/proxy_smoke.sh [TRUNKWATCH_BINARY]   (ports 26000-26400)
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SCN=$ROOT/tests/sipp
BIN=${1:-${CARGO_TARGET_DIR:-$ROOT/target}/debug/trunkwatch}
WORK=$(mktemp -d /tmp/trunkwatch-proxy-smoke.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
    rm -rf "$WORK"
}
trap cleanup EXIT

# name | uas | uac | extra UAC args | expected "status code"
ROWS=(
"completed_caller_bye|uas_answer|uac_caller_bye||completed 200"
"completed_callee_bye|uas_answer_bye|uac_callee_bye||completed 200"
"busy_486|uas_486|uac_reject|-set expected 486|busy 486"
"busy_600|uas_600|uac_reject|-set expected 600|busy 600"
"busy_603|uas_603|uac_reject|-set expected 603|busy 603"
"failed_404|uas_404|uac_reject|-set expected 404|failed 404"
"noanswer_408|uas_408|uac_reject|-set expected 408|no-answer 408"
"noanswer_480|uas_480|uac_reject|-set expected 480|no-answer 480"
"failed_503|uas_503|uac_reject|-set expected 503|failed 503"
"canceled_487|uas_cancel|uac_cancel||canceled 487"
"noanswer_cancel_19|uas_cancel|uac_cancel_noanswer||no-answer 487"
"auth_407|uas_auth|uac_auth||completed 200"
"reinvite_200|uas_reinvite_200|uac_reinvite||completed 200"
"reinvite_491|uas_reinvite_491|uac_reinvite||completed 200"
"redirect_302|uas_redirect|uac_redirect||completed 200"
"fork|uas_fork|uac_fork||completed 200"
)

i=0
bad=0
for row in "${ROWS[@]}"; do
    IFS='|' read -r name uas uac xc want <<<"$row"
    pu=$((26000 + 20 * i)); pc=$((pu + 5)); px=$((pu + 8))
    "$BIN" proxy --listen 127.0.0.1:$px --platform 127.0.0.1:$pc --trunk 127.0.0.1:$pu \
        --duration 20 --summary none -o "$WORK/$name.jsonl" 2>"$WORK/$name.proxy.err" &
    ppid=$!; PIDS+=("$ppid")
    timeout 30 sipp -sf "$SCN/$uas.xml" -i 127.0.0.1 -p $pu -m 1 -mp $((pu + 1000)) \
        -cp $((pu + 2000)) -nostdin -timeout 15s -timeout_error >"$WORK/$name.uas" 2>&1 &
    upid=$!; PIDS+=("$upid")
    sleep 0.5
    # shellcheck disable=SC2086
    timeout 30 sipp -sf "$SCN/$uac.xml" -i 127.0.0.1 -p $pc -m 1 -mp $((pu + 1010)) \
        -cp $((pu + 2001)) -nostdin -timeout 15s -timeout_error -s +12125550123 \
        -key bid "b077e5ff$(printf %02x $i)01" $xc 127.0.0.1:$px >"$WORK/$name.uac" 2>&1
    rc_uac=$?
    wait "$upid"; rc_uas=$?
    kill -INT "$ppid" 2>/dev/null; wait "$ppid" 2>/dev/null
    got=$(python3 -c "
import json,sys
ls=[json.loads(l) for l in open('$WORK/$name.jsonl')] if __import__('os').path.exists('$WORK/$name.jsonl') else []
print(' / '.join(f\"{o['status']} {o['sip_code'] or 'null'}\" for o in ls) or 'none')")
    mark=ok
    if [ "$rc_uac" != 0 ] || [ "$rc_uas" != 0 ] || [ "$got" != "$want" ]; then mark=BAD; bad=$((bad + 1)); fi
    printf '%-20s sipp uac=%s uas=%s  want %-14s got %-14s %s\n' "$name" "$rc_uac" "$rc_uas" "$want" "$got" "$mark"
    i=$((i + 1))
done
echo "$bad of ${#ROWS[@]} scenarios wrong"
[ $bad = 0 ]
