#!/usr/bin/env bash
# Shared helpers for the capture scripts: kernel audit state save/restore and a private auditd.
#
# Kernel audit state is global to the machine and shared with other users of it, so everything that
# changes it runs under one lock file, and the previous state (enabled flag, failure mode, rate and
# backlog limits, backlog wait time, rule list) is put back on every exit path, including errors and
# signals. auditd is started only for the duration of one capture, in the foreground (-n), with a
# configuration written to a temporary directory; it is never installed as a service.

AUDETECT_KERNEL_LOCK=/tmp/audetect-kernel-audit.lock

capture_die() { echo "capture: $*" >&2; exit 1; }

# Reads one numeric field of `auditctl -s`.
audit_status_field() {
  auditctl -s | awk -v k="$1" '$1 == k { print $2; exit }'
}

# Saves what we will change. Refuses to run when the configuration is locked or another process
# (auditd, auditbeat, audetect live) owns the audit stream: taking it over would break them.
audit_state_save() {
  SAVED_DIR=$(mktemp -d /tmp/audetect-capture-state.XXXXXX)
  SAVED_ENABLED=$(audit_status_field enabled)
  SAVED_FAILURE=$(audit_status_field failure)
  SAVED_RATE=$(audit_status_field rate_limit)
  SAVED_BACKLOG=$(audit_status_field backlog_limit)
  SAVED_BACKLOG_WAIT=$(audit_status_field backlog_wait_time)
  local owner; owner=$(audit_status_field pid)
  [ "$SAVED_ENABLED" != 2 ] || capture_die "audit configuration is locked (enabled 2); cannot capture"
  [ "$owner" = 0 ] || capture_die "pid $owner already receives audit records; stop it first"
  auditctl -l > "$SAVED_DIR/rules.txt"
  if grep -qx 'No rules' "$SAVED_DIR/rules.txt"; then : > "$SAVED_DIR/rules.txt"; fi
  STATE_SAVED=1
}

audit_state_restore() {
  [ "${STATE_SAVED:-0}" = 1 ] || return 0
  auditctl -D >/dev/null 2>&1 || true
  if [ -s "$SAVED_DIR/rules.txt" ]; then
    auditctl -R "$SAVED_DIR/rules.txt" >/dev/null || echo "capture: WARNING: could not reload the saved rules from $SAVED_DIR/rules.txt" >&2
  fi
  auditctl -f "$SAVED_FAILURE" -r "$SAVED_RATE" -b "$SAVED_BACKLOG" \
    --backlog_wait_time "$SAVED_BACKLOG_WAIT" >/dev/null || true
  auditctl -e "$SAVED_ENABLED" >/dev/null || true
  local owner; owner=$(audit_status_field pid)
  if [ "$owner" != 0 ] && ! kill -0 "$owner" 2>/dev/null; then
    echo "capture: note: kernel still names exited pid $owner as audit daemon; it resets on the next record" >&2
  fi
  STATE_SAVED=0
  rm -rf "$SAVED_DIR"
}

# Writes an auditd.conf derived from the installed one into $1 with log file $2 and format $3.
write_auditd_conf() {
  local dir=$1 log=$2 format=$3
  mkdir -p "$dir/plugins.d"
  sed -e "s|^log_file = .*|log_file = $log|" \
      -e "s|^log_format = .*|log_format = $format|" \
      -e "s|^max_log_file = .*|max_log_file = 256|" \
      -e "s|^max_log_file_action = .*|max_log_file_action = IGNORE|" \
      -e "s|^use_libwrap = .*|use_libwrap = no|" \
      -e "s|^plugin_dir = .*|plugin_dir = $dir/plugins.d|" \
      -e "s|^flush = .*|flush = INCREMENTAL_ASYNC|" \
      /etc/audit/auditd.conf > "$dir/auditd.conf"
  grep -q '^log_format' "$dir/auditd.conf" || echo "log_format = $format" >> "$dir/auditd.conf"
  chmod 0640 "$dir/auditd.conf"
}

# Starts auditd in the foreground on config $1 and waits until the kernel delivers records to it.
auditd_start() {
  auditd -n -c "$1" &
  AUDITD_PID=$!
  local i
  for i in $(seq 1 100); do
    if [ "$(audit_status_field pid)" = "$AUDITD_PID" ]; then return 0; fi
    kill -0 "$AUDITD_PID" 2>/dev/null || capture_die "auditd exited during start-up"
    sleep 0.1
  done
  capture_die "auditd did not register with the kernel within 10 s"
}

auditd_stop() {
  [ -n "${AUDITD_PID:-}" ] || return 0
  kill -TERM "$AUDITD_PID" 2>/dev/null || true
  wait "$AUDITD_PID" 2>/dev/null || true
  AUDITD_PID=
}
