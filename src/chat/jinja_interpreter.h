#pragma once
// Renders a parsed template. One Interpreter serves one render: it owns the scopes, the output
// buffer and the call depth; the Program it walks is shared and never modified, so concurrent
// renders of one template each use their own Interpreter.
//
// Scoping follows Jinja2: the template body has one scope over the context; every for-loop
// iteration, macro call and {% with %} opens a child scope, so `set` inside a loop is invisible
// outside it (namespace() objects are the way out); `if` opens no scope.
#include <ctime>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "chat/jinja_ast.h"
#include "chat/jinja_value.h"

namespace hearth::jinja {

struct Frame {
  Frame* parent = nullptr;
  std::vector<std::pair<std::string, Value>> vars;

  const Value* find_local(std::string_view name) const;
  void set(std::string_view name, Value value);
};

class Interpreter {
 public:
  // `now` is the local time strftime_now() formats; `max_steps` bounds loop iterations plus macro calls.
  Interpreter(const Program& program, const Dict& context, const std::tm& now, int64_t max_steps);

  // Renders the whole template. Throws RenderError.
  std::string render();

  // ---- services for built-in filters, tests and functions ----
  Value call(const Value& callee, CallArgs& args);
  Value apply_filter(std::string_view name, const Value& subject, CallArgs& args);
  bool apply_test(std::string_view name, const Value& subject, CallArgs& args);
  const std::tm& now() const { return now_; }

  // Runs a macro (or a call block's caller) with bound arguments; returns its output.
  Value invoke_macro(const MacroStmt& macro, Frame* closure, CallArgs& args);
  // Renders a recursive for-loop over `iterable` one level deeper; returns its output.
  Value run_recursive_loop(const ForStmt& loop, Frame* scope, const Value& iterable, int depth);

 private:
  enum class Flow { Normal, Break, Continue };

  Flow exec_body(const Body& body);
  Flow exec(const Stmt& stmt);
  Flow exec_inner(const Stmt& stmt);
  void exec_for(const ForStmt& stmt, Frame* scope, const Value& iterable, int depth);
  void exec_call_block(const CallBlockStmt& stmt);
  std::string capture(const Body& body, Frame* scope);

  Value eval(const Expr& expr);
  Value eval_inner(const Expr& expr);
  Value eval_call(const CallExpr& expr);
  Value eval_filter(const FilterExpr& expr, const Value& subject);
  void eval_args(const ArgsExpr& args, CallArgs& out);

  Value lookup(std::string_view name) const;
  void assign(const Target& target, const Value& value, Frame& frame);
  Frame* new_frame(Frame* parent);
  void count_step();
  void append_output(std::string_view text);

  const Program& program_;
  const Dict& context_;
  std::tm now_;
  std::deque<Frame> frames_;  // every scope of this render; addresses stay valid until the end
  Frame* frame_ = nullptr;    // innermost scope
  std::string* out_ = nullptr;
  int call_depth_ = 0;
  int64_t max_steps_;
  int64_t steps_ = 0;  // loop iterations and macro calls so far
};

}  // namespace hearth::jinja
