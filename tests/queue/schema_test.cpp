// The schema: migrations (idempotent, concurrent), the per-user active-job limit, row-level
// security, and the compatible `auth` schema on a plain PostgreSQL.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "queue_test_support.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace aiw::testing {
namespace {

TEST_F(QueueTest, MigrateAgainAppliesNothingAndKeepsTheLedger) {
  queue::MigrateReport report;
  ASSERT_TRUE(queue::migrate(url_, &report).ok());
  EXPECT_TRUE(report.applied.empty());
  EXPECT_EQ(report.skipped.size(), queue::embedded_migrations().size());
  EXPECT_EQ(scalar("select count(*) from aiw_schema_migrations"),
            std::to_string(queue::embedded_migrations().size()));
}

TEST(Migrate, TwoProcessesMigratingOneEmptyDatabaseAtOnceBothSucceed) {
  std::string url = PostgresServer::shared().create_database();
  aiw::test::Process a({AIW_BINARY, "migrate", "--database-url", url});
  aiw::test::Process b({AIW_BINARY, "migrate", "--database-url", url});
  auto ra = a.wait(std::chrono::seconds(60));
  auto rb = b.wait(std::chrono::seconds(60));
  EXPECT_EQ(ra.exit_code, 0) << ra.err;
  EXPECT_EQ(rb.exit_code, 0) << rb.err;
  pqxx::connection conn(url);
  pqxx::nontransaction tx(conn);
  EXPECT_EQ(tx.exec1("select count(*) from aiw_schema_migrations")[0].as<size_t>(),
            queue::embedded_migrations().size());
  // Between them, each migration was applied exactly once.
  EXPECT_EQ(ra.out.find("applied 0002") != std::string::npos,
            rb.out.find("applied 0002") == std::string::npos);
}

// The application's tables (what persist.row writes) come with the pipelines, in <folder>/sql:
// `aiw migrate` applies each file once, in name order, so a deployment needs no psql step.
TEST(Migrate, ThePipelinesSqlFilesAreAppliedOnceInNameOrderAndAnEditIsAWarning) {
  std::string url = PostgresServer::shared().create_database();
  TempDir pipelines;
  std::filesystem::create_directory(pipelines.path() / "sql");
  pipelines.write("sql/0002_notes_index.sql", "create index notes_body on notes (body);");
  pipelines.write("sql/0001_notes.sql", "create table notes (id int primary key, body text);");
  pipelines.write("sql/README.md", "not sql");
  pipelines.write("x.yaml", "name: x");
  // A pipeline file stands for its folder, as in PIPELINES_DIR; naming it twice changes nothing.
  const std::string dirs = pipelines.path().string() + ":" + (pipelines.path() / "x.yaml").string();

  auto first = aiw::test::run_process({AIW_BINARY, "migrate", "--database-url", url, "--pipelines", dirs});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_LT(first.out.find("0001_notes.sql"), first.out.find("0002_notes_index.sql")) << first.out;
  pqxx::connection conn(url);
  pqxx::nontransaction tx(conn);
  EXPECT_EQ(tx.exec1("select string_agg(name, ',' order by name) from aiw_app_migrations")[0].as<std::string>(),
            "0001_notes.sql,0002_notes_index.sql");
  EXPECT_EQ(tx.exec1("select count(*) from pg_indexes where indexname = 'notes_body'")[0].as<int>(), 1);

  // Again, with the folder from PIPELINES_DIR and one file edited: nothing re-runs (the index
  // would exist twice), the edit is named.
  pipelines.write("sql/0002_notes_index.sql", "create index notes_body on notes (body, id);");
  auto again = aiw::test::run_process({AIW_BINARY, "migrate", "--database-url", url},
                                      {{"PIPELINES_DIR", pipelines.path().string()}});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("0 applied now"), std::string::npos) << again.out;
  EXPECT_NE(again.err.find("0002_notes_index.sql changed after it was applied"), std::string::npos)
      << again.err;
}

TEST(Migrate, AFailingPipelineSqlFileIsNamedAndNotRecorded) {
  std::string url = PostgresServer::shared().create_database();
  TempDir pipelines;
  std::filesystem::create_directory(pipelines.path() / "sql");
  pipelines.write("sql/0001_broken.sql", "create tabel oops (id int);");
  auto r = aiw::test::run_process(
      {AIW_BINARY, "migrate", "--database-url", url, "--pipelines", pipelines.path().string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("0001_broken.sql"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("syntax error"), std::string::npos) << r.err;
  pqxx::connection conn(url);
  pqxx::nontransaction tx(conn);
  EXPECT_EQ(tx.exec1("select count(*) from aiw_app_migrations")[0].as<int>(), 0);

  auto missing = aiw::test::run_process(
      {AIW_BINARY, "migrate", "--database-url", url, "--pipelines", "/nonexistent/pipelines"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("pipeline folder /nonexistent/pipelines does not exist"), std::string::npos)
      << missing.err;
}

TEST(Migrate, UnreachableDatabaseIsASentenceNamingTheUrlWithoutItsPassword) {
  auto r = aiw::test::run_process(
      {AIW_BINARY, "migrate", "--database-url", "postgresql://app:s3cret@127.0.0.1:1/db"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("could not connect to PostgreSQL at postgresql://app:***@127.0.0.1:1/db"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("s3cret"), std::string::npos);
}

TEST(Migrate, WithoutADatabaseUrlSaysWhichVariableToSet) {
  auto r = aiw::test::run_process({AIW_BINARY, "migrate"}, {{"DATABASE_URL", std::nullopt}});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("set DATABASE_URL"), std::string::npos) << r.err;
}

TEST_F(QueueTest, EleventhActiveJobOfAUserIsRefusedEvenUnder50ConcurrentInserts) {
  std::string user = add_user();
  std::atomic<int> accepted{0}, refused{0};
  std::vector<std::string> errors(50);
  std::vector<std::thread> threads;
  for (int i = 0; i < 50; ++i) {
    threads.emplace_back([&, i] {
      auto s = store();
      std::vector<queue::NewJob> jobs = {job(user)};
      try {
        s->enqueue(jobs);
        ++accepted;
      } catch (const pqxx::sql_error& e) {
        if (e.sqlstate() == "AIW01") ++refused;
        errors[i] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(accepted.load(), 10);
  EXPECT_EQ(refused.load(), 40);
  EXPECT_EQ(scalar("select count(*) from analysis_jobs"), "10");
  std::string sentence;
  for (const auto& e : errors)
    if (!e.empty()) sentence = e;
  EXPECT_NE(sentence.find("already has 10 active jobs (pending or processing), the most allowed; "
                          "wait for one to finish or cancel one"),
            std::string::npos)
      << sentence;
}

TEST_F(QueueTest, AnEnqueueUnderALimitCountsOnceAndLaterInsertsOfItsTransactionAreCountedAgain) {
  std::string user = add_user();
  pqxx::connection conn(url_);
  pqxx::work tx(conn);
  tx.exec("set local track_functions = 'pl'");  // counts PL/pgSQL calls in this transaction
  std::string nine = "[";
  for (int i = 0; i < 9; ++i) nine += std::string(i ? "," : "") + R"({"user_id":")" + user + R"(","type":"echo"})";
  nine += "]";
  EXPECT_EQ(tx.exec1("select count(*) from aiw_enqueue_jobs(" + tx.quote(nine) +
                     "::jsonb) where out_refused is null")[0].as<int>(), 9);
  auto trigger_calls = [&] {
    return tx.exec1("select coalesce(pg_stat_get_xact_function_calls("
                    "'public.aiw_enforce_active_job_limit'::regproc), 0)")[0].as<int>();
  };
  // The function counted and locked for the batch: the row trigger was not called for its rows.
  EXPECT_EQ(trigger_calls(), 0);
  EXPECT_EQ(tx.exec1("select current_setting('aiw.enqueue_counted', true)")[0].c_str(), std::string())
      << "the function leaves the skip flag cleared";
  // An insert of the same transaction outside the function is counted by the trigger again.
  const std::string insert = "insert into analysis_jobs (user_id, type) values ('" + user + "', 'echo')";
  tx.exec(insert);  // the 10th active job: allowed
  EXPECT_EQ(trigger_calls(), 1);
  try {
    tx.exec(insert);  // the 11th
    ADD_FAILURE() << "the 11th active job was inserted";
  } catch (const pqxx::sql_error& e) {
    EXPECT_EQ(e.sqlstate(), "AIW01") << e.what();
  }
}

TEST_F(QueueTest, FinishedJobsDoNotCountAgainstTheLimitButRetriedOnesDo) {
  std::string user = add_user();
  auto s = store();
  std::vector<queue::NewJob> ten(10, job(user));
  auto ids = s->enqueue(ten);
  std::vector<queue::NewJob> one = {job(user)};
  EXPECT_THROW(s->enqueue(one), pqxx::sql_error);
  exec("update analysis_jobs set status = 'failed', completed_at = now() where id = '" + ids[0] + "'");
  EXPECT_NO_THROW(s->enqueue(one));
  // Putting the failed job back to pending (the retry endpoint) makes it active again: refused.
  EXPECT_THROW(exec("update analysis_jobs set status = 'pending' where id = '" + ids[0] + "'"),
               pqxx::sql_error);
}

TEST_F(QueueTest, AUserRoleSeesOnlyItsOwnJobsAndTheServiceRoleSeesAll) {
  std::string alice = add_user(), bob = add_user();
  auto s = store();
  std::vector<queue::NewJob> jobs = {job(alice), job(alice), job(bob)};
  s->enqueue(jobs);
  auto count_as = [&](const std::string& role, const std::string& sub) {
    pqxx::work tx(*admin_);
    tx.exec("select set_config('role', " + tx.quote(role) + ", true), "
            "set_config('request.jwt.claims', " +
            tx.quote(sub.empty() ? R"({"role":")" + role + R"("})"
                                 : R"({"sub":")" + sub + R"(","role":")" + role + R"("})") +
            ", true)");
    std::string uid = tx.exec1("select coalesce(auth.uid()::text, '')")[0].c_str();
    EXPECT_EQ(uid, sub);
    return tx.exec1("select count(*) from analysis_jobs")[0].as<int>();
  };
  EXPECT_EQ(count_as("authenticated", alice), 2);
  EXPECT_EQ(count_as("authenticated", bob), 1);
  EXPECT_EQ(count_as("service_role", ""), 3);
  // anon has no grant at all.
  pqxx::work tx(*admin_);
  tx.exec("set local role anon");
  EXPECT_THROW(tx.exec("select count(*) from analysis_jobs"), pqxx::insufficient_privilege);
}

TEST_F(QueueTest, AnExistingAuthSchemaIsLeftUntouched) {
  // A database that already has Supabase's auth schema (here: a marker function) keeps it.
  std::string url = PostgresServer::shared().create_database();
  {
    pqxx::connection conn(url);
    pqxx::nontransaction tx(conn);
    tx.exec("create schema auth; create table auth.users (id uuid primary key, marker text);"
            "create function auth.uid() returns uuid language sql stable as $$ select null::uuid $$;"
            "create function auth.supabase_marker() returns int language sql as $$ select 1 $$;");
  }
  queue::MigrateReport report;
  ASSERT_TRUE(queue::migrate(url, &report).ok());
  pqxx::connection conn(url);
  pqxx::nontransaction tx(conn);
  EXPECT_EQ(tx.exec1("select auth.supabase_marker()")[0].as<int>(), 1);
  EXPECT_EQ(tx.exec1("select count(*) from information_schema.columns where table_schema = 'auth' "
                     "and table_name = 'users' and column_name = 'marker'")[0].as<int>(), 1);
}

TEST_F(QueueTest, AtTheActiveLimitARepeatedIdempotencyKeyGetsItsJobAndANewKeyIsRefused) {
  std::string user = add_user();
  pqxx::connection c(url_);
  pqxx::nontransaction tx(c);
  auto enqueue = [&](const std::vector<std::string>& keys) {
    std::string jobs = "[";
    for (const auto& k : keys)
      jobs += std::string(jobs.size() > 1 ? "," : "") + R"({"user_id":")" + user +
              R"(","type":"echo","input":{"n":1},"idempotency_key":")" + k + R"("})";
    std::vector<std::string> answers;
    for (const auto& row : tx.exec("select coalesce(out_refused, 'stored') from aiw_enqueue_jobs(" +
                                   tx.quote(jobs + "]") + "::jsonb) order by out_ord"))
      answers.push_back(row[0].c_str());
    return answers;
  };
  std::vector<std::string> ten;
  for (int i = 0; i < 10; ++i) ten.push_back("k" + std::to_string(i));
  EXPECT_EQ(enqueue(ten), std::vector<std::string>(10, "stored"));
  // A key of a stored job is answered with that job, even twice in one batch; a new key counts.
  EXPECT_EQ(enqueue({"k3", "k11", "k3"}), (std::vector<std::string>{"duplicate", "active_limit", "duplicate"}));
  EXPECT_EQ(scalar("select count(*) from analysis_jobs"), "10");
  tx.exec("delete from analysis_jobs");
  // A new key twice in one batch (two requests at the same moment): the first one is stored.
  EXPECT_EQ(enqueue({"twice", "twice"}), (std::vector<std::string>{"stored", "idempotency_in_progress"}));
  EXPECT_EQ(scalar("select count(*) from analysis_jobs"), "1");
}

// A keyed enqueue (Idempotency-Key, migration 0011) looks each key up by its unique index. With
// an empty table's statistics the planner hashed the whole table instead, and that generic plan
// stayed for the connection's life: every later batch read every row.
TEST_F(QueueTest, AKeyedEnqueueLooksItsKeysUpByIndexEvenWithThePlanOfAnEmptyTable) {
  std::string user = add_user();
  pqxx::connection c(url_);
  auto batch = [&](const std::string& key) {
    return R"([{"user_id":")" + user + R"(","type":"echo","idempotency_key":")" + key + R"("}])";
  };
  {
    pqxx::nontransaction tx(c);
    tx.exec("analyze analysis_jobs");  // statistics of an empty table
    tx.exec("set aiw.max_active_jobs_per_user = 0");
    tx.exec("select * from aiw_enqueue_jobs(" + tx.quote(batch("first")) + "::jsonb)");  // plans now
    tx.exec("insert into analysis_jobs (user_id, type, idempotency_key) select '" + user +
            "', 'echo', 'bulk-' || g from generate_series(1, 5000) g");
  }
  pqxx::work tx(c);
  pqxx::row again = tx.exec1("select out_refused from aiw_enqueue_jobs(" + tx.quote(batch("first")) + "::jsonb)");
  EXPECT_EQ(std::string(again[0].c_str()), "duplicate");
  pqxx::row fresh = tx.exec1("select out_refused from aiw_enqueue_jobs(" + tx.quote(batch("bulk-77x")) + "::jsonb)");
  EXPECT_TRUE(fresh[0].is_null());
  EXPECT_EQ(tx.exec1("select seq_scan from pg_stat_xact_user_tables where relname = 'analysis_jobs'")[0].as<int>(), 0)
      << "a keyed enqueue read the whole table";
}

// JIT compiled the enqueue function's plan for ~30 ms a call (bench/README.md "Gateway"): aiw's
// connections turn it off, and so do the hot-path functions for any other caller.
TEST_F(QueueTest, AiwConnectionsAndHotPathFunctionsRunWithoutJit) {
  auto conn = queue::connect(url_);
  ASSERT_TRUE(conn.ok()) << conn.status().message();
  pqxx::nontransaction tx(**conn);
  EXPECT_EQ(std::string(tx.exec1("show jit")[0].c_str()), "off");
  for (const char* fn : {"aiw_enqueue_jobs", "aiw_enqueue_keyed_jobs", "aiw_claim_jobs"})
    EXPECT_EQ(tx.exec1(std::string("select 'jit=off' = any(proconfig) from pg_proc where proname = '") +
                       fn + "'")[0].as<bool>(), true)
        << fn;
}

// The claim (aiw_claim_jobs, which runs with enable_sort off) must find its batch by walking an
// index in claim order, never by sorting every pending row: with a burst's stale statistics
// (no analyze since the rows arrived) and finished rows beside them. Migration 0009 dropped the
// partial index of claimable rows; the status index must keep providing that walk.
TEST_F(QueueTest, TheClaimWalksAnIndexInClaimOrderWithoutSortingEvenWithStaleStatistics) {
  std::string user = add_user();
  pqxx::connection c(url_);
  pqxx::nontransaction(c).exec("analyze analysis_jobs");  // statistics of an empty table
  pqxx::work tx(c);
  tx.exec("set local aiw.max_active_jobs_per_user = 0");
  tx.exec("insert into analysis_jobs (user_id, type, status, completed_at) select '" + user +
          "', 'echo', 'completed', now() from generate_series(1, 5000)");
  tx.exec("insert into analysis_jobs (user_id, type, priority) select '" + user +
          "', 'echo', 1 + g % 10 from generate_series(1, 5000) g");
  tx.exec("set local enable_sort = off");  // as aiw_claim_jobs runs
  std::string plan;
  for (const auto& row : tx.exec(
           "explain select p.id from public.analysis_jobs p where p.status = 'pending' "
           "and p.type = any('{echo}') and p.run_after <= now() "
           "order by p.priority, p.created_at limit 500 for update skip locked"))
    plan += std::string(row[0].c_str()) + "\n";
  EXPECT_EQ(plan.find("Sort"), std::string::npos) << plan;
  EXPECT_NE(plan.find("Index Scan using analysis_jobs_status_priority_created_idx"), std::string::npos)
      << plan;
}

}  // namespace
}  // namespace aiw::testing
