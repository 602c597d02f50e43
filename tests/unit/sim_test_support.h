// Blocking HTTP for the simulator tests (libcurl easy): simple and obviously independent of
// the framework's own async client, which is itself under test elsewhere.
#pragma once

#include <curl/curl.h>

#include <cctype>
#include <map>
#include <string>
#include <vector>

#include "aiw/json.h"

namespace aiw::sim::testing {

struct HttpResult {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  long redirects = 0;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

struct HttpOptions {
  std::vector<std::string> headers{};
  long timeout_ms = 10000;
  bool follow = false;
};

inline HttpResult http(const std::string& method, const std::string& url,
                       const std::string& body = "", const HttpOptions& options = {}) {
  HttpResult result;
  CURL* curl = curl_easy_init();
  curl_slist* list = nullptr;
  for (const auto& h : options.headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method == "HEAD") curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  if (!body.empty() || method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, options.timeout_ms);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, options.follow ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(
      curl, CURLOPT_WRITEFUNCTION, +[](char* data, size_t, size_t n, void* out) {
        static_cast<std::string*>(out)->append(data, n);
        return n;
      });
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &result.headers);
  curl_easy_setopt(
      curl, CURLOPT_HEADERFUNCTION, +[](char* data, size_t, size_t n, void* out) {
        std::string line(data, n);
        auto colon = line.find(':');
        if (colon != std::string::npos) {
          std::string name = line.substr(0, colon);
          for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          std::string value = line.substr(colon + 1);
          value.erase(0, value.find_first_not_of(' '));
          value.erase(value.find_last_not_of("\r\n") + 1);
          (*static_cast<std::map<std::string, std::string>*>(out))[name] = value;
        }
        return n;
      });
  result.code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  curl_easy_getinfo(curl, CURLINFO_REDIRECT_COUNT, &result.redirects);
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  return result;
}

inline HttpResult post_json(const std::string& url, const std::string& body,
                            std::vector<std::string> headers = {}) {
  headers.push_back("Content-Type: application/json");
  return http("POST", url, body, {headers});
}

// A multipart/form-data body of named fields; the field "file" is sent as a file upload.
inline std::string multipart(const std::map<std::string, std::string>& fields,
                             std::string& content_type) {
  const std::string boundary = "----aiwsimboundary7MA4YWxkTrZu0gW";
  content_type = "Content-Type: multipart/form-data; boundary=" + boundary;
  std::string body;
  for (const auto& [name, value] : fields) {
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"";
    if (name == "file") body += "; filename=\"upload.jpg\"\r\nContent-Type: image/jpeg";
    body += "\r\n\r\n" + value + "\r\n";
  }
  return body + "--" + boundary + "--\r\n";
}

inline Json parse(const std::string& text) {
  Json doc;
  parse_json(text, doc);
  return doc;
}

// Body lines of an NDJSON stream, without the empty tail.
inline std::vector<std::string> lines_of(const std::string& body) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl; (nl = body.find('\n', start)) != std::string::npos; start = nl + 1) {
    lines.push_back(body.substr(start, nl - start));
  }
  if (start < body.size()) lines.push_back(body.substr(start));
  return lines;
}

}  // namespace aiw::sim::testing
