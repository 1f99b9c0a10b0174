#!/usr/bin/env bash
# End-to-end `audetect query SEED file.ndjson` against jq running an equivalent filter on the same
# ECS NDJSON file (jq is the floor peer: the Python `eql` engine is not installed here).
# Usage: bench/query_vs_jq.sh [BUILD_DIR] [REPEAT]
#   BUILD_DIR defaults to build/release; REPEAT (default 200) copies of the corpus captures are
#   normalized into one NDJSON file, with event.id made unique per copy.
set -euo pipefail

build=${1:-build/release}
repeat=${2:-200}
here=$(cd "$(dirname "$0")/.." && pwd)
audetect="$build/audetect"
corpus=${AUDETECT_CORPUS_DIR:-$here/../shared/corpus}
[[ -x "$audetect" ]] || { echo "query_vs_jq: $audetect not built" >&2; exit 1; }
command -v jq >/dev/null || { echo "query_vs_jq: jq not installed" >&2; exit 1; }
[[ -d "$corpus/audit-real" ]] || { echo "query_vs_jq: corpus not found at $corpus" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$audetect" normalize -q --no-resolve "$corpus"/audit-real/*.log > "$work/one.ndjson"
for ((i = 0; i < repeat; i++)); do cat "$work/one.ndjson"; done > "$work/stream.ndjson"
bytes=$(stat -c %s "$work/stream.ndjson")
events=$(wc -l < "$work/stream.ndjson")

# The shipped seed rule (rules/linux/discovery_kernel_module_enumeration_via_proc.toml).
seed='file where host.os.type == "linux" and event.action == "opened-file" and file.path == "/proc/modules" and not
(
  process.name in ("auditbeat", "kmod", "modprobe", "lsmod", "insmod", "modinfo", "rmmod", "SchedulerRunner", "grep") or
  process.parent.pid == 1 or process.title : "*grep*"
)'

# The same predicate in jq: any-value semantics for arrays, missing fields false, `:` case-insensitive.
jq_filter='
def vals(f): [f] | flatten | map(select(. != null));
def has_val(f; v): vals(f) | any(. == v);
select(
  has_val(.event.category; "file")
  and has_val(.host.os.type; "linux")
  and has_val(.event.action; "opened-file")
  and has_val(.file.path; "/proc/modules")
  and (( (vals(.process.name) | any(. as $n | ["auditbeat","kmod","modprobe","lsmod","insmod","modinfo","rmmod","SchedulerRunner","grep"] | index([$n]) != null))
         or has_val(.process.parent.pid; 1)
         or (vals(.process.title) | any(ascii_downcase | contains("grep"))) ) | not)
)'

# Runs "$@" with stdout to $out; prints "wall_seconds cpu_seconds peak_rss_kb". CPU time (user+sys)
# is the fair figure on a shared machine; wall time is printed beside it.
time_of() {
  /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" > "$out"
  awk '{printf "%s %.3f %s\n", $1, $2 + $3, $4}' "$work/time"
}

out="$work/audetect.out"
read -r w_a c_a rss_a < <(time_of "$audetect" query -q --input-format ecs "$seed" "$work/stream.ndjson")
hits_a=$(wc -l < "$work/audetect.out")
out="$work/jq.out"
read -r w_j c_j rss_j < <(time_of jq -c "$jq_filter" "$work/stream.ndjson")
hits_j=$(wc -l < "$work/jq.out")

rate() { echo "scale=1; $1 / $2" | bc -l; }
mb=$(echo "$bytes/1000000" | bc -l)
printf 'input: %d events, %.1f MB (%dx corpus captures)\n' "$events" "$mb" "$repeat"
printf '%-15s %8s %8s %10s %12s %10s %6s\n' "" "wall s" "cpu s" "MB/s(cpu)" "events/s" "peak RSS" "hits"
printf '%-15s %8.2f %8.2f %10.1f %12.0f %8d kB %6d\n' "audetect query" "$w_a" "$c_a" "$(rate "$mb" "$c_a")" \
  "$(rate "$events" "$c_a")" "$rss_a" "$hits_a"
printf '%-15s %8.2f %8.2f %10.1f %12.0f %8d kB %6d\n' "jq" "$w_j" "$c_j" "$(rate "$mb" "$c_j")" \
  "$(rate "$events" "$c_j")" "$rss_j" "$hits_j"
if [[ "$hits_a" != "$hits_j" ]]; then
  echo "query_vs_jq: hit counts differ (audetect $hits_a, jq $hits_j)" >&2
  exit 1
fi
