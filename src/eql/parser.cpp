#include "eql/parser.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "eql/eql.h"
#include "eql/lexer.h"

namespace audetect::eql {

namespace {

using ast::Expr;
using ast::ExprKind;
using ast::ExprPtr;

// Thrown only inside the parser to unwind to parse_statement after the first syntax error; the
// error itself has already been recorded in the diagnostics.
struct SyntaxError {};

const char* token_name(const Token& t) {
  switch (t.kind) {
    case Tok::kEnd: return "end of query";
    case Tok::kIdent: return "identifier";
    case Tok::kQuotedName: return "quoted name";
    case Tok::kString: return "string";
    case Tok::kInt: case Tok::kDouble: return "number";
    default: return "symbol";
  }
}

class Parser {
 public:
  Parser(std::string_view text, std::vector<Token> tokens, Diagnostics& diags)
      : text_(text), toks_(std::move(tokens)), diags_(diags) {}

  std::unique_ptr<ast::Statement> statement() {
    auto st = std::make_unique<ast::Statement>();
    const Token& first = peek();
    if (first.is_word("sequence")) {
      sequence(*st);
    } else if (first.is_word("sample")) {
      sample(*st);
    } else if (first.is_word("join")) {
      fail(DiagCode::kEndgameSyntax, first.span, "join is not supported", "use a sequence: sequence by key [ ... ] [ ... ]");
    } else {
      st->kind = ast::StatementKind::kEvent;
      st->event = event_query();
    }
    while (peek().is(Tok::kPipe)) st->pipes.push_back(pipe());
    if (!peek().is(Tok::kEnd)) unexpected("expected '|' or end of query");
    st->span = {0, static_cast<uint32_t>(text_.size())};
    return st;
  }

 private:
  // ---- token helpers
  const Token& peek(size_t ahead = 0) const {
    size_t i = pos_ + ahead;
    return i < toks_.size() ? toks_[i] : toks_.back();
  }
  const Token& advance() {
    const Token& t = peek();
    if (t.is(Tok::kError)) throw SyntaxError{};  // the lexer already reported it
    if (pos_ < toks_.size() - 1) ++pos_;
    return t;
  }
  bool accept(Tok k) {
    if (peek().is(k)) {
      advance();
      return true;
    }
    return false;
  }
  bool accept_word(std::string_view w) {
    if (peek().is_word(w)) {
      advance();
      return true;
    }
    return false;
  }
  const Token& expect(Tok k, std::string_view what) {
    if (!peek().is(k)) unexpected(fmt::format("expected {}", what));
    return advance();
  }
  void expect_word(std::string_view w) {
    if (!peek().is_word(w)) unexpected(fmt::format("expected '{}'", w));
    advance();
  }
  [[noreturn]] void fail(DiagCode code, Span span, std::string message, std::string help = {}) {
    diags_.error(code, span, std::move(message), std::move(help));
    throw SyntaxError{};
  }
  [[noreturn]] void unexpected(std::string expected) {
    const Token& t = peek();
    if (t.is(Tok::kError)) throw SyntaxError{};
    if (t.is(Tok::kEnd)) fail(DiagCode::kUnexpectedToken, t.span, fmt::format("unexpected end of query, {}", expected));
    std::string_view raw = text_.substr(t.span.begin, t.span.end - t.span.begin);
    if (raw.size() > 40) raw = raw.substr(0, 40);
    fail(DiagCode::kUnexpectedToken, t.span, fmt::format("unexpected {} '{}', {}", token_name(t), raw, expected));
  }
  Span prev_span() const { return pos_ > 0 ? toks_[pos_ - 1].span : Span{}; }
  bool adjacent_to_prev(const Token& t) const { return pos_ > 0 && toks_[pos_ - 1].span.end == t.span.begin; }

  struct DepthGuard {
    Parser& p;
    explicit DepthGuard(Parser& parser) : p(parser) {
      if (++p.depth_ > kMaxDepth) {
        p.fail(DiagCode::kTooDeep, p.peek().span,
               fmt::format("query nests deeper than {} levels", kMaxDepth), "simplify the expression");
      }
    }
    ~DepthGuard() { --p.depth_; }
  };

  // ---- statements
  ast::EventQuery event_query() {
    ast::EventQuery q;
    const Token& t = peek();
    q.span.begin = t.span.begin;
    if (t.is_word("any")) {
      q.any = true;
    } else if (t.is(Tok::kIdent) && !is_keyword(t.text)) {
      q.category = t.text;
    } else if (t.is(Tok::kString)) {
      q.category = t.text;
    } else if (t.is(Tok::kQuotedName)) {
      q.category = t.text;
    } else {
      unexpected("expected an event category (an identifier, a string or 'any'), 'sequence' or 'sample'");
    }
    q.category_span = t.span;
    advance();
    if (!peek().is_word("where")) unexpected("expected 'where'");
    advance();
    q.condition = expression();
    q.span.end = prev_span().end;
    if (peek().is_word("of")) {
      fail(DiagCode::kEndgameSyntax, peek().span, "relationships (child of / descendant of / event of) are not supported",
           "use a sequence joined by the process keys");
    }
    return q;
  }

  ast::SequenceItem sub_query(bool allow_missing) {
    ast::SequenceItem item;
    item.span.begin = peek().span.begin;
    if (peek().is(Tok::kBang)) {
      if (!allow_missing) fail(DiagCode::kBadSequence, peek().span, "missing-event stages ![...] are only allowed in sequences");
      advance();
      item.missing = true;
    }
    expect(Tok::kLBracket, "'['");
    item.query = event_query();
    expect(Tok::kRBracket, "']'");
    item.span.end = prev_span().end;
    return item;
  }

  std::vector<ExprPtr> keys() {
    std::vector<ExprPtr> out;
    out.push_back(expression());
    while (accept(Tok::kComma)) out.push_back(expression());
    return out;
  }

  int64_t time_span() {
    const Token& num = peek();
    if (!num.is(Tok::kInt) && !num.is(Tok::kDouble)) unexpected("expected a time span such as 10s");
    advance();
    if (num.is(Tok::kDouble))
      fail(DiagCode::kBadSpan, num.span, fmt::format("Decimal time values are not supported, found [{}]", num.text),
           "use a smaller unit: 500ms instead of 0.5s");
    double value = static_cast<double>(num.int_value);
    const Token& unit = peek();
    if (!unit.is(Tok::kIdent)) fail(DiagCode::kBadSpan, unit.span, "missing time unit", "units: ms, s, m, h, d (also micros, nanos)");
    advance();
    double nanos_per_unit = 0;
    if (unit.text == "nanos" || unit.text == "nanosecond" || unit.text == "nanoseconds") nanos_per_unit = 1;
    else if (unit.text == "micros" || unit.text == "microsecond" || unit.text == "microseconds") nanos_per_unit = 1e3;
    else if (unit.text == "ms" || unit.text == "millisecond" || unit.text == "milliseconds") nanos_per_unit = 1e6;
    else if (unit.text == "s" || unit.text == "second" || unit.text == "seconds") nanos_per_unit = 1e9;
    else if (unit.text == "m" || unit.text == "minute" || unit.text == "minutes") nanos_per_unit = 60e9;
    else if (unit.text == "h" || unit.text == "hour" || unit.text == "hours") nanos_per_unit = 3600e9;
    else if (unit.text == "d" || unit.text == "day" || unit.text == "days") nanos_per_unit = 86400e9;
    else fail(DiagCode::kBadSpan, unit.span, fmt::format("unknown time unit '{}'", unit.text), "units: ms, s, m, h, d (also micros, nanos)");
    double nanos = value * nanos_per_unit;
    if (!(nanos >= 0) || nanos > 9.2e18) fail(DiagCode::kBadSpan, num.span, "time span out of range");
    return static_cast<int64_t>(nanos);
  }

  void maxspan(ast::Statement& st) {
    const size_t begin = peek().span.begin;
    expect_word("maxspan");
    if (peek().is(Tok::kEqEq)) fail(DiagCode::kUnexpectedToken, peek().span, "expected '=' after maxspan");
    expect(Tok::kAssign, "'=' after maxspan");
    st.maxspan_nanos = time_span();
    st.maxspan_span = {static_cast<uint32_t>(begin), prev_span().end};
  }

  void item_suffix(ast::SequenceItem& item, bool allow_runs) {
    if (accept_word("by")) item.keys = keys();
    if (allow_runs && peek().is_word("with") && peek(1).is_word("runs")) {
      advance();
      advance();
      expect(Tok::kAssign, "'=' after runs");
      const Token& n = peek();
      if (!n.is(Tok::kInt)) unexpected("expected the number of runs");
      advance();
      if (n.int_value < 1 || n.int_value > 100)
        fail(DiagCode::kBadRuns, n.span, fmt::format("runs must be between 1 and 100, found {}", n.int_value));
      item.runs = static_cast<uint32_t>(n.int_value);
    }
    item.span.end = prev_span().end;
  }

  void sequence(ast::Statement& st) {
    st.kind = ast::StatementKind::kSequence;
    advance();  // sequence
    if (accept_word("by")) {
      st.keys = keys();
      if (accept_word("with")) maxspan(st);
    } else if (accept_word("with")) {
      maxspan(st);
      if (peek().is_word("by")) {
        fail(DiagCode::kBadSequence, peek().span, "keys after 'with maxspan' are not supported",
             "write the keys first: sequence by KEY with maxspan=...");
      }
    }
    while (peek().is(Tok::kLBracket) || peek().is(Tok::kBang)) {
      ast::SequenceItem item = sub_query(true);
      item_suffix(item, true);
      st.items.push_back(std::move(item));
    }
    size_t stages = 0;
    for (const auto& item : st.items) stages += item.runs;
    if (stages < 2) {
      fail(DiagCode::kBadSequence, st.items.empty() ? peek().span : st.items[0].span,
           fmt::format("A sequence requires a minimum of 2 queries, found [{}]", stages),
           "add another [ ... ] or repeat the query with `with runs=N`");
    }
    if (accept_word("until")) {
      ast::SequenceItem until = sub_query(false);
      item_suffix(until, false);
      st.until = std::move(until);
    }
    if (peek().is_word("with") || peek().is_word("fork")) {
      fail(DiagCode::kEndgameSyntax, peek().span, "unexpected sequence option here");
    }
  }

  void sample(ast::Statement& st) {
    st.kind = ast::StatementKind::kSample;
    advance();
    // Keys may be shared (`sample by k`) or per filter (`[ ... ] by k`); the compiler checks
    // that there is at least one.
    if (accept_word("by")) st.keys = keys();
    if (peek().is_word("with")) fail(DiagCode::kBadSequence, peek().span, "samples take no maxspan, runs or other options");
    while (peek().is(Tok::kLBracket) || peek().is(Tok::kBang)) {
      ast::SequenceItem item = sub_query(false);
      item_suffix(item, false);
      if (peek().is_word("with")) fail(DiagCode::kBadSequence, peek().span, "samples take no runs or other options");
      st.items.push_back(std::move(item));
    }
    if (st.items.empty()) fail(DiagCode::kBadSequence, peek().span, "a sample needs at least one query [ ... ]");
    if (peek().is_word("until")) fail(DiagCode::kBadSequence, peek().span, "until is not allowed in a sample");
  }

  ast::Pipe pipe() {
    const Token& bar = advance();
    const Token& name = peek();
    if (!name.is(Tok::kIdent)) unexpected("expected a pipe name (head or tail)");
    advance();
    ast::Pipe p;
    p.name = name.text;
    p.span = {bar.span.begin, name.span.end};
    if (name.text != "head" && name.text != "tail") {
      std::string help = "Elasticsearch supports only | head N and | tail N";
      fail(DiagCode::kUnsupportedPipe, name.span, fmt::format("Pipe [{}] is not supported", name.text), help);
    }
    const Token& n = peek();
    if (n.is(Tok::kInt)) {
      advance();
      p.count = n.int_value;
    } else if (n.is(Tok::kPipe) || n.is(Tok::kEnd)) {
      p.count = 10;  // ES default for head/tail without a number
    } else {
      unexpected("expected the number of results");
    }
    if (p.count < 0) fail(DiagCode::kUnexpectedToken, n.span, "pipe count must be a positive number");
    p.span.end = prev_span().end;
    return p;
  }

  // ---- expressions
  ExprPtr node(ExprKind kind, Span span) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->span = span;
    return e;
  }

  ExprPtr expression() {
    DepthGuard guard(*this);
    return or_expr();
  }

  ExprPtr or_expr() {
    ExprPtr left = and_expr();
    if (!peek().is_word("or")) return left;
    ExprPtr n = node(ExprKind::kOr, left->span);
    n->args.push_back(std::move(left));
    while (accept_word("or")) n->args.push_back(and_expr());
    n->span = Span::cover(n->span, n->args.back()->span);
    return n;
  }

  ExprPtr and_expr() {
    ExprPtr left = not_expr();
    if (!peek().is_word("and")) return left;
    ExprPtr n = node(ExprKind::kAnd, left->span);
    n->args.push_back(std::move(left));
    while (accept_word("and")) n->args.push_back(not_expr());
    n->span = Span::cover(n->span, n->args.back()->span);
    return n;
  }

  ExprPtr not_expr() {
    if (peek().is_word("not")) {
      DepthGuard guard(*this);
      const Token& kw = advance();
      ExprPtr inner = not_expr();
      ExprPtr n = node(ExprKind::kNot, Span::cover(kw.span, inner->span));
      n->args.push_back(std::move(inner));
      return n;
    }
    return predicate();
  }

  ExprPtr predicate() {
    ExprPtr left = value();
    const Token& t = peek();
    ast::CmpOp op;
    bool is_cmp = true;
    switch (t.kind) {
      case Tok::kEqEq: op = ast::CmpOp::kEq; break;
      case Tok::kNotEq: op = ast::CmpOp::kNe; break;
      case Tok::kLt: op = ast::CmpOp::kLt; break;
      case Tok::kLe: op = ast::CmpOp::kLe; break;
      case Tok::kGt: op = ast::CmpOp::kGt; break;
      case Tok::kGe: op = ast::CmpOp::kGe; break;
      default: is_cmp = false; op = ast::CmpOp::kEq; break;
    }
    if (t.is(Tok::kAssign)) {
      fail(DiagCode::kEndgameSyntax, t.span, "'=' is not a comparison operator", "use == for equality");
    }
    if (is_cmp) {
      advance();
      ExprPtr right = value();
      ExprPtr n = node(ExprKind::kCompare, Span::cover(left->span, right->span));
      n->cmp = op;
      n->args.push_back(std::move(left));
      n->args.push_back(std::move(right));
      check_no_chain();
      return n;
    }
    bool negated = false;
    if (t.is_word("not") && peek(1).is_word("in")) {
      advance();
      negated = true;
    }
    if (peek().is_word("in")) {
      const Token& kw = advance();
      ExprPtr n = node(ExprKind::kIn, left->span);
      n->negated = negated;
      n->name_span = kw.span;
      if (peek().is(Tok::kTilde) && adjacent_to_prev(peek())) {
        advance();
        n->insensitive = true;
      }
      expect(Tok::kLParen, "'(' after in");
      n->args.push_back(std::move(left));
      n->args.push_back(expression());
      while (accept(Tok::kComma)) n->args.push_back(expression());
      expect(Tok::kRParen, "')'");
      n->span.end = prev_span().end;
      check_no_chain();
      return n;
    }
    if (negated) unexpected("expected 'in' after 'not'");
    ast::MatchOp mop;
    if (t.is(Tok::kColon)) {
      mop = ast::MatchOp::kColon;
    } else if (t.is_word("like")) {
      mop = ast::MatchOp::kLike;
    } else if (t.is_word("regex")) {
      mop = ast::MatchOp::kRegex;
    } else {
      return left;
    }
    const Token& kw = advance();
    ExprPtr n = node(ExprKind::kMatch, left->span);
    n->match = mop;
    n->name_span = kw.span;
    n->name = std::string(text_.substr(kw.span.begin, kw.span.end - kw.span.begin));
    if (mop != ast::MatchOp::kColon && peek().is(Tok::kTilde) && adjacent_to_prev(peek())) {
      advance();
      n->insensitive = true;
    }
    if (mop == ast::MatchOp::kColon) {
      n->insensitive = true;
      // Endgame method syntax: field:length()
      if (peek().is(Tok::kIdent) && peek(1).is(Tok::kLParen)) {
        fail(DiagCode::kEndgameSyntax, Span::cover(t.span, peek().span), "method syntax field:function() is not supported",
             fmt::format("call the function instead: {}(field)", peek().text));
      }
    }
    n->args.push_back(std::move(left));
    if (accept(Tok::kLParen)) {
      n->args.push_back(value());
      while (accept(Tok::kComma)) n->args.push_back(value());
      expect(Tok::kRParen, "')'");
    } else {
      n->args.push_back(value());
    }
    n->span.end = prev_span().end;
    check_no_chain();
    return n;
  }

  void check_no_chain() {
    switch (peek().kind) {
      case Tok::kEqEq: case Tok::kNotEq: case Tok::kLt: case Tok::kLe: case Tok::kGt: case Tok::kGe: case Tok::kColon:
        fail(DiagCode::kUnexpectedToken, peek().span, "comparisons cannot be chained", "combine them with 'and'");
      default:
        break;
    }
  }

  // Binary operators build left-deep trees, so each further operand is one more level for the
  // recursive passes after parsing: count it against the depth cap.
  struct ChainDepth {
    Parser& p;
    int added = 0;
    explicit ChainDepth(Parser& parser) : p(parser) {}
    void add() {
      ++added;
      if (++p.depth_ > kMaxDepth) {
        p.fail(DiagCode::kTooDeep, p.peek().span,
               fmt::format("expression nests deeper than {} levels", kMaxDepth), "split the expression");
      }
    }
    ~ChainDepth() { p.depth_ -= added; }
  };

  ExprPtr value() {
    ExprPtr left = term();
    ChainDepth chain(*this);
    while (peek().is(Tok::kPlus) || peek().is(Tok::kMinus)) {
      chain.add();
      ast::ArithOp op = advance().is(Tok::kPlus) ? ast::ArithOp::kAdd : ast::ArithOp::kSub;
      ExprPtr right = term();
      ExprPtr n = node(ExprKind::kArith, Span::cover(left->span, right->span));
      n->arith = op;
      n->args.push_back(std::move(left));
      n->args.push_back(std::move(right));
      left = std::move(n);
    }
    return left;
  }

  ExprPtr term() {
    ExprPtr left = unary();
    ChainDepth chain(*this);
    while (peek().is(Tok::kStar) || peek().is(Tok::kSlash) || peek().is(Tok::kPercent)) {
      chain.add();
      const Token& t = advance();
      ast::ArithOp op = t.is(Tok::kStar) ? ast::ArithOp::kMul : t.is(Tok::kSlash) ? ast::ArithOp::kDiv : ast::ArithOp::kMod;
      ExprPtr right = unary();
      ExprPtr n = node(ExprKind::kArith, Span::cover(left->span, right->span));
      n->arith = op;
      n->args.push_back(std::move(left));
      n->args.push_back(std::move(right));
      left = std::move(n);
    }
    return left;
  }

  ExprPtr unary() {
    if (peek().is(Tok::kMinus) || peek().is(Tok::kPlus)) {
      DepthGuard guard(*this);
      const Token& sign = advance();
      ExprPtr inner = unary();
      if (sign.is(Tok::kPlus)) {
        inner->span = Span::cover(sign.span, inner->span);
        return inner;
      }
      // Fold the sign into a numeric literal so -2147483648 and INT64_MIN stay integers.
      if (inner->kind == ExprKind::kLiteral && inner->literal.kind == ast::LiteralKind::kInt) {
        inner->literal.i = inner->literal.i == std::numeric_limits<int64_t>::min() ? inner->literal.i : -inner->literal.i;
        inner->span = Span::cover(sign.span, inner->span);
        return inner;
      }
      if (inner->kind == ExprKind::kLiteral && inner->literal.kind == ast::LiteralKind::kDouble) {
        // "9223372036854775808" overflowed to a double; negated it is exactly INT64_MIN.
        if (inner->literal.d == 9223372036854775808.0) {
          inner->literal.kind = ast::LiteralKind::kInt;
          inner->literal.i = std::numeric_limits<int64_t>::min();
        } else {
          inner->literal.d = -inner->literal.d;
        }
        inner->span = Span::cover(sign.span, inner->span);
        return inner;
      }
      ExprPtr n = node(ExprKind::kNeg, Span::cover(sign.span, inner->span));
      n->args.push_back(std::move(inner));
      return n;
    }
    return primary();
  }

  ExprPtr primary() {
    const Token& t = peek();
    switch (t.kind) {
      case Tok::kString: {
        advance();
        ExprPtr n = node(ExprKind::kLiteral, t.span);
        n->literal.kind = ast::LiteralKind::kString;
        n->literal.s = t.text;
        return n;
      }
      case Tok::kInt: {
        advance();
        ExprPtr n = node(ExprKind::kLiteral, t.span);
        n->literal.kind = ast::LiteralKind::kInt;
        n->literal.i = t.int_value;
        return n;
      }
      case Tok::kDouble: {
        advance();
        ExprPtr n = node(ExprKind::kLiteral, t.span);
        n->literal.kind = ast::LiteralKind::kDouble;
        n->literal.d = t.double_value;
        return n;
      }
      case Tok::kLParen: {
        DepthGuard guard(*this);
        advance();
        ExprPtr inner = expression();
        expect(Tok::kRParen, "')'");
        return inner;
      }
      case Tok::kQuestion: {
        advance();
        const Token& name = peek();
        if (!(name.is(Tok::kIdent) || name.is(Tok::kQuotedName)) || !adjacent_to_prev(name))
          fail(DiagCode::kUnexpectedToken, t.span, "'?' must be directly followed by a field name (optional field)");
        ExprPtr f = field();
        f->optional = true;
        f->span = Span::cover(t.span, f->span);
        return f;
      }
      case Tok::kQuotedName:
        return field();
      case Tok::kIdent: {
        if (t.text == "true" || t.text == "false") {
          advance();
          ExprPtr n = node(ExprKind::kLiteral, t.span);
          n->literal.kind = ast::LiteralKind::kBool;
          n->literal.b = t.text == "true";
          return n;
        }
        if (t.text == "null") {
          advance();
          return node(ExprKind::kLiteral, t.span);
        }
        // Function call: NAME ( or NAME~(
        if (peek(1).is(Tok::kLParen) && adjacent_to(t, peek(1))) return call(false);
        if (peek(1).is(Tok::kTilde) && adjacent_to(t, peek(1)) && peek(2).is(Tok::kLParen)) return call(true);
        if (peek(1).is(Tok::kLParen)) return call(false);
        if (is_keyword(t.text)) unexpected("expected a value");
        if (peek(1).is_word("of")) {
          fail(DiagCode::kEndgameSyntax, Span::cover(t.span, peek(1).span),
               "relationships (child of / descendant of / event of) are not supported",
               "use a sequence joined by the process keys");
        }
        return field();
      }
      default:
        unexpected("expected a value (field, literal, function call or '(')");
    }
  }

  static bool adjacent_to(const Token& a, const Token& b) { return a.span.end == b.span.begin; }

  ExprPtr field() {
    ExprPtr f = node(ExprKind::kField, peek().span);
    for (;;) {
      const Token& seg = peek();
      if (seg.is(Tok::kIdent)) {
        if (is_keyword(seg.text) && f->segments.empty())
          unexpected("expected a field name (write `" + seg.text + "` in backquotes to use it as one)");
      } else if (!seg.is(Tok::kQuotedName)) {
        unexpected("expected a field name after '.'");
      }
      advance();
      f->segments.push_back(seg.text);
      f->span.end = seg.span.end;
      if (peek().is(Tok::kLBracket) && adjacent_to(seg, peek())) {
        // args[0]: parses, but ES rejects it.
        size_t b = peek().span.begin;
        advance();
        if (peek().is(Tok::kInt)) advance();
        const Token& close = expect(Tok::kRBracket, "']'");
        fail(DiagCode::kArrayIndex, {static_cast<uint32_t>(b), close.span.end}, "Array indexes are not supported");
      }
      if (peek().is(Tok::kDot) && adjacent_to(toks_[pos_ - 1], peek())) {
        advance();
        continue;
      }
      break;
    }
    return f;
  }

  ExprPtr call(bool insensitive) {
    const Token& name = advance();
    ExprPtr n = node(ExprKind::kCall, name.span);
    n->name = name.text;
    n->name_span = name.span;
    n->insensitive = insensitive;
    if (insensitive) {
      advance();
      n->name_span.end = prev_span().end;
    }
    DepthGuard guard(*this);
    expect(Tok::kLParen, "'('");
    if (!peek().is(Tok::kRParen)) {
      n->args.push_back(expression());
      while (accept(Tok::kComma)) n->args.push_back(expression());
    }
    expect(Tok::kRParen, "')'");
    n->span.end = prev_span().end;
    return n;
  }

  std::string_view text_;
  std::vector<Token> toks_;
  Diagnostics& diags_;
  size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace

std::unique_ptr<ast::Statement> parse_statement(std::string_view text, Diagnostics& diags) {
  std::vector<Token> tokens = lex(text, diags);
  if (diags.has_errors()) return nullptr;
  Parser parser(text, std::move(tokens), diags);
  try {
    return parser.statement();
  } catch (const SyntaxError&) {
    return nullptr;
  }
}

ParseResult parse(std::string_view text) {
  ParseResult result;
  std::unique_ptr<ast::Statement> st = parse_statement(text, result.diagnostics);
  if (st) result.statement = std::move(st);
  return result;
}

}  // namespace audetect::eql
