#!/usr/bin/env bash
# The main job on bundled data: detect with the bundled rules over a real audit log captured on a
# Debian 12 machine (data/README.md says how), then show one alert in full.
set -euo pipefail
bin=${1:-build/release/audetect}
cd "$(dirname "$0")/.."
log=data/sample-audit.log

echo "== audetect rules list"
"$bin" rules list --rules rules
echo
echo "== audetect scan --rules rules --format table $log"
# The log comes from another machine: ids are resolved with the passwd/group files captured with it
# when present, not with this machine's.
"$bin" scan --rules rules --format table "$log"
echo
echo "== the first alert as an Elastic Security alert document (NDJSON, pretty-printed with jq)"
"$bin" scan --rules rules --quiet "$log" | head -n 1 | jq .
