#!/usr/bin/env bash
# The same audited workload (a tight loop of opens of a watched file for N seconds) under Debian's auditd
# writing ENRICHED logs, for comparison with bench_watch_latency.sh's audetect figures: CPU of the auditd
# process per event. auditd runs in the foreground (-n) with a private copy of its configuration that logs
# into a temporary folder, only for the run, under the machine-wide kernel audit lock; the kernel's audit
# rules, enabled flag and pid are checked to be back as they were afterwards.
# Usage: bench/bench_watch_auditd.sh [seconds]
set -euo pipefail
SECONDS_LOAD=${1:-10}
LOCK=/tmp/audetect-kernel-audit.lock
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }
command -v auditd >/dev/null || { echo "auditd is not installed" >&2; exit 1; }
DIR=$(mktemp -d /tmp/audetect-bench-auditd-XXXXXX)
AUDITD_PID=
cleanup() {
  [ -n "$AUDITD_PID" ] && kill -TERM "$AUDITD_PID" 2>/dev/null && wait "$AUDITD_PID" 2>/dev/null || true
  auditctl -W "$DIR/target" -p r -k audetect_bench_auditd >/dev/null 2>&1 || true
  [ -n "${ENABLED_BEFORE:-}" ] && auditctl -e "$ENABLED_BEFORE" >/dev/null 2>&1 || true
  [ -n "${BACKLOG_BEFORE:-}" ] && auditctl -b "$BACKLOG_BEFORE" >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT
mkdir -p "$DIR/target" "$DIR/conf" "$DIR/log"
echo x > "$DIR/target/f"
sed -e "s|^log_file *=.*|log_file = $DIR/log/audit.log|" -e "s|^log_format *=.*|log_format = ENRICHED|" \
    -e "s|^space_left_action *=.*|space_left_action = IGNORE|" -e "s|^admin_space_left_action *=.*|admin_space_left_action = IGNORE|" \
    -e "s|^disk_full_action *=.*|disk_full_action = IGNORE|" -e "s|^disk_error_action *=.*|disk_error_action = IGNORE|" \
    -e "s|^max_log_file_action *=.*|max_log_file_action = IGNORE|" \
    /etc/audit/auditd.conf > "$DIR/conf/auditd.conf"
chmod 0640 "$DIR/conf/auditd.conf"

exec 9> "$LOCK"
flock 9
before=$(auditctl -s | grep -E '^(enabled|pid) '; auditctl -l)
ENABLED_BEFORE=$(auditctl -s | awk '/^enabled/ {print $2}')
BACKLOG_BEFORE=$(auditctl -s | awk '/^backlog_limit/ {print $2}')
[ "$(auditctl -s | awk '/^pid/ {print $2}')" = 0 ] || { echo "an audit daemon already runs" >&2; exit 1; }

auditd -n -c "$DIR/conf" &
AUDITD_PID=$!
for _ in $(seq 100); do [ "$(auditctl -s | awk '/^pid/ {print $2}')" = "$AUDITD_PID" ] && break; sleep 0.05; done
auditctl -e 1 >/dev/null
auditctl -b 8192 >/dev/null  # as audetect watch and auditbeat run
lost0=$(auditctl -s | awk '/^lost/ {print $2}')
auditctl -w "$DIR/target/" -p r -k audetect_bench_auditd >/dev/null
c0=$(awk '{print $14 + $15}' "/proc/$AUDITD_PID/stat")
opens=$(python3 - "$DIR/target/f" "$SECONDS_LOAD" <<'EOF'
import os, sys, time
path, secs = sys.argv[1], float(sys.argv[2])
n, end = 0, time.monotonic() + secs
while time.monotonic() < end:
    for _ in range(512):
        os.close(os.open(path, os.O_RDONLY))
    n += 512
print(n)
EOF
)
last=-1
for _ in $(seq 60); do sleep 1; now=$(stat -c %s "$DIR/log/audit.log"); [ "$now" = "$last" ] && break; last=$now; done
c1=$(awk '{print $14 + $15}' "/proc/$AUDITD_PID/stat")
lost=$(( $(auditctl -s | awk '/^lost/ {print $2}') - lost0 ))
events=$(grep -c 'type=SYSCALL.*key="audetect_bench_auditd"' "$DIR/log/audit.log" || true)
python3 -c "
opens, events, ticks, hz = $opens, $events, $c1 - $c0, $(getconf CLK_TCK)
cpu = ticks / hz
print(f'auditd ENRICHED: {opens} audited opens in $SECONDS_LOAD s; {events} events logged ($lost lost), '
      f'CPU {cpu:.2f} s = {cpu * 1e6 / max(events, 1):.1f} us per event')
"
kill -TERM "$AUDITD_PID"; wait "$AUDITD_PID" 2>/dev/null || true
AUDITD_PID=
auditctl -W "$DIR/target" -p r -k audetect_bench_auditd >/dev/null 2>&1 || true
auditctl -e "$ENABLED_BEFORE" >/dev/null
auditctl -b "$BACKLOG_BEFORE" >/dev/null
for _ in $(seq 50); do [ "$(auditctl -s | awk '/^pid/ {print $2}')" = 0 ] && break; sleep 0.1; done
after=$(auditctl -s | grep -E '^(enabled|pid) '; auditctl -l)
[ "$before" = "$after" ] || { echo "kernel audit state differs after the run:" >&2; echo "$after" >&2; exit 1; }
