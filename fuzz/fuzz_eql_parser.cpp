// Fuzzes the EQL front end end to end: lexing, parsing, analysis against the built-in schema and
// a strict one, diagnostics rendering, and evaluating what compiles on a small event. Any input
// must give either a query or diagnostics: no crash, hang, leak or undefined behaviour.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "eql/eql.h"
#include "eql/schema.h"
#include "event/event.h"
#include "event/json.h"

namespace {

using namespace audetect;

const Event& sample_event() {
  static const Event event = [] {
    JsonEventReader reader;
    EventBuilder builder;
    JsonError err;
    reader.parse(
        R"({"@timestamp":"2026-01-01T00:00:00Z","event":{"category":["process","file"],"action":"opened-file"},)"
        R"("process":{"name":"Kmod","pid":42,"args":["a","-i"],"parent":{"pid":1},"title":"grep x"},)"
        R"("file":{"path":"/proc/modules"},"source":{"ip":"10.1.2.3"},"user":{"id":null}})",
        builder, &err);
    return builder.finish().clone();
  }();
  return event;
}

const eql::Schema& strict_schema() {
  static const eql::Schema schema = [] {
    eql::Schema s;
    eql::FieldInfo kw;
    kw.type = eql::FieldType::kKeyword;
    eql::FieldInfo lng;
    lng.type = eql::FieldType::kLong;
    s.add_field("process.name", kw);
    s.add_field("process.pid", lng);
    s.add_field("file.path", kw);
    s.add_field("event.category", kw);
    s.set_strict(true);
    return s;
  }();
  return schema;
}

void exercise(std::string_view text, const eql::Schema& schema) {
  eql::CompileResult r = eql::compile(text, schema);
  if (!r.diagnostics.empty()) {
    std::string rendered = r.diagnostics.render(text);
    if (rendered.empty()) __builtin_trap();
  }
  if (!r.ok()) {
    if (!r.diagnostics.has_errors()) __builtin_trap();  // a failure must say why
    return;
  }
  const eql::CompiledQuery& q = *r.query;
  const Event& e = sample_event();
  if (q.kind() == eql::QueryKind::kEvent) {
    (void)q.matches(e);
  } else {
    std::vector<eql::KeyValue> keys;
    for (const auto& stage : q.stages()) {
      (void)stage.predicate.matches(e);
      for (const auto& k : stage.keys) k.extract(e, keys);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 16384) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  exercise(text, eql::Schema::builtin());
  exercise(text, strict_schema());
  return 0;
}
