#include "engine/dispatch.h"

#include <algorithm>
#include <map>

namespace audetect::engine {

RuleDispatch::RuleDispatch(const std::vector<std::vector<std::vector<RuleMatcher::Requirement>>>& requirements) {
  // One entry per alternative; a rule without alternatives gets one that requires nothing.
  std::vector<const std::vector<RuleMatcher::Requirement>*> entries;
  static const std::vector<RuleMatcher::Requirement> kNothing;
  bool one_each = true;
  for (size_t i = 0; i < requirements.size(); ++i) {
    one_each = one_each && requirements[i].size() <= 1;
    if (requirements[i].empty()) {
      entries.push_back(&kNothing);
      entry_rule_.push_back(static_cast<uint32_t>(i));
    }
    for (const auto& alt : requirements[i]) {
      entries.push_back(&alt);
      entry_rule_.push_back(static_cast<uint32_t>(i));
    }
  }
  if (one_each) entry_rule_.clear();
  const size_t n = entries.size();
  words_ = (n + 63) / 64;
  all_.assign(words_, 0);
  for (size_t i = 0; i < n; ++i) all_[i / 64] |= uint64_t{1} << (i % 64);
  entries_ = all_;
  allowed_.assign(words_, 0);
  rules_.assign((requirements.size() + 63) / 64, 0);

  // The fields constrained by the most entries are worth a lookup per event; the rest are left to the rules.
  std::map<std::string, size_t> entries_per_path;
  for (const auto* reqs : entries) {
    std::vector<std::string> seen;
    for (const auto& r : *reqs) {
      if (std::find(seen.begin(), seen.end(), r.path.text()) != seen.end()) continue;
      seen.push_back(r.path.text());
      ++entries_per_path[r.path.text()];
    }
  }
  std::vector<std::pair<size_t, std::string>> ranked;
  for (const auto& [path, count] : entries_per_path) ranked.emplace_back(count, path);
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  if (ranked.size() > kMaxPaths) ranked.resize(kMaxPaths);

  for (const auto& [count, text] : ranked) {
    IndexedPath ip;
    ip.path = FieldPath(text);
    ip.unconstrained = all_;
    for (size_t i = 0; i < n; ++i) {
      // The same field may be required twice (`a == "x" and a in ("x", "y")`): the event must meet both,
      // so the entry is indexed under the values common to all of them.
      bool constrained = false;
      std::vector<std::string> common;
      for (const auto& r : *entries[i]) {
        if (r.path.text() != text) continue;
        if (!constrained) {
          common = r.values;
        } else {
          std::erase_if(common, [&](const std::string& v) {
            return std::find(r.values.begin(), r.values.end(), v) == r.values.end();
          });
        }
        constrained = true;
      }
      if (!constrained) continue;
      ip.unconstrained[i / 64] &= ~(uint64_t{1} << (i % 64));
      for (const std::string& v : common) {
        auto& mask = ip.by_value[v];
        if (mask.empty()) mask.assign(words_, 0);
        mask[i / 64] |= uint64_t{1} << (i % 64);
      }
    }
    paths_.push_back(std::move(ip));
  }
}

const std::vector<uint64_t>& RuleDispatch::candidates(const Event& event) {
  entries_ = all_;
  for (const IndexedPath& ip : paths_) {
    allowed_ = ip.unconstrained;
    bool other_kind = false;
    event.for_each_value(ip.path, [&](const Value& v) {
      if (!v.is_string()) {
        other_kind = true;  // only exact string facts are indexed: leave such an event to the rules
        return;
      }
      auto it = ip.by_value.find(v.as_string());
      if (it == ip.by_value.end()) return;
      for (size_t w = 0; w < words_; ++w) allowed_[w] |= it->second[w];
    });
    if (other_kind) continue;
    for (size_t w = 0; w < words_; ++w) entries_[w] &= allowed_[w];
  }
  if (entry_rule_.empty()) return entries_;
  std::fill(rules_.begin(), rules_.end(), 0);
  for (size_t w = 0; w < words_; ++w) {
    for (uint64_t bits = entries_[w]; bits; bits &= bits - 1) {
      uint32_t rule = entry_rule_[w * 64 + static_cast<size_t>(__builtin_ctzll(bits))];
      rules_[rule / 64] |= uint64_t{1} << (rule % 64);
    }
  }
  return rules_;
}

}  // namespace audetect::engine
