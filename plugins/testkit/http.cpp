#include <aiw/plugin.h>

#include <charconv>
#include <chrono>
#include <string>

namespace testkit {

// testkit.http: one HTTP exchange through the host's async client (no thread waits), the
// reference for how an I/O stage maps HTTP outcomes onto aiw's error kinds. Options:
//   url         string, required
//   method      "GET" | "POST", optional (GET)
//   body        any JSON, optional        sent as JSON (Content-Type: application/json)
//   headers     object of strings, optional
//   timeout_ms  integer >= 0, optional    0: bounded by the stage timeout only
// Output {"status": n, "body": <parsed JSON, or the text when it is not JSON>}.
// 5xx and 429 (honouring Retry-After seconds) and transport failures are retryable;
// other 4xx are permanent.
//
//   - id: classify
//     uses: testkit.http
//     with:
//       url: "${env.CLASSIFIER_URL}/v1/classify"
//       method: POST
//       body: { image: "${input.imageUrl}" }
//       timeout_ms: 5000
class Http : public aiw::Stage {
 public:
  static constexpr aiw::StageInfo kInfo{
      "testkit.http", "1.0.0", "Makes one HTTP request and outputs its status and body.",
      R"({"type":"object","properties":{"url":{"type":"string","minLength":1},)"
      R"("method":{"enum":["GET","POST"]},"body":{},)"
      R"("headers":{"type":"object","additionalProperties":{"type":"string"}},)"
      R"("timeout_ms":{"type":"integer","minimum":0}},)"
      R"("required":["url"],"additionalProperties":false})",
      R"({"type":"object","properties":{"status":{"type":"integer"},"body":{}},)"
      R"("required":["status","body"]})"};

  void run(aiw::Call call, const aiw::Json& params) override {
    aiw::HttpRequest request;
    request.url = params["url"].GetString();
    if (const aiw::JsonValue* m = aiw::find_member(params, "method"))
      request.method = m->GetString();
    bool has_content_type = false;
    if (const aiw::JsonValue* headers = aiw::find_member(params, "headers")) {
      for (const auto& h : headers->GetObject()) {
        std::string name = h.name.GetString();
        has_content_type |= lower(name) == "content-type";
        request.headers.emplace_back(std::move(name), h.value.GetString());
      }
    }
    if (const aiw::JsonValue* body = aiw::find_member(params, "body")) {
      request.body = aiw::to_string(*body);
      if (!has_content_type) request.headers.emplace_back("Content-Type", "application/json");
    }
    if (const aiw::JsonValue* t = aiw::find_member(params, "timeout_ms"))
      request.timeout = std::chrono::milliseconds(t->GetInt64());
    call.http(request, &Http::on_response);
  }

 private:
  static void on_response(aiw::Call call, const aiw::HttpResponse& r) {
    switch (r.outcome) {
      case AIW_HTTP_OK:
        break;
      case AIW_HTTP_CANCELLED:
        return;  // the host has already ended the call
      case AIW_HTTP_TIMEOUT:
      case AIW_HTTP_CONNECT:
        call.fail_retryable("testkit.http: " + std::string(r.error));
        return;
      default:  // too large, bad request: the same request would fail the same way
        call.fail_permanent("testkit.http: " + std::string(r.error));
        return;
    }
    std::string answered = "testkit.http: the server answered HTTP " + std::to_string(r.status);
    if (r.status == 429) {
      call.fail_retryable(answered, retry_after(r.header("retry-after")));
    } else if (r.status >= 500) {
      call.fail_retryable(answered);
    } else if (r.status >= 400) {
      call.fail_permanent(answered);
    } else {
      call.complete(output(r.status, r.body));
    }
  }

  static aiw::Json output(int status, std::string_view body) {
    aiw::Json out(rapidjson::kObjectType);
    auto& alloc = out.GetAllocator();
    out.AddMember("status", status, alloc);
    aiw::Json parsed;
    if (!body.empty() && aiw::parse_json(body, parsed)) {
      out.AddMember("body", aiw::JsonValue(parsed, alloc), alloc);
    } else {
      out.AddMember(
          "body", aiw::JsonValue(body.data(), static_cast<rapidjson::SizeType>(body.size()), alloc),
          alloc);
    }
    return out;
  }

  // Retry-After in delta-seconds; the HTTP-date form is rare from APIs and falls back to the
  // queue's own backoff (-1).
  static std::chrono::milliseconds retry_after(std::string_view value) {
    int64_t seconds = -1;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec != std::errc() || end != value.data() + value.size() || seconds < 0)
      return std::chrono::milliseconds(-1);
    return std::chrono::seconds(seconds);
  }

  static std::string lower(std::string s) {
    for (char& c : s)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
  }
};
AIW_REGISTER_STAGE(Http);

}  // namespace testkit
