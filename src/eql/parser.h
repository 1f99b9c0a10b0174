// Recursive-descent parser for the Elasticsearch EQL grammar (docs/eql.md §3). Nesting is capped
// (kMaxDepth) so hostile input such as 100,000 `(` gets an error instead of a stack overflow.
#pragma once

#include <memory>
#include <string_view>

#include "eql/ast.h"
#include "eql/diagnostics.h"

namespace audetect::eql {

inline constexpr int kMaxDepth = 200;

// Returns the statement, or null with at least one error in `diags`.
std::unique_ptr<ast::Statement> parse_statement(std::string_view text, Diagnostics& diags);

}  // namespace audetect::eql
