#include "net/io_loop.h"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdio>
#include <exception>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "net/http_transfer.h"
#include "net/timer_heap.h"

namespace aiw::net {
namespace {

using Clock = std::chrono::steady_clock;

// Bounds one sleep even with nothing scheduled: a cheap safety net, not a poll.
constexpr auto kMaxWait = std::chrono::seconds(60);
// Easy handles kept for reuse (they keep their DNS cache and buffers): enough for a thousand
// requests in flight, so a steady load never pays curl_easy_init per request.
constexpr size_t kEasyPoolSize = 2048;
// Idle keep-alive connections the multi handle keeps (curl's default is 4 per added handle,
// which a burst of short requests churns through).
constexpr long kMaxIdleConnections = 4096;

void init_curl_once() {
  static std::once_flag once;
  // Never paired with curl_global_cleanup: other threads (or leaked loops) may still use curl at
  // exit, and the OS reclaims the process anyway.
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// A callback that throws must not take the loop thread (and every waiting job) down with it.
template <typename Fn>
void run_guarded(const char* what, Fn&& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aiw: an IoLoop %s callback threw: %s\n", what, e.what());
  } catch (...) {
    std::fprintf(stderr, "aiw: an IoLoop %s callback threw\n", what);
  }
}

struct Command {
  enum Kind { kPost, kStart, kCancel } kind;
  std::function<void()> fn;            // kPost
  std::unique_ptr<Transfer> transfer;  // kStart
  IoLoop::RequestId id = 0;            // kCancel
};

}  // namespace

struct IoLoop::Impl {
  CURLM* multi = nullptr;
  std::thread thread;
  std::atomic<std::thread::id> loop_thread_id{};
  std::atomic<uint64_t> next_id{1};
  std::atomic<size_t> in_flight{0};

  // Shared with other threads, under mu.
  mutable std::mutex mu;
  std::vector<Command> commands;
  bool wake_pending = false;  // a curl_multi_wakeup is already on its way
  bool stopping = false;
  // What the loop sleeps until; min() while it runs (it looks at the timers before sleeping).
  Clock::time_point sleeping_until = Clock::time_point::min();
  TimerHeap timers;

  std::mutex join_mu;  // two threads calling stop() must not both join

  // Loop thread only.
  std::unordered_map<RequestId, std::unique_ptr<Transfer>> transfers;
  std::vector<CURL*> easy_pool;

  // Called with mu held; the caller wakes the loop when this returns true.
  bool need_wake_locked() {
    if (wake_pending) return false;
    wake_pending = true;
    return true;
  }
  void wake() { curl_multi_wakeup(multi); }

  void enqueue(Command command) {
    bool wake_now = false;
    {
      std::lock_guard lock(mu);
      if (stopping) return;  // the loop has nothing left to act on
      commands.push_back(std::move(command));
      wake_now = need_wake_locked();
    }
    if (wake_now) wake();
  }

  void run();
  bool run_commands();  // false once stop was asked
  void fire_due_timers();
  void perform_transfers();
  int wait_ms();
  void start(std::unique_ptr<Transfer> transfer);
  void complete(std::unique_ptr<Transfer> transfer);
  void cancel(RequestId id, const char* why);
  void drain_on_stop();
  CURL* take_easy();
  void give_back_easy(CURL* easy);
};

void IoLoop::Impl::run() {
  loop_thread_id = std::this_thread::get_id();
  while (run_commands()) {
    fire_due_timers();
    perform_transfers();
    curl_multi_poll(multi, nullptr, 0, wait_ms(), nullptr);
    std::lock_guard lock(mu);
    sleeping_until = Clock::time_point::min();
  }
  drain_on_stop();
}

bool IoLoop::Impl::run_commands() {
  std::vector<Command> batch;
  bool stop_now = false;
  {
    std::lock_guard lock(mu);
    batch.swap(commands);
    wake_pending = false;
    stop_now = stopping;
  }
  for (Command& command : batch) {
    switch (command.kind) {
      case Command::kPost:
        run_guarded("post", command.fn);
        break;
      case Command::kStart:
        start(std::move(command.transfer));
        break;
      case Command::kCancel:
        cancel(command.id, "the request was cancelled");
        break;
    }
  }
  return !stop_now;
}

void IoLoop::Impl::fire_due_timers() {
  std::vector<std::function<void()>> due;
  {
    std::lock_guard lock(mu);
    // Removed under the lock: from here on cancel_timer answers false, and fn runs.
    timers.take_due(Clock::now(), due);
  }
  for (auto& fn : due) run_guarded("timer", fn);
}

void IoLoop::Impl::perform_transfers() {
  int running = 0;
  curl_multi_perform(multi, &running);
  int left = 0;
  while (CURLMsg* message = curl_multi_info_read(multi, &left)) {
    if (message->msg != CURLMSG_DONE) continue;
    void* user = nullptr;
    curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &user);
    CURLcode result = message->data.result;  // read before remove: message is then invalid
    auto it = transfers.find(static_cast<Transfer*>(user)->id);
    std::unique_ptr<Transfer> transfer = std::move(it->second);
    transfers.erase(it);
    curl_multi_remove_handle(multi, transfer->easy);
    finish_response(*transfer, result);
    complete(std::move(transfer));
  }
}

int IoLoop::Impl::wait_ms() {
  long curl_ms = -1;
  curl_multi_timeout(multi, &curl_ms);
  Clock::time_point now = Clock::now();
  Clock::time_point until = now + kMaxWait;
  if (curl_ms >= 0) until = std::min(until, now + std::chrono::milliseconds(curl_ms));
  std::lock_guard lock(mu);
  if (auto next = timers.next_due()) until = std::min(until, *next);
  sleeping_until = until;
  // Rounded up: waking a fraction of a millisecond early would spin until the timer is due.
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(until - now).count();
  return static_cast<int>(std::clamp<int64_t>(ms, 0, INT_MAX));
}

void IoLoop::Impl::start(std::unique_ptr<Transfer> transfer) {
  if (auto problem = validate_request(transfer->request)) {
    transfer->response.outcome = AIW_HTTP_BAD_REQUEST;
    transfer->response.error = std::move(*problem);
    complete(std::move(transfer));
    return;
  }
  CURL* easy = take_easy();
  std::optional<std::string> problem;
  if (!easy) problem = "curl could not create a handle";
  if (!problem) problem = configure_easy(*transfer, easy);
  if (!problem && curl_multi_add_handle(multi, easy) != CURLM_OK) {
    problem = "curl refused to start the request";
  }
  if (problem) {
    transfer->response.outcome = AIW_HTTP_BAD_REQUEST;
    transfer->response.error = *problem + " (" + url_for_messages(transfer->request.url) + ")";
    complete(std::move(transfer));
    return;
  }
  RequestId id = transfer->id;
  transfers.emplace(id, std::move(transfer));
}

void IoLoop::Impl::complete(std::unique_ptr<Transfer> transfer) {
  if (transfer->easy) {
    give_back_easy(transfer->easy);
    transfer->easy = nullptr;
  }
  HttpResponse response = std::move(transfer->response);
  auto done = std::move(transfer->done);
  transfer.reset();  // the header list and body go before user code runs
  in_flight.fetch_sub(1, std::memory_order_relaxed);
  run_guarded("http", [&] { done(std::move(response)); });
}

void IoLoop::Impl::cancel(RequestId id, const char* why) {
  auto it = transfers.find(id);
  if (it == transfers.end()) return;  // finished already (or never started): nothing to do
  std::unique_ptr<Transfer> transfer = std::move(it->second);
  transfers.erase(it);
  if (transfer->easy) curl_multi_remove_handle(multi, transfer->easy);
  HttpResponse& response = transfer->response;
  response = HttpResponse{};
  response.outcome = AIW_HTTP_CANCELLED;
  response.error = std::string(why) + " (" + url_for_messages(transfer->request.url) + ")";
  complete(std::move(transfer));
}

void IoLoop::Impl::drain_on_stop() {
  // Commands queued before stop: posts still run, new requests end as cancelled. Commands
  // made after `stopping` was set never reach the queue (see IoLoop::http and post).
  std::vector<Command> batch;
  {
    std::lock_guard lock(mu);
    batch.swap(commands);
  }
  for (Command& command : batch) {
    if (command.kind == Command::kPost) run_guarded("post", command.fn);
    if (command.kind == Command::kStart) {
      RequestId id = command.transfer->id;
      transfers.emplace(id, std::move(command.transfer));  // no easy handle yet
      cancel(id, "the I/O loop stopped before the request was sent");
    }
  }
  std::vector<RequestId> ids;
  for (const auto& [id, transfer] : transfers) ids.push_back(id);
  for (RequestId id : ids) cancel(id, "the I/O loop stopped before the response arrived");
}

CURL* IoLoop::Impl::take_easy() {
  if (easy_pool.empty()) return curl_easy_init();
  CURL* easy = easy_pool.back();
  easy_pool.pop_back();
  return easy;
}

void IoLoop::Impl::give_back_easy(CURL* easy) {
  if (easy_pool.size() >= kEasyPoolSize) {
    curl_easy_cleanup(easy);
    return;
  }
  curl_easy_reset(easy);  // options go; connections stay in the multi's cache
  easy_pool.push_back(easy);
}

IoLoop::IoLoop() : impl_(std::make_unique<Impl>()) {
  init_curl_once();
  impl_->multi = curl_multi_init();
  curl_multi_setopt(impl_->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, 0L);  // 0: no limit
  curl_multi_setopt(impl_->multi, CURLMOPT_MAXCONNECTS, kMaxIdleConnections);
  impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

IoLoop::~IoLoop() {
  stop();
  for (CURL* easy : impl_->easy_pool) curl_easy_cleanup(easy);
  curl_multi_cleanup(impl_->multi);
}

IoLoop::TimerId IoLoop::add_timer(std::chrono::milliseconds delay, std::function<void()> fn) {
  TimerId id = impl_->next_id.fetch_add(1, std::memory_order_relaxed);
  Clock::time_point due = Clock::now() + delay;
  bool wake_now = false;
  {
    std::lock_guard lock(impl_->mu);
    impl_->timers.add(due, id, std::move(fn));
    // Only a timer earlier than the current sleep needs the loop awake.
    if (!impl_->stopping && due < impl_->sleeping_until) wake_now = impl_->need_wake_locked();
  }
  if (wake_now) impl_->wake();
  return id;
}

bool IoLoop::cancel_timer(TimerId id) {
  std::lock_guard lock(impl_->mu);
  return impl_->timers.cancel(id);
}

IoLoop::RequestId IoLoop::http(HttpRequest request, std::function<void(HttpResponse&&)> done) {
  auto transfer = std::make_unique<Transfer>();
  transfer->id = impl_->next_id.fetch_add(1, std::memory_order_relaxed);
  transfer->request = std::move(request);
  transfer->done = std::move(done);
  RequestId id = transfer->id;
  impl_->in_flight.fetch_add(1, std::memory_order_relaxed);
  bool wake_now = false;
  {
    std::lock_guard lock(impl_->mu);
    if (!impl_->stopping) {
      impl_->commands.push_back({Command::kStart, {}, std::move(transfer), 0});
      wake_now = impl_->need_wake_locked();
    }
  }
  if (wake_now) impl_->wake();
  if (transfer) {
    // After stop there is no loop thread: end it here so done still runs exactly once.
    transfer->response.outcome = AIW_HTTP_CANCELLED;
    transfer->response.error =
        "the I/O loop is stopped (" + url_for_messages(transfer->request.url) + ")";
    impl_->complete(std::move(transfer));
  }
  return id;
}

void IoLoop::cancel_http(RequestId id) { impl_->enqueue({Command::kCancel, {}, {}, id}); }

void IoLoop::post(std::function<void()> fn) {
  bool wake_now = false;
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopping) return;  // no loop thread left to run it
    impl_->commands.push_back({Command::kPost, std::move(fn), {}, 0});
    wake_now = impl_->need_wake_locked();
  }
  if (wake_now) impl_->wake();
}

void IoLoop::stop() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->wake();
  // From the loop thread (a callback) the loop ends after this iteration; it cannot join itself.
  if (in_loop_thread()) return;
  std::lock_guard lock(impl_->join_mu);
  if (impl_->thread.joinable()) impl_->thread.join();
}

bool IoLoop::in_loop_thread() const {
  return impl_->loop_thread_id.load() == std::this_thread::get_id();
}

size_t IoLoop::requests_in_flight() const {
  return impl_->in_flight.load(std::memory_order_relaxed);
}

IoLoop& IoLoop::shared() {
  // Leaked on purpose: plugins and other statics may still post work while static destructors
  // run at exit, and joining the thread then would race with them. The OS reclaims it.
  static IoLoop* loop = new IoLoop();
  return *loop;
}

}  // namespace aiw::net
