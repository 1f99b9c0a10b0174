#include "eql/sample.h"

#include <algorithm>

namespace audetect::eql {

namespace {

// Enumerates picks of one event per filter, all distinct, in backtracking order (first choice
// first), until `want` samples are found. Events may appear in several samples of one key.
// `budget` bounds the search (hostile data could make backtracking exponential).
void pick(size_t filter, const std::vector<std::vector<HitEvent>>& lists, std::vector<const HitEvent*>& chosen,
          std::vector<std::vector<const HitEvent*>>& found, size_t want, size_t& budget) {
  if (found.size() >= want || budget == 0) return;
  --budget;
  if (filter == lists.size()) {
    found.push_back(chosen);
    return;
  }
  for (const HitEvent& e : lists[filter]) {
    bool used = false;
    for (const HitEvent* c : chosen) used = used || c->order.arrival == e.order.arrival;
    if (used) continue;
    chosen.push_back(&e);
    pick(filter + 1, lists, chosen, found, want, budget);
    chosen.pop_back();
    if (found.size() >= want) return;
  }
}

}  // namespace

SampleMatcher::SampleMatcher(const CompiledQuery& query, const RunnerOptions& options, RunnerStats& stats)
    : query_(query), options_(options), stats_(stats) {
  int64_t per_key = std::max<int64_t>(1, options.max_samples_per_key);
  per_filter_cap_ = static_cast<size_t>(std::min<int64_t>(per_key * static_cast<int64_t>(query.stages().size()), 1 << 20));
}

void SampleMatcher::process(const Candidate& c) {
  auto stages = query_.stages();
  for (size_t s = 0; s < stages.size(); ++s) {
    if (!(c.stage_mask >> s & 1u)) continue;
    bool truncated = false;
    auto keys = join_keys_of(c.event, stages[s], options_.max_key_combinations, &truncated);
    if (truncated) ++stats_.key_combination_cap_hits;
    for (auto& key : keys) {
      auto it = keys_.find(key);
      if (it == keys_.end()) {
        if (keys_.size() >= options_.max_open_keys) {
          ++stats_.key_cap_hits;
          continue;
        }
        it = keys_.emplace(std::move(key), KeyEvents{}).first;
        it->second.per_filter.resize(stages.size());
      }
      auto& list = it->second.per_filter[s];
      HitEvent hit{c.event, c.order, false};
      // Keep the earliest `per_filter_cap_` by arrival (ES's index order within a shard).
      if (list.size() < per_filter_cap_) {
        list.push_back(std::move(hit));
      } else if (c.order.arrival < list.back().order.arrival) {
        list.back() = std::move(hit);
      } else {
        continue;
      }
      std::sort(list.begin(), list.end(),
                [](const HitEvent& a, const HitEvent& b) { return a.order.arrival < b.order.arrival; });
    }
  }
}

std::vector<Hit> SampleMatcher::finish() {
  std::vector<Hit> hits;
  int64_t per_key = std::max<int64_t>(1, options_.max_samples_per_key);
  for (auto& [key, ke] : keys_) {
    bool all = true;
    for (const auto& l : ke.per_filter) all = all && !l.empty();
    if (!all) continue;
    std::vector<const HitEvent*> chosen;
    std::vector<std::vector<const HitEvent*>> found;
    size_t budget = 1'000'000;
    pick(0, ke.per_filter, chosen, found, static_cast<size_t>(per_key), budget);
    if (budget == 0) ++stats_.sample_search_cap_hits;
    for (const auto& sample : found) {
      Hit h;
      for (const HitEvent* e : sample) h.events.push_back(*e);
      h.join_keys = key;
      hits.push_back(std::move(h));
    }
  }
  keys_.clear();
  return hits;
}

}  // namespace audetect::eql
