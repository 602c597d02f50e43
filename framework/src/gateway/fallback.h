// The synchronous path (US-1, US-2): when a job type is not async for this user (flag off, or
// outside the canary) or no live worker serves it, the gateway runs the same pipeline in-process
// within AI_WORKER_TIMEOUT_MS and answers 200 with the result. The job row is still recorded
// (run_by = 'gateway', worker_id = the gateway's id) and its outcome written like a worker's.
// A cached result answers at once.
#pragma once

#include <string>

#include "gateway/gateway_impl.h"
#include "gateway/reply.h"

namespace aiw::gateway {

// `request` is the job as the caller asked for it (user, type, input, priority, key); the
// in-process run's own fields (status, worker, attempts) are set here.
void run_in_process(Gateway::Impl& g, EnqueueRequest request, Reply reply);

}  // namespace aiw::gateway
