#include "gateway/enqueue_answers.h"

#include <pqxx/pqxx>

#include "gateway/sql.h"

namespace aiw::gateway {

bool answer_not_stored(Gateway::Impl& g, const EnqueueResult& r, const std::string& user_id,
                       const Reply& reply) {
  switch (r.kind) {
    case EnqueueResult::Kind::kAccepted: return false;
    case EnqueueResult::Kind::kOverLimit:
      g.metrics.over_active_limit.add();
      reply.error(429, "too_many_active_jobs",
                  "you already have " + std::to_string(r.active) +
                      " jobs pending or processing, the most allowed; wait for one to finish or cancel one");
      return true;
    case EnqueueResult::Kind::kDuplicate:
      g.db->post(
          [reply, id = r.id, user_id](queue::JobStore& store) {
            pqxx::nontransaction tx(store.connection());
            pqxx::result rows = tx.exec_prepared(sql::kGetJobStatement, id, user_id);
            if (rows.empty()) return reply.job_not_found(id);  // deleted since (retention, cascade)
            auto response = net::ServerResponse::json(200, rows[0][0].c_str());
            response.set_header("Location", "/v1/jobs/" + id);
            response.set_header("Idempotent-Replayed", "true");
            reply.send(std::move(response));
          },
          reply.on_unavailable());
      return true;
    case EnqueueResult::Kind::kKeyMismatch:
      reply.error(422, "idempotency_key_reused",
                  "this Idempotency-Key was already used for job " + r.id +
                      " with another type, input or priority; send a new key for a new job");
      return true;
    case EnqueueResult::Kind::kKeyInProgress:
      reply.error(409, "idempotency_key_in_progress",
                  "another request with this Idempotency-Key is being stored right now; send it again in a moment to "
                  "get its job");
      return true;
    case EnqueueResult::Kind::kUnavailable: reply.unavailable(r.message); return true;
    case EnqueueResult::Kind::kError: reply.error(500, "internal", r.message); return true;
  }
  return true;
}

}  // namespace aiw::gateway
