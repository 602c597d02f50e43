// PrometheusText: the text exposition format (version 0.0.4) for /metrics, written by hand
// because it is small: HELP and TYPE once per family, labels escaped, histograms as cumulative
// `le` buckets in seconds with _sum and _count.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "obs/histogram.h"

namespace aiw::obs {

using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

class PrometheusText {
 public:
  void counter(std::string_view name, std::string_view help, Labels labels, uint64_t value);
  void gauge(std::string_view name, std::string_view help, Labels labels, double value);
  // Seconds; buckets from 1 ms to 5 min.
  void histogram(std::string_view name, std::string_view help, Labels labels, const Histogram& h);

  const std::string& text() const { return out_; }
  static constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  void family(std::string_view name, std::string_view help, std::string_view type);
  void sample(std::string_view name, std::string_view suffix, Labels labels,
              std::string_view extra_label, std::string_view extra_value, std::string_view value);
  std::string out_;
  std::set<std::string, std::less<>> families_;
};

}  // namespace aiw::obs
