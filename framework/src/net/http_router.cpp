#include "net/http_router.h"

#include "net/http_text.h"

namespace aiw::net::internal {
namespace {

// Yields the segments of "/a/b/c" one at a time ("a", "b", "c"); "/" has one empty segment.
class SegmentReader {
 public:
  explicit SegmentReader(std::string_view path) : rest_(path) {
    if (!rest_.empty() && rest_.front() == '/') rest_.remove_prefix(1);
  }
  bool next(std::string_view& segment) {
    if (done_) return false;
    size_t slash = rest_.find('/');
    segment = rest_.substr(0, slash);
    if (slash == std::string_view::npos) {
      done_ = true;
    } else {
      rest_.remove_prefix(slash + 1);
    }
    return true;
  }

 private:
  std::string_view rest_;
  bool done_ = false;
};

}  // namespace

void Router::add(std::string method, std::string_view pattern, Handler handler) {
  Route route{std::move(method), {}, std::move(handler)};
  SegmentReader reader(pattern);
  std::string_view segment;
  while (reader.next(segment)) {
    bool capture = segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
    if (capture) segment = segment.substr(1, segment.size() - 2);
    route.segments.push_back({std::string(segment), capture});
  }
  routes_.push_back(std::move(route));
}

bool Router::matches(const Route& route, std::string_view path) {
  SegmentReader reader(path);
  std::string_view segment;
  for (const Segment& expected : route.segments) {
    if (!reader.next(segment)) return false;
    if (expected.capture ? segment.empty() : segment != expected.text) return false;
  }
  return !reader.next(segment);  // no segment left over
}

void Router::capture(const Route& route, std::string_view path, ServerRequest& request) {
  SegmentReader reader(path);
  std::string_view segment;
  for (const Segment& expected : route.segments) {
    reader.next(segment);
    if (expected.capture) request.add_param(expected.text, percent_decode(segment, false));
  }
}

const Router::Route* Router::find_route(std::string_view method, std::string_view path) const {
  for (const Route& route : routes_) {
    if (route.method == method && matches(route, path)) return &route;
  }
  return nullptr;
}

Router::Match Router::find(std::string_view method, ServerRequest& request) const {
  Match match;
  std::string_view path = request.path();
  const Route* route = find_route(method, path);
  if (route == nullptr && method == "HEAD") route = find_route("GET", path);
  if (route != nullptr) {
    capture(*route, path, request);
    match.handler = &route->handler;
    match.path_known = true;
    return match;
  }
  for (const Route& other : routes_) {
    if (!matches(other, path)) continue;
    match.path_known = true;
    if (match.allow.find(other.method) != std::string::npos) continue;
    if (!match.allow.empty()) match.allow += ", ";
    match.allow += other.method;
  }
  return match;
}

}  // namespace aiw::net::internal
