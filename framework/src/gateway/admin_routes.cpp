// /health, /metrics and the service-role admin routes (flags, alerts, stats).
#include <aiw/json.h>

#include <pqxx/pqxx>

#include "gateway/auth.h"
#include "gateway/routes.h"
#include "gateway/sql.h"
#include "obs/prometheus.h"

namespace aiw::gateway {

void health(Gateway::Impl& g, const net::ServerRequest&, Reply reply) {
  SystemSnapshot s = g.monitor->snapshot();
  // The monitor reaches the database every second (and reconnects by itself): its view is
  // fresh without putting a query on the health check's path.
  bool ok = s.database_up;
  std::string body = std::string(R"({"status":")") + (ok ? "ok" : "unavailable") + R"(","database":)" +
                     (ok ? "true" : "false") + R"(,"live_workers":)" + std::to_string(s.live_workers) + "}";
  auto response = net::ServerResponse::json(ok ? 200 : 503, std::move(body));
  if (!ok) response.set_header("Retry-After", "5");
  reply.send(std::move(response));
}

void metrics(Gateway::Impl& g, const net::ServerRequest&, Reply reply) {
  obs::PrometheusText out;
  g.metrics.render(out, g.monitor->snapshot());
  auto response = net::ServerResponse::text(200, out.text());
  response.content_type(obs::PrometheusText::kContentType);
  reply.send(std::move(response));
}

void get_flags(Gateway::Impl& g, const net::ServerRequest& req, Reply reply) {
  if (!authenticate_admin(g, req, reply)) return;
  std::string body = R"({"flags":[)";
  bool first = true;
  for (const std::string& type : g.pipelines.types()) {
    Flag f = g.monitor->flag(type);
    body += std::string(first ? "" : ",") + R"({"type":")" + type + R"(","async_enabled":)" +
            (f.async_enabled ? "true" : "false") + R"(,"canary_percent":)" + std::to_string(f.canary_percent) +
            R"(,"source":")" + f.source + R"(","live_worker":)" +
            (g.monitor->has_live_worker(type) ? "true" : "false") + "}";
    first = false;
  }
  reply.json(200, body + "]}");
}

void put_flag(Gateway::Impl& g, const net::ServerRequest& req, Reply reply) {
  auto caller = authenticate_admin(g, req, reply);
  if (!caller) return;
  std::string type(req.param("type"));
  if (g.pipelines.find(type) == nullptr)
    return reply.error(404, "unknown_type", "no pipeline named '" + type + "' is loaded in this gateway", "/type");
  Json body;
  if (!parse_json(req.body, body) || !body.IsObject())
    return reply.error(400, "invalid_json", R"(send {"async_enabled": true|false, "canary_percent": 0-100})");
  std::optional<bool> async;
  std::optional<int> percent;
  for (auto it = body.MemberBegin(); it != body.MemberEnd(); ++it) {
    std::string name = it->name.GetString();
    if (name == "async_enabled" && it->value.IsBool()) {
      async = it->value.GetBool();
    } else if (name == "canary_percent" && it->value.IsInt() && it->value.GetInt() >= 0 && it->value.GetInt() <= 100) {
      percent = it->value.GetInt();
    } else {
      return reply.error(400, "invalid_field",
                         "'" + name + "' must be async_enabled (true or false) or canary_percent (0 to 100)", "/" + name);
    }
  }
  Monitor* monitor = g.monitor.get();
  std::string who = caller->claims.sub.empty() ? "service_role" : caller->claims.sub;
  g.db->post(
      [=](queue::JobStore& store) {
        pqxx::nontransaction tx(store.connection());
        pqxx::row r = tx.exec_params1(sql::kUpsertFlag, type, async, percent, who);
        monitor->refresh_soon();
        reply.json(200, R"({"type":")" + type + R"(","async_enabled":)" + (r[0].as<bool>() ? "true" : "false") +
                            R"(,"canary_percent":)" + r[1].c_str() + "}");
      },
      reply.on_unavailable());
}

void get_alerts(Gateway::Impl& g, const net::ServerRequest& req, Reply reply) {
  if (!authenticate_admin(g, req, reply)) return;
  SystemSnapshot s = g.monitor->snapshot();
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("alerts");
  w.StartArray();
  for (const Alert& a : s.alerts) {
    w.StartObject();
    w.Key("name"); w.String(a.name);
    w.Key("message"); w.String(a.message);
    w.Key("since_unix_ms"); w.Int64(a.since_unix_ms);
    w.EndObject();
  }
  w.EndArray();
  w.Key("pending"); w.Int64(s.pending_total);
  w.Key("live_workers"); w.Int(s.live_workers);
  w.Key("thresholds");
  w.StartObject();
  w.Key("pending"); w.Int64(g.config.alert_pending_threshold);
  w.Key("worker_offline_ms"); w.Int64(g.config.alert_worker_offline_ms);
  w.EndObject();
  w.EndObject();
  reply.json(200, std::string(buffer.GetString(), buffer.GetSize()));
}

void get_stats(Gateway::Impl& g, const net::ServerRequest& req, Reply reply) {
  if (!authenticate_admin(g, req, reply)) return;
  g.db->post(
      [reply](queue::JobStore& store) {
        pqxx::nontransaction tx(store.connection());
        reply.json(200, tx.exec1(sql::kStats)[0].c_str());
      },
      reply.on_unavailable());
}

}  // namespace aiw::gateway
