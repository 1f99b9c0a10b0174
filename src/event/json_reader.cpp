#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

#include "base/utf8.h"
#include "event/json.h"

namespace audetect {

namespace od = simdjson::ondemand;

struct JsonEventReader::Impl {
  od::parser parser;
  std::string padded;    // the line plus simdjson's padding, reused
  std::string repaired;  // the line with invalid UTF-8 replaced, when needed
  std::string error;
  const char* base = nullptr;  // start of the buffer being parsed, for error columns
  size_t depth = 0;

  bool build_value(od::value value, EventBuilder& b, EventBuilder::Node parent, std::string_view key,
                   bool in_array);
  bool build_object(od::object object, EventBuilder& b, EventBuilder::Node node);
  bool fail(simdjson::error_code code) {
    error = simdjson::error_message(code);
    return false;
  }
};

namespace {

// Dotted keys ("event.category") are split into nested objects, as Elasticsearch does.
EventBuilder::Node parent_for_dotted(EventBuilder& b, EventBuilder::Node node, std::string_view& key) {
  size_t dot;
  while ((dot = key.find('.')) != std::string_view::npos && dot > 0 && dot + 1 < key.size()) {
    node = b.append_object(node, key.substr(0, dot));
    key.remove_prefix(dot + 1);
  }
  return node;
}

// RFC 8259 number grammar. strtod alone also takes "1.", "-inf", "0x1p3" and "-nan".
bool is_json_number(std::string_view t) {
  size_t i = 0;
  auto digits = [&] {
    size_t start = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    return i > start;
  };
  if (i < t.size() && t[i] == '-') ++i;
  if (i < t.size() && t[i] == '0') ++i;
  else if (!digits()) return false;
  if (i < t.size() && t[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == t.size();
}

}  // namespace

bool JsonEventReader::Impl::build_object(od::object object, EventBuilder& b, EventBuilder::Node node) {
  if (++depth > kMaxDepth) {
    error = "nesting deeper than 64 levels";
    return false;
  }
  for (auto field : object) {
    std::string_view key;
    if (auto err = field.unescaped_key().get(key)) return fail(err);
    // unescaped_key's view is invalidated by the next call into the parser: the builder copies
    // names it interns, and parent_for_dotted interns before the value is read.
    std::string_view rest = key;
    EventBuilder::Node parent = parent_for_dotted(b, node, rest);
    // Errors are taken with get(): converting a simdjson_result that holds one throws.
    od::value value;
    if (auto err = field.value().get(value)) return fail(err);
    if (!build_value(value, b, parent, rest, false)) return false;
  }
  --depth;
  return true;
}

bool JsonEventReader::Impl::build_value(od::value value, EventBuilder& b, EventBuilder::Node parent,
                                        std::string_view key, bool in_array) {
  od::json_type type;
  if (auto err = value.type().get(type)) return fail(err);
  switch (type) {
    case od::json_type::object: {
      od::object obj;
      if (auto err = value.get_object().get(obj)) return fail(err);
      EventBuilder::Node n = in_array ? b.push_object(parent) : b.append_object(parent, key);
      return build_object(obj, b, n);
    }
    case od::json_type::array: {
      od::array arr;
      if (auto err = value.get_array().get(arr)) return fail(err);
      if (++depth > kMaxDepth) {
        error = "nesting deeper than 64 levels";
        return false;
      }
      EventBuilder::Node n = in_array ? b.push_array(parent) : b.append_array(parent, key);
      for (auto element : arr) {
        od::value v;
        if (auto err = element.get(v)) return fail(err);
        if (!build_value(v, b, n, {}, true)) return false;
      }
      --depth;
      return true;
    }
    case od::json_type::string: {
      std::string_view s;
      if (auto err = value.get_string().get(s)) return fail(err);
      if (in_array) b.push_string(parent, s);
      else b.append_string(parent, key, s);
      return true;
    }
    case od::json_type::number: {
      auto put_double = [&](double d) {
        if (in_array) b.push_double(parent, d);
        else b.append_double(parent, key, d);
      };
      od::number_type nt;
      if (!value.get_number_type().get(nt)) {
        int64_t i;
        uint64_t u;
        double d;
        if (nt == od::number_type::signed_integer && !value.get_int64().get(i)) {
          if (in_array) b.push_int(parent, i);
          else b.append_int(parent, key, i);
          return true;
        }
        if (nt == od::number_type::unsigned_integer && !value.get_uint64().get(u)) {
          put_double(static_cast<double>(u));
          return true;
        }
        if (nt == od::number_type::floating_point_number && !value.get_double().get(d)) {
          put_double(d);
          return true;
        }
      }
      // Integers beyond 64 bits: kept as doubles, like Elasticsearch's dynamic mapping. Anything
      // that is not a JSON number, or does not fit a finite double (Elasticsearch refuses those), is an error.
      std::string_view raw = value.raw_json_token();
      std::string text(raw.substr(0, raw.find_first_of(" \t\r\n,]}")));
      if (!is_json_number(text)) return fail(simdjson::NUMBER_ERROR);
      char* end = nullptr;
      double d = std::strtod(text.c_str(), &end);
      if (end != text.c_str() + text.size() || !std::isfinite(d)) return fail(simdjson::NUMBER_ERROR);
      put_double(d);
      return true;
    }
    case od::json_type::boolean: {
      bool v;
      if (auto err = value.get_bool().get(v)) return fail(err);
      if (in_array) b.push_bool(parent, v);
      else b.append_bool(parent, key, v);
      return true;
    }
    case od::json_type::null: {
      // A truncated atom ("nu") is an error result, not false.
      bool is_null = false;
      if (auto err = value.is_null().get(is_null)) return fail(err);
      if (!is_null) return fail(simdjson::N_ATOM_ERROR);
      if (in_array) b.push_null(parent);
      else b.append_null(parent, key);
      return true;
    }
  }
  return fail(simdjson::INCORRECT_TYPE);
}

JsonEventReader::JsonEventReader() : impl_(std::make_unique<Impl>()) {}
JsonEventReader::~JsonEventReader() = default;

JsonEventReader::Outcome JsonEventReader::parse(std::string_view line, EventBuilder& builder,
                                                JsonError* error, bool* repaired) {
  if (repaired) *repaired = false;
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  size_t lead = line.find_first_not_of(" \t");
  if (lead == std::string_view::npos) return Outcome::kIgnored;

  Impl& m = *impl_;
  if (!utf8::valid(line)) {
    m.repaired.clear();
    utf8::append_repaired(m.repaired, line);
    line = m.repaired;
    if (repaired) *repaired = true;
  }
  m.padded.assign(line);
  m.padded.append(simdjson::SIMDJSON_PADDING, ' ');
  m.base = m.padded.data();
  m.depth = 0;
  m.error.clear();

  auto report = [&](const char* at) {
    if (error) {
      error->reason = m.error.empty() ? "invalid JSON" : m.error;
      error->column = at && at >= m.base && at <= m.base + line.size()
                          ? static_cast<size_t>(at - m.base) + 1 : 0;
    }
    return Outcome::kError;
  };
  auto location = [&](od::document& doc) -> const char* {
    const char* at = nullptr;
    if (doc.current_location().get(at)) return nullptr;
    return at;
  };

  od::document doc;
  if (auto err = m.parser.iterate(m.padded.data(), line.size(), m.padded.size()).get(doc)) {
    m.error = simdjson::error_message(err);
    return report(nullptr);
  }
  od::object top;
  if (auto err = doc.get_object().get(top)) {
    m.error = err == simdjson::INCORRECT_TYPE ? "a line must hold one JSON object" : simdjson::error_message(err);
    return report(location(doc));
  }

  // An Elasticsearch hit or `_bulk` line starts with an underscore key or an action name.
  std::string_view first_key;
  bool is_hit = false, is_action = false;
  for (auto field : top) {
    std::string_view k;
    if (auto err = field.unescaped_key().get(k)) {
      m.error = simdjson::error_message(err);
      return report(location(doc));
    }
    if (first_key.empty()) {
      first_key = k;
      if (k.empty() || k[0] != '_') {
        if (k == "index" || k == "create") is_action = true;
        break;
      }
    }
    if (k == "_source") {
      is_hit = true;
      break;
    }
  }
  if (!doc.is_alive()) return report(location(doc));
  doc.rewind();
  if (auto err = doc.get_object().get(top)) {
    m.error = simdjson::error_message(err);
    return report(location(doc));
  }

  builder.reset();
  bool ok;
  if (is_action) {
    // {"index": {...}} alone on a line is a _bulk action, not a document: check its shape.
    size_t fields = 0;
    bool action_ok = true;
    for (auto field : top) {
      ++fields;
      od::value v;
      od::json_type t{};
      simdjson::error_code err = field.value().get(v);
      if (!err) err = v.type().get(t);
      // A malformed value abandons the iterator (rewind would then use a null parser): report it.
      if (err) {
        m.error = simdjson::error_message(err);
        return report(location(doc));
      }
      if (t != od::json_type::object) action_ok = false;
    }
    if (action_ok && fields == 1) return Outcome::kIgnored;
    if (!doc.is_alive()) return report(location(doc));
    doc.rewind();
    if (doc.get_object().get(top)) return report(nullptr);
  }
  if (is_hit) {
    ok = false;
    for (auto field : top) {
      std::string_view k;
      if (field.unescaped_key().get(k)) break;
      if (k != "_source") continue;
      od::object source;
      if (field.value().get_object().get(source)) {
        m.error = "\"_source\" is not an object";
        return report(location(doc));
      }
      ok = m.build_object(source, builder, EventBuilder::kRoot);
      break;
    }
  } else {
    ok = m.build_object(top, builder, EventBuilder::kRoot);
  }
  if (!ok) return report(location(doc));
  // current_location() fails only once the whole input has been consumed.
  if (const char* at = location(doc); !is_hit && at) {
    m.error = "trailing content after the JSON object";
    return report(at);
  }
  return Outcome::kEvent;
}

}  // namespace audetect
