#pragma once
// A small Prometheus metrics registry: counters, gauges and histograms with labels, rendered in the text
// exposition format (version 0.0.4). Thread safety: every method may be called from any thread; updates of
// an existing series are lock-free.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace hearth::server {

using Labels = std::vector<std::pair<std::string, std::string>>;  // name -> value, in output order

class Counter {
 public:
  void add(double amount = 1);  // REQUIRES: amount >= 0
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double amount);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);  // REQUIRES: strictly increasing, no +Inf
  void observe(double v);
  const std::vector<double>& upper_bounds() const { return bounds_; }
  // Cumulative counts per bound, then +Inf; with the sum.
  std::vector<std::uint64_t> cumulative_counts() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // bounds_.size() + 1 (the last is +Inf)
  std::atomic<double> sum_{0};
  std::atomic<std::uint64_t> count_{0};
};

class MetricsRegistry {
 public:
  // Returns the series of family `name` with `labels`, creating family and series on first use. A family's
  // type, help and buckets are fixed by its first use. References stay valid for the registry's lifetime.
  Counter& counter(const std::string& name, const std::string& help, const Labels& labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, const Labels& labels = {});
  Histogram& histogram(const std::string& name, const std::string& help, const std::vector<double>& buckets,
                       const Labels& labels = {});

  // Declares a family with no series yet, so that it appears (HELP/TYPE) before its first sample.
  void declare(const std::string& name, const std::string& help, const std::string& type);

  // The text exposition format; families in the order they were first used.
  std::string render() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Family {
    std::string name;
    std::string help;
    Type type;
    std::vector<double> buckets;
    std::map<Labels, std::unique_ptr<Counter>> counters;
    std::map<Labels, std::unique_ptr<Gauge>> gauges;
    std::map<Labels, std::unique_ptr<Histogram>> histograms;
  };
  Family& family(const std::string& name, const std::string& help, Type type, const std::vector<double>& buckets);

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Family>> families_;
};

// Prometheus' formatting of a sample value: "+Inf", "-Inf", "NaN", else the shortest exact decimal.
std::string format_metric_value(double v);
// Escapes a label value: backslash, double quote and newline.
std::string escape_label_value(const std::string& v);

// Bucket layouts for latencies (seconds).
std::vector<double> latency_buckets_ttft();
std::vector<double> latency_buckets_inter_token();
std::vector<double> latency_buckets_request();

}  // namespace hearth::server
