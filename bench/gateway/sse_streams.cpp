// sse_streams: N open Server-Sent Event streams (GET /v1/jobs/{id}/events) receiving events,
// for the gateway benchmark (bench/gateway/run.sh, bench/README.md "Gateway", "SSE").
//
//   sse_streams --port 3000 --secret S --users users.txt --database-url URL --streams 1000
//               [--batch 200] [--gap-ms 700] [--start-after 3] [--ready-file F] [--type noop]
//               [--open-timeout 30] [--end-timeout 30]
//
// 1. Inserts N pending jobs straight into analysis_jobs, job i owned by user i (users in
//    rotation when N exceeds them). SQL rather than POST /v1/jobs: the POST path has its own
//    steps, and the ids and owners are known at once without parsing answers.
// 2. Opens one stream per job as its owner (HS256 user token minted with --secret, as
//    open_loop does) over non-blocking sockets in this one epoll thread, and checks each answers
//    200, text/event-stream, and a first `status` event with the job's current state (pending).
//    Then it creates --ready-file (run.sh starts its POST load then).
// 3. While every stream stays open, a second thread plays the worker without a worker: after
//    --start-after seconds it moves the jobs, --batch at a time with --gap-ms between
//    statements, to processing (a `status` event each), then a progress update (`progress`),
//    then completed (`result`, the last event). Each statement notifies aiw_job_events the way
//    framework/src/queue/sql.h does: comma-separated ids, at most 200 per NOTIFY, sent at
//    commit. The time the statement returned (its commit acknowledged) is the start of each of
//    its events' delivery latency.
// 4. Per stream: every event must arrive once, in order, the result last, and then the server
//    must end the stream (chunked terminator and close). Anything else is an error, described
//    on stderr (which stream, what it received); the exit status is 1 when any stream did not
//    get its result and its end, 2 on a setup failure.
//
// Prints one line: streams, events, delivery latency p50/p95/p99/max (ms from commit to the
// event's arrival here), errors, and this program's own CPU time; then one line on the
// statements (how long each took to commit) and one per event kind.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "bench_client.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  int port = 3000;
  std::string secret;
  std::string users_file;
  std::string database_url;
  std::string type = "noop";
  std::string ready_file;
  size_t streams = 1000;
  size_t batch = 200;
  double gap_ms = 700;
  double start_after = 3;
  double open_timeout = 30;
  double end_timeout = 30;
};

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "sse_streams: %s\n", why.c_str());
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  try {
    aiw::cli::Args a({argv + 1, argv + argc},
                {"host", "port", "secret", "users", "database-url", "type", "ready-file",
                 "streams", "batch", "gap-ms", "start-after", "open-timeout", "end-timeout"},
                {});
    if (!a.positionals().empty()) die("unknown argument " + a.positionals().front());
    o.host = a.value("host").value_or(o.host);
    o.port = static_cast<int>(a.positive("port", o.port));
    o.secret = a.value("secret").value_or("");
    o.users_file = a.value("users").value_or("");
    o.database_url = a.value("database-url").value_or("");
    o.type = a.value("type").value_or(o.type);
    o.ready_file = a.value("ready-file").value_or("");
    o.streams = static_cast<size_t>(a.positive("streams", static_cast<long long>(o.streams)));
    o.batch = static_cast<size_t>(a.positive("batch", static_cast<long long>(o.batch)));
    o.gap_ms = aiw::bench::number_flag(a, "gap-ms", o.gap_ms);
    o.start_after = aiw::bench::number_flag(a, "start-after", o.start_after);
    o.open_timeout = aiw::bench::number_flag(a, "open-timeout", o.open_timeout);
    o.end_timeout = aiw::bench::number_flag(a, "end-timeout", o.end_timeout);
  } catch (const aiw::cli::UsageError& e) {
    die(e.what());
  }
  if (o.secret.empty() || o.users_file.empty() || o.database_url.empty())
    die("--secret, --users and --database-url are required");
  return o;
}

// The three changes the driver makes, in order, and the event each must produce
// (framework/src/gateway/events.cpp: event_name).
enum Phase { kProcessing = 0, kProgress = 1, kCompleted = 2, kPhases = 3 };
const char* const kPhaseEvent[kPhases] = {"status", "progress", "result"};

// Each statement moves one batch and notifies like framework/src/queue/sql.h: one pg_notify per
// 200 ids (a NOTIFY payload is limited to 8,000 bytes), comma-separated ids, all sent at commit.
// It returns how many rows it moved, so that a batch that moved fewer is reported, not hidden.
std::string statement(Phase p) {
  std::string set;
  std::string from;
  switch (p) {
    case kProcessing:  // as aiw_claim_jobs (migration 0005) claims
      set = "status = 'processing', attempts = j.attempts + 1, worker_id = 'bench/sse_streams', "
            "started_at = now(), heartbeat_at = now(), updated_at = now(), progress = null";
      from = "pending";
      break;
    case kProgress:  // as kWriteProgress
      set = R"(progress = '{"stage": "bench", "percent": 50}', updated_at = now())";
      from = "processing";
      break;
    case kCompleted:  // as kWriteOutcomes for a completed job
      set = R"(status = 'completed', result = '{"ok": true}', error = null, )"
            R"(processing_time_ms = 1, completed_at = now(), progress = '{"percent": 100}', )"
            "heartbeat_at = null, updated_at = now()";
      from = "processing";
      break;
    default:
      die("no such phase");
  }
  return "with moved as (update public.analysis_jobs j set " + set +
         " where j.id = any($1::uuid[]) and j.status = '" + from +
         "' returning j.id), events as ("
         "select pg_notify('aiw_job_events', string_agg(id::text, ',')) from ("
         "select id, (row_number() over ()) / 200 as chunk from moved) c group by chunk) "
         "select (select count(*) from moved), (select count(*) from events)";
}

std::string uuid_array(const std::vector<std::string>& ids) {
  std::string out = "{";
  for (size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + ids[i];
  return out + "}";
}

struct Event {
  std::string name;
  std::string status;  // the job's "status" in the event's data
  Clock::time_point at;
};

struct Stream {
  int fd = -1;
  std::string job_id;
  size_t user = 0;
  size_t batch = 0;
  std::string out;  // the request, until written
  size_t out_done = 0;
  std::string in;   // raw bytes not yet decoded
  bool connected = false;
  bool head_done = false;
  int status = 0;
  std::string head;
  bool chunked = false;
  bool body_ended = false;  // chunked terminator seen
  bool closed = false;      // the server closed (EOF or reset), or we gave up
  std::string close_reason;
  std::string sse;  // decoded body not yet split into events
  std::vector<Event> events;
  Clock::time_point opened_at, closed_at;
  std::vector<std::string> problems;
};

// A statement's commit as the driver saw it.
struct Commit {
  Clock::time_point sent, acknowledged;
  size_t rows = 0;
};

class SseBench {
 public:
  explicit SseBench(Options o) : o_(std::move(o)) {
    aiw::bench::BenchUsers users = aiw::bench::load_bench_users(o_.users_file, o_.secret);
    if (users.ids.empty()) die("no users in " + o_.users_file);
    users_ = std::move(users.ids);
    tokens_ = std::move(users.tokens);
    batches_ = (o_.streams + o_.batch - 1) / o_.batch;
    commits_.resize(kPhases * batches_);
  }

  int run() {
    create_jobs();
    ep_ = epoll_create1(0);
    if (ep_ < 0) die(std::string("epoll_create1: ") + std::strerror(errno));
    for (size_t i = 0; i < streams_.size(); ++i) open(i);

    // Opening: every stream answers its head and first event, or fails, within --open-timeout.
    const Clock::time_point open_deadline = Clock::now() + seconds(o_.open_timeout);
    while (Clock::now() < open_deadline && !all_opened()) poll(100);
    for (size_t i = 0; i < streams_.size(); ++i)
      if (!streams_[i].closed && streams_[i].events.empty())
        streams_[i].problems.push_back("no first event within " + fmt(o_.open_timeout) + " s of connecting");
    opened_ = Clock::now();
    if (!o_.ready_file.empty()) std::ofstream(o_.ready_file) << "ready\n";

    // Events: the driver thread changes the jobs while this thread reads every stream.
    std::thread driver([this] { drive(); });
    Clock::time_point end_deadline = Clock::time_point::max();
    while (true) {
      poll(100);
      if (driver_done_.load() && end_deadline == Clock::time_point::max())
        end_deadline = Clock::now() + seconds(o_.end_timeout);
      if (driver_done_.load() && all_closed()) break;
      if (Clock::now() >= end_deadline) break;
    }
    driver.join();
    if (!driver_error_.empty()) die("driving events: " + driver_error_);
    for (Stream& s : streams_)
      if (!s.closed) finish(s, "still open " + fmt(o_.end_timeout) + " s after the last statement");
    return report();
  }

 private:
  static Clock::duration seconds(double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  }
  static std::string fmt(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%g", v);
    return b;
  }
  static double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

  void create_jobs() {
    try {
      pqxx::connection c(o_.database_url);
      pqxx::nontransaction tx(c);
      // One job per user here, but with more streams than users the insert trigger's per-user
      // active-job limit (default 10) would refuse some: off for this session, as the gateway
      // runs it in the benchmark (MAX_ACTIVE_JOBS_PER_USER=0).
      tx.exec("set aiw.max_active_jobs_per_user = 0");
      std::vector<std::string> owners;
      for (size_t i = 0; i < o_.streams; ++i) owners.push_back(users_[i % users_.size()]);
      pqxx::result r = tx.exec_params(
          "insert into public.analysis_jobs (user_id, type) "
          "select u, $2 from unnest($1::uuid[]) with ordinality as t(u, n) order by n "
          "returning id::text, user_id::text",
          uuid_array(owners), o_.type);
      std::map<std::string, size_t> user_index;
      for (size_t i = 0; i < users_.size(); ++i) user_index.emplace(users_[i], i);
      for (const auto& row : r) {
        Stream s;
        s.job_id = row[0].c_str();
        s.user = user_index.at(row[1].c_str());
        s.batch = streams_.size() / o_.batch;
        streams_.push_back(std::move(s));
      }
    } catch (const std::exception& e) {
      die(std::string("creating the jobs: ") + e.what());
    }
    if (streams_.size() != o_.streams) die("inserted " + std::to_string(streams_.size()) + " jobs, not " +
                                           std::to_string(o_.streams));
  }

  // The worker stand-in: all of a phase's batches, then the next phase, so two changes to the
  // same job are batches * gap apart and each produces its own event (the hub reads the row's
  // current state, so changes closer than its reaction time would merge into one event).
  void drive() {
    try {
      pqxx::connection c(o_.database_url);
      for (int p = 0; p < kPhases; ++p) c.prepare("phase" + std::to_string(p), statement(static_cast<Phase>(p)));
      std::this_thread::sleep_until(opened_ + seconds(o_.start_after));
      Clock::time_point next = Clock::now();
      for (int p = 0; p < kPhases; ++p) {
        for (size_t b = 0; b < batches_; ++b) {
          std::this_thread::sleep_until(next);
          std::vector<std::string> ids;
          for (size_t i = b * o_.batch; i < std::min(streams_.size(), (b + 1) * o_.batch); ++i)
            ids.push_back(streams_[i].job_id);  // set before the thread started; read-only
          Commit done;
          done.sent = Clock::now();
          pqxx::nontransaction tx(c);  // autocommit: exec returns once the commit is durable
          pqxx::result r = tx.exec_prepared("phase" + std::to_string(p), uuid_array(ids));
          done.acknowledged = Clock::now();
          done.rows = r[0][0].as<size_t>();
          {
            std::lock_guard lock(mu_);
            commits_[static_cast<size_t>(p) * batches_ + b] = done;
          }
          next = done.sent + seconds(o_.gap_ms / 1000);
        }
      }
    } catch (const std::exception& e) {
      std::lock_guard lock(mu_);
      driver_error_ = e.what();
    }
    driver_done_.store(true);
  }

  bool all_opened() const {
    for (const Stream& s : streams_)
      if (!s.closed && s.events.empty()) return false;
    return true;
  }
  bool all_closed() const {
    for (const Stream& s : streams_)
      if (!s.closed) return false;
    return true;
  }

  void open(size_t i) {
    Stream& s = streams_[i];
    s.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (s.fd < 0) die(std::string("socket: ") + std::strerror(errno) + " (raise ulimit -n?)");
    int one = 1;
    setsockopt(s.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr = aiw::bench::ipv4_address(o_.host, o_.port);
    s.opened_at = Clock::now();
    s.out = "GET /v1/jobs/" + s.job_id + "/events HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n"
            "Authorization: Bearer " + tokens_[s.user] + "\r\n\r\n";
    if (connect(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS)
      die("cannot connect to " + o_.host + ":" + std::to_string(o_.port) + ": " + std::strerror(errno));
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT;  // EPOLLOUT: the connect finished (or failed)
    ev.data.u64 = i;
    epoll_ctl(ep_, EPOLL_CTL_ADD, s.fd, &ev);
  }

  void poll(int timeout_ms) {
    epoll_event events[256];
    int n = epoll_wait(ep_, events, 256, timeout_ms);
    for (int k = 0; k < n; ++k) on_event(static_cast<size_t>(events[k].data.u64), events[k].events);
  }

  void on_event(size_t i, uint32_t events) {
    Stream& s = streams_[i];
    if (s.closed) return;
    if (!s.connected && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) return finish(s, std::string("connect failed: ") + std::strerror(err));
      s.connected = true;
    }
    if (s.connected && s.out_done < s.out.size()) flush(s, i);
    if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) return;
    char buf[16384];
    while (true) {
      ssize_t n = recv(s.fd, buf, sizeof buf, 0);
      if (n > 0) {
        s.in.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EAGAIN) break;
      decode(s);  // what came before the end
      return finish(s, n == 0 ? "closed by the server" : std::string("reset: ") + std::strerror(errno));
    }
    decode(s);
  }

  void flush(Stream& s, size_t i) {
    while (s.out_done < s.out.size()) {
      ssize_t n = ::send(s.fd, s.out.data() + s.out_done, s.out.size() - s.out_done, MSG_NOSIGNAL);
      if (n > 0) {
        s.out_done += static_cast<size_t>(n);
      } else if (n < 0 && errno == EAGAIN) {
        return;  // EPOLLOUT stays watched
      } else {
        return finish(s, std::string("sending the request: ") + std::strerror(errno));
      }
    }
    epoll_event ev{};
    ev.events = EPOLLIN;  // written: only reads from now on
    ev.data.u64 = i;
    epoll_ctl(ep_, EPOLL_CTL_MOD, s.fd, &ev);
  }

  // Head, then the chunked body (HTTP/1.1), then SSE events out of it.
  void decode(Stream& s) {
    if (!s.head_done) {
      size_t end = s.in.find("\r\n\r\n");
      if (end == std::string::npos) return;
      s.head = s.in.substr(0, end);
      s.in.erase(0, end + 4);
      s.head_done = true;
      s.status = s.head.size() > 12 ? std::atoi(s.head.c_str() + 9) : 0;
      std::string lower = s.head;
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
      s.chunked = lower.find("\r\ntransfer-encoding: chunked") != std::string::npos;
      if (s.status != 200) s.problems.push_back("answered " + std::to_string(s.status) + ": " + oneline(s.head));
      else if (lower.find("\r\ncontent-type: text/event-stream") == std::string::npos)
        s.problems.push_back("answered 200 without Content-Type text/event-stream: " + oneline(s.head));
    }
    if (s.status != 200) {
      // An error answer (JSON, Content-Length): once it is all here, the stream is over; its
      // body goes into the problem's description.
      std::string lower = s.head;
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
      size_t cl = lower.find("\r\ncontent-length:");
      if (cl == std::string::npos || s.in.size() >= std::strtoul(lower.c_str() + cl + 17, nullptr, 10))
        finish(s, "error answer");
      return;
    }
    if (!s.chunked) {
      s.sse += s.in;
      s.in.clear();
    }
    while (s.chunked && !s.body_ended) {
      size_t line = s.in.find("\r\n");
      if (line == std::string::npos) return events(s);
      size_t size = std::strtoul(s.in.c_str(), nullptr, 16);
      if (size == 0) {  // the terminator: "0\r\n\r\n"
        s.body_ended = true;
        s.in.erase(0, line + 2);
        break;
      }
      if (s.in.size() < line + 2 + size + 2) return events(s);
      s.sse.append(s.in, line + 2, size);
      s.in.erase(0, line + 2 + size + 2);
    }
    events(s);
  }

  void events(Stream& s) {
    for (size_t end; (end = s.sse.find("\n\n")) != std::string::npos;) {
      std::string block = s.sse.substr(0, end + 1);
      s.sse.erase(0, end + 2);
      Event e;
      e.at = Clock::now();
      std::string data;
      for (size_t at = 0; at < block.size();) {
        size_t nl = block.find('\n', at);
        std::string field = block.substr(at, nl - at);
        at = nl + 1;
        if (field.rfind("event: ", 0) == 0) e.name = field.substr(7);
        else if (field.rfind("data: ", 0) == 0) data += field.substr(6);
      }
      size_t st = data.find("\"status\": \"");
      size_t skip = 11;
      if (st == std::string::npos) {  // jsonb::text writes ": ", be safe about the spacing
        st = data.find("\"status\":\"");
        skip = 10;
      }
      if (st != std::string::npos) e.status = data.substr(st + skip, data.find('"', st + skip) - st - skip);
      s.events.push_back(std::move(e));
    }
  }

  void finish(Stream& s, const std::string& reason) {
    if (s.closed) return;
    s.closed = true;
    s.closed_at = Clock::now();
    s.close_reason = reason;
    epoll_ctl(ep_, EPOLL_CTL_DEL, s.fd, nullptr);
    close(s.fd);
    if (s.head_done && s.status != 200) s.problems.back() += "; body: " + oneline(s.in);
  }

  static std::string oneline(std::string text) {
    for (char& c : text)
      if (c == '\r' || c == '\n') c = ' ';
    return text.size() > 300 ? text.substr(0, 300) + "..." : text;
  }

  // The checks of one stream; its events' delivery latencies go to `latency` by phase.
  void check(Stream& s, std::vector<double> latency[kPhases], std::vector<double>& first) {
    if (!s.head_done || s.status != 200) {
      if (s.problems.empty()) s.problems.push_back("no answer (" + s.close_reason + ")");
      return;
    }
    if (s.events.empty()) {
      s.problems.push_back("no event at all (" + s.close_reason + ")");
      return;
    }
    if (s.events[0].name != "status" || s.events[0].status != "pending")
      s.problems.push_back("first event is '" + s.events[0].name + "' with status '" + s.events[0].status +
                           "', not the current state (status, pending)");
    first.push_back(ms(s.events[0].at - s.opened_at));
    // Then exactly one event per phase, in order.
    static const char* const kStatus[kPhases] = {"processing", "processing", "completed"};
    size_t k = 1;
    for (int p = 0; p < kPhases; ++p, ++k) {
      if (k >= s.events.size()) {
        s.problems.push_back(std::string("missing the ") + kPhaseEvent[p] + " event (" + kStatus[p] + ")");
        continue;
      }
      const Event& e = s.events[k];
      if (e.name != kPhaseEvent[p] || e.status != kStatus[p]) {
        s.problems.push_back(std::string("expected event ") + kPhaseEvent[p] + " (" + kStatus[p] + "), got " +
                             e.name + " (" + e.status + ")");
        continue;
      }
      const Commit& c = commits_[static_cast<size_t>(p) * batches_ + s.batch];
      latency[p].push_back(ms(e.at - c.acknowledged));
      by_statement_[static_cast<size_t>(p) * batches_ + s.batch].push_back(latency[p].back());
    }
    if (s.events.size() > kPhases + 1)
      s.problems.push_back(std::to_string(s.events.size() - kPhases - 1) + " event(s) more than expected");
    // The end: the terminator right after the result, then the close.
    if (!s.body_ended && s.chunked) s.problems.push_back("ended without the chunked terminator (" + s.close_reason + ")");
    else if (s.close_reason != "closed by the server") s.problems.push_back("not ended by the server: " + s.close_reason);
  }

  int report() {
    std::vector<double> latency[kPhases], first;
    size_t with_problems = 0, events = 0, finished = 0;
    for (size_t i = 0; i < streams_.size(); ++i) {
      Stream& s = streams_[i];
      check(s, latency, first);
      events += s.events.size();
      bool got_result = false;
      for (const Event& e : s.events) got_result |= e.name == "result";
      if (got_result && s.body_ended && s.close_reason == "closed by the server") ++finished;
      if (s.problems.empty()) continue;
      if (++with_problems <= 10) {
        std::string seen;
        for (const Event& e : s.events) seen += (seen.empty() ? "" : ", ") + e.name + "(" + e.status + ")";
        std::string all;
        for (const auto& p : s.problems) all += (all.empty() ? "" : "; ") + p;
        std::fprintf(stderr, "sse_streams: stream %zu (job %s, batch %zu): %s; received [%s]; leftover %zu bytes '%s'\n",
                     i, s.job_id.c_str(), s.batch, all.c_str(), seen.c_str(), s.sse.size() + s.in.size(),
                     oneline(s.in + s.sse).c_str());
      }
    }
    if (with_problems > 10) std::fprintf(stderr, "sse_streams: ... and %zu more streams with errors\n", with_problems - 10);

    std::vector<double> all;
    for (auto& l : latency) all.insert(all.end(), l.begin(), l.end());
    double cpu = aiw::bench::process_cpu_seconds();
    Pct a(all), f(first);
    std::printf("SSE streams %zu  finished %zu  events %zu (of %zu)  delivery p50 %7.2f  p95 %7.2f  p99 %7.2f  max %8.2f ms"
                "  (min %.2f)  errors %zu  first event p50 %.1f p99 %.1f max %.1f ms  sse_streams cpu %.2f s\n",
                streams_.size(), finished, events, streams_.size() * (kPhases + 1), a.at(50), a.at(95), a.at(99), a.max(),
                a.min(), with_problems, f.at(50), f.at(99), f.max(), cpu);
    for (int p = 0; p < kPhases; ++p) {
      Pct l(latency[p]);
      std::printf("  %-8s events %zu  p50 %7.2f  p99 %7.2f  max %8.2f ms\n", kPhaseEvent[p], latency[p].size(), l.at(50),
                  l.at(99), l.max());
    }
    std::vector<double> commit;
    size_t rows = 0;
    for (const Commit& c : commits_) {
      commit.push_back(ms(c.acknowledged - c.sent));
      rows += c.rows;
    }
    Pct c(commit);
    std::printf("  driver: %zu statements of <= %zu jobs, %zu rows moved (of %zu), commit p50 %.2f max %.2f ms, "
                "%.0f ms apart; streams open %.1f s\n",
                commits_.size(), o_.batch, rows, streams_.size() * kPhases, c.at(50), c.max(), o_.gap_ms,
                std::chrono::duration<double>(Clock::now() - opened_).count());
    // Per statement, the first and the last of its events to arrive: the first is the hub's
    // reaction (NOTIFY, its query of the rows, one write), the gap to the last the fan-out.
    std::vector<double> firsts, lasts;
    for (const auto& [statement, arrivals] : by_statement_) {
      firsts.push_back(*std::min_element(arrivals.begin(), arrivals.end()));
      lasts.push_back(*std::max_element(arrivals.begin(), arrivals.end()));
    }
    Pct fa(firsts), la(lasts);
    std::printf("  per statement: first event p50 %.2f max %.2f ms, last event p50 %.2f max %.2f ms after the commit\n",
                fa.at(50), fa.max(), la.at(50), la.max());
    std::fflush(stdout);
    if (finished < streams_.size() || with_problems > 0) {
      std::fprintf(stderr, "sse_streams: FAILED: %zu of %zu streams got their result and their end; %zu with errors\n",
                   finished, streams_.size(), with_problems);
      return 1;
    }
    return 0;
  }

  struct Pct {
    explicit Pct(std::vector<double> v) : v_(std::move(v)) { std::sort(v_.begin(), v_.end()); }
    double at(double p) const {
      if (v_.empty()) return 0;
      return v_[static_cast<size_t>(p / 100.0 * static_cast<double>(v_.size() - 1) + 0.5)];
    }
    double min() const { return v_.empty() ? 0 : v_.front(); }
    double max() const { return v_.empty() ? 0 : v_.back(); }
    std::vector<double> v_;
  };

  Options o_;
  std::vector<std::string> users_, tokens_;
  std::vector<Stream> streams_;
  size_t batches_ = 0;
  int ep_ = -1;
  Clock::time_point opened_;
  std::mutex mu_;                // commits_ and driver_error_, written by the driver thread
  std::vector<Commit> commits_;  // phase * batches_ + batch
  std::string driver_error_;
  std::atomic<bool> driver_done_{false};
  std::map<size_t, std::vector<double>> by_statement_;  // statement -> its events' latencies (ms)
};

}  // namespace

int main(int argc, char** argv) { return SseBench(parse(argc, argv)).run(); }
