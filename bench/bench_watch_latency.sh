#!/usr/bin/env bash
# Live `audetect watch` on the kernel's audit stream (needs root and kernel audit):
#  1. latency: a rule alerting on every open of a test file, 400 opens 5 ms apart; p50/p99 of
#     alert @timestamp - kibana.alert.original_time (the kernel's event time) over the alerts written;
#  2. throughput: a tight loop of audited opens for N seconds with a rule that never matches; events/s
#     read and CPU per event of the watch process (reader + assembly + ECS + detection).
# Holds the machine-wide kernel audit lock for the whole run; watch restores the kernel state itself and
# the script checks it did.
# Usage: bench/bench_watch_latency.sh [path/to/audetect] [seconds]
set -euo pipefail
AUDETECT=${1:-build/release/audetect}
SECONDS_LOAD=${2:-10}
LOCK=/tmp/audetect-kernel-audit.lock
[ -x "$AUDETECT" ] || { echo "no audetect binary at $AUDETECT" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }
AUDETECT=$(readlink -f "$AUDETECT")
DIR=$(mktemp -d /tmp/audetect-bench-watch-XXXXXX)
trap 'rm -rf "$DIR"' EXIT
mkdir -p "$DIR/target" "$DIR/rules-latency" "$DIR/rules-load"
echo x > "$DIR/target/f"

rule() {  # rule <file> <query>
  cat > "$1" <<EOF
[metadata]
creation_date = "2026/11/27"
maturity = "production"
updated_date = "2026/11/27"

[rule]
author = ["audetect bench"]
description = "Bench: opens of a test file."
from = "now-9m"
index = ["logs-auditd_manager.auditd-*"]
language = "eql"
license = "Elastic License v2"
max_signals = 1000
name = "Bench watch rule"
risk_score = 21
rule_id = "00000000-0000-4000-8000-00000000be4c"
severity = "low"
setup = """
\`\`\`
-w $DIR/target/ -p r -k audetect_bench
\`\`\`
"""
timestamp_override = "event.ingested"
type = "eql"
query = '''
$2
'''
EOF
}
rule "$DIR/rules-latency/r.toml" "file where event.action == \"opened-file\" and file.path == \"$DIR/target/f\""
rule "$DIR/rules-load/r.toml" "file where event.action == \"opened-file\" and file.path == \"/nonexistent/never\""

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

run() {  # run <rules dir> <workload command...>; prints "events cpu_seconds wall_seconds"
  local rules=$1; shift
  "$AUDETECT" watch --install-audit-rules --rules "$rules" --kernel-lock '' --no-resolve --status-interval 0 \
    --metrics 1 -o "$DIR/alerts.ndjson" 2> "$DIR/watch.err" &
  local pid=$!
  for _ in $(seq 300); do grep -q 'audetect watch: ready' "$DIR/watch.err" && break; sleep 0.05; done
  local c0 t0; c0=$(cpu_ticks $pid); t0=$(date +%s.%N)
  "$@"
  # Caught up when the events count stops moving.
  local last=-1 now
  for _ in $(seq 60); do
    sleep 1
    now=$(grep -o 'metrics: events/s=[0-9.]* events=[0-9]*' "$DIR/watch.err" | tail -1 | sed 's/.*events=//')
    [ "$now" = "$last" ] && break
    last=$now
  done
  local c1 t1; c1=$(cpu_ticks $pid); t1=$(date +%s.%N)
  kill -TERM $pid; wait $pid
  local events; events=$(grep -o 'summary: [0-9]* events read' "$DIR/watch.err" | grep -o '[0-9]*')
  local lost; lost=$(grep -o 'lost=[0-9]* (kernel' "$DIR/watch.err" | tail -1 | grep -o '[0-9]*')
  echo "$events $(echo "($c1 - $c0) / $(getconf CLK_TCK)" | bc -l) $(echo "$t1 - $t0" | bc -l) ${lost:-0}"
}

latency_workload() { for _ in $(seq 400); do read -r _ < "$DIR/target/f"; sleep 0.005; done; }
load_workload() {
  python3 - "$DIR/target/f" "$SECONDS_LOAD" > "$DIR/opens" <<'EOF'
import os, sys, time
path, secs = sys.argv[1], float(sys.argv[2])
n, end = 0, time.monotonic() + secs
while time.monotonic() < end:
    for _ in range(512):
        os.close(os.open(path, os.O_RDONLY))
    n += 512
print(n)
EOF
}

exec 9> "$LOCK"
flock 9
before=$(auditctl -s | grep -E '^(enabled|pid) '; auditctl -l)

rm -f "$DIR/alerts.ndjson"
read -r ev cpu wall lost < <(run "$DIR/rules-latency" latency_workload)
python3 - "$DIR/alerts.ndjson" <<'EOF'
import json, sys
from datetime import datetime
def ms(s): return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp() * 1000
lat = sorted(ms(d["@timestamp"]) - ms(d["kibana.alert.original_time"]) for d in map(json.loads, open(sys.argv[1])))
if not lat: sys.exit("no alerts")
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
import os
if os.environ.get("AUDETECT_BENCH_DUMP"):
    raw = [ms(d["@timestamp"]) - ms(d["kibana.alert.original_time"]) for d in map(json.loads, open(sys.argv[1]))]
    print("in order:", [round(x) for x in raw])
print(f"latency (event time -> alert written): {len(lat)} alerts, p50 {p(0.5):.0f} ms, p99 {p(0.99):.0f} ms, max {lat[-1]:.0f} ms")
EOF

rm -f "$DIR/alerts.ndjson"
read -r ev cpu wall lost < <(run "$DIR/rules-load" load_workload)
opens=$(cat "$DIR/opens")
python3 -c "
ev, cpu, wall, opens, lost = $ev, $cpu, $wall, $opens, $lost
print(f'throughput: {opens} audited opens in ${SECONDS_LOAD} s by the workload; watch read {ev} events ({lost} lost), '
      f'{ev / wall:.0f} events/s over {wall:.1f} s, CPU {cpu:.2f} s = {cpu * 1e6 / max(ev, 1):.1f} us per event')
"
after=$(auditctl -s | grep -E '^(enabled|pid) '; auditctl -l)
[ "$before" = "$after" ] || { echo "kernel audit state differs after the run:" >&2; echo "$after" >&2; exit 1; }
