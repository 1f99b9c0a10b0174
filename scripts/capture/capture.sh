#!/usr/bin/env bash
# Captures a real audit log: starts a private auditd, loads RULES, runs WORKLOAD with login uid 0,
# stops auditd and restores the previous kernel audit state.
#
# usage: capture.sh --format ENRICHED|RAW --rules FILE --out LOG [--runlog FILE] WORKLOAD [ARGS...]
#   The workload is run as `bash WORKLOAD RUNLOG ARGS...`. RUNLOG (default: LOG.runlog) is where the
#   workload writes what it did (JSON lines), for labelling.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/lib.sh"

format="" rules="" out="" runlog=""
while [ $# -gt 0 ]; do
  case $1 in
    --format) format=$2; shift 2 ;;
    --rules) rules=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --runlog) runlog=$2; shift 2 ;;
    --) shift; break ;;
    -*) echo "usage: capture.sh --format ENRICHED|RAW --rules FILE --out LOG [--runlog FILE] WORKLOAD [ARGS...]" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] && [ -n "$rules" ] && [ -n "$out" ] || { echo "capture.sh: missing WORKLOAD, --rules or --out" >&2; exit 2; }
case $format in ENRICHED|RAW) ;; *) echo "capture.sh: --format must be ENRICHED or RAW" >&2; exit 2 ;; esac
[ "$(id -u)" = 0 ] || capture_die "must run as root"
workload=$(realpath "$1"); shift
rules=$(realpath "$rules")
out=$(realpath -m "$out")
runlog=$(realpath -m "${runlog:-$out.runlog}")

# Everything below changes global kernel state: hold the shared lock for the whole duration.
if [ "${AUDETECT_CAPTURE_LOCKED:-}" != 1 ]; then
  echo "capture: waiting for $AUDETECT_KERNEL_LOCK" >&2
  exec env AUDETECT_CAPTURE_LOCKED=1 flock "$AUDETECT_KERNEL_LOCK" "$0" --format "$format" \
    --rules "$rules" --out "$out" --runlog "$runlog" "$workload" "$@"
fi

work=$(mktemp -d /tmp/audetect-capture.XXXXXX)
cleanup() {
  local rc=$?
  auditd_stop
  audit_state_restore
  rm -rf "$work"
  rmdir /tmp/audetect-realproc 2>/dev/null || true
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

audit_state_save
mkdir -p "$work/log"
write_auditd_conf "$work/conf" "$work/log/audit.log" "$format"
auditd_start "$work/conf"
auditctl -R "$rules" >/dev/null
: > "$runlog"

# The workload gets login uid 0 (as an admin's login session would), so its events carry auid=0 and a
# session id, and pass the rule set's unset-auid exclusion.
status=0
# A clean environment (no user PATH shims, C locale) makes the captures reproducible. The workload
# runs in the background in its own session so that a signal can stop all of it (bash runs traps
# only between foreground commands, but `wait` is interruptible).
setsid env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb LC_ALL=C \
  bash -c 'echo 0 > /proc/self/loginuid && exec bash "$@"' capture-workload "$workload" "$runlog" "$@" &
workload_pid=$!
trap 'kill -TERM -- "-$workload_pid" 2>/dev/null; exit 130' INT TERM HUP
wait "$workload_pid" || status=$?
trap 'exit 130' INT TERM HUP
sleep 1
# Disable before deleting rules: `auditctl -D` removes them one by one, starting with the unset-auid
# exclusion, which would let other people's activity through for a moment.
auditctl -e 0 >/dev/null
sleep 0.5
auditd_stop
mkdir -p "$(dirname "$out")"
cp "$work/log/audit.log" "$out"
chmod 0644 "$out"
echo "capture: $(wc -l < "$out") records, $(wc -c < "$out") bytes -> $out (workload exit $status)" >&2
exit $status
