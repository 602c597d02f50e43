// Bad input the gateway must survive, each answered with a JSON error a person can act on:
// {"error": {"code", "message", "field"?}}.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gateway_test_support.h"

namespace aiw::testing {
namespace {

class GatewayBadInput : public GatewayTest {
 protected:
  void SetUp() override {
    GatewayTest::SetUp();
    pipeline("echo", kEchoPipeline);
    gw_ = start_gateway();
    user_ = add_user();
    token_ = user_token(user_);
  }
  Http post(const std::string& body, const std::string& token, const std::string& type = "application/json") {
    return request("POST", base_ + "/v1/jobs", token, body, type);
  }
  static std::string code(const Http& r) { return field(field(r.body, "error"), "code"); }
  static std::string error_field(const Http& r) { return field(field(r.body, "error"), "field"); }

  std::unique_ptr<BackgroundProcess> gw_;
  std::string user_, token_;
};

TEST_F(GatewayBadInput, MalformedJsonIs400) {
  Http r = post(R"({"type": "echo", "input": )", token_);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(code(r), "invalid_json");
}

TEST_F(GatewayBadInput, WrongContentTypeIs415) {
  Http r = post(R"({"type":"echo","input":{"x":1}})", token_, "text/plain");
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(code(r), "unsupported_media_type");
}

TEST_F(GatewayBadInput, TenMegabyteBodyIs413) {
  std::string big = R"({"type":"echo","input":{"x":1,"pad":")" + std::string(10 << 20, 'a') + "\"}}";
  Http r = post(big, token_);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(code(r), "payload_too_large");
}

TEST_F(GatewayBadInput, UnknownFieldIs400NamingIt) {
  Http r = post(R"({"type":"echo","input":{"x":1},"colour":"red"})", token_);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_field(r), "/colour");
  Http in_input = post(R"({"type":"echo","input":{"x":1,"colour":"red"}})", token_);
  EXPECT_EQ(in_input.status, 400);
  EXPECT_EQ(code(in_input), "invalid_input");
}

TEST_F(GatewayBadInput, AnIdempotencyKeyTooLongOrNotAsciiIs400) {
  for (const std::string& key : {std::string(256, 'k'), std::string("caf\xc3\xa9")}) {
    Http r = request("POST", base_ + "/v1/jobs", token_, R"({"type":"echo","input":{"x":1}})", "application/json",
                     20000, {"Idempotency-Key: " + key});
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(code(r), "invalid_idempotency_key") << r.body;
  }
  EXPECT_EQ(scalar("select count(*) from analysis_jobs"), "0");
}

TEST_F(GatewayBadInput, WrongTypesAre400WithAJsonPointer) {
  Http r = post(R"({"type":"echo","input":{"x":"seven"}})", token_);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_field(r), "/input/x");
  EXPECT_EQ(post(R"({"type":7,"input":{}})", token_).status, 400);
  EXPECT_EQ(post(R"({"type":"echo","input":[]})", token_).status, 400);
  EXPECT_EQ(post(R"({"type":"echo","input":{"x":1},"priority":"high"})", token_).status, 400);
  Http unknown = post(R"({"type":"nope","input":{}})", token_);
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(code(unknown), "unknown_type");
  EXPECT_NE(unknown.body.find("echo"), std::string::npos) << "the sentence lists the served types";
}

TEST_F(GatewayBadInput, MissingExpiredForeignAndAlgNoneTokensAre401) {
  std::string body = R"({"type":"echo","input":{"x":1}})";
  EXPECT_EQ(post(body, "").status, 401);
  Http expired = post(body, user_token(user_, "", -120));
  EXPECT_EQ(expired.status, 401);
  EXPECT_NE(expired.body.find("expired"), std::string::npos) << expired.body;
  EXPECT_EQ(post(body, user_token(user_, "", 3600, "another-secret-another-secret-another")).status, 401);
  std::string none = gateway::sign_hs256_for_tests(
      R"({"sub":")" + user_ + R"(","role":"authenticated","aud":"authenticated","exp":)" + std::to_string(unix_now() + 60) + "}",
      kSecret, R"({"alg":"none","typ":"JWT"})");
  none = none.substr(0, none.rfind('.') + 1);  // unsigned, as alg none would be
  Http r = post(body, none);
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_FALSE(r.header("WWW-Authenticate").empty());
}

TEST_F(GatewayBadInput, AnotherUsersJobIs404AndAnInvalidIdIs400) {
  std::string other = add_user();
  auto s = store("client");
  queue::NewJob j = job(other, "echo", R"({"x":1})");
  std::string id = s->enqueue(std::span(&j, 1)).at(0);
  Http theirs = request("GET", base_ + "/v1/jobs/" + id, token_);
  EXPECT_EQ(theirs.status, 404);
  EXPECT_EQ(request("POST", base_ + "/v1/jobs/" + id + "/cancel", token_).status, 404);
  EXPECT_EQ(request("GET", base_ + "/v1/jobs/" + id, user_token(other)).status, 200);
  EXPECT_EQ(request("GET", base_ + "/v1/jobs/" + id, service_token()).status, 200);
  Http bad = request("GET", base_ + "/v1/jobs/not-a-uuid", token_);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(code(bad), "invalid_id");
}

TEST_F(GatewayBadInput, AdminRoutesNeedTheServiceRole) {
  EXPECT_EQ(request("GET", base_ + "/v1/admin/flags", token_).status, 403);
  EXPECT_EQ(request("GET", base_ + "/v1/admin/flags", service_token()).status, 200);
  EXPECT_EQ(request("PUT", base_ + "/v1/admin/flags/echo", service_token(), R"({"canary_percent":500})").status, 400);
}

TEST_F(GatewayBadInput, TwoThousandSilentConnectionsDoNotStarveOtherRequests) {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  int port = std::stoi(base_.substr(base_.rfind(':') + 1));
  std::vector<int> sockets;
  for (int i = 0; i < 2000; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      if (fd >= 0) close(fd);
      break;
    }
    sockets.push_back(fd);
  }
  EXPECT_EQ(sockets.size(), 2000u);
  Http r = request("GET", base_ + "/v1/jobs", token_, "", "", 5000);
  EXPECT_EQ(r.status, 200);
  for (int fd : sockets) close(fd);
}

}  // namespace
}  // namespace aiw::testing
