// libFuzzer target: arbitrary bytes as a detection-rules TOML file. Must never crash, and every
// diagnostic must carry a position inside the input.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "rules/rules.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<audetect::rules::Diagnostic> diagnostics;
  auto rule = audetect::rules::parse_rule(text, "fuzz.toml", &diagnostics);
  (void)rule;
  (void)audetect::rules::extract_audit_rules(text);
  return 0;
}
