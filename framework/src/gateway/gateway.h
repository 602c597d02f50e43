// Gateway: `aiw gateway`'s HTTP API (docs/api.md). Answers POST /v1/jobs with 202 + id in
// milliseconds (group-committed insert), or, when a type is not async for this user or no live
// worker serves it, runs the pipeline in-process (fallback) and answers 200 with the result.
// Jobs can be read, listed, cancelled, retried and followed (Server-Sent Events). Every route but
// /health and /metrics needs a Supabase JWT; admin routes need the service role.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "gateway/config.h"

namespace aiw::plugin {
class PluginRegistry;
}

namespace aiw::gateway {

class Gateway {
 public:
  // Loads the pipelines (with the registry's plugins), connects, and serves on config.port.
  static Result<std::unique_ptr<Gateway>> start(GatewayConfig config,
                                                const plugin::PluginRegistry& registry);
  ~Gateway();  // stop()
  void stop();
  uint16_t port() const;
  const std::string& id() const;

  struct Impl;

 private:
  explicit Gateway(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace aiw::gateway
