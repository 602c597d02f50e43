// Connections to PostgreSQL: opening with a sentence a person can act on, and telling a lost
// connection (retry with backoff) from a statement error (a bug or bad data).
#pragma once

#include <memory>
#include <string>

#include "common/status.h"

namespace pqxx {
class connection_base;  // pqxx::connection is a typedef of a class derived from it
}

namespace aiw::queue {

// The URL with any password replaced by "***", for logs and error messages.
std::string redact_url(const std::string& url);

// Opens a connection, or says why not (naming the redacted URL and libpq's reason).
Result<std::shared_ptr<pqxx::connection_base>> connect(const std::string& database_url);

// True for errors after which the connection is gone (server restart, network): the caller
// reconnects and tries again. False for errors of the statement itself.
bool is_connection_lost(const std::exception& error);

}  // namespace aiw::queue
