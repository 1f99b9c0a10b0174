// Audit layer throughput: RecordParser::parse_line alone, and parse + EventAssembler, on real
// auditd lines (corpus/audit-real when present) or on a built-in syscall event otherwise.
// Reports bytes/s (MB/s of log text) and items/s (records/s).
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "audit/audit.h"

namespace {

std::vector<std::string> builtin_lines() {
  std::vector<std::string> out;
  for (int s = 1000; s < 1400; ++s) {
    std::string serial = std::to_string(s);
    std::string h = "msg=audit(1700000000.100:" + serial + "): ";
    out.push_back("type=SYSCALL " + h + "arch=c000003e syscall=59 success=yes exit=0 a0=5581 "
                  "a1=5582 a2=5583 a3=8 items=2 ppid=812 pid=" + serial + " auid=1000 uid=1000 "
                  "gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 "
                  "tty=pts0 ses=3 comm=\"cat\" exe=\"/usr/bin/cat\" subj=unconfined key=\"exec\"");
    out.push_back("type=EXECVE " + h + "argc=2 a0=\"cat\" a1=\"/proc/modules\"");
    out.push_back("type=CWD " + h + "cwd=\"/home/alice\"");
    out.push_back("type=PATH " + h + "item=0 name=\"/usr/bin/cat\" inode=1311 dev=08:01 "
                  "mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 "
                  "cap_fe=0 cap_fver=0 cap_frootid=0");
    out.push_back("type=PATH " + h + "item=1 name=\"/lib64/ld-linux-x86-64.so.2\" inode=2042 "
                  "dev=08:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 "
                  "cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0");
    out.push_back("type=PROCTITLE " + h + "proctitle=636174002F70726F632F6D6F64756C6573");
    out.push_back("type=EOE " + h);
  }
  return out;
}

const std::vector<std::string>& lines() {
  static const std::vector<std::string> data = [] {
    std::filesystem::path real =
        std::filesystem::path(AUDETECT_CORPUS_DIR) / "audit-real/everyday-enriched.log";
    std::vector<std::string> out;
    if (std::ifstream in(real); in) {
      std::string line;
      while (std::getline(in, line)) out.push_back(line);
    }
    return out.empty() ? builtin_lines() : out;
  }();
  return data;
}

int64_t total_bytes(const std::vector<std::string>& ls) {
  int64_t n = 0;
  for (const auto& l : ls) n += static_cast<int64_t>(l.size() + 1);
  return n;
}

void BM_ParseLine(benchmark::State& state) {
  const auto& ls = lines();
  audetect::audit::RecordParser parser;
  audetect::audit::AuditRecord rec;
  std::string reason;
  for (auto _ : state) {
    for (const auto& l : ls) {
      bool ok = parser.parse_line(l, rec, &reason);
      benchmark::DoNotOptimize(ok);
      benchmark::DoNotOptimize(rec.fields.data());
    }
  }
  state.SetBytesProcessed(state.iterations() * total_bytes(ls));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(ls.size()));
}
BENCHMARK(BM_ParseLine);

void BM_ParseAndAssemble(benchmark::State& state) {
  const auto& ls = lines();
  audetect::audit::RecordParser parser;
  uint64_t events = 0;
  audetect::audit::EventAssembler assembler(
      [&](const audetect::audit::AuditEvent& ev) { events += ev.records.size() > 0; });
  audetect::audit::AuditRecord rec;
  std::string reason;
  for (auto _ : state) {
    for (const auto& l : ls) {
      if (parser.parse_line(l, rec, &reason)) {
        assembler.expire(rec.time_ms);
        assembler.add(rec);
      }
    }
    assembler.flush();
  }
  state.SetBytesProcessed(state.iterations() * total_bytes(ls));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(ls.size()));
  state.counters["events"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ParseAndAssemble);

}  // namespace

BENCHMARK_MAIN();
