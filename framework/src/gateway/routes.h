// The route handlers, one function each (job_routes.cpp, admin_routes.cpp, fallback.cpp).
#pragma once

#include "gateway/gateway_impl.h"
#include "gateway/reply.h"

namespace aiw::gateway {

void post_job(Gateway::Impl& g, const net::ServerRequest& req, Reply reply);
void get_job(Gateway::Impl& g, const net::ServerRequest& req, Reply reply);
void list_jobs(Gateway::Impl& g, const net::ServerRequest& req, Reply reply);
void cancel_job(Gateway::Impl& g, const net::ServerRequest& req, Reply reply);
void retry_job(Gateway::Impl& g, const net::ServerRequest& req, Reply reply);
void job_events(Gateway::Impl& g, const net::ServerRequest& req, Reply reply);

void health(Gateway::Impl& g, const net::ServerRequest& req, Reply reply);
void metrics(Gateway::Impl& g, const net::ServerRequest& req, Reply reply);
void get_flags(Gateway::Impl& g, const net::ServerRequest& req, Reply reply);
void put_flag(Gateway::Impl& g, const net::ServerRequest& req, Reply reply);
void get_alerts(Gateway::Impl& g, const net::ServerRequest& req, Reply reply);
void get_stats(Gateway::Impl& g, const net::ServerRequest& req, Reply reply);
void dashboard(Gateway::Impl& g, const net::ServerRequest& req, Reply reply);

}  // namespace aiw::gateway
