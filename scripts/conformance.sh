#!/bin/sh
# Conformance over every public capture in ../shared/captures/public, read
# in place (never copied into the repository):
#  1. decode: the SIP messages trunkwatch decodes equal, frame by frame and
#     Call-ID by Call-ID, what `tshark -Y sip` lists (one line per file);
#  2. outcomes: status and final code per call agree with truth/*.jsonl
#     (>= 99.5%, every difference a listed exception with its reason);
#  3. media: RTP packets per stream equal `tshark -q -z rtp,streams`.
# Fails if any part fails.
set -eu
cd "$(dirname "$0")/.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail=0
run() {
    name=$1
    shift
    status=0
    cargo test --all-features --quiet --test "$name" -- --nocapture >"$out" 2>&1 || status=$?
    "$@" <"$out" || true
    if [ "$status" -ne 0 ]; then
        echo "conformance: $name FAILED" >&2
        grep -E 'differs at|panicked|error' "$out" >&2 || tail -40 "$out" >&2
        fail=1
    fi
}
echo "== decode vs tshark -Y sip"
run conformance_tshark grep -E '^(file |[A-Za-z0-9._-]+\.pcap(ng)? )'
echo "== outcomes vs truth"
run track_public grep -E '^(agreement|  \(excepted\))'
echo "== media vs tshark -z rtp,streams"
run media_public grep -E '^test (result|public)'
[ "$fail" -eq 0 ] || exit 1
echo "conformance: every public capture agrees (documented exceptions listed above)"
