// A set of string tests on one value, compiled once: exact strings (hash set), wildcard patterns
// (`*`/`?`; the common shapes lit*, *lit, *lit* as plain string searches, the rest as one RE2
// alternation, i.e. one automaton for all of them), prefixes and Lucene regexes (one RE2
// alternation). Case-insensitive matchers fold the value once per call (ASCII fast path).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "base/status.h"

namespace re2 {
class RE2;
}

namespace audetect::eql {

struct TransparentStringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

class StringMatcher {
 public:
  explicit StringMatcher(bool insensitive);
  ~StringMatcher();
  StringMatcher(StringMatcher&&) noexcept;
  StringMatcher& operator=(StringMatcher&&) noexcept;

  void add_exact(std::string_view s);
  // `backslash_escapes`: Lucene wildcard-query syntax (pushdown of endsWith/stringContains).
  void add_wildcard(std::string_view pattern, bool backslash_escapes = false);
  void add_prefix(std::string_view s);
  // Returns an error (message, byte offset in `pattern` in the message) for untranslatable input.
  Status add_regex(std::string_view lucene_pattern);
  // Compiles the automata; call once after the add_* calls.
  Status finish();

  bool matches(std::string_view s) const;

  bool insensitive() const { return insensitive_; }
  bool match_all() const { return match_all_; }
  // Rough relative cost of one call, for ordering checks cheapest first.
  uint32_t cost() const;
  size_t exact_count() const { return exact_.size(); }
  // The exact strings, when the matcher is nothing but case-sensitive exact strings.
  const std::vector<std::string>* exact_only_values() const {
    return exact_only_ && !insensitive_ ? &exact_list_ : nullptr;
  }

 private:
  bool matches_folded(std::string_view s) const;  // s already folded when insensitive_

  bool insensitive_;
  bool match_all_ = false;
  // Fast paths decided by finish(): only exact strings, few enough to compare one by one
  // (cheaper than hashing for the usual one to a dozen constants).
  bool exact_only_ = false;
  std::vector<std::string> exact_list_;
  std::unordered_set<std::string, TransparentStringHash, std::equal_to<>> exact_;
  std::vector<std::string> prefixes_;
  std::vector<std::string> suffixes_;
  std::vector<std::string> infixes_;
  std::vector<std::string> glob_sources_;   // RE2 syntax, from wildcards
  std::vector<std::string> regex_sources_;  // RE2 syntax, from Lucene regexes
  std::unique_ptr<re2::RE2> glob_;
  std::unique_ptr<re2::RE2> regex_;
};

}  // namespace audetect::eql
