// The Prometheus text exposition format (see prometheus_text.h).
#include "kernel/operator/prometheus_text.h"

#include <cstdio>

namespace keepdb::ops {
namespace {

// Label values escape backslash, double quote and line feed.
void append_escaped(std::string& out, std::string_view value) {
  for (char c : value) {
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
}

std::string seconds_text(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", seconds);
  return text;
}

}  // namespace

void PrometheusText::family(std::string_view name, std::string_view type, std::string_view help) {
  text_.append("# HELP ").append(name).append(" ").append(help).append("\n");
  text_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void PrometheusText::series(std::string_view name, Labels labels,
                            std::pair<std::string_view, std::string_view> extra) {
  text_.append(name);
  if (labels.size() != 0 || !extra.first.empty()) {
    text_ += '{';
    bool first = true;
    const auto add = [&](std::pair<std::string_view, std::string_view> label) {
      if (!first) text_ += ',';
      first = false;
      text_.append(label.first).append("=\"");
      append_escaped(text_, label.second);
      text_ += '"';
    };
    for (const auto& label : labels) add(label);
    if (!extra.first.empty()) add(extra);
    text_ += '}';
  }
  text_ += ' ';
}

void PrometheusText::sample(std::string_view name, Labels labels, std::uint64_t value) {
  series(name, labels);
  text_.append(std::to_string(value)).append("\n");
}

void PrometheusText::histogram(std::string_view name, Labels labels,
                               const util::LatencyHistogram::Snapshot& snapshot) {
  const std::string bucket = std::string(name) + "_bucket";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < snapshot.buckets.size(); ++i) {
    cumulative += snapshot.buckets[i];
    const bool last = i == util::LatencyHistogram::kBoundsUs.size();
    const std::string le =
        last ? "+Inf" : seconds_text(static_cast<double>(util::LatencyHistogram::kBoundsUs[i]) / 1e6);
    series(bucket, labels, {"le", le});
    text_.append(std::to_string(cumulative)).append("\n");
  }
  series(std::string(name) + "_sum", labels);
  text_.append(seconds_text(static_cast<double>(snapshot.sum_us) / 1e6)).append("\n");
  // The count is the buckets' total, so the +Inf bucket and _count always agree.
  series(std::string(name) + "_count", labels);
  text_.append(std::to_string(cumulative)).append("\n");
}

}  // namespace keepdb::ops
