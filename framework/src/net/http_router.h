// Router: method + path pattern -> handler, with "{name}" captures. Built before the server
// starts and read without locks afterwards. A linear scan: an API has tens of routes, and
// comparing a few segments each is cheaper than hashing the path.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "net/http_server.h"

namespace aiw::net::internal {

class Router {
 public:
  void add(std::string method, std::string_view pattern, Handler handler);

  struct Match {
    const Handler* handler = nullptr;  // null: no route for this method and path
    bool path_known = false;           // some route has this path (then answer 405)
    std::string allow;                 // the methods that path accepts, for Allow
  };
  // Finds the route of `method` and the request's path; its captures go into `request` as params.
  Match find(std::string_view method, ServerRequest& request) const;

 private:
  struct Segment {
    std::string text;  // the literal, or the capture's name
    bool capture = false;
  };
  struct Route {
    std::string method;
    std::vector<Segment> segments;
    Handler handler;
  };
  static bool matches(const Route& route, std::string_view path);
  static void capture(const Route& route, std::string_view path, ServerRequest& request);
  const Route* find_route(std::string_view method, std::string_view path) const;

  std::vector<Route> routes_;
};

}  // namespace aiw::net::internal
