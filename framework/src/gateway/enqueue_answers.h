// The answers to POST /v1/jobs when its job was not stored as new: over the user's active-jobs
// limit, a repeated Idempotency-Key, the database away. The queue path (job_routes.cpp) and the
// in-process path (fallback.cpp) share them, so a client sees the same answer on both.
#pragma once

#include <string>

#include "gateway/enqueuer.h"
#include "gateway/gateway_impl.h"
#include "gateway/reply.h"

namespace aiw::gateway {

// Answers `reply` and returns true unless the job was accepted (then the caller answers).
// A duplicate is answered with the earlier job as GET /v1/jobs/{id} shows it now (200, header
// Idempotent-Replayed: true); user_id is the job's owner.
bool answer_not_stored(Gateway::Impl& g, const EnqueueResult& result, const std::string& user_id,
                       const Reply& reply);

}  // namespace aiw::gateway
