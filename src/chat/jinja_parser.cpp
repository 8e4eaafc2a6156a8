#include "chat/jinja_parser.h"

#include <algorithm>
#include <optional>

#include "chat/jinja_builtins.h"
#include "chat/jinja_error.h"
#include "chat/jinja_lexer.h"

namespace hearth::jinja {
namespace {

// Nesting beyond this (parentheses, blocks) is refused rather than risking the native stack.
constexpr int kMaxNesting = 200;

// Tags Jinja2 has that Hearth does not implement (template inheritance, includes, i18n...).
constexpr std::string_view kUnsupportedTags[] = {"extends", "include", "import",    "from", "autoescape",
                                                 "do",      "trans",   "pluralize", "debug"};

std::string describe(const Token& t) {
  switch (t.type) {
    case TokenType::Text:
      return "template text";
    case TokenType::VarBegin:
      return "'{{'";
    case TokenType::VarEnd:
      return "'}}'";
    case TokenType::BlockBegin:
      return "'{%'";
    case TokenType::BlockEnd:
      return "'%}'";
    case TokenType::Name:
      return "'" + t.text + "'";
    case TokenType::String:
      return "string literal";
    case TokenType::Integer:
    case TokenType::Float:
      return "number " + t.text;
    case TokenType::Operator:
      return "'" + t.text + "'";
    case TokenType::End:
      return "end of template";
  }
  return "token";
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  std::unique_ptr<Program> parse() {
    auto program = std::make_unique<Program>();
    program->body = subparse({});
    program->names = std::move(names_);
    // Like Jinja 3.1, an unknown filter or test is a compile error unless it sits inside an `if` or a
    // conditional expression (where a template may guard it); there it fails only if reached.
    for (const UnknownName& u : unknown_names_)
      if (!u.guarded) fail(u.message, u.line);
    return program;
  }

 private:
  // ---- token stream ----
  const Token& current() const { return tokens_[pos_]; }
  const Token& look() const { return tokens_[std::min(pos_ + 1, tokens_.size() - 1)]; }
  const Token& next() {
    const Token& t = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return t;
  }
  bool is_op(std::string_view op) const { return current().type == TokenType::Operator && current().text == op; }
  bool is_name(std::string_view name) const { return current().type == TokenType::Name && current().text == name; }
  bool skip_op(std::string_view op) {
    if (!is_op(op)) return false;
    next();
    return true;
  }
  bool skip_name(std::string_view name) {
    if (!is_name(name)) return false;
    next();
    return true;
  }

  [[noreturn]] void fail(const std::string& message, int line = 0) const {
    throw RenderError(message, RenderError::Kind::Template, line ? line : current().line);
  }
  [[noreturn]] void fail_expected(const std::string& what) const {
    fail("expected " + what + ", found " + describe(current()));
  }
  const Token& expect_op(std::string_view op) {
    if (!is_op(op)) fail_expected("'" + std::string(op) + "'");
    return next();
  }
  const Token& expect_name() {
    if (current().type != TokenType::Name) fail_expected("a name");
    return next();
  }
  void expect_block_end() {
    if (current().type != TokenType::BlockEnd) fail_expected("'%}'");
    next();
  }

  struct DepthGuard {
    explicit DepthGuard(Parser& p) : parser(p) {
      if (++parser.depth_ > kMaxNesting) parser.fail("template nested too deeply");
    }
    ~DepthGuard() { --parser.depth_; }
    Parser& parser;
  };

  // ---- statements ----

  struct OpenBlock {
    std::string tag;
    int line;
  };

  // Parses template content until a block tag named in `end_tags` (left as the current token).
  Body subparse(std::initializer_list<std::string_view> end_tags) {
    Body body;
    while (true) {
      const Token& t = current();
      switch (t.type) {
        case TokenType::Text:
          body.push_back(std::make_unique<TextStmt>(t.text, t.line));
          next();
          break;
        case TokenType::VarBegin: {
          int line = next().line;
          ExprPtr e = parse_tuple(false, true, {}, false);
          if (current().type != TokenType::VarEnd) fail_expected("'}}'");
          next();
          body.push_back(std::make_unique<PrintStmt>(std::move(e), line));
          break;
        }
        case TokenType::BlockBegin: {
          next();
          if (current().type == TokenType::Name &&
              std::find(end_tags.begin(), end_tags.end(), current().text) != end_tags.end())
            return body;
          body.push_back(parse_statement());
          expect_block_end();
          break;
        }
        case TokenType::End: {
          if (end_tags.size() == 0) return body;
          const OpenBlock& open = open_blocks_.back();
          std::string wanted;
          for (std::string_view tag : end_tags)
            wanted += (wanted.empty() ? "'{% " : " or '{% ") + std::string(tag) + " %}'";
          fail(fmt::format("unexpected end of template: the '{}' block opened on line {} needs {}", open.tag, open.line,
                           wanted));
        }
        default:
          fail("unexpected " + describe(t));
      }
    }
  }

  // After a statement's header: `%}`, the body, and (with drop_end) the end tag's name.
  Body parse_statements(std::initializer_list<std::string_view> end_tags, bool drop_end) {
    skip_op(":");
    expect_block_end();
    Body body = subparse(end_tags);
    if (drop_end) next();
    return body;
  }

  StmtPtr parse_statement() {
    DepthGuard guard(*this);
    const Token& t = current();
    if (t.type != TokenType::Name) fail_expected("a tag name");
    const std::string tag = t.text;
    int line = t.line;
    if (tag == "if") return with_open_block("if", line, [&] { return parse_if(); });
    if (tag == "for") return with_open_block("for", line, [&] { return parse_for(); });
    if (tag == "set") return with_open_block("set", line, [&] { return parse_set(); });
    if (tag == "macro") return with_open_block("macro", line, [&] { return parse_macro(); });
    if (tag == "call") return with_open_block("call", line, [&] { return parse_call_block(); });
    if (tag == "filter") return with_open_block("filter", line, [&] { return parse_filter_block(); });
    if (tag == "with") return with_open_block("with", line, [&] { return parse_with(); });
    if (tag == "generation") return with_open_block("generation", line, [&] { return parse_generation(); });
    if (tag == "block") return with_open_block("block", line, [&] { return parse_block(); });
    if (tag == "break" || tag == "continue") {
      if (loop_depth_ == 0) fail(fmt::format("'{}' outside a loop", tag));
      next();
      return std::make_unique<Stmt>(tag == "break" ? StmtKind::Break : StmtKind::Continue, line);
    }
    if (std::find(std::begin(kUnsupportedTags), std::end(kUnsupportedTags), tag) != std::end(kUnsupportedTags))
      fail(fmt::format("unsupported tag '{}'", tag));
    if (tag == "raw") fail("malformed '{% raw %}' tag");
    if (tag.rfind("end", 0) == 0 || tag == "else" || tag == "elif") {
      if (open_blocks_.empty()) fail(fmt::format("unexpected '{{% {} %}}' with no open block", tag));
      fail(fmt::format("unexpected '{{% {} %}}' inside the '{}' block opened on line {}", tag, open_blocks_.back().tag,
                       open_blocks_.back().line));
    }
    fail(fmt::format("unknown tag '{}'", tag));
  }

  template <typename F>
  StmtPtr with_open_block(const std::string& tag, int line, F&& parse) {
    open_blocks_.push_back({tag, line});
    StmtPtr s = parse();
    open_blocks_.pop_back();
    return s;
  }

  StmtPtr parse_if() {
    auto node = std::make_unique<IfStmt>(next().line);
    ++guard_depth_;
    while (true) {
      ExprPtr test = parse_tuple(false, false, {}, false);
      Body body = parse_statements({"elif", "else", "endif"}, false);
      node->branches.emplace_back(std::move(test), std::move(body));
      const Token& end = next();
      if (end.text == "elif") continue;
      if (end.text == "else") node->else_body = parse_statements({"endif"}, true);
      break;
    }
    --guard_depth_;
    return node;
  }

  StmtPtr parse_for() {
    auto node = std::make_unique<ForStmt>(next().line);
    node->target = parse_assign_target(true, false, {"in"}, false);
    if (!skip_name("in")) fail_expected("'in'");
    node->iterable = parse_tuple(false, false, {"recursive"}, false);
    if (skip_name("if")) node->condition = parse_expression(true);
    node->recursive = skip_name("recursive");
    ++loop_depth_;
    node->body = parse_statements({"endfor", "else"}, false);
    --loop_depth_;
    if (next().text == "else") node->else_body = parse_statements({"endfor"}, true);
    return node;
  }

  StmtPtr parse_set() {
    int line = next().line;
    Target target = parse_assign_target(true, false, {}, true);
    if (skip_op("=")) {
      auto node = std::make_unique<SetStmt>(line);
      node->target = std::move(target);
      node->value = parse_tuple(false, true, {}, false);
      return node;
    }
    auto node = std::make_unique<SetBlockStmt>(line);
    node->target = std::move(target);
    node->filters = parse_filter_chain(false);
    node->body = parse_statements({"endset"}, true);
    return node;
  }

  std::unique_ptr<MacroStmt> parse_signature(int line, std::string name) {
    auto node = std::make_unique<MacroStmt>(line);
    node->name = std::move(name);
    expect_op("(");
    while (!is_op(")")) {
      if (!node->params.empty()) expect_op(",");
      node->params.push_back(expect_name().text);
      if (skip_op("=")) {
        node->defaults.push_back(parse_expression(true));
      } else if (!node->defaults.empty()) {
        fail("non-default argument follows default argument");
      }
    }
    expect_op(")");
    return node;
  }

  void parse_macro_body(MacroStmt& node, std::string_view end_tag) {
    int saved_loops = loop_depth_;
    loop_depth_ = 0;
    open_macros_.push_back(&node);
    node.body = parse_statements({end_tag}, true);
    open_macros_.pop_back();
    loop_depth_ = saved_loops;
  }

  StmtPtr parse_macro() {
    int line = next().line;
    std::string name = expect_name().text;
    auto node = parse_signature(line, name);
    parse_macro_body(*node, "endmacro");
    return node;
  }

  StmtPtr parse_call_block() {
    int line = next().line;
    auto node = std::make_unique<CallBlockStmt>(line);
    if (is_op("(")) {
      node->caller = parse_signature(line, "caller");
    } else {
      node->caller = std::make_unique<MacroStmt>(line);
      node->caller->name = "caller";
    }
    ExprPtr call = parse_expression(true);
    if (call->kind != ExprKind::Call) fail("expected a macro call after '{% call %}'", line);
    node->call.reset(static_cast<CallExpr*>(call.release()));
    parse_macro_body(*node->caller, "endcall");
    return node;
  }

  StmtPtr parse_filter_block() {
    auto node = std::make_unique<FilterBlockStmt>(next().line);
    node->filters = parse_filter_chain(true);
    node->body = parse_statements({"endfilter"}, true);
    return node;
  }

  StmtPtr parse_with() {
    auto node = std::make_unique<WithStmt>(next().line);
    while (current().type != TokenType::BlockEnd) {
      if (!node->assignments.empty()) expect_op(",");
      Target target = parse_assign_target(true, false, {}, false);
      expect_op("=");
      node->assignments.emplace_back(std::move(target), parse_expression(true));
    }
    node->body = parse_statements({"endwith"}, true);
    return node;
  }

  // Without template inheritance a block renders in place, in its own scope.
  StmtPtr parse_block() {
    auto node = std::make_unique<ScopeStmt>(next().line);
    node->new_scope = true;
    std::string name = expect_name().text;
    skip_name("scoped");
    skip_name("required");
    node->body = parse_statements({"endblock"}, true);
    if (current().type == TokenType::Name && current().text != name)
      fail(fmt::format("mismatching name '{}' for '{{% endblock %}}' of block '{}'", current().text, name));
    skip_name(name);
    return node;
  }

  StmtPtr parse_generation() {
    auto node = std::make_unique<ScopeStmt>(next().line);
    node->body = parse_statements({"endgeneration"}, true);
    return node;
  }

  // ---- assignment targets ----

  Target parse_assign_target(bool with_tuple, bool name_only, std::initializer_list<std::string_view> extra_end,
                             bool with_namespace) {
    Target target;
    if (with_namespace && current().type == TokenType::Name && look().type == TokenType::Operator &&
        look().text == ".") {
      target.kind = Target::Kind::NamespaceAttr;
      target.name = next().text;
      next();  // '.'
      target.attr = expect_name().text;
      return target;
    }
    if (name_only || !with_tuple) {
      target.name = expect_name().text;
      check_assignable_name(target.name);
      return target;
    }
    ExprPtr e = parse_tuple(true, true, extra_end, false);
    return target_from_expr(*e);
  }

  void check_assignable_name(const std::string& name) const {
    static constexpr std::string_view kConstants[] = {"true", "false", "none", "True", "False", "None"};
    if (std::find(std::begin(kConstants), std::end(kConstants), name) != std::end(kConstants))
      fail(fmt::format("cannot assign to '{}'", name));
  }

  Target target_from_expr(const Expr& e) const {
    Target target;
    if (e.kind == ExprKind::Name) {
      target.name = static_cast<const NameExpr&>(e).name;
      return target;
    }
    if (e.kind == ExprKind::TupleLit) {
      target.kind = Target::Kind::Tuple;
      for (const auto& item : static_cast<const SequenceExpr&>(e).items)
        target.items.push_back(target_from_expr(*item));
      return target;
    }
    fail("cannot assign to this expression (expected a name or a tuple of names)", e.line);
  }

  // ---- expressions ----

  bool is_tuple_end(std::initializer_list<std::string_view> extra_end) const {
    const Token& t = current();
    if (t.type == TokenType::VarEnd || t.type == TokenType::BlockEnd ||
        (t.type == TokenType::Operator && t.text == ")"))
      return true;
    if (t.type == TokenType::Name) return std::find(extra_end.begin(), extra_end.end(), t.text) != extra_end.end();
    return false;
  }

  // Comma-separated expressions; a tuple when there is a comma (or `()` with explicit parentheses).
  ExprPtr parse_tuple(bool simplified, bool with_condexpr, std::initializer_list<std::string_view> extra_end,
                      bool explicit_parentheses) {
    int line = current().line;
    std::vector<ExprPtr> items;
    bool is_tuple = false;
    while (true) {
      if (!items.empty()) expect_op(",");
      if (is_tuple_end(extra_end)) break;
      items.push_back(simplified ? parse_primary() : parse_expression(with_condexpr));
      if (is_op(",")) {
        is_tuple = true;
      } else {
        break;
      }
    }
    if (!is_tuple) {
      if (!items.empty()) return std::move(items[0]);
      if (!explicit_parentheses) fail_expected("an expression");
    }
    auto tuple = std::make_unique<SequenceExpr>(ExprKind::TupleLit, line);
    tuple->items = std::move(items);
    return tuple;
  }

  ExprPtr parse_expression(bool with_condexpr) {
    DepthGuard guard(*this);
    return with_condexpr ? parse_condexpr() : parse_or();
  }

  ExprPtr parse_condexpr() {
    size_t first_unknown = unknown_names_.size();
    ExprPtr expr = parse_or();
    while (is_name("if")) {
      for (size_t i = first_unknown; i < unknown_names_.size(); ++i) unknown_names_[i].guarded = true;
      int line = next().line;
      auto cond = std::make_unique<ConditionalExpr>(line);
      cond->then_expr = std::move(expr);
      ++guard_depth_;
      cond->test = parse_or();
      if (skip_name("else")) cond->else_expr = parse_condexpr();
      --guard_depth_;
      expr = std::move(cond);
    }
    return expr;
  }

  ExprPtr parse_or() {
    ExprPtr left = parse_and();
    while (is_name("or")) {
      int line = next().line;
      left = std::make_unique<BinaryExpr>(BinaryOp::Or, std::move(left), parse_and(), line);
    }
    return left;
  }

  ExprPtr parse_and() {
    ExprPtr left = parse_not();
    while (is_name("and")) {
      int line = next().line;
      left = std::make_unique<BinaryExpr>(BinaryOp::And, std::move(left), parse_not(), line);
    }
    return left;
  }

  ExprPtr parse_not() {
    if (is_name("not")) {
      DepthGuard guard(*this);
      int line = next().line;
      return std::make_unique<UnaryExpr>(UnaryOp::Not, parse_not(), line);
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    int line = current().line;
    ExprPtr first = parse_math1();
    std::unique_ptr<CompareExpr> cmp;
    static constexpr std::pair<std::string_view, CompareOp> kOperators[] = {
        {"==", CompareOp::Eq}, {"!=", CompareOp::Ne}, {"<", CompareOp::Lt},
        {"<=", CompareOp::Le}, {">", CompareOp::Gt},  {">=", CompareOp::Ge}};
    while (true) {
      std::optional<CompareOp> op;
      for (const auto& [text, value] : kOperators)
        if (is_op(text)) op = value;
      if (!op && is_name("in")) op = CompareOp::In;
      if (!op && is_name("not") && look().type == TokenType::Name && look().text == "in") {
        op = CompareOp::NotIn;
        next();
      }
      if (!op) break;
      next();
      if (!cmp) cmp = std::make_unique<CompareExpr>(std::move(first), line);
      cmp->rest.emplace_back(*op, parse_math1());
    }
    if (!cmp) return first;
    return cmp;
  }

  ExprPtr parse_math1() {
    ExprPtr left = parse_concat();
    while (is_op("+") || is_op("-")) {
      const Token& t = next();
      BinaryOp op = t.text == "+" ? BinaryOp::Add : BinaryOp::Sub;
      left = std::make_unique<BinaryExpr>(op, std::move(left), parse_concat(), t.line);
    }
    return left;
  }

  ExprPtr parse_concat() {
    ExprPtr left = parse_math2();
    while (is_op("~")) {
      int line = next().line;
      left = std::make_unique<BinaryExpr>(BinaryOp::Concat, std::move(left), parse_math2(), line);
    }
    return left;
  }

  ExprPtr parse_math2() {
    ExprPtr left = parse_pow();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      const Token& t = next();
      BinaryOp op = t.text == "*"    ? BinaryOp::Mul
                    : t.text == "/"  ? BinaryOp::Div
                    : t.text == "//" ? BinaryOp::FloorDiv
                                     : BinaryOp::Mod;
      left = std::make_unique<BinaryExpr>(op, std::move(left), parse_pow(), t.line);
    }
    return left;
  }

  ExprPtr parse_pow() {
    ExprPtr left = parse_unary(true);
    while (is_op("**")) {
      int line = next().line;
      left = std::make_unique<BinaryExpr>(BinaryOp::Pow, std::move(left), parse_unary(true), line);
    }
    return left;
  }

  ExprPtr parse_unary(bool with_filter) {
    DepthGuard guard(*this);
    ExprPtr node;
    if (is_op("-") || is_op("+")) {
      const Token& t = next();
      node = std::make_unique<UnaryExpr>(t.text == "-" ? UnaryOp::Neg : UnaryOp::Pos, parse_unary(false), t.line);
    } else {
      node = parse_primary();
    }
    node = parse_postfix(std::move(node));
    if (with_filter) node = parse_filter_expr(std::move(node));
    return node;
  }

  ExprPtr parse_primary() {
    DepthGuard guard(*this);
    const Token& t = current();
    switch (t.type) {
      case TokenType::Name: {
        next();
        if (t.text == "true" || t.text == "True") return std::make_unique<LiteralExpr>(Value(true), t.line);
        if (t.text == "false" || t.text == "False") return std::make_unique<LiteralExpr>(Value(false), t.line);
        if (t.text == "none" || t.text == "None") return std::make_unique<LiteralExpr>(Value::none(), t.line);
        note_special_name(t.text);
        names_.insert(t.text);
        return std::make_unique<NameExpr>(t.text, t.line);
      }
      case TokenType::String: {
        std::string s = next().text;
        while (current().type == TokenType::String) s += next().text;  // adjacent literals concatenate
        return std::make_unique<LiteralExpr>(Value(std::move(s)), t.line);
      }
      case TokenType::Integer:
        next();
        return std::make_unique<LiteralExpr>(Value(t.int_value), t.line);
      case TokenType::Float:
        next();
        return std::make_unique<LiteralExpr>(Value(t.float_value), t.line);
      case TokenType::Operator:
        if (t.text == "(") {
          next();
          ExprPtr e = parse_tuple(false, true, {}, true);
          expect_op(")");
          return e;
        }
        if (t.text == "[") return parse_list();
        if (t.text == "{") return parse_dict();
        break;
      default:
        break;
    }
    fail("unexpected " + describe(t));
  }

  ExprPtr parse_list() {
    auto list = std::make_unique<SequenceExpr>(ExprKind::ListLit, next().line);
    while (!is_op("]")) {
      if (!list->items.empty()) expect_op(",");
      if (is_op("]")) break;
      list->items.push_back(parse_expression(true));
    }
    expect_op("]");
    return list;
  }

  ExprPtr parse_dict() {
    auto dict = std::make_unique<DictExpr>(next().line);
    while (!is_op("}")) {
      if (!dict->items.empty()) expect_op(",");
      if (is_op("}")) break;
      ExprPtr key = parse_expression(true);
      expect_op(":");
      dict->items.emplace_back(std::move(key), parse_expression(true));
    }
    expect_op("}");
    return dict;
  }

  ExprPtr parse_postfix(ExprPtr node) {
    while (true) {
      if (is_op(".") || is_op("[")) {
        node = parse_subscript(std::move(node));
      } else if (is_op("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  ExprPtr parse_filter_expr(ExprPtr node) {
    while (true) {
      if (is_op("|")) {
        node = parse_filter(std::move(node));
      } else if (is_name("is")) {
        node = parse_test(std::move(node));
      } else if (is_op("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  ExprPtr parse_subscript(ExprPtr node) {
    const Token& t = next();
    if (t.text == ".") {
      const Token& attr = current();
      if (attr.type == TokenType::Name) {
        next();
        return std::make_unique<GetAttrExpr>(std::move(node), attr.text, t.line);
      }
      if (attr.type != TokenType::Integer) fail_expected("a name or number after '.'");
      next();
      return std::make_unique<GetItemExpr>(std::move(node),
                                           std::make_unique<LiteralExpr>(Value(attr.int_value), attr.line), t.line);
    }
    std::vector<ExprPtr> args;
    while (!is_op("]")) {
      if (!args.empty()) expect_op(",");
      args.push_back(parse_subscribed());
    }
    expect_op("]");
    if (args.size() == 1) return std::make_unique<GetItemExpr>(std::move(node), std::move(args[0]), t.line);
    auto tuple = std::make_unique<SequenceExpr>(ExprKind::TupleLit, t.line);
    tuple->items = std::move(args);
    return std::make_unique<GetItemExpr>(std::move(node), std::move(tuple), t.line);
  }

  ExprPtr parse_subscribed() {
    int line = current().line;
    auto slice = std::make_unique<SliceExpr>(line);
    if (!is_op(":")) {
      ExprPtr e = parse_expression(true);
      if (!is_op(":")) return e;
      slice->start = std::move(e);
    }
    next();  // ':'
    if (!is_op(":") && !is_op("]") && !is_op(",")) slice->stop = parse_expression(true);
    if (skip_op(":")) {
      if (!is_op("]") && !is_op(",")) slice->step = parse_expression(true);
    }
    return slice;
  }

  ArgsExpr parse_call_args() {
    int line = expect_op("(").line;
    ArgsExpr args;
    bool require_comma = false;
    auto ensure = [&](bool ok) {
      if (!ok) fail("invalid syntax for function call expression", line);
    };
    while (!is_op(")")) {
      if (require_comma) {
        expect_op(",");
        if (is_op(")")) break;
      }
      if (is_op("*")) {
        ensure(!args.star_args && !args.star_kwargs);
        next();
        args.star_args = parse_expression(true);
      } else if (is_op("**")) {
        ensure(!args.star_kwargs);
        next();
        args.star_kwargs = parse_expression(true);
      } else if (current().type == TokenType::Name && look().type == TokenType::Operator && look().text == "=") {
        ensure(!args.star_kwargs);
        std::string key = next().text;
        next();  // '='
        args.keyword.emplace_back(std::move(key), parse_expression(true));
      } else {
        ensure(!args.star_args && !args.star_kwargs && args.keyword.empty());
        args.positional.push_back(parse_expression(true));
      }
      require_comma = true;
    }
    expect_op(")");
    return args;
  }

  ExprPtr parse_call(ExprPtr callee) {
    auto call = std::make_unique<CallExpr>(std::move(callee), current().line);
    call->args = parse_call_args();
    return call;
  }

  std::string parse_dotted_name() {
    std::string name = expect_name().text;
    while (is_op(".")) {
      next();
      name += "." + expect_name().text;
    }
    return name;
  }

  std::unique_ptr<FilterExpr> parse_one_filter(ExprPtr subject) {
    int line = current().line;
    std::string name = parse_dotted_name();
    if (filter_status(name) == BuiltinStatus::Unknown) note_unknown(fmt::format("unknown filter '{}'", name), line);
    auto filter = std::make_unique<FilterExpr>(std::move(subject), std::move(name), line);
    if (is_op("(")) filter->args = parse_call_args();
    return filter;
  }

  ExprPtr parse_filter(ExprPtr node) {
    while (skip_op("|")) node = parse_one_filter(std::move(node));
    return node;
  }

  // Filters of {% filter a|b %} and {% set x | a %}: the first one may come without a '|'.
  std::vector<std::unique_ptr<FilterExpr>> parse_filter_chain(bool first_inline) {
    std::vector<std::unique_ptr<FilterExpr>> chain;
    if (first_inline) chain.push_back(parse_one_filter(nullptr));
    while (skip_op("|")) chain.push_back(parse_one_filter(nullptr));
    return chain;
  }

  ExprPtr parse_test(ExprPtr subject) {
    int line = next().line;  // 'is'
    bool negated = skip_name("not");
    std::string name = parse_dotted_name();
    if (test_status(name) == BuiltinStatus::Unknown) note_unknown(fmt::format("unknown test '{}'", name), line);
    auto test = std::make_unique<TestExpr>(std::move(subject), std::move(name), line);
    test->negated = negated;
    const Token& t = current();
    bool starts_argument = t.type == TokenType::Name || t.type == TokenType::String || t.type == TokenType::Integer ||
                           t.type == TokenType::Float ||
                           (t.type == TokenType::Operator && (t.text == "[" || t.text == "{"));
    if (is_op("(")) {
      test->args = parse_call_args();
    } else if (starts_argument && !is_name("else") && !is_name("or") && !is_name("and")) {
      if (is_name("is")) fail("cannot chain multiple tests with 'is'");
      test->args.positional.push_back(parse_postfix(parse_primary()));
    }
    return test;
  }

  void note_unknown(std::string message, int line) {
    unknown_names_.push_back({std::move(message), line, guard_depth_ > 0});
  }

  // Macros accept extra positional/keyword arguments or a caller only when their body uses
  // varargs/kwargs/caller; record those uses for the innermost macro being parsed.
  void note_special_name(const std::string& name) {
    if (open_macros_.empty()) return;
    MacroStmt* m = open_macros_.back();
    if (name == "varargs") m->uses_varargs = true;
    if (name == "kwargs") m->uses_kwargs = true;
    if (name == "caller") m->uses_caller = true;
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
  int loop_depth_ = 0;
  std::vector<OpenBlock> open_blocks_;
  std::vector<MacroStmt*> open_macros_;
  std::set<std::string, std::less<>> names_;
  struct UnknownName {
    std::string message;
    int line;
    bool guarded;  // inside an if or a conditional expression
  };
  std::vector<UnknownName> unknown_names_;
  int guard_depth_ = 0;
};

}  // namespace

std::unique_ptr<Program> parse_template(std::string_view source) { return Parser(tokenize(source)).parse(); }

}  // namespace hearth::jinja
