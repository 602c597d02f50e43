// How the engine treats stages that fail, misbehave, run too long, or are cancelled.
#include "engine_test_support.h"

#include <aiw/json.h>

#include <thread>

namespace aiw::testing {
namespace {

using Status = engine::JobResult::Status;
using engine::ErrorKind;

TEST(EngineFailure, PermanentFailureFailsJobNamingStageAndSkipsTheRest) {
  auto engine = make_engine(R"(
name: fails
version: "1"
stages:
  - { id: broken, uses: testkit.fail, with: { kind: permanent, message: "the photo is not a meal" } }
  - { id: after, uses: testkit.echo, needs: [broken] }
)");
  auto r = run_job(*engine);
  EXPECT_EQ(r.status, Status::kFailed);
  EXPECT_EQ(r.error_kind, ErrorKind::kPermanent);
  EXPECT_EQ(r.failed_stage, "broken");
  EXPECT_EQ(r.error, "stage 'broken' (testkit.fail): the photo is not a meal");
  EXPECT_EQ(stage_of(r, "after").status, "skipped");
  EXPECT_EQ(engine->stage_metrics()[1]->skipped.load(), 1u);
}

TEST(EngineFailure, RetryableFailureCarriesRetryAfter) {
  auto engine = make_engine(R"(
name: ratelimited
version: "1"
stages:
  - { id: llm, uses: testkit.fail, with: { kind: retryable, message: "429 from Gemini", retry_after_ms: 1500 } }
)");
  auto r = run_job(*engine);
  EXPECT_EQ(r.status, Status::kFailed);
  EXPECT_EQ(r.error_kind, ErrorKind::kRetryable);
  EXPECT_EQ(r.retry_after_ms, 1500);
}

TEST(EngineFailure, OptionalStageFailureLetsTheJobComplete) {
  auto engine = make_engine(R"(
name: optional
version: "1"
stages:
  - { id: extra, uses: testkit.fail, optional: true, with: { kind: permanent, message: "no" } }
  - { id: main, uses: testkit.echo, needs: [extra], with: { extra: "${stages.extra.output}" } }
)");
  auto r = run_job(*engine);
  ASSERT_EQ(r.status, Status::kCompleted) << r.error;
  EXPECT_EQ(stage_of(r, "extra").status, "failed");
  EXPECT_EQ(r.result_json, R"({"extra":null})");
}

TEST(EngineFailure, StageThatThrowsFailsPermanentlyWithTheExceptionText) {
  auto engine = make_engine(R"(
name: throws
version: "1"
stages:
  - { id: boom, uses: testkit.throw }
)");
  auto r = run_job(*engine);
  EXPECT_EQ(r.status, Status::kFailed);
  EXPECT_EQ(r.error_kind, ErrorKind::kPermanent);
  EXPECT_NE(r.error.find("stage 'boom' (testkit.throw)"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("threw"), std::string::npos) << r.error;
}

TEST(EngineFailure, StageThatNeverCallsBackIsEndedByItsTimeout) {
  auto engine = make_engine(R"(
name: hangs
version: "1"
stages:
  - { id: stuck, uses: testkit.never_complete, timeout: 100ms }
  - { id: after, uses: testkit.echo, needs: [stuck] }
)");
  auto r = run_job(*engine);
  EXPECT_EQ(r.status, Status::kFailed);
  EXPECT_EQ(r.error_kind, ErrorKind::kRetryable);
  EXPECT_EQ(r.failed_stage, "stuck");
  EXPECT_NE(r.error.find("timeout of 100 ms"), std::string::npos) << r.error;
  EXPECT_EQ(stage_of(r, "after").status, "skipped");
}

TEST(EngineFailure, StageThatCompletesTwiceKeepsTheFirstAndDoesNotCrash) {
  auto engine = make_engine(R"(
name: twice
version: "1"
stages:
  - { id: double, uses: testkit.complete_twice }
)");
  for (int i = 0; i < 20; ++i) {
    auto r = run_job(*engine, "{}", "job-" + std::to_string(i));
    ASSERT_EQ(r.status, Status::kCompleted) << r.error;
  }
  EXPECT_EQ(engine->stage_metrics()[0]->succeeded.load(), 20u);
}

TEST(EngineFailure, InputThatIsNotJsonFailsPermanentlyWithoutRunningStages) {
  auto engine = make_engine(R"(
name: strict
version: "1"
stages:
  - { id: a, uses: testkit.echo }
)");
  auto r = run_job(*engine, "{not json");
  EXPECT_EQ(r.status, Status::kFailed);
  EXPECT_EQ(r.error_kind, ErrorKind::kPermanent);
  EXPECT_NE(r.error.find("not valid JSON"), std::string::npos) << r.error;
  EXPECT_EQ(engine->stage_metrics()[0]->started.load(), 0u);
}

// Whether a template reads the input (parsed into a document) or not (only checked), a
// malformed input fails the same way, naming the same character.
TEST(EngineFailure, MalformedInputNamesTheSameCharacterWhetherOrNotATemplateReadsIt) {
  auto unread = make_engine(R"(
name: unread
version: "1"
stages:
  - { id: a, uses: testkit.noop }
)");
  auto read = make_engine(R"(
name: read
version: "1"
stages:
  - { id: a, uses: testkit.echo, with: { x: "${input.x}" } }
)");
  for (const char* input : {"{\"x\": 1,}", "[1, 2", "", "{} extra", "{\"x\": \"\\ud800\"}"}) {
    auto a = run_job(*unread, input);
    auto b = run_job(*read, input);
    EXPECT_EQ(a.status, Status::kFailed) << input;
    EXPECT_EQ(a.error_kind, ErrorKind::kPermanent) << input;
    EXPECT_EQ(a.error, b.error) << input;
    EXPECT_NE(a.error.find("at character"), std::string::npos) << a.error;
  }
  EXPECT_EQ(unread->stage_metrics()[0]->started.load(), 0u);
  auto ok = run_job(*unread, R"({"x": [1, "\u00e9", 2.5e3]})");
  EXPECT_EQ(ok.status, Status::kCompleted) << ok.error;
}

TEST(EngineFailure, JobDeadlineAbortsTheRunningStage) {
  auto engine = make_engine(R"(
name: deadline
version: "1"
defaults: { deadline: 100ms }
stages:
  - { id: long, uses: testkit.sleep, with: { ms: 60000 } }
)");
  auto r = run_job(*engine);
  EXPECT_EQ(r.status, Status::kFailed);
  EXPECT_EQ(r.error_kind, ErrorKind::kRetryable);
  EXPECT_NE(r.error.find("deadline"), std::string::npos) << r.error;
  EXPECT_LT(r.duration_ns, 30'000'000'000);  // not the 60 s sleep
}

TEST(EngineFailure, CancelAbortsTheInFlightStageAndSkipsTheRest) {
  auto engine = make_engine(R"(
name: cancellable
version: "1"
stages:
  - { id: long, uses: testkit.sleep, with: { ms: 60000 } }
  - { id: after, uses: testkit.echo, needs: [long] }
)");
  engine::JobResult result;
  engine::JobHandle handle = start_job(*engine, result, "c1");
  while (engine->stage_metrics()[0]->in_flight.load() == 0) std::this_thread::yield();
  handle.cancel("the user cancelled");
  engine->wait_idle();
  EXPECT_EQ(result.status, Status::kCancelled);
  EXPECT_EQ(result.error_kind, ErrorKind::kCancelled);
  EXPECT_EQ(result.error, "the user cancelled");
  EXPECT_EQ(stage_of(result, "long").status, "aborted");
  EXPECT_EQ(stage_of(result, "after").status, "skipped");
  EXPECT_LT(result.duration_ns, 30'000'000'000);
}

TEST(EngineFailure, FailureInOneBranchAbortsTheOtherBranchInFlight) {
  auto engine = make_engine(R"(
name: branches
version: "1"
stages:
  - { id: slow, uses: testkit.sleep, with: { ms: 60000 } }
  - { id: bad, uses: testkit.fail, with: { kind: permanent, message: "bad input" } }
  - { id: join, uses: testkit.echo, needs: [slow, bad] }
)");
  auto r = run_job(*engine);
  EXPECT_EQ(r.status, Status::kFailed);
  EXPECT_EQ(r.failed_stage, "bad");
  // Both roots start together: `slow` is either aborted mid-wait or, when `bad` failed before
  // it started, skipped. Either way the job does not wait out the 60 s.
  std::string_view slow = stage_of(r, "slow").status;
  if (engine->stage_metrics()[0]->started.load() > 0) EXPECT_EQ(slow, "aborted");
  else EXPECT_EQ(slow, "skipped");
  EXPECT_LT(r.duration_ns, 30'000'000'000);
  EXPECT_EQ(stage_of(r, "join").status, "skipped");
}

TEST(EngineFailure, CancelAfterCompletionChangesNothing) {
  auto engine = make_engine(R"(
name: quick
version: "1"
stages:
  - { id: a, uses: testkit.echo, with: { ok: true } }
)");
  engine::JobResult result;
  engine::JobHandle handle = start_job(*engine, result, "q");
  engine->wait_idle();
  handle.cancel();
  EXPECT_EQ(result.status, Status::kCompleted);
}

TEST(EngineFailure, StageRetryPolicyRetriesRetryableFailures) {
  auto engine = make_engine(R"(
name: retried
version: "1"
stages:
  - id: flaky
    uses: testkit.fail
    retry: { max_attempts: 3, delay: 10ms }
    with: { kind: retryable, message: "503 from YOLO" }
)");
  auto r = run_job(*engine);
  EXPECT_EQ(r.status, Status::kFailed);
  EXPECT_EQ(stage_of(r, "flaky").attempts, 3);
  EXPECT_EQ(engine->stage_metrics()[0]->retried.load(), 2u);
  EXPECT_EQ(engine->stage_metrics()[0]->started.load(), 3u);
}

TEST(EngineFailure, CancelDuringRetryBackoffEndsTheJobWithoutWaiting) {
  auto engine = make_engine(R"(
name: backoff
version: "1"
stages:
  - id: flaky
    uses: testkit.fail
    retry: { max_attempts: 5, delay: 60s }
    with: { kind: retryable, message: "down" }
)");
  engine::JobResult result;
  engine::JobHandle handle = start_job(*engine, result, "b");
  while (engine->stage_metrics()[0]->retried.load() == 0) std::this_thread::yield();
  handle.cancel();
  engine->wait_idle();
  EXPECT_EQ(result.status, Status::kCancelled);
  EXPECT_EQ(stage_of(result, "flaky").attempts, 1);
}

}  // namespace
}  // namespace aiw::testing
