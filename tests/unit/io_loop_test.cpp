#include "net/io_loop.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include "waiter.h"

namespace aiw::net {
namespace {

using aiw::testing::Waiter;
using std::chrono::milliseconds;

TEST(IoLoop, TimersFireInDueOrder) {
  IoLoop loop;
  std::vector<int> order;  // touched only on the loop thread until the waiter says done
  Waiter waiter;
  for (int delay : {300, 100, 200, 0}) {
    loop.add_timer(milliseconds(delay), [&, delay] {
      order.push_back(delay);
      waiter.notify();
    });
  }
  ASSERT_TRUE(waiter.wait_for(4));
  EXPECT_EQ(order, (std::vector<int>{0, 100, 200, 300}));
}

TEST(IoLoop, TimersWithTheSameDelayFireInTheOrderAdded) {
  IoLoop loop;
  std::vector<int> order;
  Waiter waiter;
  for (int i = 0; i < 100; ++i) {
    loop.add_timer(milliseconds(5), [&, i] {
      order.push_back(i);
      waiter.notify();
    });
  }
  ASSERT_TRUE(waiter.wait_for(100));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[i], i);
}

TEST(IoLoop, CancelledTimerNeverRuns) {
  std::atomic<bool> cancelled_ran{false};
  Waiter later;
  {
    IoLoop loop;
    IoLoop::TimerId id = loop.add_timer(milliseconds(50), [&] { cancelled_ran = true; });
    EXPECT_TRUE(loop.cancel_timer(id));
    EXPECT_FALSE(loop.cancel_timer(id)) << "a second cancel finds nothing pending";
    loop.add_timer(milliseconds(100), [&] { later.notify(); });
    ASSERT_TRUE(later.wait_for(1));
  }
  EXPECT_FALSE(cancelled_ran);
}

TEST(IoLoop, CancelAfterTheTimerFiredReturnsFalse) {
  IoLoop loop;
  Waiter fired;
  IoLoop::TimerId id = loop.add_timer(milliseconds(0), [&] { fired.notify(); });
  ASSERT_TRUE(fired.wait_for(1));
  EXPECT_FALSE(loop.cancel_timer(id));
}

TEST(IoLoop, CancelRacingWithFireRunsExactlyOneSide) {
  constexpr int kTimers = 5000;
  IoLoop loop;
  std::vector<std::atomic<int>> runs(kTimers);
  Waiter fired;
  std::vector<IoLoop::TimerId> ids;
  for (int i = 0; i < kTimers; ++i) {
    ids.push_back(loop.add_timer(milliseconds(i % 3), [&, i] {
      runs[i]++;
      fired.notify();
    }));
  }
  std::vector<bool> cancelled(kTimers);
  size_t cancelled_count = 0;
  for (int i = 0; i < kTimers; i += 2) {
    cancelled[i] = loop.cancel_timer(ids[i]);
    cancelled_count += cancelled[i];
  }
  ASSERT_TRUE(fired.wait_for(kTimers - cancelled_count));
  loop.stop();  // nothing can run any more: the counts are final
  for (int i = 0; i < kTimers; ++i) {
    EXPECT_EQ(runs[i].load(), cancelled[i] ? 0 : 1) << "timer " << i;
  }
}

TEST(IoLoop, ManyCancelledLongTimersLeaveTheRestWorking) {
  IoLoop loop;
  std::vector<IoLoop::TimerId> ids;
  for (int i = 0; i < 5000; ++i) ids.push_back(loop.add_timer(std::chrono::hours(1), [] {}));
  IoLoop::TimerId kept = loop.add_timer(std::chrono::hours(1), [] {});
  for (IoLoop::TimerId id : ids) EXPECT_TRUE(loop.cancel_timer(id));
  Waiter fired;
  loop.add_timer(milliseconds(1), [&] { fired.notify(); });
  EXPECT_TRUE(fired.wait_for(1));
  EXPECT_TRUE(loop.cancel_timer(kept)) << "survives the clean-up of cancelled entries";
}

TEST(IoLoop, TenThousandTimersFireWithinOneLoopThread) {
  constexpr int kTimers = 10000;
  IoLoop loop;
  std::mt19937 random(42);
  std::atomic<int> off_loop{0};
  std::vector<std::thread::id> threads(kTimers);
  Waiter fired;
  for (int i = 0; i < kTimers; ++i) {
    loop.add_timer(milliseconds(random() % 200), [&, i] {
      if (!loop.in_loop_thread()) off_loop++;
      threads[i] = std::this_thread::get_id();
      fired.notify();
    });
  }
  ASSERT_TRUE(fired.wait_for(kTimers));
  EXPECT_EQ(off_loop.load(), 0);
  for (const auto& id : threads) EXPECT_EQ(id, threads[0]);
  EXPECT_NE(threads[0], std::this_thread::get_id());
}

TEST(IoLoop, TimersAddedFromManyThreadsAllFire) {
  IoLoop loop;
  Waiter fired;
  std::vector<std::thread> adders;
  for (int t = 0; t < 4; ++t) {
    adders.emplace_back([&] {
      for (int i = 0; i < 500; ++i) loop.add_timer(milliseconds(i % 7), [&] { fired.notify(); });
    });
  }
  for (auto& adder : adders) adder.join();
  EXPECT_TRUE(fired.wait_for(2000));
}

TEST(IoLoop, TimerCallbackCanScheduleTheNextTimer) {
  IoLoop loop;
  Waiter done;
  std::atomic<int> hops{0};
  std::function<void()> hop = [&] {
    if (++hops == 10) return done.notify();
    loop.add_timer(milliseconds(1), hop);
  };
  loop.add_timer(milliseconds(1), hop);
  ASSERT_TRUE(done.wait_for(1));
  EXPECT_EQ(hops.load(), 10);
}

TEST(IoLoop, PostRunsOnTheLoopThreadInOrder) {
  IoLoop loop;
  EXPECT_FALSE(loop.in_loop_thread());
  std::vector<int> order;
  std::atomic<int> off_loop{0};
  Waiter ran;
  for (int i = 0; i < 50; ++i) {
    loop.post([&, i] {
      if (!loop.in_loop_thread()) off_loop++;
      order.push_back(i);
      ran.notify();
    });
  }
  ASSERT_TRUE(ran.wait_for(50));
  EXPECT_EQ(off_loop.load(), 0);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(order[i], i);
}

TEST(IoLoop, ThrowingCallbackDoesNotStopTheLoop) {
  IoLoop loop;
  Waiter after;
  loop.post([] { throw std::runtime_error("a stage bug"); });
  loop.add_timer(milliseconds(0), [] { throw std::runtime_error("another"); });
  loop.add_timer(milliseconds(5), [&] { after.notify(); });
  EXPECT_TRUE(after.wait_for(1));
}

TEST(IoLoop, StopDropsPendingTimersAndIsIdempotent) {
  std::atomic<bool> ran{false};
  IoLoop loop;
  IoLoop::TimerId id = loop.add_timer(std::chrono::hours(1), [&] { ran = true; });
  loop.stop();
  loop.stop();
  EXPECT_FALSE(ran);
  // Still pending in the sense that matters to the caller: its fn will never run.
  EXPECT_TRUE(loop.cancel_timer(id));
}

TEST(IoLoop, StopFromTheLoopThreadDoesNotDeadlock) {
  auto loop = std::make_unique<IoLoop>();
  Waiter stopped;
  loop->post([&] {
    loop->stop();
    stopped.notify();
  });
  ASSERT_TRUE(stopped.wait_for(1));
  loop.reset();  // joins the thread from here
}

TEST(IoLoop, SharedIsOneProcessWideInstance) {
  IoLoop& a = IoLoop::shared();
  IoLoop& b = IoLoop::shared();
  EXPECT_EQ(&a, &b);
  Waiter ran;
  a.post([&] { ran.notify(); });
  EXPECT_TRUE(ran.wait_for(1));
}

}  // namespace
}  // namespace aiw::net
