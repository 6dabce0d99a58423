#!/bin/sh
# Decoder conformance with tshark over every public capture: prints one line
# per file (SIP messages tshark lists, messages trunkwatch decodes, differing
# (frame, Call-ID) entries, result) and fails if any file differs without a
# documented exception. Captures: ../shared/captures/public or
# $TRUNKWATCH_PUBLIC_CAPTURES.
set -eu
cd "$(dirname "$0")/.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
cargo test --quiet --test conformance_tshark -- --nocapture >"$out" 2>&1 || status=$?
grep -E '^(file |[A-Za-z0-9._-]+\.pcap(ng)? )' "$out" || true
if [ "$status" -ne 0 ]; then
    echo "conformance: FAILED" >&2
    grep -E 'differs at|panicked|error' "$out" >&2 || tail -40 "$out" >&2
    exit "$status"
fi
echo "conformance: every capture matches tshark"
