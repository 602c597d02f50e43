#include <aiw/plugin.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/retry_after.h"

namespace webhook {
namespace {

using std::chrono::milliseconds;

constexpr int64_t kMaxBackoffMs = 60000;

std::string hmac_sha256_hex(const std::string& key, const std::string& message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

std::string without_query(const std::string& url) { return url.substr(0, url.find_first_of("?#")); }

// One job's delivery, across its attempts.
struct Delivery {
  std::string url;
  std::string body;
  std::string secret;
  std::vector<std::pair<std::string, std::string>> headers;
  milliseconds timeout{10000};
  int max_attempts = 4;
  int64_t backoff_ms = 500;
  int attempt = 0;
};

}  // namespace

// webhook.notify: POSTs a JSON body to a URL, signed so the receiver can tell it came from
// us and was not replayed: `X-Aiw-Timestamp: <unix seconds>` and
// `X-Aiw-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`, plus
// `X-Aiw-Delivery: <job id>` to de-duplicate retries. Receivers should recompute the HMAC
// over the raw body, compare in constant time and reject old timestamps (e.g. > 5 min).
// 5xx, 408, 429 and connection failures are retried inside the stage up to `max_attempts`
// times, waiting backoff_ms, 2x, 4x... (or the answer's Retry-After, in seconds or as an HTTP
// date, when longer) on the host timer, never a sleeping thread; each attempt is signed
// afresh. Other 4xx are permanent. Delivery is at least once: a receiver that applied a
// request but whose answer was lost gets it again, so it de-duplicates on X-Aiw-Delivery.
// Options:
//   url           string, required
//   body          any JSON, required: sent as it is, compact
//   secret        string, required (e.g. ${env.WEBHOOK_SECRET})
//   headers       object of strings, optional
//   max_attempts  integer 1..10, optional (4)
//   backoff_ms    integer >= 1, optional (500)
//   timeout_ms    integer >= 1, optional (10000), per attempt
// Output {"status", "attempts"}.
//
//   - id: notify
//     uses: webhook.notify
//     needs: [describe]
//     with:
//       url: "${env.NOTIFY_URL}"
//       secret: "${env.WEBHOOK_SECRET}"
//       body: { job: "${job.id}", text: "${stages.describe.output.text}" }
//       max_attempts: 5
class Notify : public aiw::Stage {
 public:
  static constexpr aiw::StageInfo kInfo{
      "webhook.notify", "1.0.0",
      "POSTs a JSON body signed with HMAC-SHA256, retrying 5xx and connection errors.",
      R"({"type":"object","properties":{"url":{"type":"string","minLength":1},"body":{},)"
      R"("secret":{"type":"string"},)"
      R"("headers":{"type":"object","additionalProperties":{"type":"string"}},)"
      R"("max_attempts":{"type":"integer","minimum":1,"maximum":10},)"
      R"("backoff_ms":{"type":"integer","minimum":1},"timeout_ms":{"type":"integer","minimum":1}},)"
      R"("required":["url","body","secret"],"additionalProperties":false})",
      R"({"type":"object","properties":{"status":{"type":"integer"},"attempts":{"type":"integer"}},)"
      R"("required":["status","attempts"]})"};

  void run(aiw::Call call, const aiw::Json& params) override {
    auto d = std::make_shared<Delivery>();
    d->url = params["url"].GetString();
    d->body = aiw::to_string(params["body"]);
    d->secret = params["secret"].GetString();
    if (d->secret.empty()) {
      call.fail_permanent("webhook.notify has an empty secret (set WEBHOOK_SECRET); refusing to "
                          "send an unsigned notification");
      return;
    }
    if (const auto* h = aiw::find_member(params, "headers"))
      for (const auto& m : h->GetObject()) d->headers.emplace_back(m.name.GetString(), m.value.GetString());
    if (const auto* v = aiw::find_member(params, "max_attempts")) d->max_attempts = v->GetInt();
    if (const auto* v = aiw::find_member(params, "backoff_ms")) d->backoff_ms = v->GetInt64();
    if (const auto* v = aiw::find_member(params, "timeout_ms")) d->timeout = milliseconds(v->GetInt64());
    send(call, std::move(d));
  }

 private:
  static void send(aiw::Call call, std::shared_ptr<Delivery> d) {
    ++d->attempt;
    std::string timestamp = std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(
            std::chrono::system_clock::now().time_since_epoch()).count());
    aiw::HttpRequest r;
    r.method = "POST";
    r.url = d->url;
    r.timeout = d->timeout;
    r.body = d->body;
    r.headers = d->headers;
    r.headers.emplace_back("Content-Type", "application/json");
    r.headers.emplace_back("X-Aiw-Timestamp", timestamp);
    r.headers.emplace_back("X-Aiw-Signature", "sha256=" + hmac_sha256_hex(d->secret, timestamp + "." + d->body));
    r.headers.emplace_back("X-Aiw-Delivery", std::string(call.job_id()));
    call.http(r, [d](aiw::Call c, const aiw::HttpResponse& resp) { on_response(c, d, resp); });
  }

  static void on_response(aiw::Call call, const std::shared_ptr<Delivery>& d, const aiw::HttpResponse& r) {
    if (r.outcome == AIW_HTTP_CANCELLED) return;  // the host already ended the call
    std::string where = " (" + without_query(d->url) + ")";
    std::string problem;
    int64_t wait_at_least = -1;
    if (r.outcome == AIW_HTTP_TIMEOUT || r.outcome == AIW_HTTP_CONNECT) {
      problem = std::string(r.error);
    } else if (r.outcome != AIW_HTTP_OK) {
      call.fail_permanent("the webhook could not be sent: " + std::string(r.error));
      return;
    } else if (r.status >= 200 && r.status < 300) {
      aiw::Json out(rapidjson::kObjectType);
      out.AddMember("status", r.status, out.GetAllocator());
      out.AddMember("attempts", d->attempt, out.GetAllocator());
      call.complete(out);
      return;
    } else if (r.status >= 500 || r.status == 408 || r.status == 429) {
      problem = "the receiver answered HTTP " + std::to_string(r.status) + where;
      wait_at_least = aiw::plugin_common::retry_after(r.header("retry-after")).count();
    } else {
      call.fail_permanent("the receiver refused the webhook with HTTP " + std::to_string(r.status) +
                          where + "; check its URL and secret");
      return;
    }
    if (d->attempt >= d->max_attempts) {
      call.fail_retryable("the webhook failed " + std::to_string(d->attempt) +
                              " times; the last: " + problem,
                          milliseconds(wait_at_least));
      return;
    }
    int64_t backoff = std::min(kMaxBackoffMs, d->backoff_ms << std::min(d->attempt - 1, 20));
    if (std::max(backoff, wait_at_least) >= call.remaining().count()) {
      // Waiting would outlive the stage's timeout: hand the wait to the queue instead.
      call.fail_retryable("the webhook failed " + std::to_string(d->attempt) +
                              " times and the next try would come after the stage's timeout; "
                              "the last: " + problem,
                          milliseconds(wait_at_least));
      return;
    }
    call.after(milliseconds(std::max(backoff, wait_at_least)), [d](aiw::Call c, bool cancelled) {
      if (!cancelled) send(c, d);
    });
  }
};
AIW_REGISTER_STAGE(Notify);

}  // namespace webhook
