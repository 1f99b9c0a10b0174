// Field types for EQL: what Elasticsearch would know from an index mapping.
//
// The analyzer asks the schema for every field a query names; the answer decides the semantics of
// comparisons (keyword vs text, numbers, ip, date, version) and whether an unknown field is an error.
// A Schema comes from the built-in table (ECS + auditd fields, generated from the corpus schemas into
// schema_builtin.cpp), from Elasticsearch mapping files (`--mapping FILE`, see mapping.h), or from both
// merged. Lookups are by dotted path; aliases resolve to their target.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace audetect::eql {

enum class FieldType : uint8_t {
  kUnknown,  // not mapped / type unknown: compare untyped, by JSON value
  // keyword family (exact strings)
  kKeyword,
  kConstantKeyword,
  kWildcard,
  // analysed text; usable in EQL only through a keyword sub-field
  kText,
  kMatchOnlyText,
  // integers
  kLong,
  kInteger,
  kShort,
  kByte,
  kUnsignedLong,
  // floating point
  kDouble,
  kFloat,
  kHalfFloat,
  kScaledFloat,
  kBoolean,
  kDate,
  kDateNanos,
  kIp,
  kVersion,
  kObject,
  kNested,
  kFlattened,  // searchable as keyword leaves
  kGeoPoint,
  kBinary,
  kOther,  // a mapped type EQL has no use for (histogram, dense_vector, ...)
};

// The groups EQL semantics care about.
enum class TypeFamily : uint8_t {
  kUnknown,
  kString,   // keyword, constant_keyword, wildcard, flattened
  kText,     // text / match_only_text (no keyword sub-field)
  kInteger,  // long, integer, short, byte, unsigned_long
  kFloat,    // double, float, half_float, scaled_float
  kBoolean,
  kDate,
  kIp,
  kVersion,
  kObject,   // object / nested: not a leaf
  kOther,
};

TypeFamily family_of(FieldType type);
std::string_view field_type_name(FieldType type);          // Elasticsearch spelling: "keyword", "long"...
std::optional<FieldType> parse_field_type(std::string_view);  // inverse; "[runtime_random_keyword_type]" -> keyword
inline bool is_numeric(FieldType t) {
  TypeFamily f = family_of(t);
  return f == TypeFamily::kInteger || f == TypeFamily::kFloat;
}

struct FieldInfo {
  FieldType type = FieldType::kUnknown;
  // For text fields: the name of a keyword-family sub-field ("keyword"), empty when none. EQL uses it
  // for exact comparisons, so such a field behaves as a keyword.
  std::string keyword_subfield;
  uint32_t ignore_above = 0;  // keyword values longer than this are not indexed; 0 = no limit
  // Elasticsearch `null_value`: an explicit JSON null in the document is indexed as this value.
  std::optional<std::string> null_value;
  // Date formats (Elasticsearch names or java-time patterns), one entry per `||` alternative.
  // Empty means the default "strict_date_optional_time||epoch_millis".
  std::vector<std::string> date_formats;
  bool dynamic = false;  // added by dynamic mapping (not named by a mapping file)

  // The family the query engine should use: text with a keyword sub-field counts as a string.
  TypeFamily effective_family() const {
    if (family_of(type) == TypeFamily::kText && !keyword_subfield.empty()) return TypeFamily::kString;
    return family_of(type);
  }
};

// Answer of Schema::lookup.
struct FieldLookup {
  enum class Kind : uint8_t {
    kField,    // a mapped leaf (info set)
    kObject,   // an object / nested path with sub-fields (info set when the object itself is mapped)
    kUnknown,  // not in the schema
  };
  Kind kind = Kind::kUnknown;
  const FieldInfo* info = nullptr;
  std::string path;  // the document path to read: the alias target when the name is an alias
  bool via_alias = false;
  bool in_nested = false;  // under a `nested` field: not searchable by EQL
};

class Schema {
 public:
  Schema() = default;

  // Adds or replaces a leaf field. Intermediate objects are implied.
  void add_field(std::string_view dotted, FieldInfo info);
  // `dotted` is an alias of `target` (Elasticsearch `type: alias, path: target`).
  void add_alias(std::string_view dotted, std::string_view target);
  // Marks an object (or nested) path explicitly.
  void add_object(std::string_view dotted, bool nested = false);

  // Resolves a dotted name: aliases (chains capped), sub-fields such as "file_name.keyword" of a text
  // field, objects. Never throws, never allocates beyond the returned path.
  FieldLookup lookup(std::string_view dotted) const;
  const FieldInfo* find(std::string_view dotted) const;  // leaf after alias resolution, or nullptr

  // Merges `other` into this schema, as one index pattern over several indices: fields only in one
  // side are taken; the same field with different date formats gets the formats joined (`||`);
  // other type conflicts keep this schema's type and return a message in `conflicts`.
  void merge(const Schema& other, std::vector<std::string>* conflicts = nullptr);

  // True for schemas from mapping files: a non-optional unknown field is an error (as in ES). The
  // built-in schema is lenient: unknown fields get a warning and are compared untyped.
  bool strict() const { return strict_; }
  void set_strict(bool strict) { strict_ = strict; }

  size_t field_count() const { return fields_.size(); }
  size_t alias_count() const { return aliases_.size(); }
  // Every leaf path and alias, sorted (for tests and `audetect schema`-like listings).
  std::vector<std::string> field_names() const;
  const std::map<std::string, std::string, std::less<>>& aliases() const { return aliases_; }

  // ECS + auditd fields, generated from the corpus schemas (tools/gen_eql_schema.py); lenient.
  static const Schema& builtin();

 private:
  std::map<std::string, FieldInfo, std::less<>> fields_;
  std::map<std::string, std::string, std::less<>> aliases_;
  std::map<std::string, bool, std::less<>> objects_;  // path -> nested
  bool strict_ = false;
};

}  // namespace audetect::eql
