#include "eval/sample_stats.h"

#include <algorithm>
#include <cmath>

namespace hearth::eval {

SampleStats summarize(std::span<const double> samples) {
  SampleStats s;
  if (samples.empty()) return s;
  s.n = static_cast<int>(samples.size());
  double sum = 0;
  for (double x : samples) sum += x;
  s.mean = sum / s.n;
  if (s.n > 1) {
    double sq = 0;
    for (double x : samples) sq += (x - s.mean) * (x - s.mean);
    s.stddev = std::sqrt(sq / (s.n - 1));
  }
  auto [lo, hi] = std::minmax_element(samples.begin(), samples.end());
  s.min = *lo;
  s.max = *hi;
  return s;
}

}  // namespace hearth::eval
