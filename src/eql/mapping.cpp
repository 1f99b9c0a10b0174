#include "eql/mapping.h"

#include <simdjson.h>

#include <cctype>
#include <fstream>
#include <sstream>

namespace audetect::eql {

namespace {

namespace dom = simdjson::dom;

constexpr int kMaxMappingDepth = 64;

std::string join_path(std::string_view prefix, std::string_view name) {
  if (prefix.empty()) return std::string(name);
  std::string s(prefix);
  s.push_back('.');
  s.append(name);
  return s;
}

std::vector<std::string> split_formats(std::string_view formats) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= formats.size()) {
    size_t bar = formats.find("||", start);
    std::string_view one = formats.substr(start, bar == std::string_view::npos ? std::string_view::npos : bar - start);
    if (!one.empty()) out.emplace_back(one);
    if (bar == std::string_view::npos) break;
    start = bar + 2;
  }
  return out;
}

Status add_properties(Schema& schema, dom::object properties, const std::string& prefix, int depth,
                      std::string_view source);

Status add_one(Schema& schema, std::string_view name, dom::element def, const std::string& prefix, int depth,
               std::string_view source) {
  std::string path = join_path(prefix, name);
  dom::object obj;
  if (def.get_object().get(obj) != simdjson::SUCCESS)
    return Status::invalid(std::string(source) + ": field [" + path + "] must be an object");
  std::string_view type_name;
  bool has_type = obj["type"].get_string().get(type_name) == simdjson::SUCCESS;
  dom::object sub_properties;
  bool has_properties = obj["properties"].get_object().get(sub_properties) == simdjson::SUCCESS;
  if (!has_type) {
    if (!has_properties)
      return Status::invalid(std::string(source) + ": field [" + path + "] has neither a type nor properties");
    schema.add_object(path);
    return add_properties(schema, sub_properties, path, depth + 1, source);
  }
  if (type_name == "alias") {
    std::string_view target;
    if (obj["path"].get_string().get(target) != simdjson::SUCCESS)
      return Status::invalid(std::string(source) + ": alias [" + path + "] has no path");
    schema.add_alias(path, target);
    return Status::ok();
  }
  auto type = parse_field_type(type_name);
  if (!type)
    return Status::invalid(std::string(source) + ": field [" + path + "] has unknown type [" +
                           std::string(type_name) + "]");
  if (*type == FieldType::kObject || *type == FieldType::kNested) {
    schema.add_object(path, *type == FieldType::kNested);
    if (*type == FieldType::kNested) {
      FieldInfo info;
      info.type = FieldType::kNested;
      schema.add_field(path, info);
    }
    if (has_properties) return add_properties(schema, sub_properties, path, depth + 1, source);
    return Status::ok();
  }
  FieldInfo info;
  info.type = *type;
  int64_t ignore_above = 0;
  if (obj["ignore_above"].get_int64().get(ignore_above) == simdjson::SUCCESS && ignore_above > 0)
    info.ignore_above = static_cast<uint32_t>(std::min<int64_t>(ignore_above, UINT32_MAX));
  dom::element null_value;
  if (obj["null_value"].get(null_value) == simdjson::SUCCESS && !null_value.is_null()) {
    std::string_view s;
    if (null_value.get_string().get(s) == simdjson::SUCCESS) info.null_value = std::string(s);
    else info.null_value = simdjson::minify(null_value);
  }
  std::string_view format;
  if (obj["format"].get_string().get(format) == simdjson::SUCCESS) info.date_formats = split_formats(format);
  dom::object fields;
  if (obj["fields"].get_object().get(fields) == simdjson::SUCCESS) {
    for (auto [sub_name, sub_def] : fields) {
      std::string_view sub_type;
      if (sub_def["type"].get_string().get(sub_type) != simdjson::SUCCESS) continue;
      auto st = parse_field_type(sub_type);
      if (st && family_of(*st) == TypeFamily::kString && info.keyword_subfield.empty())
        info.keyword_subfield = std::string(sub_name);
    }
  }
  schema.add_field(path, std::move(info));
  return Status::ok();
}

Status add_properties(Schema& schema, dom::object properties, const std::string& prefix, int depth,
                      std::string_view source) {
  if (depth > kMaxMappingDepth) return Status::invalid(std::string(source) + ": mapping nested too deeply");
  for (auto [name, def] : properties) {
    Status st = add_one(schema, name, def, prefix, depth, source);
    if (!st) return st;
  }
  return Status::ok();
}

// Dynamic mapping --------------------------------------------------------------------------------

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// strict_date_optional_time: yyyy[-MM[-dd[Thh[:mm[:ss[.fff]]][zone]]]] with the ES dynamic date
// detection requiring at least a full date in practice; we require yyyy-MM-dd.
bool looks_like_iso_date(std::string_view s) {
  if (s.size() < 10) return false;
  if (!all_digits(s.substr(0, 4)) || s[4] != '-' || !all_digits(s.substr(5, 2)) || s[7] != '-' ||
      !all_digits(s.substr(8, 2)))
    return false;
  if (s.size() == 10) return true;
  if (s[10] != 'T' && s[10] != 't') return false;
  std::string_view rest = s.substr(11);
  if (rest.size() < 2 || !all_digits(rest.substr(0, 2))) return false;
  for (char c : rest)
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.' || c == ',' || c == 'Z' ||
          c == 'z' || c == '+' || c == '-'))
      return false;
  return true;
}

bool looks_like_slash_date(std::string_view s) {
  // yyyy/MM/dd HH:mm:ss Z  or  yyyy/MM/dd Z
  if (s.size() < 10) return false;
  if (!all_digits(s.substr(0, 4)) || s[4] != '/' || !all_digits(s.substr(5, 2)) || s[7] != '/' ||
      !all_digits(s.substr(8, 2)))
    return false;
  return true;
}

std::optional<FieldInfo> dynamic_info_for(const Value& v) {
  FieldInfo info;
  info.dynamic = true;
  switch (v.kind()) {
    case ValueKind::kBool: info.type = FieldType::kBoolean; return info;
    case ValueKind::kInt: info.type = FieldType::kLong; return info;
    case ValueKind::kDouble: info.type = FieldType::kFloat; return info;
    case ValueKind::kString:
      if (looks_like_dynamic_date(v.as_string())) {
        info.type = FieldType::kDate;
      } else {
        info.type = FieldType::kText;
        info.keyword_subfield = "keyword";
        info.ignore_above = 256;
      }
      return info;
    default: return std::nullopt;
  }
}

struct DynamicWalker {
  Schema& schema;
  size_t budget;
  size_t added = 0;

  void walk_object(const Value& obj, const std::string& prefix, int depth) {
    if (depth > kMaxMappingDepth) return;
    for (const Member& m : obj.as_object()) {
      std::string path = join_path(prefix, m.name);
      walk_value(m.value, path, depth);
    }
  }

  void walk_value(const Value& v, const std::string& path, int depth) {
    const Value* leaf = &v;
    if (v.is_array()) {
      leaf = nullptr;
      for (const Value& e : v.as_array()) {
        if (e.is_null()) continue;
        if (e.is_object()) {
          walk_object(e, path, depth + 1);
          continue;
        }
        if (!leaf && !e.is_array()) leaf = &e;
      }
      if (!leaf) return;
    }
    if (leaf->is_null()) return;
    FieldLookup l = schema.lookup(path);
    if (leaf->is_object()) {
      if (l.kind == FieldLookup::Kind::kField) return;  // e.g. flattened
      if (l.kind == FieldLookup::Kind::kUnknown) schema.add_object(path);
      walk_object(*leaf, path, depth + 1);
      return;
    }
    if (l.kind != FieldLookup::Kind::kUnknown || added >= budget) return;
    if (auto info = dynamic_info_for(*leaf)) {
      schema.add_field(path, std::move(*info));
      ++added;
    }
  }
};

}  // namespace

std::string strip_comment_lines(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    size_t first = line.find_first_not_of(" \t\r");
    bool comment = first != std::string_view::npos &&
                   (line[first] == '#' || line.substr(first).starts_with("//"));
    if (!comment) out.append(line);
    if (nl == std::string_view::npos) break;
    out.push_back('\n');
    pos = nl + 1;
  }
  return out;
}

Result<Schema> parse_mapping(std::string_view json_text, std::string_view source) {
  std::string text = strip_comment_lines(json_text);
  dom::parser parser;
  dom::element root;
  if (auto err = parser.parse(text).get(root); err)
    return Status::invalid(std::string(source) + ": invalid mapping JSON: " + simdjson::error_message(err));
  // Accept {"properties"}, {"mappings": {"properties"}}, {"<index>": {"mappings": ...}}.
  for (int unwrap = 0; unwrap < 3; ++unwrap) {
    dom::object obj;
    if (root.get_object().get(obj) != simdjson::SUCCESS)
      return Status::invalid(std::string(source) + ": a mapping must be a JSON object");
    dom::object props;
    if (obj["properties"].get_object().get(props) == simdjson::SUCCESS) {
      Schema schema;
      schema.set_strict(true);
      Status st = add_properties(schema, props, "", 0, source);
      if (!st) return st;
      return schema;
    }
    dom::element inner;
    if (obj["mappings"].get(inner) == simdjson::SUCCESS) {
      root = inner;
      continue;
    }
    if (obj.size() == 1) {
      root = (*obj.begin()).value;
      continue;
    }
    break;
  }
  return Status::invalid(std::string(source) + ": no \"properties\" object in mapping");
}

Result<Schema> load_mapping_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::io_error(path + ": cannot open mapping file");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::io_error(path + ": read error");
  return parse_mapping(ss.str(), path);
}

Result<Schema> load_mapping_files(const std::vector<std::string>& paths) {
  Schema merged;
  merged.set_strict(true);
  for (const auto& p : paths) {
    auto one = load_mapping_file(p);
    if (!one) return one.status();
    std::vector<std::string> conflicts;
    merged.merge(*one, &conflicts);
    if (!conflicts.empty()) return Status::invalid(p + ": " + conflicts.front());
  }
  return merged;
}

bool looks_like_dynamic_date(std::string_view s) { return looks_like_iso_date(s) || looks_like_slash_date(s); }

size_t add_dynamic_fields(Schema& schema, const Event& event, size_t max_new_fields) {
  if (!event.valid() || !event.root().is_object()) return 0;
  DynamicWalker w{schema, max_new_fields};
  w.walk_object(event.root(), "", 0);
  return w.added;
}

}  // namespace audetect::eql
