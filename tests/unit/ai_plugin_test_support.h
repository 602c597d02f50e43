// Helpers for the tests of the AI plugins (image_fetch, yolo, llm, webhook): one stage run
// through the real engine, host HTTP client and plugin .so, against a fakes::HttpServer.
#pragma once

#include <aiw/json.h>

#include <ctime>
#include <string>

#include "engine_test_support.h"

namespace aiw::testing {

// Runs a one-stage pipeline: `uses: type`, `with:` the given JSON (JSON is YAML flow).
inline engine::JobResult run_stage(const std::string& type, const std::string& with_json,
                                   const std::string& timeout = "30s") {
  std::string yaml = "name: t\nversion: \"1\"\nstages:\n  - id: s\n    uses: " + type +
                     "\n    timeout: " + timeout + "\n    with: " + with_json + "\n";
  // The result's stage ids point into the engine's spec: the engine must outlive the result,
  // so the last one is kept until the next call.
  static std::unique_ptr<engine::Engine> last;
  last = make_engine(yaml);
  if (!last) return {};
  return run_job(*last);
}

// An HTTP date (IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT") `seconds` from now (negative:
// in the past), as a Retry-After header may carry it.
inline std::string http_date_in(long seconds) {
  const std::time_t at = std::time(nullptr) + seconds;
  std::tm utc{};
  gmtime_r(&at, &utc);
  char text[64];
  std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &utc);
  return text;
}

inline Json parse_output(const engine::JobResult& r) {
  Json doc;
  EXPECT_TRUE(parse_json(r.result_json, doc)) << r.result_json;
  return doc;
}

inline Json parse_body(const std::string& text) {
  Json doc;
  EXPECT_TRUE(parse_json(text, doc)) << text;
  return doc;
}

// Quotes text as a JSON string (for building `with` blocks).
inline std::string json_quoted(const std::string& text) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.String(text.c_str(), static_cast<rapidjson::SizeType>(text.size()));
  return buffer.GetString();
}

}  // namespace aiw::testing
