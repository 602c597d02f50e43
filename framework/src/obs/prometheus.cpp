#include "obs/prometheus.h"

#include <cstdio>

namespace aiw::obs {
namespace {

void append_escaped(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

constexpr double kBucketsSeconds[] = {0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                      1,     2,     5,     10,   15,    30,   60,  120, 300};

}  // namespace

void PrometheusText::family(std::string_view name, std::string_view help, std::string_view type) {
  if (families_.find(name) != families_.end()) return;
  families_.emplace(name);
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  out_ += help;
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void PrometheusText::sample(std::string_view name, std::string_view suffix, Labels labels,
                            std::string_view extra_label, std::string_view extra_value,
                            std::string_view value) {
  out_ += name;
  out_ += suffix;
  bool any = labels.size() > 0 || !extra_label.empty();
  if (any) {
    out_ += '{';
    bool first = true;
    auto add = [&](std::string_view k, std::string_view v) {
      if (!first) out_ += ',';
      first = false;
      out_ += k;
      out_ += "=\"";
      append_escaped(out_, v);
      out_ += '"';
    };
    for (const auto& [k, v] : labels) add(k, v);
    if (!extra_label.empty()) add(extra_label, extra_value);
    out_ += '}';
  }
  out_ += ' ';
  out_ += value;
  out_ += '\n';
}

void PrometheusText::counter(std::string_view name, std::string_view help, Labels labels,
                             uint64_t value) {
  family(name, help, "counter");
  sample(name, "", labels, "", "", std::to_string(value));
}

void PrometheusText::gauge(std::string_view name, std::string_view help, Labels labels,
                           double value) {
  family(name, help, "gauge");
  sample(name, "", labels, "", "", number(value));
}

void PrometheusText::histogram(std::string_view name, std::string_view help, Labels labels,
                               const Histogram& h) {
  family(name, help, "histogram");
  for (double le : kBucketsSeconds) {
    uint64_t n = h.count_at_most(static_cast<int64_t>(le * 1e9));
    sample(name, "_bucket", labels, "le", number(le), std::to_string(n));
  }
  uint64_t count = h.count();
  sample(name, "_bucket", labels, "le", "+Inf", std::to_string(count));
  sample(name, "_sum", labels, "", "", number(static_cast<double>(h.sum_ns()) / 1e9));
  sample(name, "_count", labels, "", "", std::to_string(count));
}

}  // namespace aiw::obs
