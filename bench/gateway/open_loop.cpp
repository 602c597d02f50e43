// open_loop: a constant-rate (open-loop) HTTP load generator for the gateway's job API.
//
//   open_loop --port 3000 --secret S --users users.txt --rate 5000 --get-rate 500
//             --duration 60 --warmup 5 [--connections 128] [--type noop] [--slow-ms 10]
//             (one command line; --slow-ms adds a per-second count of slower answers)
//
// Why not wrk: wrk is closed-loop (each connection sends its next request only when the last
// one is answered), so a slow answer also delays the requests behind it and the slowness is
// never measured (coordinated omission). Here every request has a scheduled send time fixed in
// advance (request i of a stream at start + i / rate) and its latency is measured from that
// time, not from when it was actually written: if the gateway stalls, the requests that should
// have been sent meanwhile queue here and their wait counts against the gateway.
//
// Two streams run at once: POST /v1/jobs {"type":T,"input":{}} at --rate, and GET
// /v1/jobs/{id} at --get-rate for ids this run's POSTs got back (each as the job's owner).
// Every request carries a user JWT (HS256, minted here with --secret) of one of the users in
// --users, in rotation, so auth runs for real and jobs spread over many users.
// Results of the first --warmup seconds are not counted.
//
// One thread, epoll and a timerfd; persistent keep-alive connections, one request in flight on
// each. Prints one line per stream, then its own CPU time (so that its cost is visible).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "bench_client.h"

namespace {

using Clock = std::chrono::steady_clock;
using Ns = std::chrono::nanoseconds;

struct Options {
  std::string host = "127.0.0.1";
  int port = 3000;
  std::string secret;
  std::string users_file;
  std::string type = "noop";
  double rate = 1000;
  double get_rate = 0;
  double duration = 60;
  double warmup = 5;
  int connections = 128;
  double slow_ms = 0;  // > 0: also print, per second of the run, how many POSTs took longer
};

enum Kind { kPost = 0, kGet = 1 };

struct Request {
  Clock::time_point scheduled;
  Kind kind;
  size_t user;
  std::string job_id;  // kGet
};

struct Stats {
  std::vector<uint32_t> latency_us;  // counted answers only
  std::map<int, int64_t> statuses;   // status -> count (0: connection error or no answer)
  int64_t sent = 0;
  std::vector<std::pair<int64_t, uint32_t>> per_second;  // (answers slower than --slow-ms, max us)
};

struct Connection {
  int fd = -1;
  bool busy = false;
  Request request;
  std::string out;
  size_t out_done = 0;
  std::string in;
};

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "open_loop: %s\n", why.c_str());
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  try {
    aiw::cli::Args a({argv + 1, argv + argc},
                {"host", "port", "secret", "users", "type", "rate", "get-rate", "duration",
                 "warmup", "connections", "slow-ms"},
                {});
    if (!a.positionals().empty()) die("unknown argument " + a.positionals().front());
    o.host = a.value("host").value_or(o.host);
    o.port = static_cast<int>(a.positive("port", o.port));
    o.secret = a.value("secret").value_or("");
    o.users_file = a.value("users").value_or("");
    o.type = a.value("type").value_or(o.type);
    o.rate = aiw::bench::number_flag(a, "rate", o.rate);
    o.get_rate = aiw::bench::number_flag(a, "get-rate", o.get_rate);
    o.duration = aiw::bench::number_flag(a, "duration", o.duration);
    o.warmup = aiw::bench::number_flag(a, "warmup", o.warmup);
    o.connections = static_cast<int>(a.positive("connections", o.connections));
    o.slow_ms = aiw::bench::number_flag(a, "slow-ms", o.slow_ms);
  } catch (const aiw::cli::UsageError& e) {
    die(e.what());
  }
  if (o.secret.empty() || o.users_file.empty()) die("--secret and --users are required");
  return o;
}

class LoadGenerator {
 public:
  explicit LoadGenerator(Options o) : o_(std::move(o)) {
    aiw::bench::BenchUsers users = aiw::bench::load_bench_users(o_.users_file, o_.secret);
    if (users.ids.empty()) die("no users in " + o_.users_file);
    users_ = std::move(users.ids);
    tokens_ = std::move(users.tokens);
    body_ = R"({"type":")" + o_.type + R"(","input":{}})";
  }

  int run() {
    ep_ = epoll_create1(0);
    timer_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = ~uint64_t{0};
    epoll_ctl(ep_, EPOLL_CTL_ADD, timer_, &ev);
    conns_.resize(static_cast<size_t>(o_.connections));
    for (size_t i = 0; i < conns_.size(); ++i) open(i);

    start_ = Clock::now() + std::chrono::milliseconds(200);
    measure_from_ = start_ + to_ns(o_.warmup);
    end_ = measure_from_ + to_ns(o_.duration);
    const Clock::time_point drain_until = end_ + std::chrono::seconds(5);
    std::vector<epoll_event> events(256);
    while (true) {
      Clock::time_point now = Clock::now();
      generate(now);
      dispatch();
      if (now >= end_ && backlog_.empty() && in_flight_ == 0) break;
      if (now >= drain_until) break;
      arm_timer(std::min(next_due(), drain_until));
      int n = epoll_wait(ep_, events.data(), static_cast<int>(events.size()), 100);
      for (int k = 0; k < n; ++k) {
        if (events[k].data.u64 == ~uint64_t{0}) {
          uint64_t ticks;
          [[maybe_unused]] ssize_t r = read(timer_, &ticks, sizeof ticks);
          continue;
        }
        on_event(static_cast<size_t>(events[k].data.u64), events[k].events);
      }
    }
    // What is still unanswered or unsent after the drain counts as failed.
    for (auto& c : conns_)
      if (c.busy && c.request.scheduled >= measure_from_) stats_[c.request.kind].statuses[0]++;
    for (auto& r : backlog_)
      if (r.scheduled >= measure_from_) stats_[r.kind].statuses[0]++;
    report();
    return 0;
  }

 private:
  static Ns to_ns(double seconds) { return Ns(static_cast<int64_t>(seconds * 1e9)); }

  Clock::time_point due(Kind k) const {
    double rate = k == kPost ? o_.rate : o_.get_rate;
    int64_t i = k == kPost ? posts_made_ : gets_made_;
    return start_ + to_ns(static_cast<double>(i) / rate);
  }

  Clock::time_point next_due() const {
    Clock::time_point t = end_;
    if (o_.rate > 0) t = std::min(t, due(kPost));
    if (o_.get_rate > 0) t = std::min(t, due(kGet));
    return t;
  }

  void generate(Clock::time_point now) {
    while (o_.rate > 0 && due(kPost) <= now && due(kPost) < end_) {
      backlog_.push_back({due(kPost), kPost, next_user_++ % users_.size(), {}});
      ++posts_made_;
    }
    while (o_.get_rate > 0 && due(kGet) <= now && due(kGet) < end_) {
      Request r{due(kGet), kGet, 0, {}};
      ++gets_made_;
      if (ids_.empty()) continue;  // nothing created yet (only in the first milliseconds)
      const auto& [id, user] = ids_[std::uniform_int_distribution<size_t>(0, ids_.size() - 1)(rng_)];
      r.job_id = id;
      r.user = user;
      backlog_.push_back(std::move(r));
    }
  }

  void dispatch() {
    while (!backlog_.empty() && !idle_.empty()) {
      size_t i = idle_.front();
      idle_.pop_front();
      send(i, std::move(backlog_.front()));
      backlog_.pop_front();
    }
  }

  void send(size_t i, Request r) {
    Connection& c = conns_[i];
    const std::string& token = tokens_[r.user];
    if (r.kind == kPost) {
      c.out = "POST /v1/jobs HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer " + token +
              "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body_.size()) +
              "\r\n\r\n" + body_;
    } else {
      c.out = "GET /v1/jobs/" + r.job_id + " HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer " + token +
              "\r\n\r\n";
    }
    c.out_done = 0;
    c.busy = true;
    c.request = std::move(r);
    ++in_flight_;
    if (c.request.scheduled >= measure_from_) stats_[c.request.kind].sent++;
    flush(i);
  }

  void flush(size_t i) {
    Connection& c = conns_[i];
    while (c.out_done < c.out.size()) {
      ssize_t n = ::send(c.fd, c.out.data() + c.out_done, c.out.size() - c.out_done, MSG_NOSIGNAL);
      if (n > 0) {
        c.out_done += static_cast<size_t>(n);
      } else if (n < 0 && errno == EAGAIN) {
        watch(i, EPOLLIN | EPOLLOUT);
        return;
      } else {
        return fail(i);
      }
    }
    watch(i, EPOLLIN);
  }

  void on_event(size_t i, uint32_t events) {
    Connection& c = conns_[i];
    if (events & EPOLLOUT) flush(i);
    if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) return;
    char buf[16384];
    while (true) {
      ssize_t n = recv(c.fd, buf, sizeof buf, 0);
      if (n > 0) {
        c.in.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EAGAIN) break;
      return fail(i);  // closed or broken
    }
    parse(i);
  }

  // One response at a time per connection: status line, headers, Content-Length body.
  void parse(size_t i) {
    Connection& c = conns_[i];
    size_t head_end = c.in.find("\r\n\r\n");
    if (head_end == std::string::npos) return;
    std::string head = c.in.substr(0, head_end);
    std::string lower = head;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
    size_t cl = lower.find("\r\ncontent-length:");
    if (cl == std::string::npos) die("a response without Content-Length: " + head);
    size_t length = std::strtoul(lower.c_str() + cl + 17, nullptr, 10);
    if (c.in.size() < head_end + 4 + length) return;
    int status = std::atoi(head.c_str() + 9);
    std::string body = c.in.substr(head_end + 4, length);
    bool closing = lower.find("\r\nconnection: close") != std::string::npos;
    c.in.erase(0, head_end + 4 + length);
    finish(i, status, body);
    if (closing) reopen(i);
  }

  void finish(size_t i, int status, const std::string& body) {
    Connection& c = conns_[i];
    Clock::time_point now = Clock::now();
    const Request& r = c.request;
    if (r.kind == kPost && status == 202) {
      size_t at = body.find("\"id\":\"");
      if (at != std::string::npos && ids_.size() < 200000) ids_.emplace_back(body.substr(at + 6, 36), r.user);
    }
    if (r.scheduled >= measure_from_) {
      Stats& s = stats_[r.kind];
      s.statuses[status]++;
      const auto us = static_cast<uint32_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(now - r.scheduled).count());
      s.latency_us.push_back(us);
      if (o_.slow_ms > 0) {  // by the second the request was scheduled in
        auto second = static_cast<size_t>(
            std::chrono::duration_cast<std::chrono::seconds>(r.scheduled - measure_from_).count());
        if (s.per_second.size() <= second) s.per_second.resize(second + 1);
        if (us > o_.slow_ms * 1000) s.per_second[second].first++;
        s.per_second[second].second = std::max(s.per_second[second].second, us);
      }
      if (s.statuses[status] == 1 && status != 202 && status != 200)
        std::fprintf(stderr, "open_loop: first %d answer: %s\n", status, body.c_str());
    }
    c.busy = false;
    --in_flight_;
    idle_.push_back(i);
  }

  void fail(size_t i) {
    Connection& c = conns_[i];
    if (c.busy) {
      if (c.request.scheduled >= measure_from_) stats_[c.request.kind].statuses[0]++;
      c.busy = false;
      --in_flight_;
    } else {
      idle_.erase(std::remove(idle_.begin(), idle_.end(), i), idle_.end());
    }
    reopen(i);
  }

  void reopen(size_t i) {
    epoll_ctl(ep_, EPOLL_CTL_DEL, conns_[i].fd, nullptr);
    close(conns_[i].fd);
    idle_.erase(std::remove(idle_.begin(), idle_.end(), i), idle_.end());
    ++reconnects_;
    open(i);
  }

  void open(size_t i) {
    Connection& c = conns_[i];
    c = Connection{};
    c.fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr = aiw::bench::ipv4_address(o_.host, o_.port);
    if (connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      die("cannot connect to " + o_.host + ":" + std::to_string(o_.port) + ": " + std::strerror(errno));
    int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) | O_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev);
    idle_.push_back(i);
  }

  void watch(size_t i, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = i;
    epoll_ctl(ep_, EPOLL_CTL_MOD, conns_[i].fd, &ev);
  }

  void arm_timer(Clock::time_point at) {
    itimerspec spec{};
    auto ns = std::chrono::duration_cast<Ns>(at.time_since_epoch()).count();
    if (ns <= 0) ns = 1;
    spec.it_value.tv_sec = ns / 1000000000;
    spec.it_value.tv_nsec = ns % 1000000000;
    // steady_clock is CLOCK_MONOTONIC on Linux, so its epoch is the timer's.
    timerfd_settime(timer_, TFD_TIMER_ABSTIME, &spec, nullptr);
  }

  void report() {
    const char* names[] = {"POST /v1/jobs", "GET /v1/jobs/{id}"};
    double rates[] = {o_.rate, o_.get_rate};
    for (int k = 0; k < 2; ++k) {
      Stats& s = stats_[k];
      if (rates[k] <= 0) continue;
      std::sort(s.latency_us.begin(), s.latency_us.end());
      auto pct = [&](double p) -> double {
        if (s.latency_us.empty()) return 0;
        size_t idx = static_cast<size_t>(p / 100.0 * static_cast<double>(s.latency_us.size() - 1) + 0.5);
        return s.latency_us[idx] / 1000.0;
      };
      int64_t ok = 0, errors = 0;
      std::string codes;
      for (const auto& [status, n] : s.statuses) {
        (status == 202 || status == 200 ? ok : errors) += n;
        codes += (codes.empty() ? "" : ",") + std::to_string(status) + ":" + std::to_string(n);
      }
      std::printf(
          "%-18s target %7.0f/s  achieved %8.1f/s  p50 %7.2f  p95 %7.2f  p99 %7.2f  p99.9 %7.2f  max %8.2f ms"
          "  ok %lld  errors %lld  [%s]\n",
          names[k], rates[k], static_cast<double>(ok) / o_.duration, pct(50), pct(95), pct(99), pct(99.9),
          s.latency_us.empty() ? 0.0 : s.latency_us.back() / 1000.0, static_cast<long long>(ok),
          static_cast<long long>(errors), codes.c_str());
      if (o_.slow_ms > 0) {
        std::printf("  per second (> %.0f ms / max ms):", o_.slow_ms);
        for (const auto& [slow, max_us] : s.per_second) std::printf(" %lld/%u", static_cast<long long>(slow), max_us / 1000);
        std::printf("\n");
      }
    }
    double cpu = aiw::bench::process_cpu_seconds();
    std::printf("open_loop cpu %.1f s (over %.0f s), reconnects %lld\n", cpu, o_.warmup + o_.duration,
                static_cast<long long>(reconnects_));
    std::fflush(stdout);
  }

  Options o_;
  std::vector<std::string> users_, tokens_;
  std::string body_;
  int ep_ = -1, timer_ = -1;
  std::vector<Connection> conns_;
  // Oldest idle first, so every connection carries requests in turn, like many clients. Newest
  // first left most of them unused: the gateway closes a connection whose first request does
  // not come within 10 s (slow-client protection), and all the unused ones closed and were
  // reopened here together every 10 s, a 40-60 ms stall that was the load generator's own.
  std::deque<size_t> idle_;
  std::deque<Request> backlog_;
  std::vector<std::pair<std::string, size_t>> ids_;
  std::mt19937_64 rng_{42};
  Stats stats_[2];
  Clock::time_point start_, measure_from_, end_;
  int64_t posts_made_ = 0, gets_made_ = 0, in_flight_ = 0, reconnects_ = 0;
  size_t next_user_ = 0;
};

}  // namespace

int main(int argc, char** argv) { return LoadGenerator(parse(argc, argv)).run(); }
