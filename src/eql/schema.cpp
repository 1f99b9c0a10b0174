#include "eql/schema.h"

#include <algorithm>
#include <array>
#include <utility>

#include "eql/schema_builtin.h"

namespace audetect::eql {

namespace {

struct TypeName {
  FieldType type;
  std::string_view name;
};

constexpr std::array<TypeName, 27> kTypeNames{{
    {FieldType::kUnknown, "unknown"},
    {FieldType::kKeyword, "keyword"},
    {FieldType::kConstantKeyword, "constant_keyword"},
    {FieldType::kWildcard, "wildcard"},
    {FieldType::kText, "text"},
    {FieldType::kMatchOnlyText, "match_only_text"},
    {FieldType::kLong, "long"},
    {FieldType::kInteger, "integer"},
    {FieldType::kShort, "short"},
    {FieldType::kByte, "byte"},
    {FieldType::kUnsignedLong, "unsigned_long"},
    {FieldType::kDouble, "double"},
    {FieldType::kFloat, "float"},
    {FieldType::kHalfFloat, "half_float"},
    {FieldType::kScaledFloat, "scaled_float"},
    {FieldType::kBoolean, "boolean"},
    {FieldType::kDate, "date"},
    {FieldType::kDateNanos, "date_nanos"},
    {FieldType::kIp, "ip"},
    {FieldType::kVersion, "version"},
    {FieldType::kObject, "object"},
    {FieldType::kNested, "nested"},
    {FieldType::kFlattened, "flattened"},
    {FieldType::kGeoPoint, "geo_point"},
    {FieldType::kBinary, "binary"},
    {FieldType::kOther, "other"},
    {FieldType::kObject, "group"},  // beats fields.yml spelling of an object
}};

constexpr int kMaxAliasHops = 8;

}  // namespace

TypeFamily family_of(FieldType type) {
  switch (type) {
    case FieldType::kUnknown: return TypeFamily::kUnknown;
    case FieldType::kKeyword:
    case FieldType::kConstantKeyword:
    case FieldType::kWildcard:
    case FieldType::kFlattened: return TypeFamily::kString;
    case FieldType::kText:
    case FieldType::kMatchOnlyText: return TypeFamily::kText;
    case FieldType::kLong:
    case FieldType::kInteger:
    case FieldType::kShort:
    case FieldType::kByte:
    case FieldType::kUnsignedLong: return TypeFamily::kInteger;
    case FieldType::kDouble:
    case FieldType::kFloat:
    case FieldType::kHalfFloat:
    case FieldType::kScaledFloat: return TypeFamily::kFloat;
    case FieldType::kBoolean: return TypeFamily::kBoolean;
    case FieldType::kDate:
    case FieldType::kDateNanos: return TypeFamily::kDate;
    case FieldType::kIp: return TypeFamily::kIp;
    case FieldType::kVersion: return TypeFamily::kVersion;
    case FieldType::kObject:
    case FieldType::kNested: return TypeFamily::kObject;
    case FieldType::kGeoPoint:
    case FieldType::kBinary:
    case FieldType::kOther: return TypeFamily::kOther;
  }
  return TypeFamily::kUnknown;
}

std::string_view field_type_name(FieldType type) {
  for (const auto& t : kTypeNames)
    if (t.type == type) return t.name;
  return "unknown";
}

std::optional<FieldType> parse_field_type(std::string_view name) {
  if (name == "[runtime_random_keyword_type]") return FieldType::kKeyword;
  for (const auto& t : kTypeNames)
    if (t.name == name) return t.type;
  // Mapped types EQL cannot query but that must not make a mapping invalid.
  static constexpr std::array<std::string_view, 12> kOthers{
      "histogram",   "dense_vector", "sparse_vector", "rank_feature", "rank_features", "search_as_you_type",
      "completion",  "geo_shape",    "point",         "shape",        "integer_range", "long_range"};
  for (auto o : kOthers)
    if (o == name) return FieldType::kOther;
  if (name.ends_with("_range")) return FieldType::kOther;
  return std::nullopt;
}

void Schema::add_field(std::string_view dotted, FieldInfo info) {
  auto it = fields_.find(dotted);
  if (it != fields_.end()) {
    it->second = std::move(info);
  } else {
    fields_.emplace(std::string(dotted), std::move(info));
  }
  aliases_.erase(std::string(dotted));
  // Intermediate objects.
  for (size_t dot = dotted.find('.'); dot != std::string_view::npos; dot = dotted.find('.', dot + 1)) {
    std::string_view prefix = dotted.substr(0, dot);
    if (!objects_.contains(prefix)) objects_.emplace(std::string(prefix), false);
  }
}

void Schema::add_alias(std::string_view dotted, std::string_view target) {
  aliases_[std::string(dotted)] = std::string(target);
  for (size_t dot = dotted.find('.'); dot != std::string_view::npos; dot = dotted.find('.', dot + 1)) {
    std::string_view prefix = dotted.substr(0, dot);
    if (!objects_.contains(prefix)) objects_.emplace(std::string(prefix), false);
  }
}

void Schema::add_object(std::string_view dotted, bool nested) {
  objects_[std::string(dotted)] = nested;
  for (size_t dot = dotted.find('.'); dot != std::string_view::npos; dot = dotted.find('.', dot + 1)) {
    std::string_view prefix = dotted.substr(0, dot);
    if (!objects_.contains(prefix)) objects_.emplace(std::string(prefix), false);
  }
}

FieldLookup Schema::lookup(std::string_view dotted) const {
  FieldLookup out;
  std::string path(dotted);
  for (int hop = 0; hop < kMaxAliasHops; ++hop) {
    auto a = aliases_.find(path);
    if (a == aliases_.end()) break;
    path = a->second;
    out.via_alias = true;
  }
  // Any nested ancestor makes the field unsearchable.
  for (size_t dot = path.find('.'); dot != std::string::npos; dot = path.find('.', dot + 1)) {
    auto o = objects_.find(std::string_view(path).substr(0, dot));
    if (o != objects_.end() && o->second) out.in_nested = true;
    auto f = fields_.find(std::string_view(path).substr(0, dot));
    if (f != fields_.end() && f->second.type == FieldType::kNested) out.in_nested = true;
  }
  if (auto f = fields_.find(path); f != fields_.end()) {
    out.info = &f->second;
    out.kind = family_of(f->second.type) == TypeFamily::kObject ? FieldLookup::Kind::kObject
                                                                 : FieldLookup::Kind::kField;
    out.path = std::move(path);
    return out;
  }
  // "name.keyword" of a text field: the sub-field reads the parent's value.
  if (size_t dot = path.rfind('.'); dot != std::string::npos) {
    auto parent = fields_.find(std::string_view(path).substr(0, dot));
    if (parent != fields_.end() && family_of(parent->second.type) == TypeFamily::kText &&
        parent->second.keyword_subfield == std::string_view(path).substr(dot + 1)) {
      static const FieldInfo kKeywordSub{FieldType::kKeyword, {}, 0, std::nullopt, {}, false};
      out.info = &kKeywordSub;
      out.kind = FieldLookup::Kind::kField;
      out.path = path.substr(0, dot);
      return out;
    }
  }
  // Any key below a flattened field is searchable as a keyword.
  for (size_t dot = path.rfind('.'); dot != std::string::npos && dot > 0; dot = path.rfind('.', dot - 1)) {
    auto f = fields_.find(std::string_view(path).substr(0, dot));
    if (f != fields_.end() && f->second.type == FieldType::kFlattened) {
      static const FieldInfo kFlattenedLeaf{FieldType::kKeyword, {}, 0, std::nullopt, {}, false};
      out.info = &kFlattenedLeaf;
      out.kind = FieldLookup::Kind::kField;
      out.path = std::move(path);
      return out;
    }
  }
  if (objects_.contains(path)) {
    out.kind = FieldLookup::Kind::kObject;
    out.path = std::move(path);
    return out;
  }
  out.kind = FieldLookup::Kind::kUnknown;
  out.path = std::move(path);
  return out;
}

const FieldInfo* Schema::find(std::string_view dotted) const {
  FieldLookup l = lookup(dotted);
  return l.kind == FieldLookup::Kind::kField ? l.info : nullptr;
}

void Schema::merge(const Schema& other, std::vector<std::string>* conflicts) {
  for (const auto& [name, info] : other.fields_) {
    auto it = fields_.find(name);
    if (it == fields_.end()) {
      add_field(name, info);
      continue;
    }
    FieldInfo& mine = it->second;
    if (mine.dynamic && !info.dynamic) {
      mine = info;  // an explicit mapping beats a guessed one
      continue;
    }
    if (info.dynamic && !mine.dynamic) continue;
    if (mine.type == info.type) {
      if (family_of(mine.type) == TypeFamily::kDate) {
        for (const auto& f : info.date_formats) {
          bool have = false;
          for (const auto& m : mine.date_formats) have = have || m == f;
          if (!have) mine.date_formats.push_back(f);
        }
      }
      if (mine.keyword_subfield.empty()) mine.keyword_subfield = info.keyword_subfield;
      if (!mine.null_value) mine.null_value = info.null_value;
      continue;
    }
    if (conflicts)
      conflicts->push_back("field [" + name + "] is [" + std::string(field_type_name(mine.type)) +
                           "] in one mapping and [" + std::string(field_type_name(info.type)) + "] in another");
  }
  for (const auto& [name, target] : other.aliases_)
    if (!fields_.contains(name) && !aliases_.contains(name)) add_alias(name, target);
  for (const auto& [name, nested] : other.objects_) {
    auto it = objects_.find(name);
    if (it == objects_.end()) objects_.emplace(name, nested);
    else it->second = it->second || nested;
  }
  strict_ = strict_ || other.strict_;
}

std::vector<std::string> Schema::field_names() const {
  std::vector<std::string> names;
  names.reserve(fields_.size() + aliases_.size());
  for (const auto& [n, _] : fields_) names.push_back(n);
  for (const auto& [n, _] : aliases_) names.push_back(n);
  std::sort(names.begin(), names.end());
  return names;
}

const Schema& Schema::builtin() {
  static const Schema kBuiltin = [] {
    Schema s;
    for (size_t i = 0; i < builtin_schema::kFieldCount; ++i) {
      const auto& f = builtin_schema::kFields[i];
      FieldInfo info;
      info.type = parse_field_type(f.type).value_or(FieldType::kOther);
      info.ignore_above = f.ignore_above;
      if (info.type == FieldType::kObject || info.type == FieldType::kNested) {
        s.add_object(f.name, info.type == FieldType::kNested);
        // Keep the object itself findable as a field too (ECS maps some objects, e.g. "labels").
      }
      s.add_field(f.name, std::move(info));
    }
    for (size_t i = 0; i < builtin_schema::kAliasCount; ++i)
      s.add_alias(builtin_schema::kAliases[i].name, builtin_schema::kAliases[i].target);
    s.set_strict(false);
    return s;
  }();
  return kBuiltin;
}

}  // namespace audetect::eql
