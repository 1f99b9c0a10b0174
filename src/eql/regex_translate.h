// Lucene RegExp (the syntax Elasticsearch's `regex` uses) translated to RE2 syntax. The result is
// meant for a full match (Lucene regexes are always anchored) with RE2's dot matching newlines.
// Lucene's optional operators (~ complement, & intersection, @ any string, <n-m> interval,
// # empty language) have no RE2 equivalent and are rejected with an explanation.
#pragma once

#include <string>
#include <string_view>

namespace audetect::eql {

struct RegexTranslation {
  bool ok = false;
  std::string re2;     // when ok
  std::string error;   // when !ok
  size_t error_offset = 0;  // byte offset in the Lucene pattern
};

RegexTranslation translate_lucene_regex(std::string_view lucene);

// A wildcard pattern (`*` any run, `?` one code point) as RE2 syntax. With backslash_escapes a
// `\` makes the next character literal (Lucene wildcard-query syntax, used by the endsWith and
// stringContains pushdown); otherwise backslash is an ordinary character (EQL `:` and `like`).
std::string wildcard_to_re2(std::string_view pattern, bool backslash_escapes);

}  // namespace audetect::eql
