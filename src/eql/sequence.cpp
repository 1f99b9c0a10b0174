#include "eql/sequence.h"

#include <algorithm>

namespace audetect::eql {

std::vector<JoinKey> join_keys_of(const Event& event, const Stage& stage, size_t max_combinations,
                                  bool* truncated) {
  std::vector<JoinKey> out;
  if (truncated) *truncated = false;
  if (stage.keys.empty()) {
    out.emplace_back();
    return out;
  }
  std::vector<std::vector<KeyValue>> per_key(stage.keys.size());
  for (size_t i = 0; i < stage.keys.size(); ++i) {
    stage.keys[i].extract(event, per_key[i]);
    if (per_key[i].empty()) return out;  // non-optional key missing
    // Duplicate values in one multi-valued field give the same tuple: keep one.
    std::sort(per_key[i].begin(), per_key[i].end());
    per_key[i].erase(std::unique(per_key[i].begin(), per_key[i].end()), per_key[i].end());
  }
  out.emplace_back();
  for (const auto& values : per_key) {
    std::vector<JoinKey> next;
    for (const auto& prefix : out) {
      for (const auto& v : values) {
        if (next.size() >= max_combinations) {
          if (truncated) *truncated = true;
          break;
        }
        JoinKey k = prefix;
        k.push_back(v);
        next.push_back(std::move(k));
      }
    }
    out = std::move(next);
  }
  return out;
}

SequenceMatcher::SequenceMatcher(const CompiledQuery& query, const RunnerOptions& options, RunnerStats& stats)
    : query_(query), options_(options), stats_(stats), maxspan_(query.maxspan_nanos()) {
  auto stages = query.stages();
  for (size_t s = 0; s < stages.size(); ++s) {
    // ES allows runs=1..100 (the compiler rejects others); the clamp keeps a bad value harmless.
    uint32_t runs = std::clamp<uint32_t>(stages[s].runs, 1, 100);
    for (uint32_t r = 0; r < runs; ++r) {
      stage_of_.push_back(s);
      missing_.push_back(stages[s].missing);
    }
  }
  for (size_t p = 0; p < missing_.size(); ++p) {
    if (missing_[p]) {
      has_missing_ = true;
      continue;
    }
    if (first_positive_ < 0) first_positive_ = static_cast<int>(p);
    last_positive_ = static_cast<int>(p);
  }
  if (maxspan_ && *maxspan_ <= 0) maxspan_.reset();
}

void SequenceMatcher::process(const Candidate& c) {
  ++processed_;
  auto stages = query_.stages();
  // Positions from last to first, so an event matching several items extends an older sequence
  // before it starts a new one (an item must match a strictly later event than the previous one).
  for (int p = static_cast<int>(stage_of_.size()) - 1; p >= 0; --p) {
    if (missing_[static_cast<size_t>(p)]) continue;
    size_t s = stage_of_[static_cast<size_t>(p)];
    if (!(c.stage_mask >> s & 1u)) continue;
    bool truncated = false;
    auto keys = join_keys_of(c.event, stages[s], options_.max_key_combinations, &truncated);
    if (truncated) ++stats_.key_combination_cap_hits;
    for (const auto& key : keys) advance(static_cast<size_t>(p), key, c);
  }
  // Missing-stage observations, after the positive items: the event itself is not "between".
  if (has_missing_) {
    for (size_t p = 0; p < stage_of_.size(); ++p) {
      if (!missing_[p]) continue;
      size_t s = stage_of_[p];
      if (!(c.stage_mask >> s & 1u)) continue;
      auto keys = join_keys_of(c.event, stages[s], options_.max_key_combinations, nullptr);
      for (const auto& key : keys) {
        auto& per_pos = missing_seen_[key];
        if (per_pos.empty()) per_pos.resize(stage_of_.size());
        per_pos[p].push_back(c.order);
      }
    }
  }
  // `until` drops the pending sequences of its key, except those this very event just advanced.
  if (c.until && query_.until()) {
    auto keys = join_keys_of(c.event, *query_.until(), options_.max_key_combinations, nullptr);
    for (const auto& key : keys) {
      auto it = keys_.find(key);
      if (it == keys_.end()) continue;
      bool any_left = false;
      for (auto& slot : it->second.slots) {
        if (!slot) continue;
        const HitEvent* last = nullptr;
        for (const auto& e : slot->events)
          if (!e.missing) last = &e;
        if (last && last->order.arrival == c.order.arrival) {
          any_left = true;
          continue;
        }
        slot.reset();
        ++stats_.until_rejections;
      }
      if (!any_left) keys_.erase(it);
    }
  }
  if (maxspan_ && (processed_ & 1023) == 0) expire(c.order.timestamp_nanos);
}

void SequenceMatcher::advance(size_t position, const JoinKey& key, const Candidate& c) {
  HitEvent hit{c.event, c.order, false};
  auto complete = [&](Pending seq) {
    Completed done{std::move(seq), key};
    completed_.push_back(std::move(done));
  };
  if (static_cast<int>(position) == first_positive_) {
    Pending seq;
    seq.events.resize(stage_of_.size());
    for (size_t p = 0; p < stage_of_.size(); ++p) seq.events[p].missing = missing_[p];
    seq.events[position] = std::move(hit);
    seq.start_nanos = c.order.timestamp_nanos;
    if (static_cast<int>(position) == last_positive_) {
      complete(std::move(seq));
      return;
    }
    auto it = keys_.find(key);
    if (it == keys_.end()) {
      if (keys_.size() >= options_.max_open_keys) {
        ++stats_.key_cap_hits;
        return;
      }
      it = keys_.emplace(key, KeyState{}).first;
      it->second.slots.resize(stage_of_.size());
    }
    it->second.slots[position] = std::move(seq);
    return;
  }
  int prev = static_cast<int>(position) - 1;
  while (prev >= 0 && missing_[static_cast<size_t>(prev)]) --prev;
  if (prev < 0) return;
  auto it = keys_.find(key);
  if (it == keys_.end()) return;
  auto& slot = it->second.slots[static_cast<size_t>(prev)];
  if (!slot) return;
  Pending seq = std::move(*slot);
  slot.reset();
  if (maxspan_ && c.order.timestamp_nanos - seq.start_nanos > *maxspan_) {
    ++stats_.maxspan_rejections;
  } else {
    seq.events[position] = std::move(hit);
    if (static_cast<int>(position) == last_positive_) {
      complete(std::move(seq));
    } else {
      it->second.slots[position] = std::move(seq);
    }
  }
  bool empty = true;
  for (const auto& s : it->second.slots) empty = empty && !s;
  if (empty) keys_.erase(it);
}

void SequenceMatcher::expire(int64_t now_nanos) {
  if (!maxspan_) return;
  int64_t horizon = now_nanos - *maxspan_;
  if (horizon <= last_expiry_nanos_) return;
  last_expiry_nanos_ = horizon;
  // Completed sequences whose missing-event windows have closed are checked now, before the
  // observations they need are pruned below.
  if (has_missing_) {
    auto still_open = std::stable_partition(completed_.begin(), completed_.end(), [&](const Completed& d) {
      return d.seq.events[static_cast<size_t>(first_positive_)].order.timestamp_nanos + *maxspan_ >= now_nanos;
    });
    for (auto it = still_open; it != completed_.end(); ++it) {
      if (missing_ok(*it)) checked_.push_back(std::move(*it));
      else ++stats_.missing_event_rejections;
    }
    completed_.erase(still_open, completed_.end());
  }
  for (auto it = keys_.begin(); it != keys_.end();) {
    bool empty = true;
    for (auto& s : it->second.slots) {
      if (s && s->start_nanos < horizon) s.reset();
      empty = empty && !s;
    }
    it = empty ? keys_.erase(it) : std::next(it);
  }
  // Missing-stage observations older than two spans can no longer matter.
  int64_t keep_after = now_nanos - 2 * *maxspan_;
  for (auto it = missing_seen_.begin(); it != missing_seen_.end();) {
    bool empty = true;
    for (auto& v : it->second) {
      auto cut = std::find_if(v.begin(), v.end(), [&](const OrderKey& o) { return o.timestamp_nanos >= keep_after; });
      v.erase(v.begin(), cut);
      empty = empty && v.empty();
    }
    it = empty ? missing_seen_.erase(it) : std::next(it);
  }
}

// Elasticsearch's rule (TumblingWindow missing-event check): a middle `![...]` rejects the
// sequence when an event of its key falls strictly between the timestamps of its positive
// neighbours. Leading and trailing ones look at the latest event before the first positive event
// and the earliest after the last one; the sequence stands unless those fit with it within maxspan:
// leading only: last - L <= maxspan rejects; trailing only: T - first <= maxspan rejects; both ends
// missing: only a pair with T - L <= maxspan rejects (one side found alone does not).
bool SequenceMatcher::missing_ok(const Completed& done) const {
  auto seen = missing_seen_.find(done.key);
  if (seen == missing_seen_.end()) return true;
  const auto& ev = done.seq.events;
  int64_t first = ev[static_cast<size_t>(first_positive_)].order.timestamp_nanos;
  int64_t last = ev[static_cast<size_t>(last_positive_)].order.timestamp_nanos;
  std::optional<int64_t> last_leading, first_trailing;
  for (size_t p = 0; p < ev.size(); ++p) {
    if (!missing_[p]) continue;
    const auto& observed = seen->second[p];
    if (static_cast<int>(p) < first_positive_) {
      for (const OrderKey& o : observed)
        if (o.timestamp_nanos < first && (!last_leading || o.timestamp_nanos > *last_leading))
          last_leading = o.timestamp_nanos;
    } else if (static_cast<int>(p) > last_positive_) {
      for (const OrderKey& o : observed)
        if (o.timestamp_nanos > last && (!first_trailing || o.timestamp_nanos < *first_trailing))
          first_trailing = o.timestamp_nanos;
    } else {
      int prev = static_cast<int>(p) - 1;
      while (missing_[static_cast<size_t>(prev)]) --prev;
      size_t next = p + 1;
      while (missing_[next]) ++next;
      int64_t lo = ev[static_cast<size_t>(prev)].order.timestamp_nanos;
      int64_t hi = ev[next].order.timestamp_nanos;
      for (const OrderKey& o : observed)
        if (o.timestamp_nanos > lo && o.timestamp_nanos < hi) return false;
    }
  }
  bool leading_stage = missing_.front();
  bool trailing_stage = missing_.back();
  auto exceeds = [&](std::optional<int64_t> from, std::optional<int64_t> to) {
    if (!from || !to) return true;
    return maxspan_ && *to - *from > *maxspan_;
  };
  if (!first_trailing && !last_leading) return true;
  if (!last_leading && leading_stage) return true;
  if (!first_trailing && trailing_stage) return true;
  if (leading_stage && trailing_stage) return exceeds(last_leading, first_trailing);
  if (leading_stage) return exceeds(last_leading, last);
  return exceeds(first, first_trailing);
}

std::vector<Hit> SequenceMatcher::take_final(int64_t now_nanos) {
  std::vector<Hit> hits;
  std::vector<Completed> ready;
  if (has_missing_) {
    if (maxspan_) expire(now_nanos);
    ready = std::move(checked_);
    checked_.clear();
    // Result order is by last event; sequences still waiting on a trailing window hold back
    // everything completed after them.
    if (!completed_.empty()) {
      const OrderKey& first_open = completed_.front().seq.events[static_cast<size_t>(last_positive_)].order;
      auto cut = std::stable_partition(ready.begin(), ready.end(), [&](const Completed& d) {
        return d.seq.events[static_cast<size_t>(last_positive_)].order < first_open;
      });
      for (auto it = cut; it != ready.end(); ++it) checked_.push_back(std::move(*it));
      ready.erase(cut, ready.end());
    }
    std::stable_sort(ready.begin(), ready.end(), [&](const Completed& a, const Completed& b) {
      return a.seq.events[static_cast<size_t>(last_positive_)].order <
             b.seq.events[static_cast<size_t>(last_positive_)].order;
    });
  } else {
    ready = std::move(completed_);
    completed_.clear();
  }
  for (auto& d : ready) {
    Hit h;
    h.events = std::move(d.seq.events);
    h.join_keys = std::move(d.key);
    hits.push_back(std::move(h));
  }
  return hits;
}

std::vector<Hit> SequenceMatcher::finish() {
  std::vector<Hit> hits;
  std::vector<Completed> done = std::move(checked_);
  checked_.clear();
  for (auto& d : completed_) {
    if (!has_missing_ || missing_ok(d)) done.push_back(std::move(d));
    else ++stats_.missing_event_rejections;
  }
  completed_.clear();
  // ES orders completed sequences by the ordinal of their last event.
  std::stable_sort(done.begin(), done.end(), [&](const Completed& a, const Completed& b) {
    return a.seq.events[static_cast<size_t>(last_positive_)].order <
           b.seq.events[static_cast<size_t>(last_positive_)].order;
  });
  for (auto& d : done) {
    Hit h;
    h.events = std::move(d.seq.events);
    h.join_keys = std::move(d.key);
    hits.push_back(std::move(h));
  }
  keys_.clear();
  missing_seen_.clear();
  return hits;
}

}  // namespace audetect::eql
