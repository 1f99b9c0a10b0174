// Shared helpers for the EQL unit tests: events from JSON text, a small test schema.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

#include "eql/eql.h"
#include "eql/schema.h"
#include "event/event.h"
#include "event/json.h"

namespace audetect::eql::testing {

// An owning event parsed from one JSON object.
inline Event event_from_json(std::string_view json) {
  JsonEventReader reader;
  EventBuilder builder;
  JsonError error;
  auto outcome = reader.parse(json, builder, &error);
  EXPECT_EQ(outcome, JsonEventReader::Outcome::kEvent) << "bad test JSON: " << error.reason << " in " << json;
  return builder.finish().clone();
}

inline FieldInfo typed(FieldType t, uint32_t ignore_above = 0) {
  FieldInfo info;
  info.type = t;
  info.ignore_above = ignore_above;
  return info;
}

// Fields used across the tests, typed the way ECS maps them.
inline const Schema& test_schema() {
  static const Schema schema = [] {
    Schema s;
    s.add_field("event.category", typed(FieldType::kKeyword, 1024));
    s.add_field("event.action", typed(FieldType::kKeyword, 1024));
    s.add_field("process.name", typed(FieldType::kKeyword, 1024));
    s.add_field("process.title", typed(FieldType::kKeyword, 1024));
    s.add_field("process.args", typed(FieldType::kKeyword, 1024));
    s.add_field("process.pid", typed(FieldType::kLong));
    s.add_field("process.parent.pid", typed(FieldType::kLong));
    s.add_field("process.score", typed(FieldType::kDouble));
    s.add_field("process.interactive", typed(FieldType::kBoolean));
    s.add_field("file.path", typed(FieldType::kKeyword, 1024));
    s.add_field("file.name", typed(FieldType::kKeyword, 1024));
    s.add_field("file.size", typed(FieldType::kLong));
    s.add_field("source.ip", typed(FieldType::kIp));
    s.add_field("@timestamp", typed(FieldType::kDate));
    s.add_field("package.version", typed(FieldType::kVersion));
    s.add_field("tags", typed(FieldType::kKeyword, 1024));
    s.add_field("user.id", typed(FieldType::kKeyword, 1024));
    s.add_field("user.name", typed(FieldType::kKeyword, 1024));
    FieldInfo text = typed(FieldType::kText);
    s.add_field("message", text);
    FieldInfo text_kw = typed(FieldType::kText);
    text_kw.keyword_subfield = "keyword";
    s.add_field("process.command_line", text_kw);
    s.add_alias("pid_alias", "process.pid");
    s.set_strict(true);
    return s;
  }();
  return schema;
}

inline std::shared_ptr<const CompiledQuery> compile_ok(std::string_view query, const Schema& schema = test_schema(),
                                                       const CompileOptions& options = {}) {
  CompileResult r = compile(query, schema, options);
  EXPECT_TRUE(r.ok()) << "query: " << query << "\n" << r.diagnostics.render(query);
  return r.query;
}

// Whether `query` (an event query) matches the event given as JSON.
inline bool matches(std::string_view query, std::string_view json, const Schema& schema = test_schema()) {
  auto q = compile_ok(query, schema);
  if (!q) return false;
  Event e = event_from_json(json);
  return q->matches(e);
}

// The first error's code of a query that must not compile.
inline DiagCode error_code(std::string_view query, const Schema& schema = test_schema()) {
  CompileResult r = compile(query, schema);
  EXPECT_FALSE(r.ok()) << "query compiled but should not: " << query;
  const Diagnostic* d = r.diagnostics.first_error();
  EXPECT_NE(d, nullptr) << query;
  return d ? d->code : DiagCode::kUnexpectedToken;
}

inline std::string error_text(std::string_view query, const Schema& schema = test_schema()) {
  CompileResult r = compile(query, schema);
  return r.diagnostics.render(query);
}

}  // namespace audetect::eql::testing
