#include "queue/notifications.h"

#include <poll.h>

#include <algorithm>
#include <pqxx/pqxx>

namespace aiw::queue {

NotificationWait wait_for_notifications(pqxx::connection_base& conn, int wake_fd,
                                        std::chrono::milliseconds timeout) {
  NotificationWait result;
  result.notifications = conn.get_notifs();  // those that came in with the last answer
  if (result.notifications > 0) return result;
  pollfd fds[2] = {{conn.sock(), POLLIN, 0}, {wake_fd, POLLIN, 0}};
  const int count = wake_fd >= 0 ? 2 : 1;
  poll(fds, count, static_cast<int>(std::max<int64_t>(0, timeout.count())));
  result.woken = count == 2 && (fds[1].revents & POLLIN) != 0;
  result.notifications = conn.get_notifs();
  return result;
}

}  // namespace aiw::queue
