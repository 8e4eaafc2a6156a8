#include "chat/jinja_interpreter.h"

#include <algorithm>

#include "chat/jinja_builtins.h"
#include "chat/jinja_error.h"
#include "chat/jinja_ops.h"

namespace hearth::jinja {
namespace {

// Macro calls and recursive loops nested deeper than this fail instead of exhausting the stack.
constexpr int kMaxCallDepth = 100;
// A render that produces more text than this is a runaway template, not a prompt.
constexpr size_t kMaxOutputBytes = size_t{256} << 20;

// A macro value: calling it renders the macro body with the arguments bound.
class MacroObject : public Object {
 public:
  MacroObject(const MacroStmt& macro, Frame* closure) : macro_(macro), closure_(closure) {}
  std::string type_name() const override { return "Macro"; }
  bool callable() const override { return true; }
  Value call(Interpreter& interp, CallArgs& args) override { return interp.invoke_macro(macro_, closure_, args); }
  std::string repr() const override { return "<Macro '" + macro_.name + "'>"; }
  Value get_attr(std::string_view name) const override {
    if (name == "name") return Value(macro_.name);
    if (name == "arguments") {
      ValueList names(macro_.params.begin(), macro_.params.end());
      return Value::tuple(std::move(names));
    }
    if (name == "catch_varargs") return Value(macro_.uses_varargs);
    if (name == "catch_kwargs") return Value(macro_.uses_kwargs);
    if (name == "caller") return Value(macro_.uses_caller);
    return Object::get_attr(name);
  }

 private:
  const MacroStmt& macro_;
  Frame* closure_;
};

// Jinja's `loop` variable. One object per loop run, updated in place each iteration.
class LoopObject : public Object, public std::enable_shared_from_this<LoopObject> {
 public:
  LoopObject(Value items, int depth0, const ForStmt& stmt, Frame* scope)
      : items_(std::move(items)), depth0_(depth0), stmt_(stmt), scope_(scope) {}

  size_t index0 = 0;

  std::string type_name() const override { return "LoopContext"; }
  bool callable() const override { return stmt_.recursive; }
  Value call(Interpreter& interp, CallArgs& args) override {
    if (!stmt_.recursive) return Object::call(interp, args);
    if (args.positional.size() != 1 || !args.keyword.empty()) raise("loop() takes exactly one argument");
    return interp.run_recursive_loop(stmt_, scope_, args.positional[0], depth0_ + 1);
  }
  std::string repr() const override { return fmt::format("<LoopContext {}/{}>", index0 + 1, length()); }

  Value get_attr(std::string_view name) const override {
    int64_t i = static_cast<int64_t>(index0);
    int64_t n = static_cast<int64_t>(length());
    if (name == "index") return Value(i + 1);
    if (name == "index0") return Value(i);
    if (name == "revindex") return Value(n - i);
    if (name == "revindex0") return Value(n - i - 1);
    if (name == "first") return Value(i == 0);
    if (name == "last") return Value(i == n - 1);
    if (name == "length") return Value(n);
    if (name == "depth") return Value(int64_t{depth0_} + 1);
    if (name == "depth0") return Value(int64_t{depth0_});
    if (name == "previtem") return i > 0 ? items_.as_list()[index0 - 1] : Value::undefined("there is no previous item");
    if (name == "nextitem") return i + 1 < n ? items_.as_list()[index0 + 1] : Value::undefined("there is no next item");
    if (name == "cycle") return Value::object(std::make_shared<BuiltinFunction>("cycle", &cycle, self()));
    if (name == "changed") return Value::object(std::make_shared<BuiltinFunction>("changed", &changed, self()));
    return Object::get_attr(name);
  }

 private:
  size_t length() const { return items_.as_list().size(); }
  Value self() const { return Value::object(std::const_pointer_cast<LoopObject>(shared_from_this())); }

  static Value cycle(Interpreter&, const Value& self, CallArgs& args) {
    auto& loop = static_cast<LoopObject&>(self.as_object());
    if (args.positional.empty()) raise("no items for cycling given");
    return args.positional[loop.index0 % args.positional.size()];
  }

  static Value changed(Interpreter&, const Value& self, CallArgs& args) {
    auto& loop = static_cast<LoopObject&>(self.as_object());
    Value current = Value::list(args.positional);
    if (loop.last_changed_ && *loop.last_changed_ == current) return Value(false);
    loop.last_changed_ = current;
    return Value(true);
  }

  Value items_;  // the (filtered) list the loop walks
  int depth0_;
  const ForStmt& stmt_;
  Frame* scope_;  // where a recursive call re-runs the loop
  std::optional<Value> last_changed_;
};

// Restores a member to its old value on scope exit.
template <typename T>
class Restore {
 public:
  Restore(T& slot, T value) : slot_(slot), saved_(slot) { slot_ = value; }
  ~Restore() { slot_ = saved_; }

 private:
  T& slot_;
  T saved_;
};

class DepthGuard {
 public:
  explicit DepthGuard(int& depth) : depth_(depth) {
    if (++depth_ > kMaxCallDepth) {
      --depth_;
      raise("macro calls or recursive loops nested too deeply (more than {} levels)", kMaxCallDepth);
    }
  }
  ~DepthGuard() { --depth_; }

 private:
  int& depth_;
};

bool is_unhashable(const Value& v) { return v.is_list() || v.is_dict(); }

}  // namespace

// ---- Frame -------------------------------------------------------------------------------------

const Value* Frame::find_local(std::string_view name) const {
  for (const auto& [k, v] : vars)
    if (k == name) return &v;
  return nullptr;
}

void Frame::set(std::string_view name, Value value) {
  for (auto& [k, v] : vars) {
    if (k == name) {
      v = std::move(value);
      return;
    }
  }
  vars.emplace_back(std::string(name), std::move(value));
}

// ---- Interpreter -------------------------------------------------------------------------------

Interpreter::Interpreter(const Program& program, const Dict& context, const std::tm& now, int64_t max_steps)
    : program_(program), context_(context), now_(now), max_steps_(max_steps) {}

std::string Interpreter::render() {
  std::string out;
  out_ = &out;
  frame_ = new_frame(nullptr);
  exec_body(program_.body);
  return out;
}

Frame* Interpreter::new_frame(Frame* parent) {
  Frame& f = frames_.emplace_back();
  f.parent = parent;
  return &f;
}

void Interpreter::append_output(std::string_view text) {
  if (out_->size() + text.size() > kMaxOutputBytes) raise("rendered text exceeds {} bytes", kMaxOutputBytes);
  out_->append(text);
}

Value Interpreter::lookup(std::string_view name) const {
  for (const Frame* f = frame_; f; f = f->parent)
    if (const Value* v = f->find_local(name)) return *v;
  if (const Value* v = context_.find(name)) return *v;
  if (const Value* v = find_global(name)) return *v;
  return Value::undefined(fmt::format("'{}' is undefined", name));
}

void Interpreter::assign(const Target& target, const Value& value, Frame& frame) {
  switch (target.kind) {
    case Target::Kind::Name:
      frame.set(target.name, value);
      return;
    case Target::Kind::Tuple: {
      ValueList items = iterate(value);
      if (items.size() < target.items.size())
        raise("not enough values to unpack (expected {}, got {})", target.items.size(), items.size());
      if (items.size() > target.items.size()) raise("too many values to unpack (expected {})", target.items.size());
      for (size_t i = 0; i < items.size(); ++i) assign(target.items[i], items[i], frame);
      return;
    }
    case Target::Kind::NamespaceAttr: {
      Value ns = lookup(target.name);
      if (!ns.is_object() || !ns.as_object().is_namespace()) raise("cannot assign attribute on non-namespace object");
      ns.as_object().set_attr(target.attr, value);
      return;
    }
  }
}

// ---- statements --------------------------------------------------------------------------------

Interpreter::Flow Interpreter::exec_body(const Body& body) {
  for (const StmtPtr& stmt : body) {
    Flow flow = exec(*stmt);
    if (flow != Flow::Normal) return flow;
  }
  return Flow::Normal;
}

Interpreter::Flow Interpreter::exec(const Stmt& stmt) {
  try {
    return exec_inner(stmt);
  } catch (RenderError& e) {
    e.set_line_if_missing(stmt.line);
    throw;
  }
}

std::string Interpreter::capture(const Body& body, Frame* scope) {
  std::string buffer;
  Restore<std::string*> out(out_, &buffer);
  Restore<Frame*> frame(frame_, scope);
  exec_body(body);
  return buffer;
}

Interpreter::Flow Interpreter::exec_inner(const Stmt& stmt) {
  switch (stmt.kind) {
    case StmtKind::Text:
      append_output(static_cast<const TextStmt&>(stmt).text);
      return Flow::Normal;
    case StmtKind::Print:
      append_output(eval(*static_cast<const PrintStmt&>(stmt).expr).str());
      return Flow::Normal;
    case StmtKind::If: {
      const auto& s = static_cast<const IfStmt&>(stmt);
      for (const auto& [test, body] : s.branches)
        if (eval(*test).truthy()) return exec_body(body);
      return exec_body(s.else_body);
    }
    case StmtKind::For: {
      const auto& s = static_cast<const ForStmt&>(stmt);
      exec_for(s, frame_, eval(*s.iterable), 0);
      return Flow::Normal;
    }
    case StmtKind::Set: {
      const auto& s = static_cast<const SetStmt&>(stmt);
      assign(s.target, eval(*s.value), *frame_);
      return Flow::Normal;
    }
    case StmtKind::SetBlock: {
      const auto& s = static_cast<const SetBlockStmt&>(stmt);
      Value v(capture(s.body, frame_));
      for (const auto& filter : s.filters) v = eval_filter(*filter, v);
      assign(s.target, v, *frame_);
      return Flow::Normal;
    }
    case StmtKind::Macro: {
      const auto& s = static_cast<const MacroStmt&>(stmt);
      frame_->set(s.name, Value::object(std::make_shared<MacroObject>(s, frame_)));
      return Flow::Normal;
    }
    case StmtKind::CallBlock:
      exec_call_block(static_cast<const CallBlockStmt&>(stmt));
      return Flow::Normal;
    case StmtKind::FilterBlock: {
      const auto& s = static_cast<const FilterBlockStmt&>(stmt);
      Value v(capture(s.body, frame_));
      for (const auto& filter : s.filters) v = eval_filter(*filter, v);
      append_output(v.str());
      return Flow::Normal;
    }
    case StmtKind::With: {
      const auto& s = static_cast<const WithStmt&>(stmt);
      ValueList values;
      for (const auto& [target, expr] : s.assignments) values.push_back(eval(*expr));
      Frame* scope = new_frame(frame_);
      for (size_t i = 0; i < values.size(); ++i) assign(s.assignments[i].first, values[i], *scope);
      Restore<Frame*> frame(frame_, scope);
      return exec_body(s.body);
    }
    case StmtKind::Scope: {
      const auto& s = static_cast<const ScopeStmt&>(stmt);
      if (!s.new_scope) return exec_body(s.body);
      Restore<Frame*> frame(frame_, new_frame(frame_));
      return exec_body(s.body);
    }
    case StmtKind::Break:
      return Flow::Break;
    case StmtKind::Continue:
      return Flow::Continue;
  }
  return Flow::Normal;
}

void Interpreter::exec_for(const ForStmt& stmt, Frame* scope, const Value& iterable, int depth) {
  Value items = iterable.is_sequence() ? iterable : Value::list(iterate(iterable));
  Frame* frame = new_frame(scope);
  Restore<Frame*> restore(frame_, frame);
  if (stmt.condition) {
    ValueList kept;
    for (const Value& item : items.as_list()) {
      count_step();
      frame->vars.clear();
      assign(stmt.target, item, *frame);
      if (eval(*stmt.condition).truthy()) kept.push_back(item);
    }
    items = Value::list(std::move(kept));
  }
  const ValueList& list = items.as_list();
  auto loop = std::make_shared<LoopObject>(items, depth, stmt, scope);
  Value loop_value = Value::object(loop);
  for (size_t i = 0; i < list.size(); ++i) {
    count_step();
    frame->vars.clear();
    loop->index0 = i;
    frame->set("loop", loop_value);
    assign(stmt.target, list[i], *frame);
    if (exec_body(stmt.body) == Flow::Break) break;
  }
  if (list.empty()) {
    frame->vars.clear();
    exec_body(stmt.else_body);
  }
}

Value Interpreter::run_recursive_loop(const ForStmt& loop, Frame* scope, const Value& iterable, int depth) {
  DepthGuard guard(call_depth_);
  std::string buffer;
  Restore<std::string*> out(out_, &buffer);
  exec_for(loop, scope, iterable, depth);
  return Value(std::move(buffer));
}

void Interpreter::exec_call_block(const CallBlockStmt& stmt) {
  Value caller = Value::object(std::make_shared<MacroObject>(*stmt.caller, frame_));
  Value callee = eval(*stmt.call->callee);
  CallArgs args;
  eval_args(stmt.call->args, args);
  args.keyword.emplace_back("caller", std::move(caller));
  append_output(call(callee, args).str());
}

void Interpreter::count_step() {
  if (++steps_ > max_steps_)
    raise("template exceeded {} loop iterations and macro calls (a runaway template?)", max_steps_);
}

Value Interpreter::invoke_macro(const MacroStmt& macro, Frame* closure, CallArgs& args) {
  DepthGuard guard(call_depth_);
  count_step();
  Frame* frame = new_frame(closure);
  const size_t n = macro.params.size();
  std::vector<bool> bound(n, false);
  ValueList extra_positional;
  for (size_t i = 0; i < args.positional.size(); ++i) {
    if (i < n) {
      frame->set(macro.params[i], args.positional[i]);
      bound[i] = true;
    } else {
      extra_positional.push_back(args.positional[i]);
    }
  }
  if (!extra_positional.empty() && !macro.uses_varargs)
    raise("macro '{}' takes not more than {} argument(s)", macro.name, n);
  Dict extra_keywords;
  Value caller = Value::undefined("no caller defined");
  for (auto& [key, value] : args.keyword) {
    auto it = std::find(macro.params.begin(), macro.params.end(), key);
    if (it != macro.params.end()) {
      size_t i = static_cast<size_t>(it - macro.params.begin());
      if (bound[i]) raise("macro '{}' got multiple values for argument '{}'", macro.name, key);
      frame->set(key, value);
      bound[i] = true;
    } else if (key == "caller" && macro.uses_caller) {
      caller = value;
    } else if (macro.uses_kwargs) {
      extra_keywords.set(Value(key), value);
    } else {
      raise("macro '{}' takes no keyword argument '{}'", macro.name, key);
    }
  }
  Restore<Frame*> restore(frame_, frame);
  const size_t first_default = n - macro.defaults.size();
  for (size_t i = 0; i < n; ++i) {
    if (bound[i]) continue;
    if (i >= first_default)
      frame->set(macro.params[i], eval(*macro.defaults[i - first_default]));
    else
      frame->set(macro.params[i], Value::undefined(fmt::format("parameter '{}' was not provided", macro.params[i])));
  }
  if (macro.uses_varargs) frame->set("varargs", Value::tuple(std::move(extra_positional)));
  if (macro.uses_kwargs) frame->set("kwargs", Value::dict(std::move(extra_keywords)));
  if (macro.uses_caller) frame->set("caller", caller);
  return Value(capture(macro.body, frame));
}

// ---- expressions -------------------------------------------------------------------------------

Value Interpreter::eval(const Expr& expr) {
  try {
    return eval_inner(expr);
  } catch (RenderError& e) {
    e.set_line_if_missing(expr.line);
    throw;
  }
}

void Interpreter::eval_args(const ArgsExpr& args, CallArgs& out) {
  for (const ExprPtr& e : args.positional) out.positional.push_back(eval(*e));
  for (const auto& [key, e] : args.keyword) out.keyword.emplace_back(key, eval(*e));
  if (args.star_args) {
    for (Value& v : iterate(eval(*args.star_args))) out.positional.push_back(std::move(v));
  }
  if (args.star_kwargs) {
    Value kw = eval(*args.star_kwargs);
    if (!kw.is_dict()) raise("argument after ** must be a mapping, not {}", kw.type_name());
    for (const auto& [k, v] : kw.as_dict().entries()) {
      if (!k.is_string()) raise("keywords must be strings");
      out.keyword.emplace_back(k.as_string(), v);
    }
  }
}

Value Interpreter::call(const Value& callee, CallArgs& args) {
  require_defined(callee);
  if (!callee.is_object() || !callee.as_object().callable()) raise("'{}' object is not callable", callee.type_name());
  return callee.as_object().call(*this, args);
}

Value Interpreter::apply_filter(std::string_view name, const Value& subject, CallArgs& args) {
  FilterFn fn = find_filter(name);
  if (!fn) raise("{} filter '{}'", filter_status(name) == BuiltinStatus::Unknown ? "unknown" : "unsupported", name);
  return fn(*this, subject, args);
}

bool Interpreter::apply_test(std::string_view name, const Value& subject, CallArgs& args) {
  TestFn fn = find_test(name);
  if (!fn) raise("unknown test '{}'", name);
  return fn(*this, subject, args);
}

Value Interpreter::eval_filter(const FilterExpr& expr, const Value& subject) {
  CallArgs args;
  eval_args(expr.args, args);
  return apply_filter(expr.name, subject, args);
}

Value Interpreter::eval_call(const CallExpr& expr) {
  Value callee = eval(*expr.callee);
  CallArgs args;
  eval_args(expr.args, args);
  return call(callee, args);
}

Value Interpreter::eval_inner(const Expr& expr) {
  switch (expr.kind) {
    case ExprKind::Literal:
      return static_cast<const LiteralExpr&>(expr).value;
    case ExprKind::Name:
      return lookup(static_cast<const NameExpr&>(expr).name);
    case ExprKind::ListLit:
    case ExprKind::TupleLit: {
      ValueList items;
      for (const ExprPtr& e : static_cast<const SequenceExpr&>(expr).items) items.push_back(eval(*e));
      return expr.kind == ExprKind::ListLit ? Value::list(std::move(items)) : Value::tuple(std::move(items));
    }
    case ExprKind::DictLit: {
      Dict d;
      for (const auto& [k, v] : static_cast<const DictExpr&>(expr).items) {
        Value key = eval(*k);
        if (is_unhashable(key)) raise("unhashable type: '{}'", key.type_name());
        d.set(std::move(key), eval(*v));
      }
      return Value::dict(std::move(d));
    }
    case ExprKind::GetAttr: {
      const auto& e = static_cast<const GetAttrExpr&>(expr);
      return get_attr(eval(*e.object), e.attr);
    }
    case ExprKind::GetItem: {
      const auto& e = static_cast<const GetItemExpr&>(expr);
      Value object = eval(*e.object);
      if (e.key->kind == ExprKind::Slice) {
        const auto& s = static_cast<const SliceExpr&>(*e.key);
        auto part = [&](const ExprPtr& p) { return p ? eval(*p) : Value::none(); };
        Value start = part(s.start), stop = part(s.stop), step = part(s.step);
        return get_slice(object, start, stop, step);
      }
      return get_item(object, eval(*e.key));
    }
    case ExprKind::Slice:
      raise("a slice is only allowed directly inside [ ]");
    case ExprKind::Call:
      return eval_call(static_cast<const CallExpr&>(expr));
    case ExprKind::Filter: {
      const auto& e = static_cast<const FilterExpr&>(expr);
      return eval_filter(e, eval(*e.subject));
    }
    case ExprKind::Test: {
      const auto& e = static_cast<const TestExpr&>(expr);
      Value subject = eval(*e.subject);
      CallArgs args;
      eval_args(e.args, args);
      return Value(apply_test(e.name, subject, args) != e.negated);
    }
    case ExprKind::Unary: {
      const auto& e = static_cast<const UnaryExpr&>(expr);
      return unary_op(e.op, eval(*e.operand));
    }
    case ExprKind::Binary: {
      const auto& e = static_cast<const BinaryExpr&>(expr);
      if (e.op == BinaryOp::And || e.op == BinaryOp::Or) {
        Value left = eval(*e.left);
        if (left.truthy() == (e.op == BinaryOp::Or)) return left;
        return eval(*e.right);
      }
      Value left = eval(*e.left);
      return binary_op(e.op, left, eval(*e.right));
    }
    case ExprKind::Compare: {
      const auto& e = static_cast<const CompareExpr&>(expr);
      Value left = eval(*e.first);
      for (const auto& [op, operand] : e.rest) {
        Value right = eval(*operand);
        if (!compare_op(op, left, right)) return Value(false);
        left = std::move(right);
      }
      return Value(true);
    }
    case ExprKind::Conditional: {
      const auto& e = static_cast<const ConditionalExpr&>(expr);
      if (eval(*e.test).truthy()) return eval(*e.then_expr);
      if (e.else_expr) return eval(*e.else_expr);
      return Value::undefined(fmt::format(
          "the inline if-expression on line {} evaluated to false and no else section was defined.", expr.line));
    }
  }
  raise("unknown expression");
}

}  // namespace hearth::jinja
