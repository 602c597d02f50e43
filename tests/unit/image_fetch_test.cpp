// image.fetch against a local server: what it fetches, and every way it refuses (SSRF
// addresses, plain http, redirects, size, type), with the error kinds the queue acts on.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <ctime>

#include "ai_plugin_test_support.h"
#include "fakes/http_server.h"
#include "fakes/sim/simulator.h"

namespace aiw::testing {
namespace {

using ::testing::HasSubstr;
using Status = engine::JobResult::Status;

const std::string kPng = std::string("\x89PNG\r\n\x1A\n\x00\x00\x00\x0DIHDRpixels", 22);

std::string sha256_hex(const std::string& bytes) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), d);
  char out[2 * SHA256_DIGEST_LENGTH + 1];
  for (int i = 0; i < SHA256_DIGEST_LENGTH; ++i) std::snprintf(out + 2 * i, 3, "%02x", d[i]);
  return out;
}

// Options that let the fetch reach the test server: plain http to 127.0.0.1, loopback allowed.
std::string loopback_with(const std::string& url, const std::string& extra = "") {
  return "{url: " + json_quoted(url) + R"(, http_hosts: ["127.0.0.1"], allow_networks: ["127.0.0.0/8"])" +
         extra + "}";
}

void serve(fakes::HttpServer& server, const std::string& path, const std::string& body,
           const std::string& type, int status = 200) {
  server.route("GET", path, [=](const fakes::Request&, fakes::Response& res) {
    res.status = status;
    res.body = body;
    res.headers.emplace_back("Content-Type", type);
  });
}

TEST(ImageFetch, FetchesPngAndOutputsBase64Sha256AndDetectedType) {
  fakes::HttpServer server;
  serve(server, "/meal.png", kPng, "application/octet-stream");  // the header is not trusted
  auto r = run_stage("image.fetch", loopback_with(server.url("/meal.png")));
  ASSERT_EQ(r.status, Status::kCompleted) << r.error;
  Json out = parse_output(r);
  EXPECT_STREQ(out["content_type"].GetString(), "image/png");
  EXPECT_EQ(out["bytes"].GetUint64(), kPng.size());
  EXPECT_STREQ(out["base64"].GetString(), "iVBORw0KGgoAAAANSUhEUnBpeGVscw==");
  EXPECT_EQ(out["sha256"].GetString(), sha256_hex(kPng));
  EXPECT_EQ(out["url"].GetString(), server.url("/meal.png"));
}

TEST(ImageFetch, PrivateAddressIsRefusedPermanentlyBeforeConnecting) {
  auto r = run_stage("image.fetch", R"({url: "https://10.0.0.1/photo.jpg"})");
  ASSERT_EQ(r.status, Status::kFailed);
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kPermanent);
  EXPECT_THAT(r.error, HasSubstr("image URL resolves to 10.0.0.1, a private address; refusing to fetch it"));
}

TEST(ImageFetch, CloudMetadataAddressIsRefused) {
  auto r = run_stage("image.fetch", R"({url: "https://169.254.169.254/latest/meta-data/"})");
  ASSERT_EQ(r.status, Status::kFailed);
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kPermanent);
  EXPECT_THAT(r.error, HasSubstr("169.254.169.254, the cloud metadata address; refusing"));
}

TEST(ImageFetch, HostNameResolvingToLoopbackIsRefusedUnlessAllowListed) {
  fakes::HttpServer server;
  serve(server, "/meal.png", kPng, "image/png");
  std::string url = "http://localhost:" + std::to_string(server.port()) + "/meal.png";
  auto r = run_stage("image.fetch", "{url: " + json_quoted(url) + R"(, http_hosts: [localhost]})");
  ASSERT_EQ(r.status, Status::kFailed);
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kPermanent);
  EXPECT_THAT(r.error, HasSubstr("a loopback address; refusing to fetch it"));
  EXPECT_EQ(server.requests_received(), 0u);

  auto allowed = run_stage("image.fetch", "{url: " + json_quoted(url) +
                                              R"(, http_hosts: [localhost], allow_networks: ["127.0.0.0/8", "::1"]})");
  EXPECT_EQ(allowed.status, Status::kCompleted) << allowed.error;
}

TEST(ImageFetch, RedirectToLoopbackIsRefusedWhenOnlyTheFirstHostIsAllowed) {
  fakes::HttpServer server;
  std::string target = "http://127.0.0.2:" + std::to_string(server.port()) + "/meal.png";
  server.route("GET", "/go", [&](const fakes::Request&, fakes::Response& res) {
    res.status = 302;
    res.headers.emplace_back("Location", target);
  });
  auto r = run_stage("image.fetch", "{url: " + json_quoted(server.url("/go")) +
                                        R"(, http_hosts: ["127.0.0.1", "127.0.0.2"], allow_networks: ["127.0.0.1/32"]})");
  ASSERT_EQ(r.status, Status::kFailed);
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kPermanent);
  EXPECT_THAT(r.error, HasSubstr("image URL resolves to 127.0.0.2, a loopback address; refusing"));
}

TEST(ImageFetch, RedirectToPlainHttpOfAnUnlistedHostIsRefused) {
  fakes::HttpServer server;
  server.route("GET", "/go", [](const fakes::Request&, fakes::Response& res) {
    res.status = 301;
    res.headers.emplace_back("Location", "http://example.invalid/x.png");
  });
  auto r = run_stage("image.fetch", loopback_with(server.url("/go")));
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kPermanent);
  EXPECT_THAT(r.error, HasSubstr("uses plain http; only https is allowed"));
}

TEST(ImageFetch, PlainHttpIsRefusedForHostsNotListed) {
  fakes::HttpServer server;
  serve(server, "/meal.png", kPng, "image/png");
  auto r = run_stage("image.fetch", "{url: " + json_quoted(server.url("/meal.png")) +
                                        R"(, allow_networks: ["127.0.0.0/8"]})");
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kPermanent);
  EXPECT_THAT(r.error, HasSubstr("plain http"));
  EXPECT_EQ(server.requests_received(), 0u);
}

TEST(ImageFetch, HttpHostsMatchWhateverTheCaseOfTheConfiguredName) {
  fakes::HttpServer server;
  serve(server, "/meal.png", kPng, "image/png");
  std::string url = "http://LocalHost:" + std::to_string(server.port()) + "/meal.png";
  auto r = run_stage("image.fetch", "{url: " + json_quoted(url) +
                                        R"(, http_hosts: [LOCALhost], allow_networks: ["127.0.0.0/8", "::1"]})");
  EXPECT_EQ(r.status, Status::kCompleted) << r.error;
}

TEST(ImageFetch, FollowsThreeRedirectsAndKeepsPresignedQueryIntact) {
  fakes::HttpServer server;
  const std::string query = "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2F20250101%2Fus&X-Amz-Signature=ab%2Bcd";
  std::string seen_target;
  server.route("GET", "/r1", [](const fakes::Request&, fakes::Response& res) {
    res.status = 302;
    res.headers.emplace_back("Location", "/r2");
  });
  server.route("GET", "/r2", [](const fakes::Request&, fakes::Response& res) {
    res.status = 307;
    res.headers.emplace_back("Location", "r3");  // relative to /r2's folder
  });
  server.route("GET", "/r3", [&](const fakes::Request&, fakes::Response& res) {
    res.status = 301;
    res.headers.emplace_back("Location", server.url("/bucket/meal.png") + query);
  });
  server.route("GET", "/bucket/meal.png", [&](const fakes::Request& req, fakes::Response& res) {
    seen_target = req.target;
    res.body = kPng;
  });
  auto r = run_stage("image.fetch", loopback_with(server.url("/r1")));
  ASSERT_EQ(r.status, Status::kCompleted) << r.error;
  EXPECT_EQ(seen_target, "/bucket/meal.png" + query);
  EXPECT_EQ(parse_output(r)["url"].GetString(), server.url("/bucket/meal.png") + query);
}

TEST(ImageFetch, RelativeRedirectWhoseQueryHoldsAUrlStaysOnTheSameServer) {
  fakes::HttpServer server;
  std::string seen_target;
  server.route("GET", "/go", [](const fakes::Request&, fakes::Response& res) {
    res.status = 302;
    res.headers.emplace_back("Location", "/login?next=https://x/a.png");
  });
  server.route("GET", "/login", [&](const fakes::Request& req, fakes::Response& res) {
    seen_target = req.target;
    res.body = kPng;
  });
  auto r = run_stage("image.fetch", loopback_with(server.url("/go")));
  ASSERT_EQ(r.status, Status::kCompleted) << r.error;
  EXPECT_EQ(seen_target, "/login?next=https://x/a.png");
}

TEST(ImageFetch, ProtocolRelativeQueryOnlyAndFragmentOnlyRedirectsResolveAgainstTheCurrentUrl) {
  fakes::HttpServer server;
  std::string authority = "127.0.0.1:" + std::to_string(server.port());
  std::vector<std::string> targets;
  server.route("GET", "/a/start", [&](const fakes::Request&, fakes::Response& res) {
    res.status = 302;
    res.headers.emplace_back("Location", "//" + authority + "/b/page?x=1");
  });
  server.route("GET", "/b/page", [&](const fakes::Request& req, fakes::Response& res) {
    targets.push_back(req.target);
    res.status = 302;
    if (targets.size() == 1) {
      res.headers.emplace_back("Location", "?x=2");  // same path, new query
    } else if (targets.size() == 2) {
      res.headers.emplace_back("Location", "#top");  // same path and query
    } else {
      res.status = 200;
      res.body = kPng;
    }
  });
  auto r = run_stage("image.fetch", loopback_with(server.url("/a/start")));
  ASSERT_EQ(r.status, Status::kCompleted) << r.error;
  EXPECT_EQ(targets, (std::vector<std::string>{"/b/page?x=1", "/b/page?x=2", "/b/page?x=2"}));
  EXPECT_EQ(parse_output(r)["url"].GetString(), "http://" + authority + "/b/page?x=2#top");
}

TEST(ImageFetch, FourthRedirectIsRefusedPermanently) {
  fakes::HttpServer server;
  std::atomic<int> hops{0};
  server.route("GET", "/loop", [&](const fakes::Request&, fakes::Response& res) {
    ++hops;
    res.status = 302;
    res.headers.emplace_back("Location", "/loop");
  });
  auto r = run_stage("image.fetch", loopback_with(server.url("/loop")));
  ASSERT_EQ(r.status, Status::kFailed);
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kPermanent);
  EXPECT_THAT(r.error, HasSubstr("redirected more than 3 times"));
  EXPECT_EQ(hops.load(), 4);  // the first request and three redirects
}

TEST(ImageFetch, MaxRedirectsBelowThreeStopsTheChainEarlier) {
  fakes::HttpServer server;
  std::atomic<int> hops{0};
  server.route("GET", "/loop", [&](const fakes::Request&, fakes::Response& res) {
    ++hops;
    res.status = 302;
    res.headers.emplace_back("Location", "/loop");
  });
  auto r = run_stage("image.fetch", loopback_with(server.url("/loop"), ", max_redirects: 1"));
  ASSERT_EQ(r.status, Status::kFailed);
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kPermanent);
  EXPECT_THAT(r.error, HasSubstr("redirected more than 1 times"));
  EXPECT_EQ(hops.load(), 2);  // the first request and one redirect

  hops = 0;
  auto none = run_stage("image.fetch", loopback_with(server.url("/loop"), ", max_redirects: 0"));
  EXPECT_THAT(none.error, HasSubstr("redirected more than 0 times"));
  EXPECT_EQ(hops.load(), 1);
}

TEST(ImageFetch, BodyOverMaxBytesIsPermanentWithOrWithoutContentLength) {
  fakes::HttpServer server;
  std::string big = kPng + std::string(2000, 'x');
  serve(server, "/big.png", big, "image/png");
  server.route("GET", "/chunked.png", [&](const fakes::Request&, fakes::Response& res) {
    res.body = big;
    res.chunked = true;
  });
  for (const char* path : {"/big.png", "/chunked.png"}) {
    auto r = run_stage("image.fetch", loopback_with(server.url(path), ", max_bytes: 1000"));
    ASSERT_EQ(r.status, Status::kFailed) << path;
    EXPECT_EQ(r.error_kind, engine::ErrorKind::kPermanent) << path;
    EXPECT_THAT(r.error, HasSubstr("image is larger than 1000 bytes")) << path;
  }
}

TEST(ImageFetch, HtmlPageIsNotAnImage) {
  fakes::HttpServer server;
  serve(server, "/page", "<!doctype html><html>login</html>", "text/html; charset=utf-8");
  auto r = run_stage("image.fetch", loopback_with(server.url("/page")));
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kPermanent);
  EXPECT_THAT(r.error, HasSubstr("the URL returned text/html, not a JPEG, PNG or WebP image"));
}

TEST(ImageFetch, JpegPngAndWebpMagicAreAcceptedAndLookalikesRefused) {
  struct Case {
    std::string body;
    const char* detected;  // the output's content_type, or nullptr when refused
  };
  const std::vector<Case> cases = {
      {std::string("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00", 11), "image/jpeg"},
      {kPng, "image/png"},
      {std::string("RIFF\x24\x00\x00\x00WEBPVP8 ", 16), "image/webp"},
      {std::string("RIFF\x24\x00\x00\x00WAVEfmt ", 16), nullptr},  // RIFF, but audio
      {"GIF89a\x01\x00\x01\x00", nullptr},
      {"<!doctype html><html></html>", nullptr},
  };
  for (const Case& c : cases) {
    fakes::HttpServer server;
    serve(server, "/file", c.body, "image/jpeg");  // the header claims an image every time
    auto r = run_stage("image.fetch", loopback_with(server.url("/file")));
    if (c.detected) {
      ASSERT_EQ(r.status, Status::kCompleted) << c.body << "\n" << r.error;
      EXPECT_STREQ(parse_output(r)["content_type"].GetString(), c.detected);
    } else {
      ASSERT_EQ(r.status, Status::kFailed) << c.body;
      EXPECT_EQ(r.error_kind, engine::ErrorKind::kPermanent) << c.body;
      EXPECT_THAT(r.error, HasSubstr("not a JPEG, PNG or WebP image")) << c.body;
    }
  }
}

TEST(ImageFetch, PdfIsAcceptedOnlyWhenAskedFor) {
  fakes::HttpServer server;
  serve(server, "/exam.pdf", "%PDF-1.7\n...", "application/pdf");
  auto refused = run_stage("image.fetch", loopback_with(server.url("/exam.pdf")));
  EXPECT_THAT(refused.error, HasSubstr("the URL returned application/pdf, not a JPEG"));
  auto r = run_stage("image.fetch", loopback_with(server.url("/exam.pdf"), R"(, accept: [jpeg, png, pdf])"));
  ASSERT_EQ(r.status, Status::kCompleted) << r.error;
  EXPECT_STREQ(parse_output(r)["content_type"].GetString(), "application/pdf");
}

TEST(ImageFetch, ServerErrorIsRetryableAndNotFoundIsPermanent) {
  fakes::HttpServer server;
  serve(server, "/busy", "", "text/plain", 503);
  serve(server, "/gone", "", "text/plain", 404);
  auto busy = run_stage("image.fetch", loopback_with(server.url("/busy")));
  EXPECT_EQ(busy.error_kind, engine::ErrorKind::kRetryable);
  auto gone = run_stage("image.fetch", loopback_with(server.url("/gone")));
  EXPECT_EQ(gone.error_kind, engine::ErrorKind::kPermanent);
  EXPECT_THAT(gone.error, HasSubstr("HTTP 404"));
}

TEST(ImageFetch, RetryAfterInSecondsOrAsAnHttpDateIsPassedOnFor429And503) {
  fakes::HttpServer server;
  std::string date = http_date_in(60);
  server.route("GET", "/limited", [](const fakes::Request&, fakes::Response& res) {
    res.status = 429;
    res.headers.emplace_back("Retry-After", "7");
  });
  server.route("GET", "/loading", [&](const fakes::Request&, fakes::Response& res) {
    res.status = 503;
    res.headers.emplace_back("Retry-After", date);
  });
  auto limited = run_stage("image.fetch", loopback_with(server.url("/limited")));
  ASSERT_EQ(limited.status, Status::kFailed);
  EXPECT_EQ(limited.error_kind, engine::ErrorKind::kRetryable);
  EXPECT_THAT(limited.error, HasSubstr("HTTP 429"));
  EXPECT_EQ(limited.retry_after_ms, 7000);

  auto loading = run_stage("image.fetch", loopback_with(server.url("/loading")));
  ASSERT_EQ(loading.status, Status::kFailed);
  EXPECT_EQ(loading.error_kind, engine::ErrorKind::kRetryable);
  EXPECT_LE(loading.retry_after_ms, 60000) << date;
  EXPECT_GE(loading.retry_after_ms, 30000) << date;  // unless this test took half a minute
}

TEST(ImageFetch, ServerThatNeverAnswersIsARetryableTimeoutNamingTheLimit) {
  sim::Simulator sim;
  std::string error;
  ASSERT_TRUE(sim.configure_json(R"({"images":{"hang":true}})", error)) << error;
  auto r = run_stage("image.fetch", loopback_with(sim.url("/images/meal.png"), ", timeout_ms: 200"));
  ASSERT_EQ(r.status, Status::kFailed);
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kRetryable);
  EXPECT_THAT(r.error, HasSubstr("the image server did not answer in time: no complete response within 200 ms"));
}

// A loopback port whose accept queue is full: Linux drops further SYNs, so a connect there
// neither succeeds nor is refused until the client gives up.
class FullListener {
 public:
  FullListener() {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    auto* any = reinterpret_cast<sockaddr*>(&address);
    EXPECT_EQ(bind(listener_, any, length), 0);
    EXPECT_EQ(listen(listener_, 0), 0);  // a queue of one connection
    EXPECT_EQ(getsockname(listener_, any, &length), 0);
    port_ = ntohs(address.sin_port);
    EXPECT_EQ(connect(filler_, any, length), 0);  // takes that one place, never accepted
  }
  ~FullListener() {
    close(filler_);
    close(listener_);
  }
  int port() const { return port_; }

 private:
  int listener_ = socket(AF_INET, SOCK_STREAM, 0);
  int filler_ = socket(AF_INET, SOCK_STREAM, 0);
  int port_ = 0;
};

TEST(ImageFetch, ConnectThatNeverCompletesIsARetryableTimeoutNamingTheConnectLimit) {
  FullListener listener;
  std::string url = "http://127.0.0.1:" + std::to_string(listener.port()) + "/meal.png";
  auto r = run_stage("image.fetch", loopback_with(url, ", connect_timeout_ms: 200, timeout_ms: 20000"));
  ASSERT_EQ(r.status, Status::kFailed);
  EXPECT_EQ(r.error_kind, engine::ErrorKind::kRetryable);
  EXPECT_THAT(r.error, HasSubstr("did not answer in time: could not connect to 127.0.0.1:" +
                                 std::to_string(listener.port()) + " within 200 ms"));
}

}  // namespace
}  // namespace aiw::testing
