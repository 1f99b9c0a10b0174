#!/usr/bin/env bash
# Runs COMMAND... with a /proc that holds a readable `modules` file, so that real, successful opens of
# /proc/modules can be recorded on a kernel built without module support (where it does not exist).
#
# Must be started in a private mount namespace, by capture.sh's workload (auditd running, rules loaded):
#   unshare -m --propagation private bash fakeproc.sh COMMAND...
# Inside, /proc is a tmpfs holding `modules` (mode 0444), copies of a few ordinary /proc files, and
# symlinks self/thread-self/mounts into a real procfs mounted elsewhere. The /proc watch of the shipped
# rule's audit rule refers to the host's procfs, so the same watch is added for this namespace's /proc
# (the kernel removes it when the namespace ends: CONFIG_CHANGE op=remove_rule).
set -euo pipefail

[ "$(readlink /proc/self/ns/mnt)" != "$(readlink /proc/1/ns/mnt)" ] ||
  { echo "fakeproc: not in a private mount namespace (use unshare -m --propagation private)" >&2; exit 1; }

realproc=/tmp/audetect-realproc
mkdir -p "$realproc"
mount -t proc proc "$realproc"
saved=$(mktemp -d /tmp/audetect-fakeproc.XXXXXX)
for f in cpuinfo version meminfo loadavg uptime cmdline filesystems stat; do
  cat "/proc/$f" > "$saved/$f"
done
mount -t tmpfs -o mode=0555,size=1m audetect-fakeproc /proc
# A module list as a small Debian VM with modules would show it (the kernel here has none).
cat > /proc/modules <<'MODS'
binfmt_misc 28672 1 - Live 0x0000000000000000
intel_rapl_msr 20480 0 - Live 0x0000000000000000
intel_rapl_common 32768 1 intel_rapl_msr, Live 0x0000000000000000
kvm_intel 380928 0 - Live 0x0000000000000000
kvm 1142016 1 kvm_intel, Live 0x0000000000000000
irqbypass 16384 1 kvm, Live 0x0000000000000000
virtio_balloon 24576 0 - Live 0x0000000000000000
evdev 28672 2 - Live 0x0000000000000000
loop 40960 0 - Live 0x0000000000000000
dm_mod 184320 0 - Live 0x0000000000000000
ext4 1036288 1 - Live 0x0000000000000000
crc16 16384 1 ext4, Live 0x0000000000000000
mbcache 16384 1 ext4, Live 0x0000000000000000
jbd2 196608 1 ext4, Live 0x0000000000000000
virtio_net 65536 0 - Live 0x0000000000000000
net_failover 24576 1 virtio_net, Live 0x0000000000000000
failover 16384 1 net_failover, Live 0x0000000000000000
virtio_blk 24576 2 - Live 0x0000000000000000
virtio_pci 24576 0 - Live 0x0000000000000000
MODS
cp "$saved"/* /proc/
chmod 0444 /proc/*
rm -rf "$saved"
ln -s "$realproc/self" /proc/self
ln -s "$realproc/thread-self" /proc/thread-self
ln -s "$realproc/self/mounts" /proc/mounts
chmod 0555 /proc

auditctl -a always,exit -F dir=/proc/ -F perm=r -k audit_proc >/dev/null
exec "$@"
