#!/usr/bin/env bash
# Runs the README's main command on the shipped demo capture and checks that
# it produces the expected outcomes (fixtures/expected/demo.jsonl), byte for
# byte. TRUNKWATCH_BLESS=1 rewrites the expected file (review it first).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
cargo run --release --locked --quiet -- replay fixtures/demo/trunk-demo.pcap >"$out" 2>"$err"
cat "$err"
if [ "${TRUNKWATCH_BLESS:-}" = 1 ]; then
  cp "$out" fixtures/expected/demo.jsonl
  echo "readme-main: blessed fixtures/expected/demo.jsonl"
  exit 0
fi
if ! diff -u fixtures/expected/demo.jsonl "$out"; then
  echo "readme-main: FAILED: outcomes differ from fixtures/expected/demo.jsonl" >&2
  exit 1
fi
echo "readme-main: $(wc -l <"$out") outcomes as expected"
