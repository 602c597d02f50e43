// The testkit stages, run through the plugin ABI against a fake host (no engine needed).
#include <aiw/json.h>
#include <gmock/gmock.h>

#include <chrono>
#include <gtest/gtest.h>

#include "plugin/registry.h"
#include "plugin_test_support.h"
#include "testkit_fake_host.h"

namespace aiw::plugin {
namespace {

using aiw::testing::FakeCall;
using ::testing::HasSubstr;

class Testkit : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(registry_.load_file(aiw::testing::testkit_plugin()).ok()); }
  // Creates the stage with `with` as its config and runs it once with the same text.
  FakeCall& run(const std::string& type, const std::string& with) {
    const StageTypeInfo* info = registry_.find(type);
    EXPECT_NE(info, nullptr) << type;
    Result<StageInstance> made = PluginRegistry::create_instance(*info, with);
    EXPECT_TRUE(made.ok()) << made.error();
    instances_.push_back(std::move(*made));
    calls_.push_back(std::make_unique<FakeCall>());
    instances_.back().invoke(calls_.back()->raw(), with);
    return *calls_.back();
  }
  static Json json(const std::string& text) {
    Json doc;
    EXPECT_TRUE(parse_json(text, doc)) << text;
    return doc;
  }

  PluginRegistry registry_{aiw::testing::fake_host()};
  std::vector<StageInstance> instances_;
  std::vector<std::unique_ptr<FakeCall>> calls_;
};

TEST_F(Testkit, EchoOutputsItsParameters) {
  FakeCall& c = run("testkit.echo", R"({"value":[1,"two"],"n":3})");
  EXPECT_EQ(c.completes, 1);
  EXPECT_EQ(json(c.output), json(R"({"value":[1,"two"],"n":3})"));
}

TEST_F(Testkit, NoopCompletesWithEmptyObject) {
  FakeCall& c = run("testkit.noop", "{}");
  EXPECT_EQ(c.completes, 1);
  EXPECT_EQ(c.output, "{}");
}

TEST_F(Testkit, ClockOutputsTheWallClockTimeItStarted) {
  auto before = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count();
  FakeCall& c = run("testkit.clock", "{}");
  auto after = std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_EQ(c.completes, 1);
  Json out = json(c.output);
  ASSERT_TRUE(out.HasMember("unix_us") && out["unix_us"].IsInt64()) << c.output;
  EXPECT_GE(out["unix_us"].GetInt64(), before);
  EXPECT_LE(out["unix_us"].GetInt64(), after);
}

TEST_F(Testkit, TransformPicksThenSets) {
  FakeCall& c =
      run("testkit.transform",
          R"({"from":{"a":1,"b":2,"c":3},"pick":["a","c","zz"],"set":{"c":"x","d":true}})");
  EXPECT_EQ(json(c.output), json(R"({"a":1,"c":"x","d":true})"));
  FakeCall& only_set = run("testkit.transform", R"({"from":{"a":1},"set":{"b":2}})");
  EXPECT_EQ(json(only_set.output), json(R"({"a":1,"b":2})"));
}

TEST_F(Testkit, CpuIsDeterministicAndReportsItsIterations) {
  FakeCall& a = run("testkit.cpu", R"({"iterations":100000})");
  FakeCall& b = run("testkit.cpu", R"({"iterations":100000})");
  FakeCall& zero = run("testkit.cpu", R"({"iterations":0})");
  EXPECT_EQ(a.output, b.output);
  EXPECT_NE(a.output, zero.output);
  EXPECT_EQ(json(a.output)["iterations"].GetInt(), 100000);
  EXPECT_EQ(std::string(json(a.output)["hash"].GetString()).size(), 16u);
}

TEST_F(Testkit, FailEndsTheCallWithTheRequestedKind) {
  FakeCall& r =
      run("testkit.fail", R"({"kind":"retryable","message":"busy","retry_after_ms":1500})");
  EXPECT_EQ(r.fails, 1);
  EXPECT_EQ(r.kind, AIW_ERROR_RETRYABLE);
  EXPECT_EQ(r.error, "busy");
  EXPECT_EQ(r.retry_after_ms, 1500);
  FakeCall& p = run("testkit.fail", R"({"kind":"permanent","message":"bad image"})");
  EXPECT_EQ(p.kind, AIW_ERROR_PERMANENT);
  EXPECT_EQ(p.error, "bad image");
  EXPECT_EQ(p.retry_after_ms, -1);
}

TEST_F(Testkit, SleepWaitsOnTheHostTimerThenCompletes) {
  FakeCall& c = run("testkit.sleep", R"({"ms":250})");
  EXPECT_FALSE(c.ended());  // nothing happens until the timer fires: no thread slept
  EXPECT_EQ(c.timer_delay_ms, 250u);
  c.fire_timer(false);
  EXPECT_EQ(json(c.output), json(R"({"slept_ms":250})"));
  FakeCall& with_output = run("testkit.sleep", R"({"ms":1,"output":{"label":"cat"}})");
  with_output.fire_timer(false);
  EXPECT_EQ(json(with_output.output), json(R"({"label":"cat"})"));
}

TEST_F(Testkit, SleepCancelledDoesNotEndTheCallAgain) {
  FakeCall& c = run("testkit.sleep", R"({"ms":250})");
  c.fire_timer(true);
  EXPECT_FALSE(c.ended());
}

TEST_F(Testkit, HttpPostsJsonAndOutputsStatusAndParsedBody) {
  FakeCall& c =
      run("testkit.http", R"({"url":"http://h/v1","method":"POST","body":{"q":1},"timeout_ms":50,)"
                          R"("headers":{"Authorization":"Bearer t"}})");
  EXPECT_EQ(c.method, "POST");
  EXPECT_EQ(c.url, "http://h/v1");
  EXPECT_EQ(c.body, R"({"q":1})");
  EXPECT_EQ(c.timeout_ms, 50u);
  EXPECT_THAT(c.headers, ::testing::Contains(std::pair<std::string, std::string>(
                             "Content-Type", "application/json")));
  c.answer(AIW_HTTP_OK, 200, R"({"labels":["cat"]})");
  EXPECT_EQ(json(c.output), json(R"({"status":200,"body":{"labels":["cat"]}})"));

  FakeCall& text = run("testkit.http", R"({"url":"http://h/"})");
  EXPECT_EQ(text.method, "GET");
  text.answer(AIW_HTTP_OK, 200, "plain words");
  EXPECT_EQ(json(text.output), json(R"({"status":200,"body":"plain words"})"));
}

TEST_F(Testkit, HttpMapsStatusCodesToErrorKinds) {
  FakeCall& busy = run("testkit.http", R"({"url":"http://h/"})");
  busy.answer(AIW_HTTP_OK, 429, "", {{"retry-after", "7"}});
  EXPECT_EQ(busy.kind, AIW_ERROR_RETRYABLE);
  EXPECT_EQ(busy.retry_after_ms, 7000);
  EXPECT_THAT(busy.error, HasSubstr("429"));

  FakeCall& down = run("testkit.http", R"({"url":"http://h/"})");
  down.answer(AIW_HTTP_OK, 503, "");
  EXPECT_EQ(down.kind, AIW_ERROR_RETRYABLE);
  EXPECT_EQ(down.retry_after_ms, -1);

  FakeCall& missing = run("testkit.http", R"({"url":"http://h/"})");
  missing.answer(AIW_HTTP_OK, 404, "");
  EXPECT_EQ(missing.fails, 1);
  EXPECT_EQ(missing.kind, AIW_ERROR_PERMANENT);
}

TEST_F(Testkit, HttpTransportErrorIsRetryableWithItsSentence) {
  FakeCall& c = run("testkit.http", R"({"url":"http://h/"})");
  c.answer(AIW_HTTP_CONNECT, 0, "", {}, "could not connect to h:80");
  EXPECT_EQ(c.kind, AIW_ERROR_RETRYABLE);
  EXPECT_THAT(c.error, HasSubstr("could not connect to h:80"));
  FakeCall& cancelled = run("testkit.http", R"({"url":"http://h/"})");
  cancelled.answer(AIW_HTTP_CANCELLED, 0, "", {}, "cancelled");
  EXPECT_FALSE(cancelled.ended());
}

TEST_F(Testkit, MisbehavingStagesMisbehaveAsAdvertised) {
  FakeCall& threw = run("testkit.throw", "{}");
  EXPECT_EQ(threw.fails, 1);  // the SDK turned the exception into a permanent error
  EXPECT_EQ(threw.kind, AIW_ERROR_PERMANENT);
  EXPECT_THAT(threw.error, HasSubstr("testkit.throw threw on purpose"));
  EXPECT_FALSE(run("testkit.never_complete", "{}").ended());
  FakeCall& twice = run("testkit.complete_twice", "{}");
  EXPECT_EQ(twice.completes, 2);
  EXPECT_EQ(json(twice.output), json(R"({"n":1})"));
}

}  // namespace
}  // namespace aiw::plugin
