#!/usr/bin/env bash
# Throughput, CPU and added latency of the trunkwatch proxy against a
# stateless Kamailio (benches/kamailio-stateless.cfg, 2 workers), same
# machine, same run. sipp UAC (platform side) -> proxy -> sipp UAS (trunk).
#
#   benches/proxy.sh                 # RATES="1000 2000 3000 4000" DUR=5 RTT_CALLS=2000
#
# Per rate: failed-call share (sipp's own counters), CPU seconds per 1000
# calls of the proxy process(es) (/proc/PID/stat utime+stime). Then the
# INVITE->200 round trip timed in microseconds by benches/proxy_rtt.py,
# directly to the UAS and through each proxy, at idle.
set -euo pipefail
cd "$(dirname "$0")/.."
RATES=${RATES:-"1000 2000 3000 4000"}
DUR=${DUR:-5}
RTT_CALLS=${RTT_CALLS:-2000}
P=${BASE_PORT:-48000}
UAC=$((P + 1)) UAS=$((P + 2))
TGT=${CARGO_TARGET_DIR:-target}
cargo build --release --example proxy_bench >/dev/null 2>&1
BIN=$TGT/release/examples/proxy_bench
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
HZ=$(getconf CLK_TCK)

# utime+stime (ticks) of a process and its direct children.
ticks() {
  local t=0 p
  for p in "$1" $(pgrep -P "$1" || true); do
    [ -r /proc/$p/stat ] || continue
    t=$((t + $(awk '{print $14 + $15}' /proc/$p/stat)))
  done
  echo $t
}

sipp -sn uas -i 127.0.0.1 -p $UAS -t u1 -nostdin -mp $((P + 20)) >/dev/null 2>&1 &
PIDS+=($!)
sleep 0.5

# load PROXY_PID [TARGET_PORT] -> prints lines "rate ok lost fail% cpu_s_per_1000"
load() {
  local pid=$1 tp=${2:-$P} r
  for r in $RATES; do
    local m=$((r * DUR))
    local t0 t1
    t0=$(ticks "$pid")
    rm -f "$WORK"/stat.csv
    sipp -sn uac -i 127.0.0.1 -p $UAC -t u1 -r "$r" -m "$m" -nostdin -mp $((P + 30)) \
      -recv_timeout 5000 -timeout $((DUR + 20))s -trace_stat -stf "$WORK/stat.csv" -fd 1 \
      127.0.0.1:$tp >/dev/null 2>&1 || true
    t1=$(ticks "$pid")
    local line ok failed
    line=$(python3 - "$WORK/stat.csv" <<'PY'
import sys, csv
rows = list(csv.reader(open(sys.argv[1]), delimiter=';'))
h, last = rows[0], rows[-1]
print(last[h.index('SuccessfulCall(C)')], last[h.index('FailedCall(C)')])
PY
)
    ok=${line% *} failed=${line#* }
    awk -v r="$r" -v ok="$ok" -v f="$failed" -v m="$m" -v dt=$((t1 - t0)) -v hz="$HZ" 'BEGIN {
      lost = m - ok; if (lost < f) lost = f;
      printf "%6d %7d %6d %7.3f%% %8.3f\n", r, ok, lost, 100 * lost / m, (dt / hz) / (ok > 0 ? ok : 1) * 1000 }'
  done
}

rtt() { python3 benches/proxy_rtt.py $UAC "$1" "$RTT_CALLS"; }

echo "== direct (no proxy): INVITE->200 median/p99 us: $(rtt 127.0.0.1:$UAS)"
if [ -z "${SKIP_DIRECT:-}" ]; then
  echo "  sipp alone (UAC -> UAS, no proxy): what this machine can generate; cpu column is the UAS's"
  echo "  rate      ok   lost  failed  cpu_s/1000calls"
  load "${PIDS[0]}" $UAS
fi

echo "== trunkwatch (tokio, 2 workers)"
"$BIN" 127.0.0.1:$P 127.0.0.1:$UAC 127.0.0.1:$UAS 2>"$WORK/tw.log" &
TW=$!
PIDS+=($TW)
sleep 0.5
echo "  rate      ok   lost  failed  cpu_s/1000calls"
load $TW
echo "  INVITE->200 median/p99 us: $(rtt 127.0.0.1:$P)"
kill $TW
wait $TW 2>/dev/null || true
grep -E "proxy\.(forwarded|dropped|rate|tap|upstream)" "$WORK/tw.log" | sed 's/^/  /' || true

echo "== kamailio $(kamailio -v | awk 'NR==1{print $3}') stateless forward(), 2 UDP workers"
sed "s/LISTEN_PORT/$P/g; s/PLATFORM_PORT/$UAC/g; s/TRUNK_PORT/$UAS/g" benches/kamailio-stateless.cfg >"$WORK/k.cfg"
kamailio -f "$WORK/k.cfg" -DD -E -Y "$WORK" -m 256 >"$WORK/k.log" 2>&1 &
KM=$!
PIDS+=($KM)
sleep 1.5
echo "  rate      ok   lost  failed  cpu_s/1000calls"
load $KM
echo "  INVITE->200 median/p99 us: $(rtt 127.0.0.1:$P)"
