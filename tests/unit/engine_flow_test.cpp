// The engine's data flow: references between stages, fan-out/fan-in, output, progress,
// concurrency limits.
#include "engine_test_support.h"

#include <gmock/gmock.h>

#include <aiw/json.h>

#include <atomic>

namespace aiw::testing {
namespace {

Json parse(const std::string& text) {
  Json doc;
  EXPECT_TRUE(parse_json(text, doc)) << text;
  return doc;
}

TEST(EngineFlow, LinearPipelinePassesOutputsDownstream) {
  auto engine = make_engine(R"(
name: linear
version: "1"
stages:
  - id: first
    uses: testkit.echo
    with: { value: "${input.x}" }
  - id: second
    uses: testkit.echo
    needs: [first]
    with: { doubled: ["${stages.first.output.value}", "${stages.first.output.value}"],
            text: "got ${stages.first.output.value} for ${job.id}" }
)");
  auto r = run_job(*engine, R"({"x": 21})", "job-7");
  ASSERT_EQ(r.status, engine::JobResult::Status::kCompleted) << r.error;
  Json out = parse(r.result_json);
  EXPECT_EQ(out["doubled"][0].GetInt(), 21);
  EXPECT_EQ(out["doubled"][1].GetInt(), 21);
  EXPECT_STREQ(out["text"].GetString(), "got 21 for job-7");
}

TEST(EngineFlow, FanOutAndFanInRunEveryStageOnceAndJoinBothBranches) {
  auto engine = make_engine(R"(
name: diamond
version: "1"
stages:
  - { id: src, uses: testkit.echo, with: { v: "${input.v}" } }
  - { id: left, uses: testkit.sleep, needs: [src], with: { ms: 20, output: { side: left } } }
  - { id: right, uses: testkit.echo, needs: [src], with: { side: right } }
  - id: join
    uses: testkit.echo
    needs: [left, right]
    with: { l: "${stages.left.output.side}", r: "${stages.right.output.side}", v: "${stages.src.output.v}" }
)");
  std::atomic<int> done{0};
  std::vector<engine::JobResult> results(50);
  for (int i = 0; i < 50; ++i) {
    engine::JobRequest req;
    req.id = "job-" + std::to_string(i);
    req.input_json = "{\"v\":" + std::to_string(i) + "}";
    req.on_done = [&, i](engine::JobResult&& r) {
      results[static_cast<size_t>(i)] = std::move(r);
      done.fetch_add(1);
    };
    engine->submit(std::move(req));
  }
  engine->wait_idle();
  ASSERT_EQ(done.load(), 50);
  for (int i = 0; i < 50; ++i) {
    const auto& r = results[static_cast<size_t>(i)];
    ASSERT_EQ(r.status, engine::JobResult::Status::kCompleted) << r.error;
    Json out = parse(r.result_json);
    EXPECT_STREQ(out["l"].GetString(), "left");
    EXPECT_STREQ(out["r"].GetString(), "right");
    EXPECT_EQ(out["v"].GetInt(), i);
  }
  for (const auto& m : engine->stage_metrics()) EXPECT_EQ(m->succeeded.load(), 50u) << m->stage;
}

TEST(EngineFlow, SeveralTerminalStagesMakeAnObjectResultKeyedById) {
  auto engine = make_engine(R"(
name: two_ends
version: "1"
stages:
  - { id: a, uses: testkit.echo, with: { n: 1 } }
  - { id: b, uses: testkit.echo, with: { n: 2 } }
)");
  auto r = run_job(*engine);
  ASSERT_EQ(r.status, engine::JobResult::Status::kCompleted) << r.error;
  Json out = parse(r.result_json);
  EXPECT_EQ(out["a"]["n"].GetInt(), 1);
  EXPECT_EQ(out["b"]["n"].GetInt(), 2);
}

TEST(EngineFlow, OutputTemplateShapesTheResult) {
  auto engine = make_engine(R"(
name: shaped
version: "1"
stages:
  - { id: a, uses: testkit.echo, with: { n: 1 } }
output: { answer: "${stages.a.output.n}", job: "${job.type}" }
)");
  auto r = run_job(*engine);
  ASSERT_EQ(r.status, engine::JobResult::Status::kCompleted) << r.error;
  Json out = parse(r.result_json);
  EXPECT_EQ(out["answer"].GetInt(), 1);
  EXPECT_STREQ(out["job"].GetString(), "shaped");
}

TEST(EngineFlow, ConcurrencyLimitBoundsCallsInFlight) {
  auto engine = make_engine(R"(
name: limited
version: "1"
stages:
  - { id: slow, uses: testkit.sleep, concurrency: 3, with: { ms: 5 } }
)");
  std::atomic<int> done{0};
  for (int i = 0; i < 40; ++i) {
    engine::JobRequest req;
    req.id = "job-" + std::to_string(i);
    req.on_done = [&](engine::JobResult&& r) {
      EXPECT_EQ(r.status, engine::JobResult::Status::kCompleted) << r.error;
      done.fetch_add(1);
    };
    engine->submit(std::move(req));
  }
  engine->wait_idle();
  EXPECT_EQ(done.load(), 40);
  const auto& m = *engine->stage_metrics()[0];
  EXPECT_EQ(m.succeeded.load(), 40u);
  EXPECT_LE(m.in_flight_peak.load(), 3);
  EXPECT_GE(m.in_flight_peak.load(), 1);
}

TEST(EngineFlow, WithoutLimitAsyncWaitsOverlapInsteadOfHoldingThreads) {
  // 500 jobs each waiting 50 ms on a timer: all of them are in flight at once, which is only
  // possible when no thread is held per waiting job.
  auto engine = make_engine(R"(
name: waits
version: "1"
stages:
  - { id: wait, uses: testkit.sleep, with: { ms: 50 } }
)");
  std::atomic<int> done{0};
  for (int i = 0; i < 500; ++i) {
    engine::JobRequest req;
    req.id = "job-" + std::to_string(i);
    req.on_done = [&](engine::JobResult&&) { done.fetch_add(1); };
    engine->submit(std::move(req));
  }
  engine->wait_idle();
  EXPECT_EQ(done.load(), 500);
  EXPECT_GT(engine->stage_metrics()[0]->in_flight_peak.load(), 100);
}

TEST(EngineFlow, ProgressReportsEachStageOnce) {
  auto engine = make_engine(R"(
name: progress
version: "1"
stages:
  - { id: a, uses: testkit.echo }
  - { id: b, uses: testkit.echo, needs: [a] }
  - { id: c, uses: testkit.echo, needs: [b] }
)");
  std::vector<std::string> seen;
  std::mutex mu;
  engine::JobRequest req;
  req.id = "p";
  req.on_progress = [&](const std::string& stage, int done, int total) {
    std::lock_guard lock(mu);
    seen.push_back(stage + ":" + std::to_string(done) + "/" + std::to_string(total));
  };
  req.on_done = [](engine::JobResult&&) {};
  engine->submit(std::move(req));
  engine->wait_idle();
  EXPECT_EQ(seen, (std::vector<std::string>{"a:1/3", "b:2/3", "c:3/3"}));
}

TEST(EngineFlow, TimingsCoverEveryStage) {
  auto engine = make_engine(R"(
name: timed
version: "1"
stages:
  - { id: a, uses: testkit.sleep, with: { ms: 10 } }
  - { id: b, uses: testkit.cpu, needs: [a], with: { iterations: 1000 } }
)");
  auto r = run_job(*engine);
  ASSERT_EQ(r.status, engine::JobResult::Status::kCompleted) << r.error;
  ASSERT_EQ(r.stages.size(), 2u);
  EXPECT_EQ(stage_of(r, "a").status, "ok");
  EXPECT_GE(stage_of(r, "a").duration_ns, 10'000'000);
  EXPECT_GE(stage_of(r, "b").start_ns, stage_of(r, "a").start_ns + stage_of(r, "a").duration_ns);
  EXPECT_EQ(stage_of(r, "b").attempts, 1);
}

// A caller that reads no per-job timings (aiw bench) can leave them out; the job's outcome,
// its result and the stages' metrics are the same, and a failure still carries its error.
TEST(EngineFlow, WithoutStageTimingsTheJobEndsTheSameAndCarriesNoTimings) {
  auto engine = make_engine(R"(
name: untimed
version: "1"
stages:
  - { id: a, uses: testkit.echo, with: { n: "${input.n}" } }
  - { id: b, uses: testkit.echo, needs: [a], with: { n: "${stages.a.output.n}" } }
)");
  auto run = [&](const std::string& input, bool timings) {
    engine::JobResult result;
    engine::JobRequest request;
    request.id = "job-untimed";
    request.input_json = input;
    request.stage_timings = timings;
    request.on_done = [&result](engine::JobResult&& r) { result = std::move(r); };
    engine->submit(std::move(request));
    engine->wait_idle();
    return result;
  };
  engine::JobResult timed = run(R"({"n": 7})", true);
  engine::JobResult untimed = run(R"({"n": 7})", false);
  ASSERT_EQ(untimed.status, engine::JobResult::Status::kCompleted) << untimed.error;
  EXPECT_EQ(untimed.result_json, timed.result_json);
  EXPECT_EQ(parse(untimed.result_json)["n"].GetInt(), 7);
  EXPECT_EQ(timed.stages.size(), 2u);
  EXPECT_TRUE(untimed.stages.empty());
  EXPECT_GT(untimed.duration_ns, 0);
  for (const auto& m : engine->stage_metrics()) EXPECT_EQ(m->succeeded.load(), 2u);

  engine::JobResult failed = run("{not json", false);
  EXPECT_EQ(failed.status, engine::JobResult::Status::kFailed);
  EXPECT_THAT(failed.error, ::testing::HasSubstr("not valid JSON"));
  EXPECT_TRUE(failed.stages.empty());
}

// The result gives the request's id back, whoever still holds the job: moved when nothing else
// does (post, no handle), copied while a handle holds it, so the caller's handle keeps its id.
TEST(EngineFlow, TheResultCarriesTheJobsIdWithOrWithoutAHandle) {
  auto engine = make_engine(R"(
name: ids
version: "1"
stages:
  - { id: a, uses: testkit.noop }
  - { id: b, uses: testkit.echo, needs: [a], with: { id: "${job.id}" } }
)");
  const std::string long_id = "0123abcd-0000-4000-8000-00000000002a";  // no small-string buffer
  std::vector<std::string> ids;
  auto request = [&](const std::string& id) {
    engine::JobRequest r;
    r.id = id;
    r.on_done = [&ids](engine::JobResult&& result) {
      EXPECT_EQ(result.status, engine::JobResult::Status::kCompleted) << result.error;
      EXPECT_EQ(parse(result.result_json)["id"].GetString(), result.id);
      ids.push_back(std::move(result.id));
    };
    return r;
  };
  engine->post(request(long_id));
  engine->wait_idle();
  engine::JobHandle handle = engine->submit(request(long_id + "-held"));
  engine->wait_idle();
  engine->post(request("short"));
  engine->wait_idle();
  EXPECT_THAT(ids, ::testing::ElementsAre(long_id, long_id + "-held", "short"));
  handle.cancel();  // the job is over; its handle still works
}

// Longer than the depth to which a body runs chained stages itself (16): the rest go through
// tasks, and every stage still runs once, in order, reading its upstream's output.
TEST(EngineFlow, LongLinearChainRunsEveryStageInOrder) {
  std::string yaml = "name: long\nversion: \"1\"\nstages:\n"
                     "  - { id: s0, uses: testkit.echo, with: { n: \"${input.n}\" } }\n";
  constexpr int kStages = 40;
  for (int i = 1; i < kStages; ++i) {
    yaml += "  - { id: s" + std::to_string(i) + ", uses: testkit.echo, needs: [s" +
            std::to_string(i - 1) + "], with: { n: \"${stages.s" + std::to_string(i - 1) +
            ".output.n}\" } }\n";
  }
  auto engine = make_engine(yaml);
  for (int job = 0; job < 50; ++job) {
    auto r = run_job(*engine, R"({"n": )" + std::to_string(job) + "}", "j" + std::to_string(job));
    ASSERT_EQ(r.status, engine::JobResult::Status::kCompleted) << r.error;
    EXPECT_EQ(parse(r.result_json)["n"].GetInt(), job);
    ASSERT_EQ(r.stages.size(), static_cast<size_t>(kStages));
    for (int i = 1; i < kStages; ++i)
      EXPECT_GE(r.stages[i].start_ns, r.stages[i - 1].start_ns + r.stages[i - 1].duration_ns);
  }
  for (const auto& m : engine->stage_metrics()) EXPECT_EQ(m->succeeded.load(), 50u);
}

// A stage that completes at once with a timer still pending: its call (which lives in the
// job's memory) ends, the job goes on and finishes, and the timer's cancelled callback runs
// later on the I/O thread, through the call. The call must keep its job until then; under
// AddressSanitizer the job pool poisons given-back blocks, so a job let go too early is
// reported there. With 0 ms the timer may also fire while the stage is still in its body.
TEST(EngineFlow, ACallThatEndsWithATimerPendingKeepsItsJobUntilTheTimersCallbackRan) {
  for (int ms : {0, 1, 30}) {
    auto engine = make_engine(R"(
name: early
version: "1"
stages:
  - { id: a, uses: testkit.sleep, with: { ms: )" + std::to_string(ms) + R"(, early: true } }
  - { id: b, uses: testkit.noop, needs: [a] }
)");
    constexpr int kJobs = 200;
    std::atomic<int> completed{0};
    for (int i = 0; i < kJobs; ++i) {
      engine::JobRequest request;
      request.id = "early-" + std::to_string(i);
      request.on_done = [&completed](engine::JobResult&& r) {
        if (r.status == engine::JobResult::Status::kCompleted) completed.fetch_add(1);
      };
      engine->submit(std::move(request));
    }
    engine->wait_idle();
    EXPECT_EQ(completed.load(), kJobs) << ms << " ms";
    EXPECT_EQ(engine->stage_metrics()[0]->succeeded.load(), static_cast<uint64_t>(kJobs));
  }
}

// A job handle may outlive the engine (and the pool its job's memory came from).
TEST(EngineFlow, JobHandleOutlivesItsEngine) {
  engine::JobHandle kept;
  {
    auto engine = make_engine(R"(
name: brief
version: "1"
stages:
  - { id: a, uses: testkit.noop }
  - { id: b, uses: testkit.noop, needs: [a] }
)");
    engine::JobResult result;
    for (int i = 0; i < 20; ++i) {
      engine::JobHandle handle = start_job(*engine, result, "h" + std::to_string(i));
      if (i == 7) kept = handle;
    }
    engine->wait_idle();
    EXPECT_EQ(result.status, engine::JobResult::Status::kCompleted) << result.error;
  }
  engine::JobHandle copy = kept;
  copy.cancel();  // finished long ago: changes nothing
  kept = engine::JobHandle();
}

}  // namespace
}  // namespace aiw::testing
