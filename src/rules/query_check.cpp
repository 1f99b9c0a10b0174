#include "rules/query_check.h"

#include <fmt/format.h>

#include "eql/schema.h"

namespace audetect::rules {

std::shared_ptr<const eql::CompiledQuery> compile_rule_query(const Rule& rule, std::vector<Diagnostic>* diagnostics,
                                                             const eql::Schema* schema) {
  eql::CompileOptions options;
  if (!rule.event_category_override.empty()) options.event_category_field = rule.event_category_override;
  eql::CompileResult result = eql::compile(rule.query, schema ? *schema : eql::Schema::builtin(), options);
  if (diagnostics) {
    for (const auto& d : result.diagnostics.items()) {
      eql::LineColumn at = eql::line_column(rule.query, d.span.begin);
      std::string message = fmt::format("query {}: {}", d.code_name(), d.message);
      if (!d.help.empty()) message += fmt::format(" ({})", d.help);
      diagnostics->push_back({d.severity == eql::Severity::kError ? Diagnostic::Level::kError
                                                                   : Diagnostic::Level::kWarning,
                              rule.query_position(at.line, at.column), std::move(message)});
    }
  }
  return result.query;
}

void check_queries(RuleSet& set, const eql::Schema* schema) {
  for (auto& rule : set.rules) {
    if (!rule.runnable || rule.type != RuleType::kEql) continue;
    std::vector<Diagnostic> found;
    auto compiled = compile_rule_query(rule, &found, schema);
    if (!compiled) {
      rule.runnable = false;
      const Diagnostic* first = nullptr;
      for (const auto& d : found) {
        if (d.level == Diagnostic::Level::kError) {
          first = &d;
          break;
        }
      }
      rule.not_runnable_reason =
          fmt::format("query does not compile: {}", first ? first->message : std::string("unknown error"));
    }
    set.diagnostics.insert(set.diagnostics.end(), found.begin(), found.end());
  }
}

}  // namespace audetect::rules
