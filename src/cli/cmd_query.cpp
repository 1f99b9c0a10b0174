// audetect query: ad-hoc EQL hunting over raw audit logs (normalized on the fly) or ECS NDJSON,
// with Elasticsearch's _eql/search parameters and result order.
#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/input_options.h"
#include "eql/eql.h"
#include "eql/mapping.h"
#include "eql/runner.h"
#include "eql/schema.h"
#include "event/json.h"
#include "io/pipeline.h"

namespace audetect::cli {

namespace {

struct QueryArgs {
  std::string query;
  std::vector<std::string> files;
  std::string format = "ndjson";
  std::string id_field = "event.id";
  std::optional<int64_t> size;
  std::string event_category_field = "event.category";
  std::string timestamp_field = "@timestamp";
  std::string tiebreaker_field;
  int64_t max_samples_per_key = 1;
  size_t order_buffer = 8192;
  std::vector<std::string> mappings;
  InputFlags input;
  bool quiet = false;
};

class Output {
 public:
  ~Output() { flush(); }
  std::string& buffer() { return out_; }
  void maybe_flush() {
    if (out_.size() >= (1 << 20)) flush();
  }
  void flush() {
    if (!out_.empty() && std::fwrite(out_.data(), 1, out_.size(), stdout) != out_.size())
      throw std::runtime_error("writing to standard output failed");
    out_.clear();
  }

 private:
  std::string out_;
};

// Scalar as plain text (ids, table cells).
std::string scalar_text(const Value* v) {
  if (!v || v->is_null()) return "null";
  switch (v->kind()) {
    case ValueKind::kBool: return v->as_bool() ? "true" : "false";
    case ValueKind::kInt: return std::to_string(v->as_int());
    case ValueKind::kDouble: {
      std::string s;
      JsonWriter w(s);
      w.number(v->as_double());
      return s;
    }
    case ValueKind::kString: return std::string(v->as_string());
    case ValueKind::kArray: {
      std::string s;
      for (const Value& e : v->as_array()) {
        if (!s.empty()) s += ",";
        s += scalar_text(&e);
      }
      return s;
    }
    default: {
      std::string s;
      JsonWriter w(s);
      w.value(*v);
      return s;
    }
  }
}

// Ids of a sequence/sample hit: one line, space-separated; a missing-event stage prints -1.
void write_ids(std::string& out, const eql::Hit& hit, const FieldPath& id_path) {
  bool first = true;
  for (const auto& e : hit.events) {
    if (!first) out += ' ';
    first = false;
    if (e.missing) {
      out += "-1";
      continue;
    }
    const Value* v = e.event.get(id_path);
    // Lists (ES keeps arrays) print comma-joined so one hit stays one line of space-separated ids.
    std::string text = scalar_text(v);
    for (char& c : text)
      if (c == ' ' || c == '\n' || c == '\r' || c == '\t') c = '_';
    out += text;
  }
  out += '\n';
}

void write_hit_json(std::string& out, const eql::Hit& hit, eql::QueryKind kind) {
  if (kind == eql::QueryKind::kEvent) {
    write_ndjson(out, hit.events[0].event);
    return;
  }
  JsonWriter w(out);
  w.begin_object();
  w.key("join_keys");
  w.begin_array();
  for (size_t i = 0; i < hit.join_keys.size(); ++i) {
    const eql::KeyValue& k = hit.join_keys[i];
    // Date keys come back formatted (as ES returns them); everything else keeps its JSON type.
    if (i < hit.join_key_texts.size() && k.kind() == eql::KeyValue::Kind::kInt &&
        hit.join_key_texts[i] != k.to_string()) {
      w.string(hit.join_key_texts[i]);
      continue;
    }
    switch (k.kind()) {
      case eql::KeyValue::Kind::kNull: w.null(); break;
      case eql::KeyValue::Kind::kBool: w.boolean(k.as_bool()); break;
      case eql::KeyValue::Kind::kInt: w.integer(k.as_int()); break;
      case eql::KeyValue::Kind::kDouble: w.number(k.as_double()); break;
      case eql::KeyValue::Kind::kString: w.string(k.as_string()); break;
    }
  }
  w.end_array();
  w.key("events");
  w.begin_array();
  for (const auto& e : hit.events) {
    if (e.missing) {
      w.begin_object();
      w.key("missing");
      w.boolean(true);
      w.end_object();
    } else {
      w.value(e.event.root());
    }
  }
  w.end_array();
  w.end_object();
  out += '\n';
}

void write_table_row(std::string& out, size_t hit_no, const eql::HitEvent& e, const eql::Hit& hit,
                     const FieldPath& id_path, const FieldPath& category_path, const FieldPath& action_path) {
  char head[64];
  std::snprintf(head, sizeof head, "%-5zu ", hit_no);
  out += head;
  if (e.missing) {
    out += "(missing event)\n";
    return;
  }
  std::string ts = eql::format_iso8601_millis(e.order.timestamp_nanos);
  std::string cat = scalar_text(e.event.get(category_path));
  std::string action = scalar_text(e.event.get(action_path));
  std::string id = scalar_text(e.event.get(id_path));
  char row[512];
  std::snprintf(row, sizeof row, "%-24s %-22.22s %-26.26s %s", ts.c_str(), cat.c_str(), action.c_str(), id.c_str());
  out += row;
  if (!hit.join_keys.empty()) {
    out += "  keys=";
    for (size_t i = 0; i < hit.join_key_texts.size(); ++i) out += (i ? "," : "") + hit.join_key_texts[i];
  }
  out += '\n';
}

int run_query(QueryArgs& args) {
  if (args.size && *args.size < 0) {
    std::fprintf(stderr, "audetect: error: --size must be >= 0\n");
    return kExitUsage;
  }
  if (args.max_samples_per_key < 1) {
    std::fprintf(stderr, "audetect: error: --max-samples-per-key must be >= 1\n");
    return kExitUsage;
  }
  io::PipelineOptions pipeline_options;
  if (int rc = args.input.apply(pipeline_options); rc != kExitOk) return rc;

  // Schema: the built-in ECS/auditd table, or the given Elasticsearch mappings (strict).
  eql::Schema mapping_schema;
  const eql::Schema* schema = &eql::Schema::builtin();
  if (!args.mappings.empty()) {
    auto loaded = eql::load_mapping_files(args.mappings);
    if (!loaded) {
      std::fprintf(stderr, "audetect: error: %s\n", loaded.status().message().c_str());
      return kExitUsage;
    }
    mapping_schema = std::move(*loaded);
    schema = &mapping_schema;
  }

  eql::CompileOptions compile_options;
  compile_options.event_category_field = args.event_category_field;
  eql::CompileResult compiled = eql::compile(args.query, *schema, compile_options);
  if (!compiled.ok()) {
    std::fputs(compiled.diagnostics.render(args.query).c_str(), stderr);
    return kExitUsage;
  }
  if (!args.quiet && !compiled.diagnostics.empty()) std::fputs(compiled.diagnostics.render(args.query).c_str(), stderr);

  eql::RunnerOptions run_options;
  run_options.timestamp_field = args.timestamp_field;
  if (const eql::FieldInfo* ts = schema->find(args.timestamp_field)) run_options.timestamp_formats = ts->date_formats;
  if (!args.tiebreaker_field.empty()) run_options.tiebreaker_field = args.tiebreaker_field;
  run_options.size = args.size;
  run_options.max_samples_per_key = args.max_samples_per_key;
  // Matching events wait here to be put in timestamp order; past this many, the earliest half is
  // processed (and, without limits, printed) early. Audit input is nearly time-ordered, so this
  // keeps memory flat without changing results; a larger buffer tolerates more disorder.
  run_options.max_buffered_events = args.order_buffer;
  eql::QueryRunner runner(compiled.query, run_options);

  Output output;
  FieldPath id_path(args.id_field);
  FieldPath category_path(args.event_category_field);
  FieldPath action_path("event.action");
  eql::QueryKind kind = compiled.query->kind();
  if (args.format == "table") {
    output.buffer() += "HIT   TIMESTAMP                CATEGORY               ACTION                     ID\n";
  }
  size_t hit_count = 0;
  auto emit = [&](const eql::Hit& hit) {
    ++hit_count;
    if (args.format == "ids") {
      write_ids(output.buffer(), hit, id_path);
    } else if (args.format == "table") {
      for (const auto& e : hit.events) write_table_row(output.buffer(), hit_count, e, hit, id_path, category_path, action_path);
    } else {
      write_hit_json(output.buffer(), hit, kind);
    }
    output.maybe_flush();
  };
  runner.set_overflow_sink([&](eql::Hit&& hit) { emit(hit); });

  if (args.files.empty()) args.files.push_back("-");
  pipeline_options.progress = false;
  io::EventPipeline pipeline(pipeline_options, [&](const Event& e) { runner.push(e); });
  int rc = kExitOk;
  for (const auto& f : args.files) {
    Status st = pipeline.read_file(f);
    if (!st) {
      std::fprintf(stderr, "audetect: error: %s\n", st.message().c_str());
      rc = kExitFailure;
    }
  }
  pipeline.flush();
  std::vector<eql::Hit> hits = runner.finish();
  for (const eql::Hit& hit : hits) emit(hit);
  output.flush();
  std::fflush(stdout);

  const eql::RunnerStats& s = runner.stats();
  if (!args.quiet) {
    std::string caps;
    if (s.events_without_timestamp) caps += ", " + std::to_string(s.events_without_timestamp) + " matching events without a usable " + args.timestamp_field + " skipped";
    if (s.key_cap_hits) caps += ", join-key cap hit " + std::to_string(s.key_cap_hits) + " times";
    if (s.buffer_cap_hits) caps += ", ordering buffer cap hit " + std::to_string(s.buffer_cap_hits) + " times";
    if (s.key_combination_cap_hits) caps += ", multi-value key cap hit " + std::to_string(s.key_combination_cap_hits) + " times";
    std::fprintf(stderr, "audetect query: %zu hits; %s%s\n", hit_count, pipeline.summary().c_str(), caps.c_str());
  }
  return rc;
}

}  // namespace

Registration register_query(CLI::App& app) {
  auto args = std::make_shared<QueryArgs>();
  CLI::App* cmd = app.add_subcommand(
      "query", "Run an EQL query (Elasticsearch semantics) over audit logs or ECS NDJSON and print the hits");
  cmd->add_option("query", args->query, "EQL query text")->required();
  cmd->add_option("files", args->files, "Input files (audit logs or ECS NDJSON); '-' or none for standard input");
  cmd->add_option("--format", args->format, "Output: ndjson (default), ids or table")
      ->check(CLI::IsMember({"ndjson", "ids", "table"}));
  cmd->add_option("--id-field", args->id_field, "Field printed by --format ids (default event.id)");
  cmd->add_option("--size", args->size, "Maximum number of hits, as Elasticsearch's size (default: every hit)");
  cmd->add_option("--event-category-field", args->event_category_field, "Event category field (default event.category)");
  cmd->add_option("--timestamp-field", args->timestamp_field, "Timestamp field (default @timestamp)");
  cmd->add_option("--tiebreaker-field", args->tiebreaker_field, "Tiebreaker field for equal timestamps (default none)");
  cmd->add_option("--max-samples-per-key", args->max_samples_per_key, "Samples per join-key value (default 1)");
  cmd->add_option("--order-buffer", args->order_buffer,
                  "Matching events held for timestamp ordering before the earliest are processed (default 8192)")
      ->check(CLI::Range(size_t{2}, size_t{1} << 26));
  cmd->add_option("--mapping", args->mappings,
                  "Elasticsearch mapping file giving field types (repeatable, merged); default: built-in ECS+auditd schema");
  args->input.add_to(*cmd);
  cmd->add_flag("-q,--quiet", args->quiet, "No warnings or summary on stderr");
  return {cmd, [args] { return run_query(*args); }};
}

}  // namespace audetect::cli
