// wait_for_notifications: a notification libpq already read (with a query's answer) is
// processed at once, where poll() on the socket would sleep through it until its timeout.
#include "queue_test_support.h"

#include "queue/notifications.h"

#include <poll.h>

#include <chrono>

namespace aiw::testing {
namespace {

struct CountingReceiver : pqxx::notification_receiver {
  CountingReceiver(pqxx::connection_base& conn, const std::string& channel)
      : pqxx::notification_receiver(conn, channel) {}
  void operator()(const std::string&, int) override { ++count; }
  int count = 0;
};

TEST_F(QueueTest, ANotificationThatCameWithAQuerysAnswerIsProcessedWithoutWaiting) {
  pqxx::connection listener(url_);
  CountingReceiver receiver(listener, "aiw_test_wakeup");
  scalar("select pg_notify('aiw_test_wakeup', 'x')");  // committed before the query below
  {
    pqxx::nontransaction tx(listener);
    tx.exec("select 1");  // its answer brings the notification into libpq's buffer
  }
  // The situation the worker and the event hub meet after a claim or a read: the notification
  // is here, unprocessed, and the socket has nothing left to read.
  ASSERT_EQ(receiver.count, 0);
  pollfd socket{listener.sock(), POLLIN, 0};
  ASSERT_EQ(poll(&socket, 1, 0), 0);

  auto start = std::chrono::steady_clock::now();
  queue::NotificationWait wait =
      queue::wait_for_notifications(listener, -1, std::chrono::seconds(60));
  EXPECT_EQ(wait.notifications, 1);
  EXPECT_EQ(receiver.count, 1);
  // Not a timing test: the wrong behaviour is the whole 60 s timeout.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

TEST_F(QueueTest, WaitingForNotificationsEndsWhenTheWakeFdIsReadable) {
  pqxx::connection listener(url_);
  CountingReceiver receiver(listener, "aiw_test_quiet");
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  ASSERT_EQ(write(fds[1], "w", 1), 1);
  queue::NotificationWait wait =
      queue::wait_for_notifications(listener, fds[0], std::chrono::seconds(60));
  EXPECT_TRUE(wait.woken);
  EXPECT_EQ(wait.notifications, 0);
  close(fds[0]);
  close(fds[1]);
}

}  // namespace
}  // namespace aiw::testing
