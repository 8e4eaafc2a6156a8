#include "server/metrics_registry.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cmath>

namespace hearth::server {

namespace {

void atomic_add(std::atomic<double>& target, double amount) {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + amount, std::memory_order_relaxed)) {
  }
}

std::string render_labels(const Labels& labels, const std::string& extra_name = {}, const std::string& extra = {}) {
  if (labels.empty() && extra_name.empty()) return {};
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    out += (first ? "" : ",") + k + "=\"" + escape_label_value(v) + "\"";
    first = false;
  }
  if (!extra_name.empty()) out += (first ? "" : ",") + extra_name + "=\"" + extra + "\"";
  return out + "}";
}

std::string escape_help(const std::string& help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

void Counter::add(double amount) {
  assert(amount >= 0);
  atomic_add(value_, amount);
}

void Gauge::add(double amount) { atomic_add(value_, amount); }

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), buckets_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
  assert(std::is_sorted(bounds_.begin(), bounds_.end()));
  for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::observe(double v) {
  // The first bucket whose upper bound is >= v ("le" is inclusive).
  std::size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  atomic_add(sum_, v);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<std::uint64_t> Histogram::cumulative_counts() const {
  std::vector<std::uint64_t> out(bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    out[i] = running;
  }
  return out;
}

MetricsRegistry::Family& MetricsRegistry::family(const std::string& name, const std::string& help, Type type,
                                                 const std::vector<double>& buckets) {
  for (auto& f : families_) {
    if (f->name == name) {
      assert(f->type == type);
      return *f;
    }
  }
  families_.push_back(std::make_unique<Family>(Family{name, help, type, buckets, {}, {}, {}}));
  return *families_.back();
}

Counter& MetricsRegistry::counter(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, help, Type::kCounter, {}).counters[labels];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& MetricsRegistry::gauge(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, help, Type::kGauge, {}).gauges[labels];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& MetricsRegistry::histogram(const std::string& name, const std::string& help,
                                      const std::vector<double>& buckets, const Labels& labels) {
  std::lock_guard lock(mutex_);
  Family& f = family(name, help, Type::kHistogram, buckets);
  auto& slot = f.histograms[labels];
  if (!slot) slot = std::make_unique<Histogram>(f.buckets);
  return *slot;
}

void MetricsRegistry::declare(const std::string& name, const std::string& help, const std::string& type) {
  std::lock_guard lock(mutex_);
  Type t = type == "counter" ? Type::kCounter : type == "gauge" ? Type::kGauge : Type::kHistogram;
  family(name, help, t, t == Type::kHistogram ? latency_buckets_request() : std::vector<double>{});
}

std::string MetricsRegistry::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& f : families_) {
    const char* type = f->type == Type::kCounter ? "counter" : f->type == Type::kGauge ? "gauge" : "histogram";
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", f->name, escape_help(f->help), f->name, type);
    for (const auto& [labels, c] : f->counters) {
      out += f->name + render_labels(labels) + " " + format_metric_value(c->value()) + "\n";
    }
    for (const auto& [labels, g] : f->gauges) {
      out += f->name + render_labels(labels) + " " + format_metric_value(g->value()) + "\n";
    }
    for (const auto& [labels, h] : f->histograms) {
      // Read count first: buckets and sum may run ahead of it, never behind, so _count <= +Inf bucket.
      const std::uint64_t count = h->count();
      const auto counts = h->cumulative_counts();
      const auto& bounds = h->upper_bounds();
      for (std::size_t i = 0; i < bounds.size(); ++i) {
        out += f->name + "_bucket" + render_labels(labels, "le", format_metric_value(bounds[i])) + " " +
               std::to_string(counts[i]) + "\n";
      }
      out += f->name + "_bucket" + render_labels(labels, "le", "+Inf") + " " + std::to_string(counts.back()) + "\n";
      out += f->name + "_sum" + render_labels(labels) + " " + format_metric_value(h->sum()) + "\n";
      out += f->name + "_count" + render_labels(labels) + " " + std::to_string(std::max(count, counts.back())) + "\n";
    }
  }
  return out;
}

std::string format_metric_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

std::string escape_label_value(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<double> latency_buckets_ttft() {
  return {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0};
}

std::vector<double> latency_buckets_inter_token() {
  return {0.001, 0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075,
          0.1,   0.15,  0.2,  0.3,   0.4,  0.5,   0.75, 1.0,  2.5};
}

std::vector<double> latency_buckets_request() {
  return {0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0};
}

}  // namespace hearth::server
