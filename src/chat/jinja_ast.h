#pragma once
// The syntax tree of a parsed template. Nodes are immutable after parsing, so one tree serves any
// number of concurrent renders. Every node keeps its template line for error messages.
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "chat/jinja_value.h"

namespace hearth::jinja {

// ---- expressions -------------------------------------------------------------------------------

enum class ExprKind {
  Literal,
  Name,
  ListLit,
  TupleLit,
  DictLit,
  GetAttr,
  GetItem,
  Slice,
  Call,
  Filter,
  Test,
  Unary,
  Binary,
  Compare,
  Conditional,
};

struct Expr {
  Expr(ExprKind k, int l) : kind(k), line(l) {}
  virtual ~Expr() = default;
  ExprKind kind;
  int line;
};
using ExprPtr = std::unique_ptr<Expr>;

// Arguments as written at a call site: f(a, b, key=c, *rest, **more).
struct ArgsExpr {
  std::vector<ExprPtr> positional;
  std::vector<std::pair<std::string, ExprPtr>> keyword;
  ExprPtr star_args;    // *expr, may be null
  ExprPtr star_kwargs;  // **expr, may be null
};

struct LiteralExpr : Expr {
  LiteralExpr(Value v, int l) : Expr(ExprKind::Literal, l), value(std::move(v)) {}
  Value value;
};

struct NameExpr : Expr {
  NameExpr(std::string n, int l) : Expr(ExprKind::Name, l), name(std::move(n)) {}
  std::string name;
};

// [a, b] and (a, b): `kind` tells which.
struct SequenceExpr : Expr {
  SequenceExpr(ExprKind k, int l) : Expr(k, l) {}
  std::vector<ExprPtr> items;
};

struct DictExpr : Expr {
  explicit DictExpr(int l) : Expr(ExprKind::DictLit, l) {}
  std::vector<std::pair<ExprPtr, ExprPtr>> items;
};

struct GetAttrExpr : Expr {
  GetAttrExpr(ExprPtr o, std::string a, int l) : Expr(ExprKind::GetAttr, l), object(std::move(o)), attr(std::move(a)) {}
  ExprPtr object;
  std::string attr;
};

struct GetItemExpr : Expr {
  GetItemExpr(ExprPtr o, ExprPtr k, int l) : Expr(ExprKind::GetItem, l), object(std::move(o)), key(std::move(k)) {}
  ExprPtr object;
  ExprPtr key;  // a SliceExpr for x[a:b:c]
};

// start:stop:step inside a subscript; parts may be null.
struct SliceExpr : Expr {
  explicit SliceExpr(int l) : Expr(ExprKind::Slice, l) {}
  ExprPtr start, stop, step;
};

struct CallExpr : Expr {
  CallExpr(ExprPtr c, int l) : Expr(ExprKind::Call, l), callee(std::move(c)) {}
  ExprPtr callee;
  ArgsExpr args;
};

// subject | name(args). `subject` is null for the filters of {% filter %} and {% set x | f %}.
struct FilterExpr : Expr {
  FilterExpr(ExprPtr s, std::string n, int l) : Expr(ExprKind::Filter, l), subject(std::move(s)), name(std::move(n)) {}
  ExprPtr subject;
  std::string name;
  ArgsExpr args;
};

// subject is [not] name(args)
struct TestExpr : Expr {
  TestExpr(ExprPtr s, std::string n, int l) : Expr(ExprKind::Test, l), subject(std::move(s)), name(std::move(n)) {}
  ExprPtr subject;
  std::string name;
  ArgsExpr args;
  bool negated = false;
};

enum class UnaryOp { Neg, Pos, Not };
struct UnaryExpr : Expr {
  UnaryExpr(UnaryOp o, ExprPtr e, int l) : Expr(ExprKind::Unary, l), op(o), operand(std::move(e)) {}
  UnaryOp op;
  ExprPtr operand;
};

enum class BinaryOp { Add, Sub, Mul, Div, FloorDiv, Mod, Pow, Concat, And, Or };
struct BinaryExpr : Expr {
  BinaryExpr(BinaryOp o, ExprPtr a, ExprPtr b, int l)
      : Expr(ExprKind::Binary, l), op(o), left(std::move(a)), right(std::move(b)) {}
  BinaryOp op;
  ExprPtr left, right;
};

enum class CompareOp { Eq, Ne, Lt, Le, Gt, Ge, In, NotIn };
// a < b <= c: Python's chained comparison.
struct CompareExpr : Expr {
  CompareExpr(ExprPtr f, int l) : Expr(ExprKind::Compare, l), first(std::move(f)) {}
  ExprPtr first;
  std::vector<std::pair<CompareOp, ExprPtr>> rest;
};

// then_expr if test else else_expr (else_expr may be null: the result is then undefined).
struct ConditionalExpr : Expr {
  explicit ConditionalExpr(int l) : Expr(ExprKind::Conditional, l) {}
  ExprPtr test, then_expr, else_expr;
};

// ---- statements --------------------------------------------------------------------------------

enum class StmtKind {
  Text,
  Print,
  If,
  For,
  Set,
  SetBlock,
  Macro,
  CallBlock,
  FilterBlock,
  With,
  Break,
  Continue,
  Scope
};

struct Stmt {
  Stmt(StmtKind k, int l) : kind(k), line(l) {}
  virtual ~Stmt() = default;
  StmtKind kind;
  int line;
};
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

// Where `set` and `for` store values: a name, a tuple of targets, or namespace.attr.
struct Target {
  enum class Kind { Name, Tuple, NamespaceAttr } kind = Kind::Name;
  std::string name;           // Name, or the namespace variable
  std::string attr;           // NamespaceAttr
  std::vector<Target> items;  // Tuple
};

struct TextStmt : Stmt {
  TextStmt(std::string t, int l) : Stmt(StmtKind::Text, l), text(std::move(t)) {}
  std::string text;
};

struct PrintStmt : Stmt {
  PrintStmt(ExprPtr e, int l) : Stmt(StmtKind::Print, l), expr(std::move(e)) {}
  ExprPtr expr;
};

struct IfStmt : Stmt {
  explicit IfStmt(int l) : Stmt(StmtKind::If, l) {}
  std::vector<std::pair<ExprPtr, Body>> branches;  // if, elif...
  Body else_body;
};

struct ForStmt : Stmt {
  explicit ForStmt(int l) : Stmt(StmtKind::For, l) {}
  Target target;
  ExprPtr iterable;
  ExprPtr condition;  // for x in y if condition
  bool recursive = false;
  Body body;
  Body else_body;
};

struct SetStmt : Stmt {
  explicit SetStmt(int l) : Stmt(StmtKind::Set, l) {}
  Target target;
  ExprPtr value;
};

// {% set x | filters %}body{% endset %}
struct SetBlockStmt : Stmt {
  explicit SetBlockStmt(int l) : Stmt(StmtKind::SetBlock, l) {}
  Target target;
  std::vector<std::unique_ptr<FilterExpr>> filters;  // applied in order
  Body body;
};

struct MacroStmt : Stmt {
  explicit MacroStmt(int l) : Stmt(StmtKind::Macro, l) {}
  std::string name;
  std::vector<std::string> params;
  std::vector<ExprPtr> defaults;  // defaults of the last defaults.size() params
  Body body;
  // Whether the body reads the special names; Jinja only then accepts extra arguments / a caller.
  bool uses_varargs = false, uses_kwargs = false, uses_caller = false;
};

// {% call(params) macro(args) %}body{% endcall %}: body becomes the `caller` macro.
struct CallBlockStmt : Stmt {
  explicit CallBlockStmt(int l) : Stmt(StmtKind::CallBlock, l) {}
  std::unique_ptr<CallExpr> call;
  std::unique_ptr<MacroStmt> caller;
};

struct FilterBlockStmt : Stmt {
  explicit FilterBlockStmt(int l) : Stmt(StmtKind::FilterBlock, l) {}
  std::vector<std::unique_ptr<FilterExpr>> filters;
  Body body;
};

struct WithStmt : Stmt {
  explicit WithStmt(int l) : Stmt(StmtKind::With, l) {}
  std::vector<std::pair<Target, ExprPtr>> assignments;
  Body body;
};

// A body rendered in place: transformers' {% generation %} (same scope) or a {% block %} (new scope).
struct ScopeStmt : Stmt {
  explicit ScopeStmt(int l) : Stmt(StmtKind::Scope, l) {}
  Body body;
  bool new_scope = false;
};

struct Program {
  Body body;
  std::set<std::string, std::less<>> names;  // every variable name the template reads
};

}  // namespace hearth::jinja
