// Skipping raw audit events that no loaded rule can match, before they are assembled and normalized.
//
// For an event query, some fields of the ECS document are copied verbatim from one raw record value
// (file.path from a PATH `name`, process.executable from `exe`, process.name from `comm`), as text or, when
// the kernel hex-encodes the value (only values with a quote, space, control or non-ASCII byte), as
// uppercase hex. So if a rule can only match when such a field equals
// one of a few strings, an event whose raw lines contain none of those strings (in either form) cannot match
// it. The prefilter holds, for the whole rule set, the strings at least one of which every matchable event
// contains; a rule that gives no such strings (a sequence, a negation-only query, derived fields) turns the
// prefilter off, so it never changes which alerts are found.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "rules/rules.h"

namespace audetect::engine {

class RawPrefilter {
 public:
  // `resolve_paths`: file.path is then joined with the cwd and no longer verbatim, so it gives no literal.
  static RawPrefilter for_rules(const std::vector<const rules::Rule*>& runnable_rules, bool resolve_paths);

  bool enabled() const { return enabled_; }
  // Why it is off (for the summary), when it is.
  const std::string& disabled_reason() const { return disabled_reason_; }
  // The strings searched for (each literal and its hex form).
  const std::vector<std::string>& needles() const { return needles_; }
  // True when `raw_line` contains a needle (the line's event must then be kept).
  bool hit(std::string_view raw_line) const;

 private:
  bool enabled_ = false;
  std::string disabled_reason_ = "no rules";
  std::vector<std::string> needles_;
};

// Passes input lines on, leaving out the raw audit records of events that contain none of the prefilter's
// strings. Records of one event are not always adjacent, so lines wait in a short look-ahead queue and the
// decision for an event is taken when its first line leaves the queue: any record of the event seen by then
// that contains a string keeps the whole event. Lines that are not audit records (ECS JSON, garbage) always
// pass, in order, for the pipeline to handle or report. Memory: the queue plus a bounded map of recent events.
class PrefilterFeeder {
 public:
  using Forward = std::function<void(std::string_view line, std::string_view source, uint64_t line_no)>;
  PrefilterFeeder(const RawPrefilter& prefilter, Forward forward);

  // `source` must stay valid until drain().
  void line(std::string_view text, std::string_view source, uint64_t line_no);
  // End of a file: every waiting line is decided now.
  void drain();

  uint64_t lines() const { return lines_; }
  uint64_t lines_skipped() const { return lines_skipped_; }
  uint64_t events_skipped() const { return events_skipped_; }
  // Events whose needle showed up only after some of their records had already been left out.
  uint64_t split_events() const { return split_events_; }

  static constexpr size_t kLookahead = 4096;  // lines
  static constexpr size_t kMaxStates = 1 << 16;

 private:
  struct Key {
    int64_t time_ms = 0;
    uint64_t serial = 0;
    bool operator==(const Key& o) const { return time_ms == o.time_ms && serial == o.serial; }
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      return std::hash<uint64_t>()(k.serial * 0x9E3779B97F4A7C15ull ^ static_cast<uint64_t>(k.time_ms));
    }
  };
  struct State {
    uint32_t pending = 0;  // lines of the event still in the queue
    bool seen = false, keep = false, dropped = false;
  };
  struct Entry {
    std::string text;
    std::string_view source;
    uint64_t line_no = 0;
    bool record = false;
    Key key;
    State* state = nullptr;
  };

  static bool parse_key(std::string_view line, Key& key);
  void pop();
  void trim_states();

  const RawPrefilter& prefilter_;
  Forward forward_;
  std::vector<Entry> ring_;
  size_t head_ = 0, count_ = 0;
  std::unordered_map<Key, State, KeyHash> states_;
  std::deque<Key> order_;  // keys by first appearance, for trimming oldest first
  State* last_state_ = nullptr;
  Key last_key_;
  uint64_t lines_ = 0, lines_skipped_ = 0, events_skipped_ = 0, split_events_ = 0;
};

// The literals of one EQL event query (for tests and `rules show`): nullopt-like empty result with
// `derivable` false when the query gives none.
struct QueryLiterals {
  bool derivable = false;
  std::vector<std::string> literals;
  std::string why_not;
};
QueryLiterals eql_query_literals(std::string_view query, bool resolve_paths);

}  // namespace audetect::engine
