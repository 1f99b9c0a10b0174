#include "eql/ast.h"

namespace audetect::eql::ast {

std::string Expr::dotted() const {
  std::string out;
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i) out += '.';
    out += segments[i];
  }
  return out;
}

}  // namespace audetect::eql::ast
