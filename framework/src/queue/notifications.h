// Waiting for PostgreSQL notifications (LISTEN) on a connection that also runs queries.
//
// libpq reads a notification that arrives while a query runs together with the query's answer
// and keeps it in its own buffer: the socket then has nothing left to read, so poll() on it
// sleeps through a notification that is already here, until the next one or the timeout. So
// the notifications already read are processed first, and only with none is there a wait.
#pragma once

#include <chrono>

namespace pqxx {
class connection_base;
}

namespace aiw::queue {

struct NotificationWait {
  int notifications = 0;  // processed: their receivers ran
  bool woken = false;     // wake_fd became readable (the caller drains it)
};

// Processes the notifications libpq already holds; with none, waits until one arrives,
// wake_fd (-1: none) is readable or the timeout passes, and processes what came.
NotificationWait wait_for_notifications(pqxx::connection_base& conn, int wake_fd,
                                        std::chrono::milliseconds timeout);

}  // namespace aiw::queue
