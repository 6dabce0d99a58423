#!/bin/sh
# Replay speed and memory, in one run, on generated captures of ~100 MB and
# ~1 GB: trunkwatch replay vs `cat FILE > /dev/null` (the page-cache limit,
# as the issue defines it), `dd bs=1M` (a plain read() loop through user
# space), the capture layer alone (examples/capture_scan) and
# `tshark -r FILE -q -z sip,stat`. Prints a Markdown table with ratios and
# peak RSS (from /usr/bin/time -v).
#
# Usage: benches/replay.sh [WORKDIR]     (default: target/bench-replay)
#   SIZES="100000000 1000000000"  capture sizes in bytes
#   MODE=rtp|sip                  rtp: SIP + G.711 RTP (a trunk mirror port,
#                                 default); sip: signalling only (more calls)
#   SKIP_TSHARK=1                 run tshark on the smallest size only (it is slow)
#   TRUNKWATCH=path               use this trunkwatch binary instead of building one
#   ROUNDS=3                      runs per tool; the row shows the median run
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-"$root/target/bench-replay"}
SIZES=${SIZES:-"100000000 1000000000"}
MODE=${MODE:-rtp}
mkdir -p "$work"
cd "$root"

echo "building release binaries..." >&2
cargo build --release --quiet --example gen_capture --example capture_scan
tdir=${CARGO_TARGET_DIR:-"$root/target"}/release
gen="$tdir/examples/gen_capture"
scan="$tdir/examples/capture_scan"
have_replay=1
if [ -n "${TRUNKWATCH:-}" ]; then
    tw=$TRUNKWATCH
else
    tw="$tdir/trunkwatch"
    cargo build --release --quiet --bin trunkwatch 2>/dev/null || have_replay=0
fi

# Run a command, print "seconds peak_rss_kib exit_code cpu_seconds" (wall
# time to the millisecond from date; peak RSS and user+system CPU time from
# /usr/bin/time: trunkwatch replays on two cores, the others use one).
measure() {
    out=$(mktemp)
    set +e
    t0=$(date +%s.%N)
    /usr/bin/time -f '%M %U %S' -o "$out" "$@" >/dev/null 2>"$out.err"
    rc=$?
    t1=$(date +%s.%N)
    set -e
    set -- $(tail -n1 "$out")
    printf '%s %s %s %s\n' "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')" "$1" "$rc" "$(awk -v u="$2" -v s="$3" 'BEGIN { printf "%.2f", u + s }')"
    rm -f "$out" "$out.err"
}

# `measure` ROUNDS times (default 3); print the run with the median wall time.
median() {
    n=${ROUNDS:-3}
    runs=$(mktemp)
    i=0
    while [ "$i" -lt "$n" ]; do
        measure "$@" >>"$runs"
        i=$((i + 1))
    done
    sort -n "$runs" | sed -n "$(( (n + 1) / 2 ))p"
    rm -f "$runs"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "n/a" }'; }

rtp=""
[ "$MODE" = rtp ] && rtp="--rtp"
echo "| capture | tool | seconds | CPU s | MB/s | peak RSS (MiB) | vs cat | tshark / tool |"
echo "|---|---|---|---|---|---|---|---|"
for size in $SIZES; do
    f="$work/gen-$MODE-$size.pcap"
    if [ ! -s "$f" ]; then
        echo "generating $f..." >&2
        "$gen" --calls 100 --seed 1 $rtp --target-bytes "$size" --out "$f" >&2
    fi
    bytes=$(stat -L -c %s "$f")
    mb=$(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1e6 }')
    cat "$f" > /dev/null  # warm the page cache
    set -- $(median sh -c "cat '$f' > /dev/null"); t_cat=$1; r_cat=$2; c_cat=$4
    set -- $(median dd if="$f" of=/dev/null bs=1M); t_dd=$1; r_dd=$2; c_dd=$4
    set -- $(median "$scan" "$f"); t_scan=$1; r_scan=$2; c_scan=$4
    t_tw=""; r_tw=""; c_tw=""
    if [ "$have_replay" = 1 ]; then
        set -- $(median "$tw" replay "$f" -o /dev/null --progress never)
        if [ "$3" = 0 ]; then t_tw=$1; r_tw=$2; c_tw=$4; fi
    fi
    t_ts=""; r_ts=""; c_ts=""
    if [ "${SKIP_TSHARK:-0}" != 1 ] || [ "$size" = "$(echo $SIZES | awk '{print $1}')" ]; then
        set -- $(median tshark -n -r "$f" -q -z sip,stat); t_ts=$1; r_ts=$2; c_ts=$4
    fi
    row() {  # name seconds rss cpu
        [ -n "$2" ] || { echo "| $mb MB | $1 | n/a | | | | | |"; return; }
        mbs=$(awk -v b="$bytes" -v t="$2" 'BEGIN { if (t > 0) printf "%.0f", b / 1e6 / t; else print "inf" }')
        vs=$(ratio "$2" "$t_cat")
        ts=""; [ -n "$t_ts" ] && ts="$(ratio "$t_ts" "$2")x"
        echo "| $mb MB | $1 | $2 | $4 | $mbs | $(( $3 / 1024 )) | ${vs}x | $ts |"
    }
    row "cat > /dev/null" "$t_cat" "$r_cat" "$c_cat"
    row "dd bs=1M" "$t_dd" "$r_dd" "$c_dd"
    row "capture layer (capture_scan)" "$t_scan" "$r_scan" "$c_scan"
    if [ -n "$t_tw" ]; then row "trunkwatch replay" "$t_tw" "$r_tw" "$c_tw"; else echo "| $mb MB | trunkwatch replay | n/a (binary or subcommand missing) | | | | | |"; fi
    if [ -n "$t_ts" ]; then row "tshark -q -z sip,stat" "$t_ts" "$r_ts" "$c_ts"; fi
done
