#!/usr/bin/env bash
# Remake fixtures/pcap/media/*.pcap: real sipp calls with real RTP on the
# loopback interface, recorded with dumpcap. Needs root (or dumpcap
# capabilities), sipp, dumpcap, espeak-ng, sox, python3.
#
# Audio: espeak-ng speaks two sentences (caller and callee voices), sox
# resamples them to 8 kHz G.711 u-law; digital silence is u-law 0xFF. Each
# becomes an RTP pcap (scripts/media/rtp_pcap.py) that sipp plays with
# play_pcap_audio. Every call runs on 127.0.0.1 only.
#
# Calls (caller = sipp UAC on :5091, media :18000; callee = UAC on :5090, media :16000):
#   both_speech         both sides speak                       -> no anomaly
#   caller_silent       only the callee sends RTP              -> one_way_media (caller side)
#   caller_digital_silence  caller sends RTP of pure silence  -> silent_media (caller side)
#   no_rtp              nobody sends RTP, call lasts 8 s       -> no_media
#   short_no_rtp        nobody sends RTP, hung up after 2 s    -> nothing (too short to judge)
#   echo_lossy          caller speaks with every 25th packet missing, callee
#                       echoes it (sipp -rtp_echo)             -> no anomaly, loss counted both ways
#   callee_silent       only the caller sends RTP              -> one_way_media (callee side)
set -euo pipefail
cd "$(dirname "$0")"
here=$(pwd)
out=$(cd ../../fixtures/pcap/media && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for t in sipp dumpcap espeak-ng sox python3; do
  command -v "$t" >/dev/null || { echo "make_fixtures.sh: $t is missing" >&2; exit 2; }
done

# --- audio -------------------------------------------------------------
to_ulaw() { sox "$1" -r 8000 -c 1 -t ul "$2"; }
espeak-ng -v en-us -s 150 -w "$work/caller.wav" \
  "Hello, I am calling about my order. It was supposed to arrive on Tuesday, but nothing came. Can you check it for me please?"
espeak-ng -v en-gb -s 150 -w "$work/callee.wav" \
  "Hi, thanks for calling Butter. I can help with that. Let me look up your order number. One moment while I check the delivery status."
to_ulaw "$work/caller.wav" "$work/caller.ul"
to_ulaw "$work/callee.wav" "$work/callee.ul"
# 6 s of digital silence (u-law 0xFF).
head -c 48000 /dev/zero | tr '\0' '\377' >"$work/silence.ul"
python3 rtp_pcap.py "$work/caller.ul" "$work/caller.pcap" 0 0A11CE01
python3 rtp_pcap.py "$work/callee.ul" "$work/callee.pcap" 0 0B0B0B02
python3 rtp_pcap.py "$work/silence.ul" "$work/silence.pcap" 0 05111E03
python3 rtp_pcap.py "$work/caller.ul" "$work/caller_lossy.pcap" 0 0A11CE04 --drop-every 25

play() { # play() FILE -> scenario XML for play_pcap_audio, or nothing
  if [ -n "$1" ]; then
    printf '  <nop><action><exec play_pcap_audio="%s"/></action></nop>\n' "$work/$1.pcap"
  fi
}

scenario() { # scenario TEMPLATE OUT PLAY HOLD BUTTERID
  sed -e "s|@PLAYXML@|$(play "$3")|" -e "s|@PLAY@|${3:-nothing}|" \
    -e "s|@HOLD@|$4|g" -e "s|@BUTTERID@|$5|" "scenarios/$1" >"$2"
}

# call NAME CALLER_PLAY CALLEE_PLAY HOLD_MS [ECHO]
call() {
  local name=$1 cplay=$2 eplay=$3 hold=$4 echo=${5:-}
  # ONLY=name remakes a single capture.
  if [ -n "${ONLY:-}" ] && [ "$ONLY" != "$name" ]; then return; fi
  local id
  id="call_$(printf '%s' "$name" | sha256sum | cut -c1-12)"
  scenario uac.xml.in "$work/uac.xml" "$cplay" "$hold" "$id"
  scenario uas.xml.in "$work/uas.xml" "$eplay" "$hold" "$id"
  local pcap="$out/$name.pcap"
  rm -f "$pcap"
  dumpcap -q -i lo -P -f "udp and host 127.0.0.1 and (port 5090 or port 5091 or portrange 16000-16003 or portrange 18000-18003)" -w "$pcap" 2>"$work/dumpcap.log" &
  local cap=$!
  # Wait until dumpcap is capturing (the file exists and has its header).
  for _ in $(seq 50); do [ -s "$pcap" ] && break; sleep 0.1; done
  sleep 0.5
  local uas_args=(-sf "$work/uas.xml" -i 127.0.0.1 -mi 127.0.0.1 -p 5090 -mp 16000 -m 1 -timeout 40s -nostdin)
  [ -n "$echo" ] && uas_args+=(-rtp_echo)
  sipp "${uas_args[@]}" </dev/null >"$work/uas.log" 2>&1 &
  local uas=$!
  sleep 0.3
  sipp 127.0.0.1:5090 -sf "$work/uac.xml" -i 127.0.0.1 -mi 127.0.0.1 -p 5091 -mp 18000 \
    -m 1 -timeout 40s -nostdin -s +14155550199 </dev/null >"$work/uac.log" 2>&1 || { echo "$name: sipp caller failed" >&2; cat "$work/uac.log" >&2; }
  sleep 1
  # The callee exits after its call; make sure before stopping the capture.
  wait "$uas" || { echo "$name: sipp callee failed" >&2; cat "$work/uas.log" >&2; }
  kill "$cap"
  wait "$cap" || true
  echo "$name: $(capinfos -c "$pcap" | awk '/Number of packets/ {print $NF}') packets"
}

call both_speech caller callee 7000
call caller_silent "" callee 7000
call caller_digital_silence silence callee 7000
call no_rtp "" "" 8000
call short_no_rtp "" "" 2000
call echo_lossy caller_lossy "" 7000 echo
call callee_silent caller "" 7000
