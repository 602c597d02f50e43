// Proves docs/plugins.md "persist.row": one row per job in one statement, nothing the second
// time for the same job id, permanent errors for the pipeline's mistakes (unknown column, no
// unique constraint, NOT NULL), retryable ones for a database that is not there, and table or
// column names that are not plain identifiers refused when the pipeline loads.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "pipeline_test_support.h"

namespace aiw::testing {
namespace {

using engine::ErrorKind;
using engine::JobResult;

constexpr const char* kMealsTable =
    "CREATE TABLE meals (job_id uuid PRIMARY KEY, user_name text NOT NULL, foods jsonb, "
    "kcal numeric, note text)";

class PersistRowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = PostgresServer::shared().create_database("persist");
    PostgresServer::shared().execute(kMealsTable, database_of(url_));
  }

  // A one-stage pipeline writing the input's fields into `table`.
  std::string yaml(
      const std::string& table = "meals",
      const std::string& columns =
          R"({user_name: "${input.name}", foods: "${input.foods}", kcal: "${input.kcal}", note: "${input.note}"})",
      const std::string& url = "") {
    return "name: t\nversion: \"1\"\nstages:\n  - id: save\n    uses: persist.row\n"
           "    timeout: 10s\n    with:\n      database_url: \"" +
           (url.empty() ? url_ : url) + "\"\n      table: " + table +
           "\n      columns: " + columns + "\n";
  }

  std::string url_;
};

TEST_F(PersistRowTest, WritesOneRowWithJsonAndTextColumns) {
  auto engine = make_engine(yaml());
  ASSERT_TRUE(engine);
  std::string id = new_job_id();
  JobResult r = run_job(
      *engine,
      R"({"name":"ana","foods":[{"name":"arroz","grams":150}],"kcal":192.5,"note":"almoço"})", id);
  ASSERT_EQ(r.status, JobResult::Status::kCompleted) << describe(r);
  EXPECT_EQ(r.result_json, R"({"table":"meals","job_id":")" + id + R"(","written":true})");
  EXPECT_EQ(query_one(url_, "select count(*) from meals"), "1");
  EXPECT_EQ(
      query_one(url_,
                "select user_name || '|' || (foods->0->>'name') || '|' || kcal || '|' || note "
                "from meals where job_id = '" +
                    id + "'"),
      "ana|arroz|192.5|almoço");
}

TEST_F(PersistRowTest, AStringIntoAJsonbColumnIsStoredAsAJsonString) {
  auto engine = make_engine(yaml());
  ASSERT_TRUE(engine);
  JobResult r = run_job(*engine, R"({"name":"bia","foods":"just text"})", new_job_id());
  ASSERT_EQ(r.status, JobResult::Status::kCompleted) << describe(r);
  EXPECT_EQ(query_one(url_, "select foods::text || '|' || (note is null)::text from meals"),
            "\"just text\"|true");
}

TEST_F(PersistRowTest, ASecondRunOfTheSameJobIdWritesNothing) {
  auto engine = make_engine(yaml());
  ASSERT_TRUE(engine);
  std::string id = new_job_id();
  JobResult first = run_job(*engine, R"({"name":"first"})", id);
  ASSERT_EQ(first.status, JobResult::Status::kCompleted) << describe(first);
  JobResult retry = run_job(*engine, R"({"name":"second"})", id);
  ASSERT_EQ(retry.status, JobResult::Status::kCompleted) << describe(retry);
  EXPECT_NE(retry.result_json.find(R"("written":false)"), std::string::npos) << retry.result_json;
  EXPECT_EQ(query_one(url_, "select count(*) || ' ' || min(user_name) from meals"), "1 first");
}

TEST_F(PersistRowTest, ManyConcurrentJobsEachWriteOneRowThroughASmallPool) {
  auto engine = make_engine(yaml());
  ASSERT_TRUE(engine);
  constexpr int kJobs = 200;
  std::vector<JobResult> results(kJobs);
  for (int i = 0; i < kJobs; ++i)
    start_job(*engine, results[i], new_job_id(), R"({"name":"u)" + std::to_string(i) + "\"}");
  engine->wait_idle();
  for (const auto& r : results) ASSERT_EQ(r.status, JobResult::Status::kCompleted) << describe(r);
  EXPECT_EQ(query_one(url_, "select count(distinct user_name) from meals"), std::to_string(kJobs));
  // The default pool: two connections for the whole process, whatever the number of jobs.
  EXPECT_EQ(query_one(url_,
                      "select count(*) <= 2 from pg_stat_activity where application_name = "
                      "'aiw-persist' and datname = current_database()"),
            "t");
}

TEST_F(PersistRowTest, AnUnknownColumnIsAPermanentErrorNamingIt) {
  auto engine = make_engine(yaml("meals", R"({user_name: "x", calories: 3})"));
  ASSERT_TRUE(engine);
  JobResult r = run_job(*engine, "{}", new_job_id());
  ASSERT_EQ(r.status, JobResult::Status::kFailed);
  EXPECT_EQ(r.error_kind, ErrorKind::kPermanent) << describe(r);
  EXPECT_NE(r.error.find("column \"calories\""), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("42703"), std::string::npos) << r.error;
}

TEST_F(PersistRowTest, ANullIntoANotNullColumnIsPermanent) {
  auto engine = make_engine(yaml());
  ASSERT_TRUE(engine);
  JobResult r = run_job(*engine, R"({"foods":[]})", new_job_id());
  ASSERT_EQ(r.status, JobResult::Status::kFailed);
  EXPECT_EQ(r.error_kind, ErrorKind::kPermanent) << describe(r);
  EXPECT_NE(r.error.find("23502"), std::string::npos) << r.error;
}

TEST_F(PersistRowTest, ATableWithoutAUniqueJobIdIsPermanentAndSaysWhatToAdd) {
  PostgresServer::shared().execute("CREATE TABLE loose (job_id uuid, user_name text)",
                                   database_of(url_));
  auto engine = make_engine(yaml("loose", R"({user_name: "x"})"));
  ASSERT_TRUE(engine);
  JobResult r = run_job(*engine, "{}", new_job_id());
  ASSERT_EQ(r.status, JobResult::Status::kFailed);
  EXPECT_EQ(r.error_kind, ErrorKind::kPermanent) << describe(r);
  EXPECT_NE(r.error.find("UNIQUE constraint or primary key on job_id"), std::string::npos)
      << r.error;
}

TEST_F(PersistRowTest, ADatabaseThatIsDownIsARetryableError) {
  // Port 1 on loopback: nothing listens, the connection is refused at once.
  auto engine =
      make_engine(yaml("meals", R"({user_name: "x"})", "postgresql://postgres@127.0.0.1:1/none"));
  ASSERT_TRUE(engine);
  JobResult r = run_job(*engine, "{}", new_job_id());
  ASSERT_EQ(r.status, JobResult::Status::kFailed);
  EXPECT_EQ(r.error_kind, ErrorKind::kRetryable) << describe(r);
  EXPECT_NE(r.error.find("could not connect to the database"), std::string::npos) << r.error;
}

TEST_F(PersistRowTest, ALostConnectionIsRetryableAndTheNextJobReconnects) {
  std::string text = yaml();
  text.replace(text.find("      table:"), 0, "      connections: 1\n");  // one connection to lose
  auto engine = make_engine(text);
  ASSERT_TRUE(engine);
  ASSERT_EQ(run_job(*engine, R"({"name":"before"})", new_job_id()).status,
            JobResult::Status::kCompleted);
  EXPECT_EQ(query_one(url_,
                      "select count(pg_terminate_backend(pid)) from pg_stat_activity where "
                      "application_name = 'aiw-persist' and datname = current_database()"),
            "1");
  // pg_terminate_backend only signals: wait until the backend is gone.
  for (int i = 0;
       i < 100 && query_one(url_,
                            "select count(*) from pg_stat_activity where application_name "
                            "= 'aiw-persist' and datname = current_database()") != "0";
       ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  JobResult lost = run_job(*engine, R"({"name":"lost"})", new_job_id());
  ASSERT_EQ(lost.status, JobResult::Status::kFailed);
  EXPECT_EQ(lost.error_kind, ErrorKind::kRetryable) << describe(lost);
  JobResult after = run_job(*engine, R"({"name":"after"})", new_job_id());
  ASSERT_EQ(after.status, JobResult::Status::kCompleted) << describe(after);
  EXPECT_EQ(query_one(url_, "select string_agg(user_name, ',' order by user_name) from meals"),
            "after,before");
}

// The pool's thread ends the call; when the stage's timeout ended it first, the late end is
// ignored (the handle stays valid until both sides agreed, see handoff.h), and the queue's
// retry of the job finds the row that the slow write committed.
TEST_F(PersistRowTest, AWriteThatOutlivesTheStageTimeoutIsIgnoredAndTheRetryFindsTheRow) {
  PGconn* blocker = PQconnectdb(url_.c_str());
  ASSERT_EQ(PQstatus(blocker), CONNECTION_OK);
  PQclear(PQexec(blocker, "BEGIN; LOCK TABLE meals IN ACCESS EXCLUSIVE MODE"));
  std::string text = yaml();
  text.replace(text.find("timeout: 10s"), 12, "timeout: 1s");
  auto engine = make_engine(text);
  ASSERT_TRUE(engine);
  std::string id = new_job_id();
  JobResult r = run_job(*engine, R"({"name":"slow"})", id);
  ASSERT_EQ(r.status, JobResult::Status::kFailed);
  EXPECT_EQ(r.error_kind, ErrorKind::kRetryable) << describe(r);
  EXPECT_NE(r.error.find("timeout"), std::string::npos) << r.error;

  PQclear(PQexec(blocker, "COMMIT"));
  PQfinish(blocker);
  std::string count;
  for (int i = 0; i < 100 && (count = query_one(url_, "select count(*) from meals")) != "1"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(count, "1") << "the write that outlived its call never committed";
  JobResult retry = run_job(*engine, R"({"name":"slow"})", id);
  ASSERT_EQ(retry.status, JobResult::Status::kCompleted) << describe(retry);
  EXPECT_NE(retry.result_json.find(R"("written":false)"), std::string::npos) << retry.result_json;
}

TEST_F(PersistRowTest, ATableNameThatIsNotAnIdentifierIsRefusedAtLoad) {
  auto loaded = pipeline::load_pipeline_text(yaml("\"meals; drop table meals\""), "t.yaml",
                                             testkit_registry());
  ASSERT_FALSE(loaded.ok());
  ASSERT_FALSE(loaded.diagnostics.empty());
  EXPECT_NE(loaded.diagnostics[0].to_string().find("table"), std::string::npos)
      << loaded.diagnostics[0].to_string();
}

TEST_F(PersistRowTest, AColumnNameThatIsNotAnIdentifierRefusesThePipeline) {
  auto loaded = pipeline::load_pipeline_text(yaml("meals", R"({"user_name\" text); --": "x"})"),
                                             "t.yaml", testkit_registry());
  ASSERT_TRUE(loaded.ok());
  auto created = engine::Engine::create(std::move(*loaded.spec), testkit_registry());
  ASSERT_FALSE(created.ok());
  EXPECT_NE(created.error().find("is not a plain lower-case name"), std::string::npos)
      << created.error();
}

}  // namespace
}  // namespace aiw::testing
