// ECS normalizer throughput on realistic events (file open, execve, connect, SSH login, sudo),
// with a counting global operator new to show that steady-state normalization allocates nothing.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <deque>
#include <memory>
#include <new>
#include <sstream>
#include <string>
#include <vector>

#include "audit/audit.h"
#include "ecs/ecs.h"
#include "event/event.h"
#include "event/json.h"

namespace {
std::atomic<uint64_t> g_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

using namespace audetect;

const char* kLog = R"(type=SYSCALL msg=audit(1700000000.123:48211): arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=7ffc8b3e5f2a a2=0 a3=0 items=1 ppid=2150 pid=2207 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=3 comm="cat" exe="/usr/bin/cat" subj=unconfined key="audit_proc"
type=CWD msg=audit(1700000000.123:48211): cwd="/home/alice"
type=PATH msg=audit(1700000000.123:48211): item=0 name="/proc/modules" inode=4026532067 dev=00:15 mode=0100444 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0
type=PROCTITLE msg=audit(1700000000.123:48211): proctitle=636174002F70726F632F6D6F64756C6573
type=EOE msg=audit(1700000000.123:48211):
type=SYSCALL msg=audit(1700000001.200:48212): arch=c000003e syscall=59 success=yes exit=0 a0=55d0c8f0 a1=55d0c930 a2=55d0c950 a3=8 items=2 ppid=2150 pid=2208 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=3 comm="grep" exe="/usr/bin/grep" subj=unconfined key="exec"
type=EXECVE msg=audit(1700000001.200:48212): argc=4 a0="grep" a1="-r" a2="--color=auto" a3="needle"
type=CWD msg=audit(1700000001.200:48212): cwd="/home/alice/src"
type=PATH msg=audit(1700000001.200:48212): item=0 name="/usr/bin/grep" inode=1593 dev=08:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0
type=PATH msg=audit(1700000001.200:48212): item=1 name="/lib64/ld-linux-x86-64.so.2" inode=4382 dev=08:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0
type=PROCTITLE msg=audit(1700000001.200:48212): proctitle=67726570002D72002D2D636F6C6F723D6175746F006E6565646C65
type=EOE msg=audit(1700000001.200:48212):
type=SYSCALL msg=audit(1700000002.300:48213): arch=c000003e syscall=42 success=no exit=-115 a0=5 a1=7ffc12ac3ab0 a2=10 a3=4 items=0 ppid=1 pid=1648 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="curl" exe="/usr/bin/curl" subj=unconfined key="net"
type=SOCKADDR msg=audit(1700000002.300:48213): saddr=02000050A9FEA9FE0000000000000000
type=PROCTITLE msg=audit(1700000002.300:48213): proctitle=6375726C00687474703A2F2F3136392E3235342E3136392E323534
type=EOE msg=audit(1700000002.300:48213):
type=USER_LOGIN msg=audit(1700000003.400:48214): pid=18981 uid=0 auid=4294967295 ses=4294967295 subj=unconfined msg='op=login acct="root" exe="/usr/sbin/sshd" hostname=? addr=203.0.113.9 terminal=ssh res=failed'
type=USER_CMD msg=audit(1700000004.500:48215): pid=3000 uid=1000 auid=1000 ses=3 subj=unconfined msg='cwd="/home/alice" cmd=73797374656D63746C2072657374617274206E67696E78 exe="/usr/bin/sudo" terminal=pts/0 res=success'
)";

// Records with their own storage, grouped into events once, so the loop measures normalization.
struct Corpus {
  std::deque<std::string> strings;
  std::deque<std::vector<audit::AuditField>> fields;
  std::deque<std::vector<std::string_view>> tags;
  std::deque<std::vector<audit::AuditRecord>> groups;
  std::vector<audit::AuditEvent> events;

  Corpus() {
    audit::RecordParser parser;
    std::vector<std::vector<audit::AuditRecord>> by_event;
    uint32_t serial = 0;
    std::istringstream in(kLog);
    std::string line;
    while (std::getline(in, line)) {
      audit::AuditRecord r;
      std::string reason;
      if (!parser.parse_line(line, r, &reason)) std::abort();
      if (r.type == audit::kEoe) continue;
      auto keep = [&](std::string_view s) -> std::string_view { return strings.emplace_back(s); };
      auto& f = fields.emplace_back();
      for (const auto& x : r.fields) f.push_back({keep(x.name), keep(x.value)});
      auto& t = tags.emplace_back();
      for (auto x : r.tags) t.push_back(keep(x));
      r.fields = f;
      r.tags = t;
      r.text = keep(r.text);
      r.node = keep(r.node);
      if (by_event.empty() || r.serial != serial) by_event.emplace_back();
      serial = r.serial;
      by_event.back().push_back(r);
    }
    for (auto& g : by_event) {
      auto& stored = groups.emplace_back(std::move(g));
      audit::AuditEvent ev;
      ev.serial = stored[0].serial;
      ev.time_ms = stored[0].time_ms;
      ev.records = stored;
      ev.complete = true;
      events.push_back(ev);
    }
  }
};

ecs::NormalizerOptions bench_options(ecs::Profile profile) {
  ecs::NormalizerOptions o;
  o.profile = profile;
  o.passwd_file = std::string(AUDETECT_SOURCE_DIR) + "/tests/ecs/testdata/passwd";
  o.group_file = std::string(AUDETECT_SOURCE_DIR) + "/tests/ecs/testdata/group";
  o.clock_ms = [] { return int64_t{1700000005000}; };
  return o;
}

void run(benchmark::State& state, ecs::Profile profile, bool write_json, bool nss = false) {
  static const Corpus corpus;
  ecs::NormalizerOptions options = bench_options(profile);
  if (nss) {  // the system's user database through getpwuid_r, cached
    options.passwd_file.clear();
    options.group_file.clear();
  }
  ecs::EcsNormalizer normalizer(options);
  EventBuilder builder;
  std::string out;
  size_t i = 0;
  // Warm up: buffers, interned keys and name caches reach their steady size.
  for (int w = 0; w < 100; ++w) {
    for (const auto& ev : corpus.events) {
      normalizer.normalize(ev, builder);
      out.clear();
      write_ndjson(out, builder.finish());
    }
  }
  uint64_t allocations_before = g_allocations.load();
  size_t bytes = 0;
  for (auto _ : state) {
    const auto& ev = corpus.events[i];
    if (++i == corpus.events.size()) i = 0;
    normalizer.normalize(ev, builder);
    Event e = builder.finish();
    if (write_json) {
      out.clear();
      write_ndjson(out, e);
      bytes += out.size();
    }
    benchmark::DoNotOptimize(e);
  }
  uint64_t allocations = g_allocations.load() - allocations_before;
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  if (write_json) state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["allocs_per_event"] =
      benchmark::Counter(static_cast<double>(allocations) / static_cast<double>(state.iterations()));
}

void BM_NormalizeAuditdManager(benchmark::State& s) { run(s, ecs::Profile::kAuditdManager, false); }
void BM_NormalizeAuditbeat(benchmark::State& s) { run(s, ecs::Profile::kAuditbeat, false); }
void BM_NormalizeAndWriteNdjson(benchmark::State& s) { run(s, ecs::Profile::kAuditdManager, true); }
void BM_NormalizeNssNames(benchmark::State& s) { run(s, ecs::Profile::kAuditdManager, false, true); }

BENCHMARK(BM_NormalizeAuditdManager);
BENCHMARK(BM_NormalizeAuditbeat);
BENCHMARK(BM_NormalizeAndWriteNdjson);
BENCHMARK(BM_NormalizeNssNames);

}  // namespace

BENCHMARK_MAIN();
