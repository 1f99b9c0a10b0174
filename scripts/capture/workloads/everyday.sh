#!/usr/bin/env bash
# Everyday admin activity on a small server, for the bundled demo log (data/sample-audit.log).
# Run by capture.sh with rules/server.rules. usage: everyday.sh RUNLOG
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RUNLOG=$1
WHERE=host
source "$here/scenario.sh"
q() { "$@" </dev/null >/dev/null 2>&1; }
work=$(mktemp -d /tmp/audetect-everyday.XXXXXX)
cd "$work"
printf '{"capture":"everyday","kernel":"%s"}\n' "$(uname -r)" >> "$RUNLOG"

# an admin looks around
q id; q whoami; q hostname; q uname -a; q date -u; q uptime; q free -m; q df -h /
q cat /etc/os-release; q getent passwd root
q cat /proc/version; q head -3 /proc/cpuinfo; q cat /proc/loadavg
q lsmod   # the real /proc/modules does not exist here: only the execve is recorded
q systemctl --version

# package and configuration checks
q dpkg -s bash
q sha256sum /usr/bin/ls /usr/bin/cat

# a nightly-style backup with permission fixes
cp /etc/hosts /etc/hostname "$work"/
q tar czf "$work/etc-backup.tgz" -C /etc hostname hosts os-release
q tar tzf "$work/etc-backup.tgz"
chmod 600 "$work/etc-backup.tgz"
chown nobody:nogroup "$work/hosts"

# a local web service and a client; one connection is refused
python3 -m http.server 18765 --bind 127.0.0.1 --directory "$work" </dev/null >/dev/null 2>&1 &
server=$!
sleep 1
q curl -s -o /dev/null http://127.0.0.1:18765/hosts
q curl -s -o /dev/null http://127.0.0.1:18766/
kill "$server"; wait "$server" 2>/dev/null

# an unprivileged account pokes at secrets; switching users goes through PAM
q setpriv --reuid=65534 --regid=65534 --clear-groups cat /etc/shadow
q runuser -u nobody -- id
q su -s /bin/sh nobody -c id

# a developer commits a script
git init -q "$work/repo" && cd "$work/repo" && echo 'print("hi")' > app.py &&
  q git add app.py && q git -c user.email=ops@example.invalid -c user.name=ops commit -q -m init
cd "$work"
q python3 -c 'import platform; print(platform.node())'
q perl -e 'print scalar(localtime), "\n"'
q awk -F: '$3 == 0 { print $1 }' /etc/passwd

# someone enumerates kernel modules (with a readable /proc/modules, see fakeproc.sh)
unshare -m --propagation private bash "$here/../fakeproc.sh" \
  env RUNLOG="$RUNLOG" bash "$here/everyday-fakeproc.sh"

cd /; rm -rf "$work"
echo '{"done":true}' >> "$RUNLOG"
