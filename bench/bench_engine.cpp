// Detection engine throughput: the seed rule and the corpus's runnable audit rules over normalized events
// (engine only), and the whole scan path from a raw audit log with and without the literal prefilter.
//
// Input: bench/data/audit-20mb.log when bench/run.sh has generated it, else the real capture in
// tests/engine/testdata/real/. Rules: the bundled seed rule; the corpus rules when AUDETECT_CORPUS_DIR exists.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/prefilter.h"
#include "eql/eql.h"
#include "io/pipeline.h"
#include "io/source.h"
#include "rules/query_check.h"
#include "rules/rules.h"

namespace {

using namespace audetect;
namespace fs = std::filesystem;

fs::path input_log() {
  fs::path generated = fs::path(AUDETECT_SOURCE_DIR) / "bench/data/audit-20mb.log";
  if (fs::exists(generated)) return generated;
  return fs::path(AUDETECT_SOURCE_DIR) / "tests/engine/testdata/real/seed-raw.log";
}

io::PipelineOptions pipeline_options() {
  io::PipelineOptions o;
  o.warning_stream = nullptr;
  return o;
}

// Normalized once; the engine benchmarks replay these.
const std::vector<Event>& events() {
  static const std::vector<Event> all = [] {
    std::vector<Event> out;
    io::EventPipeline p(pipeline_options(), [&](const Event& e) { out.push_back(e.clone()); });
    (void)p.read_file(input_log().string());
    p.flush();
    return out;
  }();
  return all;
}

std::vector<rules::Rule> seed_rules() {
  std::vector<rules::Rule> out;
  auto r = rules::load_rule_file(fs::path(AUDETECT_SOURCE_DIR) /
                                 "rules/linux/discovery_kernel_module_enumeration_via_proc.toml");
  if (r.is_ok()) out.push_back(std::move(r.value()));
  return out;
}

// The corpus EQL rules that search audit indices and compile, in path order.
const std::vector<rules::Rule>& corpus_audit_rules() {
  static const std::vector<rules::Rule> all = [] {
    std::vector<rules::Rule> out;
    fs::path dir = fs::path(AUDETECT_CORPUS_DIR) / "rules/elastic";
    if (!fs::exists(dir)) return out;
    std::vector<fs::path> paths{dir};
    rules::RuleSet set = rules::load_rules(paths);
    rules::check_queries(set);
    for (rules::Rule& r : set.rules)
      if (r.runnable && r.type == rules::RuleType::kEql && r.targets_audit_data()) out.push_back(std::move(r));
    return out;
  }();
  return all;
}

void run_engine(benchmark::State& state, const std::vector<rules::Rule>& rule_set, bool dispatch = true) {
  const auto& evs = events();
  if (evs.empty() || rule_set.empty()) {
    state.SkipWithError("no events or no rules");
    return;
  }
  uint64_t alerts = 0;
  for (auto _ : state) {
    state.PauseTiming();
    engine::CountingSink sink;
    engine::EngineOptions o;
    o.loaded_at_ms = 0;
    o.dispatch = dispatch;
    auto engine = std::make_unique<engine::DetectionEngine>(
        engine::DetectionEngine::prepare(std::vector<rules::Rule>(rule_set)), sink, o);
    state.ResumeTiming();
    for (const Event& e : evs) engine->process(e);
    engine->finish();
    alerts = sink.written();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * evs.size()));
  state.counters["rules"] = static_cast<double>(rule_set.size());
  state.counters["alerts"] = static_cast<double>(alerts);
}

void BM_EngineSeedRule(benchmark::State& state) { run_engine(state, seed_rules()); }
BENCHMARK(BM_EngineSeedRule)->Unit(benchmark::kMillisecond);

// Scaling with the number of rules: the first N corpus audit rules (0 = all of them); the second argument
// turns the rule dispatch index off (0) or on (1).
void BM_EngineCorpusRules(benchmark::State& state) {
  const auto& all = corpus_audit_rules();
  size_t n = state.range(0) == 0 ? all.size() : std::min<size_t>(static_cast<size_t>(state.range(0)), all.size());
  if (state.range(0) != 0 && static_cast<size_t>(state.range(0)) > all.size()) {
    state.SkipWithError("fewer corpus rules than asked for");
    return;
  }
  run_engine(state, std::vector<rules::Rule>(all.begin(), all.begin() + static_cast<long>(n)), state.range(1) != 0);
}
BENCHMARK(BM_EngineCorpusRules)
    ->ArgsProduct({{1, 4, 16, 64, 0}, {0, 1}})
    ->ArgNames({"rules", "dispatch"})
    ->Unit(benchmark::kMillisecond);

// The corpus audit rules whose query is a sequence or a sample: each execution window is searched anew, so
// this is where the per-window searches cost.
void BM_EngineCorpusSequenceRules(benchmark::State& state) {
  std::vector<rules::Rule> sequences;
  for (const rules::Rule& r : corpus_audit_rules()) {
    auto q = rules::compile_rule_query(r, nullptr);
    if (q && q->kind() != eql::QueryKind::kEvent) sequences.push_back(r);
  }
  run_engine(state, sequences);
}
BENCHMARK(BM_EngineCorpusSequenceRules)->Unit(benchmark::kMillisecond);

// The whole scan path from the raw log: read, (prefilter,) assemble, normalize, detect. Bytes/s.
void run_scan(benchmark::State& state, bool prefilter_on) {
  const fs::path log = input_log();
  const auto rule_set = seed_rules();
  uint64_t alerts = 0;
  for (auto _ : state) {
    engine::CountingSink sink;
    engine::EngineOptions o;
    o.loaded_at_ms = 0;
    engine::DetectionEngine engine(engine::DetectionEngine::prepare(std::vector<rules::Rule>(rule_set)), sink, o);
    io::EventPipeline pipeline(pipeline_options(), [&](const Event& e) { engine.process(e); });
    std::vector<const rules::Rule*> rp;
    for (const auto& r : rule_set) rp.push_back(&r);
    engine::RawPrefilter pf = prefilter_on ? engine::RawPrefilter::for_rules(rp, false) : engine::RawPrefilter();
    if (pf.enabled()) {
      engine::PrefilterFeeder feeder(pf, [&](std::string_view l, std::string_view s, uint64_t n) { pipeline.feed_line(l, s, n); });
      auto src = io::LineSource::open(log.string());
      if (!src.is_ok()) {
        state.SkipWithError("cannot open the log");
        return;
      }
      feeder.start((*src)->name());
      for (std::span<char> room = feeder.space();; room = feeder.space()) {
        long n = (*src)->read_block(room.data(), room.size());
        if (n <= 0) break;
        feeder.commit(static_cast<size_t>(n));
      }
      feeder.finish();
    } else {
      (void)pipeline.read_file(log.string());
    }
    pipeline.flush();
    engine.finish();
    alerts = sink.written();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * fs::file_size(log)));
  state.counters["alerts"] = static_cast<double>(alerts);
}

void BM_ScanRawLogSeedRulePrefilter(benchmark::State& state) { run_scan(state, true); }
void BM_ScanRawLogSeedRuleNoPrefilter(benchmark::State& state) { run_scan(state, false); }
BENCHMARK(BM_ScanRawLogSeedRulePrefilter)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ScanRawLogSeedRuleNoPrefilter)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
