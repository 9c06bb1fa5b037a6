// PrometheusText: builds a page in the Prometheus text exposition format (version 0.0.4):
// one "# HELP" and "# TYPE" pair per metric family, then its samples; label values are
// escaped; latency histograms are written in seconds with cumulative buckets.
//
// Thread-safety: none; one page per object, built by one thread.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "util/latency_histogram.h"

namespace keepdb::ops {

class PrometheusText {
 public:
  using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

  // Starts a family: `type` is "counter", "gauge" or "histogram". Counter names end in
  // "_total" (the format's convention).
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, Labels labels, std::uint64_t value);
  void sample(std::string_view name, std::uint64_t value) { sample(name, {}, value); }
  // The _bucket, _sum and _count samples of family `name`.
  void histogram(std::string_view name, Labels labels,
                 const util::LatencyHistogram::Snapshot& snapshot);

  const std::string& text() const { return text_; }

 private:
  // `name{labels,extra}` (extra: one more label, or empty) followed by a space.
  void series(std::string_view name, Labels labels,
              std::pair<std::string_view, std::string_view> extra = {});

  std::string text_;
};

}  // namespace keepdb::ops
