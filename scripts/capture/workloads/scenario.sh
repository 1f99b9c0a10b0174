# Sourced by the workloads. Runs one labelled scenario as a fresh process and records its pid.
#
# scenario NAME EXPECT WHY [argv0=NAME] [cwd=DIR] -- COMMAND...
#   EXPECT: alert | no_alert | no_open (the seed rule's outcome the scenario is meant to produce;
#   no_open: the command is expected not to touch /proc/modules at all). The labeller checks the
#   capture against it. The command runs in a subshell that execs it, so its pid is the subshell's
#   ($BASHPID) and its first audited event is its own execve, which fixes its process title (the
#   kernel caches the title per task). WHY must not contain double quotes or backslashes.
# Needs RUNLOG and WHERE (host | fakeproc) set.
scenario() {
  local name=$1 expect=$2 why=$3 argv0="" dir=""
  shift 3
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    case $1 in
      argv0=*) argv0=${1#argv0=} ;;
      cwd=*) dir=${1#cwd=} ;;
      *) echo "scenario: bad option $1" >&2; return 2 ;;
    esac
    shift
  done
  shift
  (
    if [ -n "$dir" ]; then cd "$dir"; fi
    printf '{"scenario":"%s","pid":%d,"expect":"%s","why":"%s","where":"%s"}\n' \
      "$name" "$BASHPID" "$expect" "$why" "$WHERE" >> "$RUNLOG"
    if [ -n "$argv0" ]; then exec -a "$argv0" "$@"; else exec "$@"; fi
  ) </dev/null >/dev/null 2>&1 || true
}

# A process whose parent is PID 1: setsid -f forks and its parent exits at once, so the child is
# re-parented to init before it opens anything.
scenario_orphan() {
  local name=$1 expect=$2 why=$3 pidfile
  pidfile=$(mktemp /tmp/audetect-orphan.XXXXXX)
  shift 4
  setsid -f bash -c 'echo $$ > "$0"; sleep 0.5; exec "$@"' "$pidfile" "$@" </dev/null >/dev/null 2>&1
  sleep 1.5
  printf '{"scenario":"%s","pid":%d,"expect":"%s","why":"%s","where":"%s"}\n' \
    "$name" "$(cat "$pidfile")" "$expect" "$why" "$WHERE" >> "$RUNLOG"
  rm -f "$pidfile"
}
