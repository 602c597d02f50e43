// ServerRequest lookups, ServerResponse helpers, JSON errors and SSE framing: the plain-data
// half of http_server.h (no Beast here).
#include <algorithm>
#include <cctype>

#include "net/http_server.h"
#include "net/http_text.h"

namespace aiw::net {

std::string_view ServerRequest::path() const {
  std::string_view t = target;
  return t.substr(0, t.find('?'));
}

std::string_view ServerRequest::query_string() const {
  std::string_view t = target;
  size_t q = t.find('?');
  return q == std::string_view::npos ? std::string_view() : t.substr(q + 1);
}

std::optional<std::string> ServerRequest::query(std::string_view name) const {
  std::string_view rest = query_string();
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    // Names are compared decoded, so "user%5Fid" finds "user_id" as a browser would send it.
    if (key == name || percent_decode(key, true) == name) return percent_decode(value, true);
  }
  return std::nullopt;
}

std::string_view ServerRequest::header(std::string_view name) const {
  for (const Field& field : headers_) {
    if (equals_nocase(view(field.name), name)) return view(field.value);
  }
  return {};
}

bool ServerRequest::has_header(std::string_view name) const {
  return std::any_of(headers_.begin(), headers_.end(),
                     [&](const Field& field) { return equals_nocase(view(field.name), name); });
}

std::pair<std::string_view, std::string_view> ServerRequest::header_at(size_t i) const {
  return {view(headers_.at(i).name), view(headers_.at(i).value)};
}

std::string_view ServerRequest::param(std::string_view name) const {
  for (const Field& field : params_) {
    if (view(field.name) == name) return view(field.value);
  }
  return {};
}

ServerRequest::Field ServerRequest::append(std::string_view name, std::string_view value) {
  Field field;
  field.name = {static_cast<uint32_t>(fields_.size()), static_cast<uint32_t>(name.size())};
  fields_.append(name);
  field.value = {static_cast<uint32_t>(fields_.size()), static_cast<uint32_t>(value.size())};
  fields_.append(value);
  return field;
}

void ServerRequest::add_header(std::string_view name, std::string_view value) {
  headers_.push_back(append(name, value));
}

void ServerRequest::add_param(std::string_view name, std::string_view decoded_value) {
  params_.push_back(append(name, decoded_value));
}

void ServerRequest::clear() {
  method.clear();
  target.clear();
  body.clear();
  remote_address.clear();
  version = 11;
  fields_.clear();
  headers_.clear();
  params_.clear();
}

ServerResponse ServerResponse::json(int status, std::string body) {
  ServerResponse response{status, {{"Content-Type", "application/json"}}, std::move(body)};
  return response;
}

ServerResponse ServerResponse::text(int status, std::string body) {
  ServerResponse response{status, {{"Content-Type", "text/plain; charset=utf-8"}}, std::move(body)};
  return response;
}

ServerResponse& ServerResponse::set_header(std::string_view name, std::string value) {
  for (auto& [key, existing] : headers) {
    if (equals_nocase(key, name)) {
      existing = std::move(value);
      return *this;
    }
  }
  headers.emplace_back(std::string(name), std::move(value));
  return *this;
}

ServerResponse json_error(int status, std::string_view code, std::string_view message,
                          std::string_view field) {
  std::string body = "{\"error\":{\"code\":\"";
  append_json_escaped(body, code);
  body += "\",\"message\":\"";
  append_json_escaped(body, message);
  if (!field.empty()) {
    body += "\",\"field\":\"";
    append_json_escaped(body, field);
  }
  body += "\"}}";
  return ServerResponse::json(status, std::move(body));
}

std::string sse_event(std::string_view data, std::string_view event, std::string_view id) {
  std::string out;
  out.reserve(data.size() + event.size() + id.size() + 32);
  if (!event.empty()) out.append("event: ").append(event).append("\n");
  if (!id.empty()) out.append("id: ").append(id).append("\n");
  // A newline inside data would end the field: SSE carries each line in its own data: field.
  while (true) {
    size_t nl = data.find('\n');
    out.append("data: ").append(data.substr(0, nl)).append("\n");
    if (nl == std::string_view::npos) break;
    data.remove_prefix(nl + 1);
  }
  out += '\n';
  return out;
}

}  // namespace aiw::net
