// GET /admin: the admin dashboard, one self-contained HTML page (dashboard.html, compiled in by
// cmake/embed_file.cmake). The page holds no secret and no data: a browser cannot send a Bearer
// header when it navigates, so the page asks for the service-role key (or reads it from the
// URL fragment, which never reaches the server) and calls the JSON admin routes with it.
#include "gateway/routes.h"

namespace aiw::gateway {

std::string_view dashboard_html();  // generated from dashboard.html

void dashboard(Gateway::Impl&, const net::ServerRequest&, Reply reply) {
  auto response = net::ServerResponse::text(200, std::string(dashboard_html()));
  response.content_type("text/html; charset=utf-8");
  // Inline script and style only, requests only to this gateway, never framed.
  response.set_header("Content-Security-Policy",
                      "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                      "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; "
                      "frame-ancestors 'none'");
  response.set_header("X-Content-Type-Options", "nosniff");
  response.set_header("Referrer-Policy", "no-referrer");
  response.set_header("Cache-Control", "no-store");
  reply.send(std::move(response));
}

}  // namespace aiw::gateway
