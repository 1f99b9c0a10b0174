// The scan prefilter alone next to its floor, on a raw audit log held in memory (no reading, no pipeline):
// counting the seed rule's string with memmem over the whole text, as grep -c does after reading, and the
// PrefilterFeeder deciding every line (string search, line splitting, audit headers, event states).
//
// Input: $BENCH_LOG when set, else bench/data/audit-20mb.log when bench/run.sh has generated it, else the
// real capture in tests/engine/testdata/real/.
#include <benchmark/benchmark.h>
#include <string.h>  // memmem (GNU)

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "engine/prefilter.h"
#include "rules/rules.h"

namespace {

using namespace audetect;
namespace fs = std::filesystem;

const std::string& input_text() {
  static const std::string text = [] {
    const char* given = std::getenv("BENCH_LOG");
    fs::path log = given ? fs::path(given) : fs::path(AUDETECT_SOURCE_DIR) / "bench/data/audit-20mb.log";
    if (!given && !fs::exists(log)) log = fs::path(AUDETECT_SOURCE_DIR) / "tests/engine/testdata/real/seed-raw.log";
    std::ifstream in(log, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }();
  return text;
}

engine::RawPrefilter seed_prefilter() {
  auto r = rules::load_rule_file(fs::path(AUDETECT_SOURCE_DIR) /
                                 "rules/linux/discovery_kernel_module_enumeration_via_proc.toml");
  if (!r.is_ok()) return {};
  static const rules::Rule rule = std::move(r.value());
  return engine::RawPrefilter::for_rules({&rule}, false);
}

void BM_PrefilterFloorMemmemCount(benchmark::State& state) {
  const std::string& text = input_text();
  engine::RawPrefilter pf = seed_prefilter();
  if (!pf.enabled()) {
    state.SkipWithError("the seed rule gives no prefilter");
    return;
  }
  const std::string& needle = pf.needles().front();
  uint64_t matches = 0;
  for (auto _ : state) {
    matches = 0;
    for (const char *p = text.data(), *end = p + text.size();;) {
      const void* at = memmem(p, static_cast<size_t>(end - p), needle.data(), needle.size());
      if (!at) break;
      ++matches;
      p = static_cast<const char*>(at) + needle.size();
    }
    benchmark::DoNotOptimize(matches);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["matches"] = static_cast<double>(matches);
}
BENCHMARK(BM_PrefilterFloorMemmemCount)->Unit(benchmark::kMillisecond);

void BM_PrefilterFeeder(benchmark::State& state) {
  const std::string& text = input_text();
  engine::RawPrefilter pf = seed_prefilter();
  if (!pf.enabled()) {
    state.SkipWithError("the seed rule gives no prefilter");
    return;
  }
  uint64_t forwarded = 0, lines = 0;
  for (auto _ : state) {
    forwarded = 0;
    engine::PrefilterFeeder feeder(pf, [&](std::string_view, std::string_view, uint64_t) { ++forwarded; });
    feeder.start("bench");
    feeder.feed(text);  // its copy into the buffer stands in for scan's read()
    feeder.finish();
    lines = feeder.lines();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["lines"] = static_cast<double>(lines);
  state.counters["forwarded"] = static_cast<double>(forwarded);
}
BENCHMARK(BM_PrefilterFeeder)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
