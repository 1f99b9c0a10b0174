#!/usr/bin/env bash
# The seed rule's scenarios, run for real (see ../README.md). Run by capture.sh:
#   capture.sh --rules rules/seed.rules ... workloads/seed.sh
# usage: seed.sh RUNLOG
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RUNLOG=$1
source "$here/scenario.sh"

# Copies of cat under the names the rule cares about: a process *named* X that opens /proc/modules.
# (The real modprobe, insmod, rmmod and modinfo never read /proc/modules on this kernel.)
BIN=$(mktemp -d /tmp/audetect-seedbin.XXXXXX)
for n in modprobe insmod rmmod modinfo auditbeat SchedulerRunner GREP Lsmod ugrep; do
  cp /usr/bin/cat "$BIN/$n"
done
printf '{"capture":"seed","kernel":"%s","bin":"%s"}\n' "$(uname -r)" "$BIN" >> "$RUNLOG"

# Part 1: inside a private mount namespace whose /proc holds a readable modules file.
unshare -m --propagation private bash "$here/../fakeproc.sh" \
  env RUNLOG="$RUNLOG" BIN="$BIN" bash "$here/seed-fakeproc.sh"
sleep 0.5

# Part 2: the real procfs, where /proc/modules does not exist (kernel without module support): failed
# opens, visible through the ENOENT rule only.
WHERE=host
scenario enoent_cat alert "failed open (ENOENT) of /proc/modules by cat: the query ignores event.outcome" -- cat /proc/modules
scenario enoent_lsmod no_alert "lsmod is in the excluded names (failed open)" -- lsmod
scenario enoent_grep no_alert "grep is in the excluded names (failed open)" -- grep -c kvm /proc/modules
scenario enoent_relative no_alert "relative name modules from cwd /proc: file.path is modules, not /proc/modules (failed open)" cwd=/proc -- cat modules
scenario host_version no_alert "other /proc file (/proc/version)" -- cat /proc/version
scenario host_modprobe no_open "real modprobe: on this kernel it reads /proc/cmdline and /sys/module, never /proc/modules" -- modprobe -n -v loop

rm -rf "$BIN"
echo '{"done":true}' >> "$RUNLOG"
