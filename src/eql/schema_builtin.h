// The generated built-in field table (schema_builtin.cpp, from tools/gen_eql_schema.py).
#pragma once

#include <cstddef>
#include <cstdint>

namespace audetect::eql::builtin_schema {

struct BuiltinField {
  const char* name;
  const char* type;  // Elasticsearch type name
  uint32_t ignore_above;
};

struct BuiltinAlias {
  const char* name;
  const char* target;
};

extern const BuiltinField kFields[];
extern const size_t kFieldCount;
extern const BuiltinAlias kAliases[];
extern const size_t kAliasCount;

}  // namespace audetect::eql::builtin_schema
