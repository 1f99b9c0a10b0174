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

#include <string>
#include <string_view>
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

// The literals of one EQL event query (for tests and `rules show`): nullopt-like empty result with
// `derivable` false when the query gives none.
struct QueryLiterals {
  bool derivable = false;
  std::vector<std::string> literals;
  std::string why_not;
};
QueryLiterals eql_query_literals(std::string_view query, bool resolve_paths);

}  // namespace audetect::engine
