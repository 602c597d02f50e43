#include <aiw/plugin.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "content.h"
#include "url.h"
#include "common/address_lists.h"
#include "common/retry_after.h"

namespace image_fetch {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kMaxRedirects = 3;

// One job's fetch: its options and where the redirect chain has got to.
struct Fetch {
  std::string url;
  std::vector<std::string> http_hosts;
  std::vector<std::string> allow_networks;
  std::vector<Kind> accept;
  uint64_t max_bytes = 10u << 20;
  milliseconds connect_timeout{5000};
  milliseconds timeout{20000};
  int max_redirects = kMaxRedirects;
  int redirects = 0;
  Clock::time_point start = Clock::now();
};

std::vector<std::string> strings(const aiw::JsonValue& params, const char* name) {
  std::vector<std::string> out;
  if (const aiw::JsonValue* list = aiw::find_member(params, name))
    for (const auto& v : list->GetArray()) out.emplace_back(v.GetString());
  return out;
}

std::string accepted_names(const std::vector<Kind>& accept) {
  std::vector<std::string> names;
  for (Kind k : accept) {
    switch (k) {
      case Kind::kJpeg: names.push_back("JPEG"); break;
      case Kind::kPng: names.push_back("PNG"); break;
      case Kind::kWebp: names.push_back("WebP image"); break;
      case Kind::kPdf: names.push_back("PDF"); break;
      case Kind::kUnknown: break;
    }
  }
  // "a JPEG, PNG or WebP image": the last noun carries "image" when it is one.
  std::string out = "a ";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  if (!names.empty() && names.back() != "WebP image" && names.back() != "PDF") out += " image";
  return out;
}

}  // namespace

// image.fetch: downloads one image from a URL a user gave (a meal photo, an exam scan) so that
// later stages can send it inline to YOLO or an LLM. URLs from users are hostile until proven
// otherwise, so:
// - https always; plain http only for hosts listed in `http_hosts` (an internal MinIO);
// - the address actually connected to must be public (no loopback, private, link-local,
//   multicast or cloud-metadata address) unless its network is in `allow_networks`; the host
//   checks it at connect time, so DNS cannot answer one thing to a check and another to curl;
// - at most 3 redirects, followed here, each re-checked like the first URL;
// - at most `max_bytes`, and the body must start like a JPEG, PNG or WebP (or PDF when
//   `accept` lists pdf): the Content-Type header is only used in the error sentence.
// Presigned S3/MinIO URLs work as they are: the query string is sent byte for byte.
// Options:
//   url                 string, required
//   accept              ["jpeg","png","webp","pdf"] subset, optional (jpeg, png, webp)
//   max_bytes           integer >= 1, optional (10485760)
//   http_hosts          array of host names allowed over plain http, optional ([])
//   allow_networks      array of CIDRs exempt from the address check, optional ([])
//                       (in both, an entry may list several values with commas; empty values
//                       are ignored, so ["${env.X:-}"] is "none" while X is unset)
//   connect_timeout_ms  integer >= 1, optional (5000)
//   timeout_ms          integer >= 1, optional (20000), for the whole chain of requests
//   max_redirects       integer 0..3, optional (3)
// Output {"url" (after redirects), "content_type", "bytes", "base64", "sha256"}.
// Errors: a refused address, scheme or host, a body too large or not an image, too many
// redirects and other 4xx are permanent; 5xx, 408, 429 (with Retry-After), timeouts and
// connection failures are retryable.
//
//   - id: fetch
//     uses: image.fetch
//     with:
//       url: "${input.imageUrl}"
//       max_bytes: 8388608
//       timeout_ms: 15000
//   # an exam: images or a PDF, from the internal MinIO over plain http
//   - id: fetch_exam
//     uses: image.fetch
//     with:
//       url: "${input.examUrl}"
//       accept: [jpeg, png, pdf]
//       http_hosts: [minio]
//       allow_networks: ["10.20.0.0/16"]
class ImageFetch : public aiw::Stage {
 public:
  static constexpr aiw::StageInfo kInfo{
      "image.fetch", "1.0.0",
      "Downloads an image (or PDF) from a user's URL with SSRF protection, size and type checks.",
      R"({"type":"object","properties":{"url":{"type":"string","minLength":1},)"
      R"("accept":{"type":"array","minItems":1,"items":{"enum":["jpeg","png","webp","pdf"]}},)"
      R"("max_bytes":{"type":"integer","minimum":1},)"
      R"("http_hosts":{"type":"array","items":{"type":"string"}},)"
      R"("allow_networks":{"type":"array","items":{"type":"string"}},)"
      R"("connect_timeout_ms":{"type":"integer","minimum":1},)"
      R"("timeout_ms":{"type":"integer","minimum":1},)"
      R"("max_redirects":{"type":"integer","minimum":0,"maximum":3}},)"
      R"("required":["url"],"additionalProperties":false})",
      R"({"type":"object","properties":{"url":{"type":"string"},"content_type":{"type":"string"},)"
      R"("bytes":{"type":"integer"},"base64":{"type":"string"},"sha256":{"type":"string"}},)"
      R"("required":["url","content_type","bytes","base64","sha256"]})"};

  void run(aiw::Call call, const aiw::Json& params) override {
    auto fetch = std::make_shared<Fetch>();
    fetch->url = params["url"].GetString();
    // Host names lower-cased, as parse_url gives the URL's host.
    aiw::plugin_common::AddressLists lists = aiw::plugin_common::address_lists(params);
    fetch->http_hosts = std::move(lists.http_hosts);
    fetch->allow_networks = std::move(lists.allow_networks);
    std::vector<std::string> accept = strings(params, "accept");
    if (accept.empty()) accept = {"jpeg", "png", "webp"};
    for (const std::string& a : accept)
      for (Kind k : {Kind::kJpeg, Kind::kPng, Kind::kWebp, Kind::kPdf})
        if (a == short_name(k)) fetch->accept.push_back(k);
    if (const auto* v = aiw::find_member(params, "max_bytes")) fetch->max_bytes = v->GetUint64();
    if (const auto* v = aiw::find_member(params, "connect_timeout_ms"))
      fetch->connect_timeout = milliseconds(v->GetInt64());
    if (const auto* v = aiw::find_member(params, "timeout_ms")) fetch->timeout = milliseconds(v->GetInt64());
    if (const auto* v = aiw::find_member(params, "max_redirects")) fetch->max_redirects = v->GetInt();
    request(call, std::move(fetch));
  }

 private:
  static void request(aiw::Call call, std::shared_ptr<Fetch> fetch) {
    std::optional<Url> url = parse_url(fetch->url);
    std::string shown = url_for_messages(fetch->url);
    if (!url) {
      call.fail_permanent("the image URL '" + shown + "' is not an absolute http(s) URL");
      return;
    }
    if (url->scheme == "http" && std::find(fetch->http_hosts.begin(), fetch->http_hosts.end(),
                                           url->host) == fetch->http_hosts.end()) {
      call.fail_permanent("the image URL '" + shown + "' uses plain http; only https is allowed " +
                          "(or list the host in http_hosts)");
      return;
    }
    auto left = fetch->timeout - std::chrono::duration_cast<milliseconds>(Clock::now() - fetch->start);
    aiw::HttpRequest r;
    r.url = fetch->url;
    r.timeout = std::max(left, milliseconds(1));
    r.connect_timeout = fetch->connect_timeout;
    r.max_response_bytes = fetch->max_bytes;
    r.public_addresses_only = true;
    r.allowed_networks = fetch->allow_networks;
    r.headers.emplace_back("Accept", "image/jpeg, image/png, image/webp, application/pdf;q=0.9");
    call.http(r, [fetch, base = *url](aiw::Call c, const aiw::HttpResponse& resp) {
      on_response(c, fetch, base, resp);
    });
  }

  static void on_response(aiw::Call call, const std::shared_ptr<Fetch>& fetch, const Url& base,
                          const aiw::HttpResponse& r) {
    std::string shown = url_for_messages(fetch->url);
    switch (r.outcome) {
      case AIW_HTTP_OK: break;
      case AIW_HTTP_CANCELLED: return;  // the host already ended the call
      case AIW_HTTP_BLOCKED:
        call.fail_permanent("image URL resolves to " + std::string(r.blocked_address) + ", " +
                            std::string(r.blocked_reason) + "; refusing to fetch it (" + shown + ")");
        return;
      case AIW_HTTP_TOO_LARGE:
        call.fail_permanent("image is larger than " + std::to_string(fetch->max_bytes) +
                            " bytes (" + shown + ")");
        return;
      case AIW_HTTP_TIMEOUT:
        call.fail_retryable("the image server did not answer in time: " + std::string(r.error));
        return;
      case AIW_HTTP_CONNECT:
        call.fail_retryable("could not download the image: " + std::string(r.error));
        return;
      default:
        call.fail_permanent("could not request the image: " + std::string(r.error));
        return;
    }
    if (r.status >= 300 && r.status < 400 && r.status != 304 && !r.header("location").empty()) {
      if (fetch->redirects >= fetch->max_redirects) {
        call.fail_permanent("the image URL redirected more than " +
                            std::to_string(fetch->max_redirects) + " times; giving up (" + shown + ")");
        return;
      }
      ++fetch->redirects;
      fetch->url = resolve_location(base, r.header("location"));
      request(call, fetch);
      return;
    }
    std::string answered = "the image URL answered HTTP " + std::to_string(r.status) + " (" + shown + ")";
    if (r.status == 429 || r.status == 503) {
      call.fail_retryable(answered, aiw::plugin_common::retry_after(r.header("retry-after")));
    } else if (r.status >= 500 || r.status == 408) {
      call.fail_retryable(answered);
    } else if (r.status >= 400) {
      call.fail_permanent(answered + "; check that the link is right and has not expired");
    } else if (r.status < 200 || r.status >= 300) {
      call.fail_permanent(answered + ", which is not an image");
    } else {
      complete(call, *fetch, r);
    }
  }

  static void complete(aiw::Call call, const Fetch& fetch, const aiw::HttpResponse& r) {
    Kind kind = sniff(r.body);
    if (std::find(fetch.accept.begin(), fetch.accept.end(), kind) == fetch.accept.end()) {
      std::string what = std::string(r.header("content-type"));
      what = what.substr(0, what.find(';'));
      if (kind != Kind::kUnknown) what = mime_type(kind);
      if (what.empty()) what = "data of unknown type";
      call.fail_permanent("the URL returned " + what + ", not " + accepted_names(fetch.accept) +
                          " (" + url_for_messages(fetch.url) + ")");
      return;
    }
    aiw::Json out(rapidjson::kObjectType);
    auto& a = out.GetAllocator();
    out.AddMember("url", aiw::JsonValue(fetch.url.c_str(), a), a);
    out.AddMember("content_type", aiw::JsonValue(mime_type(kind), a), a);
    out.AddMember("bytes", static_cast<uint64_t>(r.body.size()), a);
    out.AddMember("base64", aiw::JsonValue(base64(r.body).c_str(), a), a);
    out.AddMember("sha256", aiw::JsonValue(sha256_hex(r.body).c_str(), a), a);
    call.complete(out);
  }
};
AIW_REGISTER_STAGE(ImageFetch);

}  // namespace image_fetch
