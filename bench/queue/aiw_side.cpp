#include "aiw_side.h"

#include <atomic>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <pqxx/pqxx>
#include <stdexcept>
#include <thread>

#include "queue/db.h"
#include "queue/job_store.h"
#include "queue/migrations.h"
#include "support/background_process.h"

namespace aiw::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kNoop = "bench_noop";
constexpr const char* kStamp = "bench_clock";

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::unique_ptr<queue::JobStore> open_store(const std::string& url, const std::string& who) {
  auto conn = queue::connect(url);
  if (!conn) throw std::runtime_error(conn.error());
  return std::make_unique<queue::JobStore>(*conn, who);
}

class AiwBench {
 public:
  explicit AiwBench(const AiwOptions& o) : o_(o) {}

  SideResult run() {
    setup();
    SideResult r;
    r.name = "aiw";
    r.settings = "WORKER_CONCURRENCY=" + std::to_string(o_.concurrency) +
                 ", WORKER_CLAIM_BATCH=" + std::to_string(o_.claim_batch) + ", enqueue " +
                 std::to_string(o_.batch) + "/statement";
    r.drain.jobs = o_.jobs;
    r.drain.enqueue_per_s = enqueue_backlog();
    drain(r.drain);
    r.pickup = pickup();
    if (o_.produce_seconds > 0) r.produce = produce();
    worker_->signal(SIGTERM);
    worker_->wait_exit(std::chrono::seconds(30));
    return r;
  }

 private:
  void setup() {
    queue::MigrateReport report;
    Status migrated = queue::migrate(o_.url, &report);
    if (!migrated.ok()) throw std::runtime_error(migrated.message());
    admin_ = std::make_unique<pqxx::connection>(o_.url);
    // The per-user limit is a product rule (10 active jobs a user), not a cost of the queue.
    exec("alter database " + scalar("select current_database()") +
         " set aiw.max_active_jobs_per_user = 0");
    if (!o_.setup_sql.empty()) exec(o_.setup_sql);
    user_ = scalar("insert into auth.users (id) values (gen_random_uuid()) returning id::text");
    fs::create_directories(o_.dir / "pipelines");
    write_pipeline(kNoop, "testkit.noop");
    write_pipeline(kStamp, "testkit.clock");
  }

  void write_pipeline(const std::string& name, const std::string& stage) {
    std::ofstream(o_.dir / "pipelines" / (name + ".yaml"))
        << "name: " << name << "\nversion: \"1\"\ndescription: bench/queue, one stage.\n"
        << "stages:\n  - { id: s1, uses: " << stage << " }\n";
  }

  double enqueue_backlog() {
    auto store = open_store(o_.url, "bench-producer");
    std::vector<queue::NewJob> batch(static_cast<size_t>(o_.batch), new_job(kNoop));
    auto start = Clock::now();
    for (int64_t done = 0; done < o_.jobs; done += o_.batch) {
      size_t n = static_cast<size_t>(std::min<int64_t>(o_.batch, o_.jobs - done));
      store->enqueue(std::span(batch.data(), n));
    }
    return static_cast<double>(o_.jobs) / seconds_since(start);
  }

  void drain(DrainResult& r) {
    auto start = Clock::now();
    start_worker();
    std::vector<std::pair<double, int64_t>> trace;
    for (;;) {
      int64_t left = backlog(kNoop);
      trace.emplace_back(seconds_since(start), left);
      if (left == 0) break;
      if (!worker_->running()) throw std::runtime_error("the worker exited:\n" + worker_->log());
      std::this_thread::sleep_for(std::chrono::milliseconds(o_.poll_ms));
    }
    int64_t completed = std::stoll(scalar(
        std::string("select count(*) from analysis_jobs where status = 'completed' and type = '") +
        kNoop +
        "' and result is not null and completed_at is not null and processing_time_ms is not "
        "null"));
    if (completed != o_.jobs)
      throw std::runtime_error("only " + std::to_string(completed) + " of " +
                               std::to_string(o_.jobs) + " jobs completed with their result");
    r.drain_s = trace.back().first;
    r.drain_per_s = static_cast<double>(o_.jobs) / r.drain_s;
    r.steady_per_s = steady_rate(trace, o_.jobs);
  }

  void start_worker() {
    std::map<std::string, std::string> env = {
        {"DATABASE_URL", o_.url},
        {"PORT", "0"},
        {"PIPELINES_DIR", (o_.dir / "pipelines").string()},
        {"AIW_PLUGIN_PATH", o_.plugin_dir},
        {"WORKER_ID", "bench"},
        {"WORKER_CONCURRENCY", std::to_string(o_.concurrency)},
        {"WORKER_CLAIM_BATCH", std::to_string(o_.claim_batch)},
        {"LOG_LEVEL", "info"},
    };
    worker_ = std::make_unique<testing::BackgroundProcess>(
        std::vector<std::string>{o_.aiw_binary, "worker"}, env, (o_.dir / "worker.log").string());
    if (!worker_->wait_for_log("\"msg\":\"worker listening\"", std::chrono::seconds(60)))
      throw std::runtime_error("the worker did not start:\n" + worker_->log());
  }

  // Insert commit (the enqueue statement returned) -> testkit.clock's stamp inside the worker.
  // The wake-up NOTIFY follows the commit in a statement of its own (migration 0008), so it is
  // sent after the stamp: its round trip counts in the pickup.
  PickupResult pickup() {
    auto store = open_store(o_.url, "bench-pickup");
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let the worker go idle
    std::map<std::string, int64_t> committed;
    queue::NewJob job = new_job(kStamp);
    for (int i = 0; i < o_.samples; ++i) {
      std::string id = store->enqueue(std::span(&job, 1), /*notify=*/false).at(0);
      committed[id] = wall_us();
      store->notify_jobs_pending(std::span(&job.type, 1));
      std::this_thread::sleep_for(std::chrono::milliseconds(o_.interval_ms));
    }
    auto deadline = Clock::now() + std::chrono::seconds(30);
    while (backlog(kStamp) > 0 && Clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::vector<double> ms;
    pqxx::nontransaction tx(*admin_);
    for (const auto& row :
         tx.exec(std::string("select id::text, result::text from analysis_jobs where type = '") +
                 kStamp + "' and status = 'completed'")) {
      std::string result = row[1].c_str();
      size_t at = result.find("\"unix_us\":");
      auto it = committed.find(row[0].c_str());
      if (at == std::string::npos || it == committed.end()) continue;
      int64_t stamp = std::stoll(result.substr(at + 10));
      ms.push_back(static_cast<double>(stamp - it->second) / 1000.0);
    }
    return summarize(std::move(ms));
  }

  ProduceResult produce();

  queue::NewJob new_job(const char* type) const {
    queue::NewJob j;
    j.user_id = user_;
    j.type = type;
    return j;
  }

  // Jobs not yet finished, counted from the partial index analysis_jobs_active_user_idx, so a
  // sample costs in proportion to what is left. The planner, left alone, picks a scan of the
  // status and type indexes over every row ever enqueued (or the whole table) when the
  // statistics are a burst old: sampled 10 times a second, that took ~15 % of a core from the
  // PostgreSQL being measured. During a drain only the benchmark's no-op jobs are unfinished.
  int64_t backlog(const char* /*type*/) {
    pqxx::work tx(*admin_);
    tx.exec("set local enable_seqscan = off");
    tx.exec("set local enable_bitmapscan = off");
    pqxx::result r =
        tx.exec("select count(*) from analysis_jobs where status in ('pending', 'processing')");
    tx.commit();
    return r[0][0].as<int64_t>();
  }

  std::string scalar(const std::string& sql) {
    pqxx::nontransaction tx(*admin_);
    pqxx::result r = tx.exec(sql);
    return r.empty() || r[0][0].is_null() ? "" : r[0][0].c_str();
  }
  void exec(const std::string& sql) { scalar(sql); }

  const AiwOptions& o_;
  std::unique_ptr<pqxx::connection> admin_;
  std::unique_ptr<testing::BackgroundProcess> worker_;
  std::string user_;
};

// A producer enqueues at the offered rate while the worker drains; the backlog, dead tuples and
// autovacuum runs are sampled every second from another connection.
ProduceResult AiwBench::produce() {
  ProduceResult r;
  r.seconds = o_.produce_seconds;
  r.offered_per_s = o_.produce_rate;
  std::atomic<int64_t> enqueued{0};
  std::atomic<bool> stop{false};
  std::thread producer([&] {
    auto store = open_store(o_.url, "bench-producer");
    std::vector<queue::NewJob> batch(static_cast<size_t>(o_.produce_batch), new_job(kNoop));
    auto start = Clock::now();
    const double per_batch_s = static_cast<double>(o_.produce_batch) / o_.produce_rate;
    for (int64_t k = 1; !stop; ++k) {
      store->enqueue(batch);
      enqueued += o_.produce_batch;
      std::this_thread::sleep_until(
          start + std::chrono::duration_cast<Clock::duration>(
                      std::chrono::duration<double>(per_batch_s * static_cast<double>(k))));
    }
  });
  auto stats = [&] {
    pqxx::nontransaction tx(*admin_);
    auto row = tx.exec1(
        "select n_dead_tup, autovacuum_count from pg_stat_user_tables where relname = "
        "'analysis_jobs'");
    return std::pair(row[0].as<int64_t>(), row[1].as<int64_t>());
  };
  const int64_t vacuums_before = stats().second;
  auto start = Clock::now();
  int64_t done_at_window = 0;
  int window_start = 0;
  for (int s = 1; s <= o_.produce_seconds; ++s) {
    std::this_thread::sleep_until(start + std::chrono::seconds(s));
    int64_t left = backlog(kNoop);
    int64_t done = enqueued.load() - left;
    r.max_backlog = std::max(r.max_backlog, left);
    r.max_dead_tuples = std::max(r.max_dead_tuples, stats().first);
    if (s % 10 == 0 || s == o_.produce_seconds) {
      r.completed_per_s_by_window.push_back(static_cast<double>(done - done_at_window) /
                                            (s - window_start));
      done_at_window = done;
      window_start = s;
    }
  }
  double elapsed = seconds_since(start);
  int64_t left = backlog(kNoop);
  int64_t sent = enqueued.load();
  stop = true;
  producer.join();
  r.final_backlog = left;
  r.enqueued_per_s = static_cast<double>(sent) / elapsed;
  r.completed_per_s = static_cast<double>(sent - left) / elapsed;
  r.autovacuums = stats().second - vacuums_before;
  return r;
}

}  // namespace

SideResult run_aiw(const AiwOptions& options) { return AiwBench(options).run(); }

}  // namespace aiw::bench
