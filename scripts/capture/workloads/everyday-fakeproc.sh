#!/usr/bin/env bash
# The /proc/modules part of everyday.sh, run by fakeproc.sh in a private mount namespace.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WHERE=fakeproc
source "$here/scenario.sh"

scenario uptime no_open "reads /proc/uptime and /proc/loadavg only" -- uptime
scenario cat_abs alert "cat opens /proc/modules" -- cat /proc/modules
scenario lsmod no_alert "lsmod is in the excluded names" -- lsmod
scenario grep no_alert "grep is in the excluded names" -- grep -c kvm /proc/modules
scenario awk alert "awk opens /proc/modules" -- awk '$3 > 0 { print $1 }' /proc/modules
scenario python alert "python3 opens /proc/modules" -- python3 -c "print(sum(1 for _ in open('/proc/modules')))"
scenario cat_relative no_alert "relative name modules from cwd /proc: file.path is modules; alerts only with --resolve-paths" cwd=/proc -- cat modules
scenario_orphan orphan_cat no_alert "parent is PID 1" -- cat /proc/modules
scenario cpuinfo no_alert "other /proc file" -- head -3 /proc/cpuinfo
