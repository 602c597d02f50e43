// The job routes: POST /v1/jobs, GET /v1/jobs/{id}, GET /v1/jobs, cancel, retry.
#include <aiw/json.h>

#include <pqxx/pqxx>

#include "gateway/auth.h"
#include "gateway/routes.h"
#include "gateway/base64url.h"
#include "gateway/canary.h"
#include "gateway/enqueue_answers.h"
#include "gateway/fallback.h"
#include "gateway/gateway_impl.h"
#include "gateway/jwt_claims.h"
#include "gateway/reply.h"
#include "gateway/sql.h"
#include "json/scratch_json.h"

namespace aiw::gateway {
namespace {

// The user a caller acts for: its own sub, or (service role) the one it names.
std::optional<std::string> own_filter(const Caller& caller) {
  if (caller.service()) return std::nullopt;
  return caller.claims.sub;
}

// The Idempotency-Key header: 1-255 visible ASCII characters (a UUID is a good one).
bool valid_idempotency_key(std::string_view key) {
  if (key.empty() || key.size() > 255) return false;
  for (char c : key)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

// Checks POST /v1/jobs (body and Idempotency-Key) and returns the job as asked for; answers the
// error itself and returns nullopt when bad.
std::optional<EnqueueRequest> parse_new_job(Gateway::Impl& g, const net::ServerRequest& req,
                                           const Caller& caller, const Reply& reply) {
  std::string_view key = req.header("idempotency-key");
  if (!key.empty() && !valid_idempotency_key(key)) {
    reply.error(400, "invalid_idempotency_key",
                "the Idempotency-Key header must be 1 to 255 visible ASCII characters, e.g. a UUID");
    return std::nullopt;
  }
  std::string_view content_type = req.header("content-type");
  if (content_type.substr(0, 16) != "application/json") {
    reply.error(415, "unsupported_media_type", "send the job as JSON with Content-Type: application/json");
    return std::nullopt;
  }
  json::ScratchJson body_doc;
  Json& body = body_doc.doc();
  if (!parse_json(req.body, body) || !body.IsObject()) {
    reply.error(400, "invalid_json", "the body must be a JSON object like {\"type\": \"sofia_image\", \"input\": {...}}");
    return std::nullopt;
  }
  for (auto it = body.MemberBegin(); it != body.MemberEnd(); ++it) {
    std::string name = it->name.GetString();
    if (name != "type" && name != "input" && name != "priority" && name != "user_id") {
      reply.error(400, "unknown_field", "unknown field '" + name + "'; a job has type, input and priority", "/" + name);
      return std::nullopt;
    }
  }
  EnqueueRequest job;
  job.idempotency_key = key;
  const JsonValue* type = find_member(body, "type");
  if (type == nullptr || !type->IsString()) {
    reply.error(400, "invalid_field", "type must be a string naming a job type", "/type");
    return std::nullopt;
  }
  job.type = type->GetString();
  auto schema = g.input_schemas.find(job.type);
  if (schema == g.input_schemas.end()) {
    std::string known;
    for (const auto& [t, s] : g.input_schemas) known += (known.empty() ? "" : ", ") + t;
    reply.error(400, "unknown_type", "unknown job type '" + job.type + "'; this gateway serves: " + known, "/type");
    return std::nullopt;
  }
  const JsonValue* input = find_member(body, "input");
  if (input == nullptr || !input->IsObject()) {
    reply.error(400, "invalid_field", "input must be a JSON object", "/input");
    return std::nullopt;
  }
  std::vector<json::SchemaError> errors;
  schema->second.validate(*input, errors);
  if (!errors.empty()) {
    reply.error(400, "invalid_input", "input" + errors[0].pointer + ": " + errors[0].message, "/input" + errors[0].pointer);
    return std::nullopt;
  }
  job.input_json = to_string(*input);
  const bool premium = caller.claims.is_premium;
  job.priority = premium ? 1 : 5;
  if (const JsonValue* p = find_member(body, "priority")) {
    if (!p->IsInt() || p->GetInt() < 1 || p->GetInt() > 10) {
      reply.error(400, "invalid_field", "priority must be a whole number from 1 (highest) to 10", "/priority");
      return std::nullopt;
    }
    job.priority = p->GetInt();
    if (job.priority < 5 && !premium && !caller.service()) {
      reply.error(403, "priority_reserved",
                  "priorities above normal (1-4) are for premium accounts; leave priority out or use 5-10",
                  "/priority");
      return std::nullopt;
    }
  }
  if (const JsonValue* u = find_member(body, "user_id")) {
    if (!caller.service()) {
      reply.error(403, "forbidden", "only the service role may enqueue for another user", "/user_id");
      return std::nullopt;
    }
    if (!u->IsString() || !is_uuid(u->GetString())) {
      reply.error(400, "invalid_field", "user_id must be a UUID", "/user_id");
      return std::nullopt;
    }
    job.user_id = u->GetString();
  } else if (caller.service()) {
    reply.error(400, "invalid_field", "the service role must name the user the job is for (user_id)", "/user_id");
    return std::nullopt;
  } else {
    job.user_id = caller.claims.sub;
  }
  return job;
}

bool valid_id(const net::ServerRequest& req, const Reply& reply) {
  if (is_uuid(req.param("id"))) return true;
  reply.error(400, "invalid_id", "the job id in the path must be a UUID", "/id");
  return false;
}

// The routes on /v1/jobs/{id}: an authenticated caller, a well-formed id, and the user whose
// jobs the caller may see (nullopt: the service role sees all).
struct JobTarget {
  std::string id;
  std::optional<std::string> user;
};

std::optional<JobTarget> job_target(Gateway::Impl& g, const net::ServerRequest& req, const Reply& reply) {
  auto caller = authenticate(g, req, reply);
  if (!caller || !valid_id(req, reply)) return std::nullopt;
  return JobTarget{std::string(req.param("id")), own_filter(*caller)};
}

}  // namespace

void post_job(Gateway::Impl& g, const net::ServerRequest& req, Reply reply) {
  auto caller = authenticate(g, req, reply);
  if (!caller) return;
  auto job = parse_new_job(g, req, *caller, reply);
  if (!job) return;
  Flag flag = g.monitor->flag(job->type);
  bool async = flag.async_enabled && in_canary(job->user_id, job->type, flag.canary_percent) &&
               g.monitor->has_live_worker(job->type);
  if (!async) {
    run_in_process(g, std::move(*job), std::move(reply));
    return;
  }
  int64_t poll_after = g.config.poll_interval_ms;
  std::string type = job->type, user_id = job->user_id;
  g.enqueuer->submit(std::move(*job), [&g, reply, poll_after, type, user_id](EnqueueResult r) {
    if (answer_not_stored(g, r, user_id, reply)) return;
    g.metrics.accepted(type, false);
    std::string location = "/v1/jobs/" + r.id;
    auto response = net::ServerResponse::json(
        202, R"({"id":")" + r.id + R"(","status":"pending","location":")" + location +
                 R"(","poll_after_ms":)" + std::to_string(poll_after) + "}");
    response.set_header("Location", location);
    reply.send(std::move(response));
  });
}

void get_job(Gateway::Impl& g, const net::ServerRequest& req, Reply reply) {
  auto target = job_target(g, req, reply);
  if (!target) return;
  const auto& [id, user] = *target;
  g.db->post(
      [reply, id, user](queue::JobStore& store) {
        pqxx::nontransaction tx(store.connection());
        pqxx::result r = tx.exec_prepared(sql::kGetJobStatement, id, user);
        if (r.empty())
          reply.job_not_found(id);
        else
          reply.json(200, r[0][0].c_str());
      },
      reply.on_unavailable());
}

void list_jobs(Gateway::Impl& g, const net::ServerRequest& req, Reply reply) {
  auto caller = authenticate(g, req, reply);
  if (!caller) return;
  std::optional<std::string> status = req.query("status"), type = req.query("type");
  if (status && *status != "pending" && *status != "processing" && *status != "completed" &&
      *status != "failed" && *status != "cancelled")
    return reply.error(400, "invalid_query", "status must be pending, processing, completed, failed or cancelled", "status");
  int limit = 20;
  if (auto l = req.query("limit")) {
    try {
      limit = std::stoi(*l);
    } catch (const std::exception&) {
      limit = 0;
    }
    if (limit < 1 || limit > 100) return reply.error(400, "invalid_query", "limit must be from 1 to 100", "limit");
  }
  std::optional<std::string> cursor_time, cursor_id;
  if (auto c = req.query("cursor")) {
    auto decoded = base64url_decode(*c);
    size_t comma = decoded ? decoded->rfind(',') : std::string::npos;
    if (comma == std::string::npos || !is_uuid(decoded->substr(comma + 1)))
      return reply.error(400, "invalid_query", "cursor is not one this API returned", "cursor");
    cursor_time = decoded->substr(0, comma);
    cursor_id = decoded->substr(comma + 1);
  }
  auto user = own_filter(*caller);
  g.db->post(
      [=](queue::JobStore& store) {
        pqxx::nontransaction tx(store.connection());
        pqxx::result rows;
        try {
          rows = tx.exec_params(sql::kListJobs, user, status, type, cursor_time, cursor_id, limit + 1);
        } catch (const pqxx::data_exception&) {
          return reply.error(400, "invalid_query", "cursor is not one this API returned", "cursor");
        }
        std::string body = R"({"jobs":[)";
        size_t n = std::min<size_t>(rows.size(), static_cast<size_t>(limit));
        for (size_t i = 0; i < n; ++i) body += (i ? "," : "") + std::string(rows[i][0].c_str());
        body += "],\"next_cursor\":";
        if (rows.size() > n)
          body += "\"" + base64url_encode(std::string(rows[n - 1][1].c_str()) + "," + rows[n - 1][2].c_str()) + "\"";
        else
          body += "null";
        reply.json(200, body + "}");
      },
      reply.on_unavailable());
}

void cancel_job(Gateway::Impl& g, const net::ServerRequest& req, Reply reply) {
  auto target = job_target(g, req, reply);
  if (!target) return;
  const auto& [id, user] = *target;
  g.db->post(
      [reply, id, user](queue::JobStore& store) {
        pqxx::nontransaction tx(store.connection());
        pqxx::row r = tx.exec_params1(sql::kCancel, id, user);
        if (r[0].is_null()) return reply.job_not_found(id);
        if (r[1].as<int>() == 0)
          return reply.error(409, "not_cancellable",
                             "the job is already " + std::string(r[0].c_str()) +
                                 "; only pending or processing jobs can be cancelled");
        reply.json(200, R"({"id":")" + id + R"(","status":"cancelled"})");
      },
      reply.on_unavailable());
}

void retry_job(Gateway::Impl& g, const net::ServerRequest& req, Reply reply) {
  auto target = job_target(g, req, reply);
  if (!target) return;
  const auto& [id, user] = *target;
  GatewayMetrics* metrics = &g.metrics;
  g.db->post(
      [reply, id, user, metrics](queue::JobStore& store) {
        pqxx::work tx(store.connection());
        pqxx::row r;
        try {
          r = tx.exec_params1(sql::kRetry, id, user);
          tx.commit();
        } catch (const pqxx::sql_error& e) {
          if (e.sqlstate() != "AIW01") throw;
          metrics->over_active_limit.add();
          return reply.error(429, "too_many_active_jobs",
                             "you already have the most jobs pending or processing; wait for one to finish or cancel one");
        }
        if (r[0].is_null()) return reply.job_not_found(id);
        if (r[1].as<int>() == 0)
          return reply.error(409, "not_retryable",
                             "the job is " + std::string(r[0].c_str()) + "; only failed or cancelled jobs can be retried");
        reply.json(200, R"({"id":")" + id + R"(","status":"pending","location":"/v1/jobs/)" + id + "\"}");
      },
      reply.on_unavailable());
}

void job_events(Gateway::Impl& g, const net::ServerRequest& req, Reply reply) {
  auto target = job_target(g, req, reply);
  if (!target) return;
  const auto& [id, user] = *target;
  EventHub* hub = g.events.get();
  g.db->post(
      [reply, id, user, hub](queue::JobStore& store) {
        pqxx::nontransaction tx(store.connection());
        pqxx::result r = tx.exec_prepared(sql::kGetJobStatement, id, user);
        if (r.empty()) return reply.job_not_found(id);
        std::string job = r[0][0].c_str();
        std::string status = job_status(job);
        if (is_final_status(status)) {
          // Already over: one event and the end, as a plain response.
          net::ServerResponse done = net::ServerResponse::text(200, net::sse_event(job, event_name(status, true)));
          done.content_type("text/event-stream");
          done.set_header("Cache-Control", "no-cache");
          return reply.send(std::move(done));
        }
        net::HttpStream stream = reply.responder().start_stream(
            200, {{"Content-Type", "text/event-stream"}, {"Cache-Control", "no-cache"}, {"X-Accel-Buffering", "no"}});
        if (stream) hub->subscribe(id, job, std::move(stream));
      },
      reply.on_unavailable());
}

}  // namespace aiw::gateway
