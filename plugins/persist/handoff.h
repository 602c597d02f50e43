// Handoff: lets a thread the host does not know (the database pool's) end an aiw::Call safely.
//
// Why it is needed: the host keeps a call's handle alive only until the call has ended and
// every HTTP/timer callback it started has run. A timeout or cancel can end the call while our
// thread is still inside a transaction; ending it afterwards from that thread would touch a
// freed handle. So arm() starts a host timer (a "keepalive") that lasts longer than the call
// may: the handle then lives until that timer's callback has run, and that callback takes the
// same lock as end() before it lets go. Whoever takes the lock first with the call still open
// ends it; the other sees it closed and does nothing.
//
//   auto handoff = Handoff::arm(call, guard);        // on the engine's thread, in run()
//   pool.submit([handoff](...) {                     // later, on the pool's thread
//     handoff->end([&](aiw::Call c) { c.complete(output); });
//   });
#pragma once

#include <aiw/plugin.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

namespace persist {

class Handoff {
 public:
  // `guard` bounds how long the call may stay open: when it passes first (a stage with no
  // usable timeout), the call fails as retryable with `guard_message`.
  static std::shared_ptr<Handoff> arm(aiw::Call call, std::chrono::milliseconds guard,
                                      std::string guard_message) {
    auto h = std::shared_ptr<Handoff>(new Handoff(call));
    call.after(guard, [h, message = std::move(guard_message)](aiw::Call c, bool cancelled) {
      std::lock_guard lock(h->mu_);
      if (!h->open_) return;
      h->open_ = false;
      if (!cancelled) c.fail_retryable(message);
    });
    return h;
  }

  // True while the call is open and not cancelled (worth starting the work for).
  bool wanted() {
    std::lock_guard lock(mu_);
    return open_ && !call_.cancelled();
  }

  // Runs fn(call) to end the call, unless it has already ended; false then.
  template <typename Fn>
  bool end(Fn&& fn) {
    std::lock_guard lock(mu_);
    if (!open_) return false;
    open_ = false;
    aiw::Call::guard(call_.raw(), [&] { fn(call_); });
    return true;
  }

 private:
  explicit Handoff(aiw::Call call) : call_(call) {}

  std::mutex mu_;
  bool open_ = true;
  aiw::Call call_;
};

}  // namespace persist
