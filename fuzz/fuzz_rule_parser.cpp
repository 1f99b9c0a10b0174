// libFuzzer target: arbitrary bytes as a detection-rules TOML file, then the rule's EQL query compiled
// as `rules validate` does. Must never crash, a failure must say why, and every diagnostic (TOML, rule
// fields, and query diagnostics placed back into the file) must carry a position inside the input.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "rules/query_check.h"
#include "rules/rules.h"

namespace {

using audetect::rules::Diagnostic;

// Line 1..lines of the text, column 1..length of that line + 2 (columns counted in bytes, toml++ counts
// code points, which are never more; toml++ places end of file one past the final newline).
bool inside(std::string_view text, const audetect::rules::SourcePosition& at) {
  if (at.file != "fuzz.toml" || at.line == 0 || at.column == 0) return false;
  size_t begin = 0;
  for (uint32_t line = 1; line < at.line; ++line) {
    size_t nl = text.find('\n', begin);
    if (nl == std::string_view::npos) return false;
    begin = nl + 1;
  }
  size_t end = text.find('\n', begin);
  size_t length = (end == std::string_view::npos ? text.size() : end) - begin;
  return at.column <= length + 2;
}

void check(std::string_view text, const std::vector<Diagnostic>& diagnostics) {
  for (const Diagnostic& d : diagnostics) {
    if (d.message.empty() || !inside(text, d.where)) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<Diagnostic> diagnostics;
  auto rule = audetect::rules::parse_rule(text, "fuzz.toml", &diagnostics);
  check(text, diagnostics);
  if (!rule.is_ok()) {
    bool has_error = false;
    for (const Diagnostic& d : diagnostics) has_error |= d.level == Diagnostic::Level::kError;
    if (!has_error) __builtin_trap();
  } else if (rule->type == audetect::rules::RuleType::kEql && size <= 16384) {
    std::vector<Diagnostic> query_diagnostics;
    auto compiled = audetect::rules::compile_rule_query(*rule, &query_diagnostics);
    check(text, query_diagnostics);
    if (!compiled && query_diagnostics.empty()) __builtin_trap();
  }
  (void)audetect::rules::extract_audit_rules(text);
  return 0;
}
