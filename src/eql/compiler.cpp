// Statement-level compilation: stages, join keys, sequence/sample options, pipes; KeyValue.
#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <functional>

#include "eql/analyzer.h"
#include "eql/parser.h"

namespace audetect::eql {

// ------------------------------------------------------------------ KeyValue

KeyValue KeyValue::boolean(bool b) {
  KeyValue k;
  k.kind_ = Kind::kBool;
  k.i_ = b ? 1 : 0;
  return k;
}
KeyValue KeyValue::integer(int64_t i) {
  KeyValue k;
  k.kind_ = Kind::kInt;
  k.i_ = i;
  return k;
}
KeyValue KeyValue::number(double d) {
  // Integral doubles are the same key as the integer (a long field may hold 5 or 5.0).
  if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 9.2e18) return integer(static_cast<int64_t>(d));
  KeyValue k;
  k.kind_ = Kind::kDouble;
  k.d_ = d;
  return k;
}
KeyValue KeyValue::string(std::string_view s) {
  KeyValue k;
  k.kind_ = Kind::kString;
  k.s_ = std::string(s);
  return k;
}
KeyValue KeyValue::from(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kBool: return boolean(v.as_bool());
    case ValueKind::kInt: return integer(v.as_int());
    case ValueKind::kDouble: return number(v.as_double());
    case ValueKind::kString: return string(v.as_string());
    default: return null();
  }
}

std::string KeyValue::to_string() const {
  switch (kind_) {
    case Kind::kNull: return "null";
    case Kind::kBool: return i_ ? "true" : "false";
    case Kind::kInt: return std::to_string(i_);
    case Kind::kDouble: return java_double_to_string(d_);
    case Kind::kString: return s_;
  }
  return {};
}

bool KeyValue::operator==(const KeyValue& o) const {
  if (kind_ != o.kind_) return false;
  switch (kind_) {
    case Kind::kNull: return true;
    case Kind::kBool:
    case Kind::kInt: return i_ == o.i_;
    case Kind::kDouble: return d_ == o.d_ || (std::isnan(d_) && std::isnan(o.d_));
    case Kind::kString: return s_ == o.s_;
  }
  return false;
}

bool KeyValue::operator<(const KeyValue& o) const {
  if (kind_ != o.kind_) return kind_ < o.kind_;
  switch (kind_) {
    case Kind::kNull: return false;
    case Kind::kBool:
    case Kind::kInt: return i_ < o.i_;
    case Kind::kDouble: return d_ < o.d_;
    case Kind::kString: return s_ < o.s_;
  }
  return false;
}

size_t KeyValue::hash() const {
  size_t h = static_cast<size_t>(kind_) * 0x9E3779B97F4A7C15ull;
  switch (kind_) {
    case Kind::kNull: return h;
    case Kind::kBool:
    case Kind::kInt: return h ^ std::hash<int64_t>{}(i_);
    case Kind::kDouble: return h ^ std::hash<double>{}(d_);
    case Kind::kString: return h ^ std::hash<std::string>{}(s_);
  }
  return h;
}

// ------------------------------------------------------------------ KeyExtractor

size_t KeyExtractor::extract(const Event& event, std::vector<KeyValue>& out) const {
  const size_t before = out.size();
  if (!always_null_ && field_) {
    thread_local Arena arena(1024);
    arena.reset();
    EvalContext ctx;
    ctx.arena = &arena;
    event.for_each_value(path_, [&](const Value& v) {
      std::optional<SValue> sv = normalize_value(v, *field_, ctx);
      if (!sv) return;
      switch (sv->kind) {
        case SValue::Kind::kBool: out.push_back(KeyValue::boolean(sv->b)); break;
        case SValue::Kind::kInt: out.push_back(KeyValue::integer(sv->i)); break;
        case SValue::Kind::kDouble: out.push_back(KeyValue::number(sv->d)); break;
        case SValue::Kind::kString: out.push_back(KeyValue::string(sv->s)); break;
        case SValue::Kind::kNull: break;
      }
    });
    if (out.size() == before && field_->null_value) {
      const Value* raw = event.get(path_);
      if (raw && raw->is_null()) out.push_back(KeyValue::string(*field_->null_value));
    }
  }
  if (out.size() == before && optional_) out.push_back(KeyValue::null());
  return out.size() - before;
}

bool KeyExtractor::is_date() const { return field_ && field_->family == TypeFamily::kDate; }

const std::vector<std::string>& KeyExtractor::date_formats() const {
  static const std::vector<std::string> kNone;
  return field_ ? field_->date_formats : kNone;
}

std::string format_date_iso(int64_t ms) {
  // Civil date from days since the epoch (H. Hinnant's algorithm).
  int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
  int64_t rem = ms - days * 86400000;
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<uint64_t>(z - era * 146097);
  const uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const uint64_t mp = (5 * doy + 2) / 153;
  const uint64_t d = doy - (153 * mp + 2) / 5 + 1;
  const uint64_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", y, m, d, rem / 3600000, rem / 60000 % 60, rem / 1000 % 60,
                     rem % 1000);
}

// ------------------------------------------------------------------ Compiler

void Compiler::note_field(const FieldRef& f) {
  if (f.always_null || f.path.empty()) return;
  for (const auto& p : fields_read_)
    if (p == f.path) return;
  fields_read_.push_back(f.path);
}

KeyExtractor Compiler::key_extractor(const ast::Expr& e) {
  if (e.kind != ast::ExprKind::kField) {
    fail(DiagCode::kBadKey, e.span, fmt::format("join keys must be field names, found [{}]", source(e.span)));
  }
  const FieldRef& f = resolve_field(e);
  KeyExtractor k;
  k.path_ = f.path;
  k.written_ = e.dotted();
  k.optional_ = e.optional;
  k.always_null_ = f.always_null;
  k.field_ = std::make_shared<FieldRef>(f);
  return k;
}

Stage Compiler::build_stage(const ast::SequenceItem& item, const std::vector<ast::ExprPtr>& shared_keys) {
  Stage stage;
  stage.predicate = build_predicate(item.query);
  for (const auto& k : shared_keys) stage.keys.push_back(key_extractor(*k));
  for (const auto& k : item.keys) stage.keys.push_back(key_extractor(*k));
  stage.missing = item.missing;
  stage.runs = item.runs;
  stage.span = item.span;
  return stage;
}

std::shared_ptr<CompiledQuery> Compiler::compile(const ast::Statement& st) {
  try {
    auto q = std::make_shared<CompiledQuery>();
    q->text_ = std::string(text_);
    switch (st.kind) {
      case ast::StatementKind::kEvent: {
        q->kind_ = QueryKind::kEvent;
        Stage stage;
        stage.predicate = build_predicate(st.event);
        stage.span = st.event.span;
        q->stages_.push_back(std::move(stage));
        break;
      }
      case ast::StatementKind::kSequence:
      case ast::StatementKind::kSample: {
        const bool sequence = st.kind == ast::StatementKind::kSequence;
        q->kind_ = sequence ? QueryKind::kSequence : QueryKind::kSample;
        size_t positive = 0;
        for (const auto& item : st.items) {
          q->stages_.push_back(build_stage(item, st.keys));
          if (!item.missing) ++positive;
        }
        if (st.until) q->until_ = build_stage(*st.until, st.keys);
        q->maxspan_nanos_ = st.maxspan_nanos;
        if (sequence && positive != st.items.size()) {
          if (!st.maxspan_nanos)
            fail(DiagCode::kBadSequence, st.items[0].span, "missing-event stages ![...] need `with maxspan=...`");
          if (positive == 0) fail(DiagCode::kBadSequence, st.items[0].span, "a sequence needs at least one stage that is not ![...]");
        }
        // Every stage (and until) must have the same number of keys, of compatible types.
        const size_t expected = q->stages_[0].keys.size();
        if (!sequence && expected == 0)
          fail(DiagCode::kBadKey, st.items[0].span, "a sample needs join keys: sample by KEY [ ... ] or [ ... ] by KEY");
        auto check = [&](const Stage& s, const ast::SequenceItem& item) {
          if (s.keys.size() != expected) {
            fail(DiagCode::kBadKey, item.span,
                 fmt::format("Inconsistent number of join keys specified; expected [{}] but found [{}]", expected, s.keys.size()));
          }
        };
        for (size_t i = 0; i < st.items.size(); ++i) check(q->stages_[i], st.items[i]);
        if (st.until) check(*q->until_, *st.until);
        for (size_t k = 0; k < expected; ++k) {
          auto family = [](const Stage& s, size_t i) {
            TypeFamily f = s.keys[i].field_ ? s.keys[i].field_->family : TypeFamily::kUnknown;
            if (f == TypeFamily::kFloat) f = TypeFamily::kInteger;  // numbers join numerically
            return f;
          };
          TypeFamily first = TypeFamily::kUnknown;
          for (size_t i = 0; i < q->stages_.size(); ++i) {
            TypeFamily f = family(q->stages_[i], k);
            if (f == TypeFamily::kUnknown || q->stages_[i].keys[k].always_null()) continue;
            if (first == TypeFamily::kUnknown) {
              first = f;
            } else if (f != first) {
              fail(DiagCode::kBadKey, st.items[i].span,
                   fmt::format("join key [{}] has a type incompatible with the other stages' key [{}]",
                               q->stages_[i].keys[k].written_name(), q->stages_[0].keys[k].written_name()));
            }
          }
        }
        break;
      }
    }
    for (const auto& p : st.pipes) {
      Pipe pipe;
      pipe.kind = p.name == "head" ? Pipe::Kind::kHead : Pipe::Kind::kTail;
      pipe.count = p.count;
      pipe.span = p.span;
      q->pipes_.push_back(pipe);
    }
    q->fields_read_ = fields_read_;
    return q;
  } catch (const AnalysisError&) {
    return nullptr;
  }
}

CompileResult compile(std::string_view text, const Schema& schema, const CompileOptions& options) {
  CompileResult result;
  std::unique_ptr<ast::Statement> st = parse_statement(text, result.diagnostics);
  if (!st) return result;
  Compiler compiler(text, schema, options, result.diagnostics);
  std::shared_ptr<CompiledQuery> q = compiler.compile(*st);
  if (q && !result.diagnostics.has_errors()) result.query = std::move(q);
  return result;
}

}  // namespace audetect::eql
