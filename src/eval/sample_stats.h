#pragma once
// Summary statistics of repeated measurements (bench repetitions).
#include <span>

namespace hearth::eval {

struct SampleStats {
  double mean = 0;
  double stddev = 0;  // sample standard deviation (n - 1); 0 for fewer than two samples
  double min = 0;
  double max = 0;
  int n = 0;
};

// All zero for an empty span.
SampleStats summarize(std::span<const double> samples);

}  // namespace hearth::eval
