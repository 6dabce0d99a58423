#!/usr/bin/env bash
# The whole test suite, all features. Installs what the tests need first when
# it is missing (Debian/Ubuntu, as root or with sudo): libpcap-dev for the
# live-capture feature, sip-tester (sipp) for real SIP peers, tshark (with
# dumpcap, editcap, text2pcap) for capture and conformance tests.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
dpkg -s libpcap-dev >/dev/null 2>&1 || need+=(libpcap-dev)
command -v sipp >/dev/null 2>&1 || need+=(sip-tester)
command -v tshark >/dev/null 2>&1 || need+=(tshark)
command -v dumpcap >/dev/null 2>&1 || need+=(wireshark-common)
if ((${#need[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "test.sh: installing ${need[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

cargo test --all-features --locked "$@"
