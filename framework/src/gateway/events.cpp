#include "gateway/events.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <aiw/json.h>

#include <pqxx/pqxx>

#include <algorithm>
#include <sstream>

#include "gateway/sql.h"
#include "obs/log.h"
#include "queue/db.h"
#include "queue/job_store.h"
#include "queue/notifications.h"
#include "queue/pg_text.h"
#include "queue/session.h"

namespace aiw::gateway {
namespace {

class Listener : public pqxx::notification_receiver {
 public:
  Listener(pqxx::connection_base& c, std::set<std::string>& changed)
      : pqxx::notification_receiver(c, queue::kJobEventsChannel), changed_(changed) {}
  void operator()(const std::string& payload, int) override {
    std::stringstream ids(payload);
    for (std::string id; std::getline(ids, id, ',');) changed_.insert(id);
  }

 private:
  std::set<std::string>& changed_;
};

constexpr const char* kJobsByIds =
    "select j.id::text, " AIW_JOB_JSON "::text from public.analysis_jobs j where j.id = any($1::uuid[])";

}  // namespace

std::string job_status(const std::string& job_json) {
  Json doc;
  if (!parse_json(job_json, doc)) return "";
  const JsonValue* s = find_member(doc, "status");
  return s != nullptr && s->IsString() ? s->GetString() : "";
}

bool is_final_status(const std::string& status) {
  return status == "completed" || status == "failed" || status == "cancelled";
}

const char* event_name(const std::string& status, bool status_changed) {
  if (status == "completed") return "result";
  if (status == "processing" && !status_changed) return "progress";
  return "status";
}

EventHub::EventHub(std::string database_url, std::chrono::milliseconds reread_every)
    : url_(std::move(database_url)), reread_every_(reread_every), wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

EventHub::~EventHub() {
  stop();
  close(wake_fd_);
}

void EventHub::start() { thread_ = std::thread([this] { run(); }); }

void EventHub::stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  wake();
  if (thread_.joinable()) thread_.join();
  std::map<std::string, std::vector<Subscriber>> left;
  {
    std::lock_guard lock(mu_);
    left.swap(subscribers_);
  }
  for (auto& [id, subs] : left)
    for (auto& s : subs) s.stream.close();
}

size_t EventHub::streams() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& [id, subs] : subscribers_) n += subs.size();
  return n;
}

void EventHub::subscribe(const std::string& job_id, const std::string& job_json, net::HttpStream stream) {
  std::string status = job_status(job_json);
  stream.send(net::sse_event(job_json, event_name(status, true)));
  if (is_final_status(status)) {
    stream.close();
    return;
  }
  {
    std::lock_guard lock(mu_);
    subscribers_[job_id].push_back({stream, status, job_json});
    recheck_.insert(job_id);
  }
  stream.on_close([this, job_id, stream] { unsubscribe(job_id, stream); });
  wake();
}

void EventHub::wake() {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
}

void EventHub::unsubscribe(const std::string& job_id, const net::HttpStream& /*closed*/) {
  // Drops every closed stream of the job (the one that just closed among them).
  std::lock_guard lock(mu_);
  auto it = subscribers_.find(job_id);
  if (it == subscribers_.end()) return;
  auto& subs = it->second;
  subs.erase(std::remove_if(subs.begin(), subs.end(), [&](const Subscriber& s) { return !s.stream.is_open(); }),
             subs.end());
  if (subs.empty()) subscribers_.erase(it);
}

void EventHub::deliver(const std::string& id, const std::string& job_json) {
  std::string status = job_status(job_json);
  std::vector<net::HttpStream> to_close;
  {
    std::lock_guard lock(mu_);
    auto it = subscribers_.find(id);
    if (it == subscribers_.end()) return;
    for (Subscriber& s : it->second) {
      if (job_json == s.last_json) continue;  // e.g. the recheck right after subscribing
      bool changed = status != s.last_status;
      s.last_status = status;
      s.last_json = job_json;
      s.stream.send(net::sse_event(job_json, event_name(status, changed)));
      if (is_final_status(status)) to_close.push_back(s.stream);
    }
    if (is_final_status(status)) subscribers_.erase(it);
  }
  for (auto& stream : to_close) stream.close();
}

void EventHub::run() {
  std::set<std::string> changed;
  std::shared_ptr<pqxx::connection_base> conn;
  std::unique_ptr<Listener> listener;
  queue::Backoff backoff;
  auto next_reread = std::chrono::steady_clock::now() + reread_every_;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stop_) break;
      if (std::chrono::steady_clock::now() >= next_reread) {  // lost notifications (see events.h)
        for (const auto& [id, subs] : subscribers_) changed.insert(id);
        next_reread = std::chrono::steady_clock::now() + reread_every_;
      }
    }
    try {
      if (!conn) {
        auto c = queue::connect(url_);
        if (!c) throw pqxx::broken_connection(c.error());
        conn = *c;
        listener = std::make_unique<Listener>(*conn, changed);
        backoff.reset();
        // Changes missed while disconnected: refresh every subscribed job once.
        std::lock_guard lock(mu_);
        for (const auto& [id, subs] : subscribers_) changed.insert(id);
      }
      bool recheck = false;
      {
        std::lock_guard lock(mu_);
        recheck = !recheck_.empty();
      }
      if (changed.empty() && !recheck) {
        auto until_reread = std::chrono::duration_cast<std::chrono::milliseconds>(
            next_reread - std::chrono::steady_clock::now());
        // Returns at once for a notification that came in with the last query's answer (the
        // events of a statement waited for the next statement's before, ~700 ms in the bench).
        queue::wait_for_notifications(*conn, wake_fd_,
                                      std::clamp(until_reread, std::chrono::milliseconds(0),
                                                 std::chrono::milliseconds(1000)));
      } else {
        conn->get_notifs();
      }
      uint64_t wakes = 0;
      [[maybe_unused]] ssize_t drained = read(wake_fd_, &wakes, sizeof wakes);  // nonblocking
      std::vector<std::string> wanted;
      {
        std::lock_guard lock(mu_);
        if (stop_) break;
        changed.insert(recheck_.begin(), recheck_.end());
        recheck_.clear();
        for (const std::string& id : changed)
          if (subscribers_.count(id)) wanted.push_back(id);
      }
      changed.clear();
      if (wanted.empty()) continue;
      pqxx::nontransaction tx(*conn);
      for (const auto& row : tx.exec_params(kJobsByIds, queue::text_array(wanted)))
        deliver(row[0].c_str(), row[1].c_str());
    } catch (const std::exception& e) {
      obs::log(obs::LogLevel::kWarn, "job events: lost the database; reconnecting", {{"error", e.what()}});
      listener.reset();
      conn.reset();
      pollfd wake = {wake_fd_, POLLIN, 0};
      poll(&wake, 1, static_cast<int>(backoff.next().count()));
    }
  }
  listener.reset();
  conn.reset();
}

}  // namespace aiw::gateway
