#!/usr/bin/env bash
# Part 1 of seed.sh, run by fakeproc.sh inside the private mount namespace. Needs RUNLOG and BIN.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WHERE=fakeproc
source "$here/scenario.sh"

scenario cat_abs alert "cat opens /proc/modules; no exclusion applies" -- cat /proc/modules
scenario cat_relative no_alert "relative name modules from cwd /proc: file.path is modules (auditbeat keeps the name as passed); alerts only with --resolve-paths" cwd=/proc -- cat modules
scenario cat_dotdot no_alert "name /proc/../proc/modules is not equal to /proc/modules (no path cleaning)" -- cat /proc/../proc/modules
scenario lsmod no_alert "lsmod is in the excluded names" -- lsmod
scenario kmod_list no_alert "kmod is in the excluded names" -- kmod list
scenario modprobe_real no_open "real modprobe: never reads /proc/modules on this kernel" -- modprobe -n -v loop
scenario named_modprobe no_alert "process named modprobe (a copy of cat) is excluded" argv0=modprobe -- "$BIN/modprobe" /proc/modules
scenario named_insmod no_alert "process named insmod is excluded" argv0=insmod -- "$BIN/insmod" /proc/modules
scenario named_rmmod no_alert "process named rmmod is excluded" argv0=rmmod -- "$BIN/rmmod" /proc/modules
scenario named_modinfo no_alert "process named modinfo is excluded" argv0=modinfo -- "$BIN/modinfo" /proc/modules
scenario named_auditbeat no_alert "process named auditbeat is excluded" argv0=auditbeat -- "$BIN/auditbeat" /proc/modules
scenario named_SchedulerRunner no_alert "process named SchedulerRunner is excluded" argv0=SchedulerRunner -- "$BIN/SchedulerRunner" /proc/modules
scenario grep no_alert "grep is in the excluded names (and its title contains grep)" -- grep -c kvm /proc/modules
scenario named_GREP_plain_title alert "process named GREP: the in list is case-sensitive so the name is not excluded, and the title reader /proc/modules has no grep" argv0=reader -- "$BIN/GREP" /proc/modules
scenario named_GREP_title_GREP no_alert "process named GREP whose title GREP /proc/modules matches *grep* (the : operator ignores case)" argv0=GREP -- "$BIN/GREP" /proc/modules
scenario title_GREP no_alert "cat whose title GREP-reader /proc/modules matches *grep* case-insensitively" argv0=GREP-reader -- cat /proc/modules
scenario named_ugrep no_alert "process named ugrep: not in the list, but its title ugrep /proc/modules matches *grep*" argv0=ugrep -- "$BIN/ugrep" /proc/modules
scenario named_Lsmod alert "process named Lsmod: the in list is case-sensitive" argv0=Lsmod -- "$BIN/Lsmod" /proc/modules
scenario_orphan orphan_cat no_alert "cat whose parent is PID 1 (re-parented after setsid -f)" -- cat /proc/modules
scenario head alert "head opens /proc/modules" -- head -c 120 /proc/modules
scenario awk alert "awk opens /proc/modules" -- awk '{ n += $2 } END { print n }' /proc/modules
scenario dd alert "dd opens /proc/modules" -- dd if=/proc/modules of=/dev/null status=none
scenario cp alert "cp opens /proc/modules for reading" -- cp /proc/modules "$BIN/modules.copy"
scenario python alert "python3 opens /proc/modules" -- python3 -c "print(len(open('/proc/modules').read()))"
scenario bash_read alert "bash itself opens /proc/modules for a redirection" -- bash -c 'n=0; while read -r l; do n=$((n+1)); done < /proc/modules; echo $n'
scenario pipeline alert "cat in a pipeline feeding another tool: cat (title cat /proc/modules) opens the file, the other does not" -- bash -c 'cat /proc/modules | sort -k2 -n | tail -1'
scenario setpriv_nobody alert "unprivileged user (nobody) reads /proc/modules: the user is not part of the query" -- setpriv --reuid=65534 --regid=65534 --clear-groups cat /proc/modules
scenario eacces_write alert "nobody fails (EACCES) to open /proc/modules for appending: still opened-file on /proc/modules, outcome is not part of the query" -- setpriv --reuid=65534 --regid=65534 --clear-groups bash -c 'echo 1 >> /proc/modules'
scenario readlink alert "readlink(2) on /proc/modules fails (EINVAL) but auditbeat maps readlink to opened-file" -- readlink /proc/modules
scenario openat2 no_alert "openat2 has no normalization entry: event.action is empty, not opened-file" -- python3 -c "import ctypes,os,struct; h=struct.pack('QQQ',os.O_RDONLY,0,0); print(ctypes.CDLL(None,use_errno=True).syscall(437,-100,b'/proc/modules',h,len(h)))"
scenario getxattr no_alert "getxattr on /proc/modules: action is not opened-file" -- python3 -c "import os
try: os.getxattr('/proc/modules','user.x')
except OSError as e: print(e)"
scenario other_cpuinfo no_alert "other /proc file (/proc/cpuinfo)" -- head -3 /proc/cpuinfo
scenario other_meminfo no_alert "other /proc file (/proc/meminfo)" -- cat /proc/meminfo
