// aiw_call: one invocation of one stage for one job, the handle a plugin holds.
//
// Rules it enforces for the plugin ABI:
// - The first end (complete, fail, timeout, cancel) wins; later ends are ignored and logged.
// - Ending the call aborts the HTTP exchanges and timers it started; each of their callbacks
//   still runs exactly once (with "cancelled"), on the I/O thread.
// - The handle stays valid until it is ended and every such callback has run (refcount).
#pragma once

#include "engine/job_result.h"
#include "net/io_loop.h"

#include <aiw/abi.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace aiw::engine {
class Job;
class StageNode;

// How a call ended.
struct CallOutcome {
  enum class Kind { kOk, kError, kAborted };
  Kind kind = Kind::kOk;
  // kOk: the plugin's own buffer, valid while end_call() runs (it handles the end at once and
  // copies only what it keeps).
  std::string_view output_json;
  ErrorKind error_kind = ErrorKind::kNone;  // kError
  std::string message;          // kError / kAborted
  int64_t retry_after_ms = -1;
  bool from_plugin = false;     // ended by the plugin itself (not timeout or abort)
};
}  // namespace aiw::engine

struct aiw_call {
  // Inline: one is made on every stage of every job.
  aiw_call(aiw::engine::Job* job_in, aiw::engine::StageNode* node_in, int64_t start,
           int64_t deadline)
      : job(job_in), node(node_in), start_ns(start), deadline_ns(deadline) {}
  ~aiw_call() = default;

  void retain() { refs.fetch_add(1, std::memory_order_relaxed); }
  void release() {
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy();
  }
  // Frees the call (or just ends its life, when it lives in its job's stage state), then lets
  // go of the job if it held it: in that order, since the job may own the call's memory.
  // Inline: a call that ended inside invoke() (the common case) is destroyed in the stage
  // body, where this is a few loads.
  [[gnu::always_inline]] void destroy() {
    aiw::engine::Job* owner = holds_job ? job : nullptr;
    delete pending.load(std::memory_order_relaxed);  // refs reached 0: every writer is done
    if (embedded) {
      this->~aiw_call();
    } else {
      delete this;
    }
    if (owner) release_job(owner);
  }
  // Makes the call keep its job alive from now on. Taken once, by the stage body, while it
  // still holds the call, before the call can outlive the body: a call that ends inside invoke()
  // with nobody else holding it lives and dies within the body, where the graph keeps the job
  // alive, and so costs its job no reference count traffic.
  void hold_job();
  static void release_job(aiw::engine::Job* job);

  // The "not yet ended" reference and the invoking body's.
  std::atomic<int> refs{2};
  aiw::engine::Job* job;
  bool holds_job = false;    // retained (hold_job)
  bool embedded = false;     // constructed in the job's StageState::call_storage
  aiw::engine::StageNode* node;
  int64_t start_ns;
  int64_t deadline_ns;       // steady clock; 0 = none
  bool deadline_is_job = false;  // the deadline is the job's, not the stage's timeout

  enum State { kOpen = 0, kEndedByPlugin = 1, kEndedByHost = 2 };
  std::atomic<int> state{kOpen};
  bool ended() const { return state.load() != kOpen; }  // seq_cst: pairs with pending_state()

  // An HTTP exchange or timer the plugin started and whose callback has not run yet.
  struct PendingOp {
    bool is_http;
    uint64_t id;     // the IoLoop's request or timer id
    uint64_t token;  // this call's own id for it
    aiw_timer_callback timer_cb;  // timers only
    void* user;
  };
  // What a call that started an HTTP exchange, a timer or its timeout keeps to abort them when
  // it ends. Made on first use: most calls (CPU stages) start none, and a call is made and
  // destroyed on every stage of every job, where a mutex and a vector were ~40 instructions.
  struct Pending {
    std::mutex mu;  // guards all of it
    std::vector<PendingOp> ops;
    uint64_t next_token = 0;
    aiw::net::IoLoop::TimerId timeout_timer = 0;
  };
  // Null until the call started something. Published (seq_cst) before the starter checks
  // ended(), and read by end_call after it ended the call: one of the two sees the other, so
  // that ending a call that never started anything takes no lock.
  std::atomic<Pending*> pending{nullptr};
  // The pending state, made on first use (safe from any thread).
  Pending& pending_state();

  // Who passes the job on after the call ended: the stage body when the call ended before
  // invoke() returned (no cross-thread hand-off, no enqueue), else the completion path.
  enum Handoff { kInBody = 0, kBodyReturned = 1, kEndedPassOn = 2, kEndedHold = 3 };
  std::atomic<int> handoff{kInBody};
};

namespace aiw::engine {

// Ends the call once; returns false (and logs) when it had already ended. Taken by reference,
// not by value: a second CallOutcome per call is measurable on a no-op stage.
bool end_call(aiw_call* call, CallOutcome&& outcome);
// end_call for the plugin's own success (output_json valid while it runs), without building a
// CallOutcome: the end of nearly every call.
bool complete_call(aiw_call* call, std::string_view output_json);
// Arms the stage timeout / job deadline timer for a call that did not end inside invoke().
void arm_call_timeout(aiw_call* call);
// Plugin-facing operations behind the host API.
void call_http(aiw_call* call, const aiw_http_request* request, aiw_http_callback cb, void* user);
void call_after(aiw_call* call, uint64_t delay_ms, aiw_timer_callback cb, void* user);

}  // namespace aiw::engine
