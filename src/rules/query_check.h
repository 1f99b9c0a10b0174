// Compiling rule queries with the EQL engine, with errors placed in the rule file.
#pragma once

#include <memory>
#include <vector>

#include "eql/eql.h"
#include "rules/rules.h"

namespace audetect::eql {
class Schema;
}

namespace audetect::rules {

// Compiles an eql rule's query against `schema` (the built-in ECS + auditd schema when null), with the
// rule's event_category_override as the category field. Every EQL diagnostic is appended to
// `diagnostics` at its file:line:column (errors and warnings). Returns null when it does not compile.
std::shared_ptr<const eql::CompiledQuery> compile_rule_query(const Rule& rule, std::vector<Diagnostic>* diagnostics,
                                                             const eql::Schema* schema = nullptr);

// Compiles every runnable eql rule of the set; a rule whose query does not compile becomes not runnable
// ("query does not compile: ...") and its diagnostics join set.diagnostics (as errors: the rule cannot
// run). Non-eql rules are left as loaded (not runnable, with their reason).
void check_queries(RuleSet& set, const eql::Schema* schema = nullptr);

}  // namespace audetect::rules
