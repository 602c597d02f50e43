// EventHub: GET /v1/jobs/{id}/events, Server-Sent Events fed by LISTEN aiw_job_events.
//
// One thread and one connection LISTEN for the ids of jobs that changed (the queue's claim,
// outcome, progress, cancel and retry statements notify once per statement, never per row). For
// the changed ids that have subscribers, one query reads their rows and each subscriber gets the
// job as an event: `progress` while running, `status` on a status change, and a last `result`
// (completed) or `status` (failed, cancelled), after which the stream ends. A stream also ends
// when its client goes away. Thousands of streams cost memory, not threads.
//
// Every reread_every the hub also reads all subscribed jobs again: a NOTIFY is sent after its
// write commits (migration 0008_notify_after_commit), so a writer that dies in between loses
// the notification, and the stream then gets the change late instead of never.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "net/http_server.h"

namespace aiw::gateway {

class EventHub {
 public:
  explicit EventHub(std::string database_url,
                    std::chrono::milliseconds reread_every = std::chrono::seconds(5));
  ~EventHub();
  void start();
  void stop();  // ends every stream

  // Starts sending the job's events on stream; job_json is its current state (sent first).
  void subscribe(const std::string& job_id, const std::string& job_json, net::HttpStream stream);
  size_t streams() const;

 private:
  struct Subscriber {
    net::HttpStream stream;
    std::string last_status;
    std::string last_json;  // the last state sent: the same state is not sent twice
  };
  void run();
  void deliver(const std::string& id, const std::string& job_json);
  void unsubscribe(const std::string& job_id, const net::HttpStream& stream);
  void wake();  // the thread leaves its poll

  std::string url_;
  std::chrono::milliseconds reread_every_;
  mutable std::mutex mu_;
  std::map<std::string, std::vector<Subscriber>> subscribers_;
  // Jobs just subscribed, to be read once more by the thread: a change committed between the
  // route's read of the job and subscribe() found no subscriber, and its event (perhaps the
  // final one, after which the stream would never end) would be lost without this.
  std::set<std::string> recheck_;
  bool stop_ = false;
  int wake_fd_ = -1;
  std::thread thread_;
};

// The SSE event name for a job in this status (a final one ends the stream).
const char* event_name(const std::string& status, bool status_changed);
bool is_final_status(const std::string& status);
// The "status" of a job as the API renders it; "" when absent.
std::string job_status(const std::string& job_json);

}  // namespace aiw::gateway
