#include "eql/wildcard.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <cstring>

#include "eql/casefold.h"
#include "eql/regex_translate.h"

namespace audetect::eql {

StringMatcher::StringMatcher(bool insensitive) : insensitive_(insensitive) {}
StringMatcher::~StringMatcher() = default;
StringMatcher::StringMatcher(StringMatcher&&) noexcept = default;
StringMatcher& StringMatcher::operator=(StringMatcher&&) noexcept = default;

void StringMatcher::add_exact(std::string_view s) { exact_.insert(insensitive_ ? fold(s) : std::string(s)); }

void StringMatcher::add_prefix(std::string_view s) {
  if (s.empty()) {
    match_all_ = true;
    return;
  }
  prefixes_.push_back(insensitive_ ? fold(s) : std::string(s));
}

void StringMatcher::add_wildcard(std::string_view pattern, bool backslash_escapes) {
  std::string p = insensitive_ ? fold(pattern) : std::string(pattern);
  const bool has_escape = backslash_escapes && p.find('\\') != std::string::npos;
  const bool has_q = p.find('?') != std::string::npos;
  const size_t stars = static_cast<size_t>(std::count(p.begin(), p.end(), '*'));
  if (!has_escape && !has_q) {
    if (stars == 0) {
      exact_.insert(std::move(p));
      return;
    }
    if (p.find_first_not_of('*') == std::string::npos) {
      match_all_ = true;
      return;
    }
    const bool lead = p.front() == '*';
    const bool trail = p.back() == '*';
    const size_t inner_stars = stars - (lead ? 1 : 0) - (trail ? 1 : 0);
    if (inner_stars == 0 && !(lead && trail && p.size() == 1)) {
      std::string lit = p.substr(lead ? 1 : 0, p.size() - (lead ? 1 : 0) - (trail ? 1 : 0));
      if (lead && trail) infixes_.push_back(std::move(lit));
      else if (lead) suffixes_.push_back(std::move(lit));
      else prefixes_.push_back(std::move(lit));
      return;
    }
  }
  glob_sources_.push_back(wildcard_to_re2(p, backslash_escapes));
}

Status StringMatcher::add_regex(std::string_view lucene_pattern) {
  RegexTranslation t = translate_lucene_regex(lucene_pattern);
  if (!t.ok) return Status::invalid(fmt::format("{} (at offset {} of the pattern)", t.error, t.error_offset));
  // Compile alone first so an RE2 error names this pattern.
  RE2::Options opts;
  opts.set_dot_nl(true);
  opts.set_log_errors(false);
  opts.set_case_sensitive(!insensitive_);
  RE2 probe(t.re2, opts);
  if (!probe.ok()) return Status::invalid(fmt::format("invalid regular expression: {}", probe.error()));
  regex_sources_.push_back(std::move(t.re2));
  return Status::ok();
}

namespace {

std::unique_ptr<RE2> build_alternation(const std::vector<std::string>& sources, bool case_sensitive, Status& status) {
  if (sources.empty()) return nullptr;
  std::string joined = "(?:";
  for (size_t i = 0; i < sources.size(); ++i) {
    if (i) joined += ")|(?:";
    joined += sources[i];
  }
  joined += ')';
  RE2::Options opts;
  opts.set_dot_nl(true);
  opts.set_log_errors(false);
  opts.set_never_capture(true);
  opts.set_case_sensitive(case_sensitive);
  opts.set_max_mem(64 << 20);
  auto re = std::make_unique<RE2>(joined, opts);
  if (!re->ok()) status = Status::invalid(fmt::format("pattern does not compile: {}", re->error()));
  return re;
}

}  // namespace

Status StringMatcher::finish() {
  Status status;
  // Many prefix/suffix/infix patterns: one automaton beats that many string searches.
  constexpr size_t kMaxPlainSearches = 8;
  if (prefixes_.size() + suffixes_.size() + infixes_.size() > kMaxPlainSearches) {
    for (const auto& p : prefixes_) glob_sources_.push_back(RE2::QuoteMeta(p) + ".*");
    for (const auto& p : suffixes_) glob_sources_.push_back(".*" + RE2::QuoteMeta(p));
    for (const auto& p : infixes_) glob_sources_.push_back(".*" + RE2::QuoteMeta(p) + ".*");
    prefixes_.clear();
    suffixes_.clear();
    infixes_.clear();
  }
  exact_only_ = !match_all_ && prefixes_.empty() && suffixes_.empty() && infixes_.empty() && glob_sources_.empty() &&
                regex_sources_.empty() && exact_.size() <= 16;
  exact_list_.assign(exact_.begin(), exact_.end());
  // Wildcards were folded already; regexes get RE2's own (simple, per code point) case folding.
  glob_ = build_alternation(glob_sources_, true, status);
  if (!status) return status;
  regex_ = build_alternation(regex_sources_, !insensitive_, status);
  return status;
}

bool StringMatcher::matches_folded(std::string_view s) const {
  if (!exact_.empty() && exact_.find(s) != exact_.end()) return true;
  for (const auto& p : prefixes_)
    if (s.starts_with(p)) return true;
  for (const auto& p : suffixes_)
    if (s.ends_with(p)) return true;
  for (const auto& p : infixes_)
    if (s.find(p) != std::string_view::npos) return true;
  if (glob_ && RE2::FullMatch(s, *glob_)) return true;
  return false;
}

bool StringMatcher::matches(std::string_view s) const {
  if (exact_only_ && (!insensitive_ || is_ascii(s))) {
    if (!insensitive_) {
      for (const auto& e : exact_list_)
        if (e.size() == s.size() && std::memcmp(e.data(), s.data(), s.size()) == 0) return true;
      return false;
    }
    // ASCII value: folding is per byte and keeps the length.
    for (const auto& e : exact_list_) {
      if (e.size() != s.size()) continue;
      size_t k = 0;
      while (k < s.size()) {
        char c = s[k];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
        if (c != e[k]) break;
        ++k;
      }
      if (k == s.size()) return true;
    }
    return false;
  }
  if (match_all_) return true;
  if (regex_ && RE2::FullMatch(s, *regex_)) return true;
  if (exact_.empty() && prefixes_.empty() && suffixes_.empty() && infixes_.empty() && !glob_) return false;
  if (!insensitive_) return matches_folded(s);
  thread_local std::string folded;
  return matches_folded(fold_into(s, folded));
}

uint32_t StringMatcher::cost() const {
  uint32_t c = 2;
  c += static_cast<uint32_t>(prefixes_.size() + suffixes_.size() + 2 * infixes_.size());
  if (glob_) c += 20;
  if (regex_) c += 30;
  if (insensitive_) c += 4;
  return c;
}

}  // namespace audetect::eql
