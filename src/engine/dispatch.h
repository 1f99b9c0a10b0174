// Which event rules an event needs to be checked against, decided for all rules at once.
//
// Most rules require some field to hold one of a few exact values (`process where` requires
// event.category "process"; many add event.type "start" or an event.action list). Those facts are
// indexed by value: per event, a few field lookups and hash probes give a bit set of the rules whose
// indexed requirements the event meets, and only those are evaluated, instead of every rule
// rediscovering on its own that a file event is not a process event (the grouping Falco's filter engine
// does by event type). The index only ever leaves out rules that cannot match.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/matcher.h"
#include "event/event.h"

namespace audetect::engine {

class RuleDispatch {
 public:
  // requirements[i]: rule i's alternatives (RuleMatcher::requirements(); none: every event).
  explicit RuleDispatch(const std::vector<std::vector<std::vector<RuleMatcher::Requirement>>>& requirements);

  // Bit i of word i / 64 is set when rule i may match `event`. Valid until the next call.
  const std::vector<uint64_t>& candidates(const Event& event);

  size_t indexed_paths() const { return paths_.size(); }
  // At most this many fields are looked up per event: the ones the most rules constrain.
  static constexpr size_t kMaxPaths = 4;

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  // Bit sets below are over alternatives ("entries"); rule i owns entries [first_entry_[i], first_entry_[i+1]).
  struct IndexedPath {
    FieldPath path;
    std::vector<uint64_t> unconstrained;  // entries that require nothing of this field
    std::unordered_map<std::string, std::vector<uint64_t>, StringHash, std::equal_to<>> by_value;
  };
  size_t words_ = 0;
  std::vector<uint64_t> all_;
  std::vector<IndexedPath> paths_;
  std::vector<uint32_t> entry_rule_;  // empty when every rule has exactly one entry (then entries are rules)
  std::vector<uint64_t> entries_;
  std::vector<uint64_t> allowed_;
  std::vector<uint64_t> rules_;
};

}  // namespace audetect::engine
