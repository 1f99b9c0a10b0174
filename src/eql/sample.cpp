#include "eql/sample.h"

#include <algorithm>

namespace audetect::eql {

namespace {

// Picks one event per filter, all distinct, first choice first (ES's backtracking).
bool pick(size_t filter, const std::vector<std::vector<HitEvent>>& lists, std::vector<const HitEvent*>& chosen) {
  if (filter == lists.size()) return true;
  for (const HitEvent& e : lists[filter]) {
    bool used = false;
    for (const HitEvent* c : chosen) used = used || c->order.arrival == e.order.arrival;
    if (used) continue;
    chosen.push_back(&e);
    if (pick(filter + 1, lists, chosen)) return true;
    chosen.pop_back();
  }
  return false;
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
    auto lists = ke.per_filter;
    for (int64_t n = 0; n < per_key; ++n) {
      std::vector<const HitEvent*> chosen;
      if (!pick(0, lists, chosen)) break;
      Hit h;
      for (const HitEvent* e : chosen) h.events.push_back(*e);
      h.join_keys = key;
      // The chosen events leave every list before the next sample of this key.
      for (auto& l : lists)
        std::erase_if(l, [&](const HitEvent& e) {
          for (const HitEvent& c : h.events)
            if (c.order.arrival == e.order.arrival) return true;
          return false;
        });
      hits.push_back(std::move(h));
    }
  }
  keys_.clear();
  return hits;
}

}  // namespace audetect::eql
