// A plugin built against ABI 1.0: its aiw_http_request ends at max_response_bytes. A 1.1 host
// must still serve its requests (the fields added in 1.1 read as absent).
#include <cstddef>
#include <cstring>
#include <string>

#include "c_abi_table.h"

namespace {

const aiw_host_api* g_host = nullptr;
constexpr uint32_t kRequestSizeV1_0 =
    offsetof(aiw_http_request, max_response_bytes) + sizeof(uint64_t);

void on_response(void*, aiw_call* call, const aiw_http_response* r) {
  std::string out = "{\"outcome\":" + std::to_string(r->outcome) +
                    ",\"status\":" + std::to_string(r->status) + "}";
  g_host->call_complete(call, out.data(), out.size());
}

// params: {"url":"<url>"}; the url is taken verbatim between the quotes.
void invoke(void*, aiw_call* call, const char* params, size_t len) {
  std::string text(params, len);
  size_t start = text.find("\"url\":\"") + 7;
  std::string url = text.substr(start, text.find('"', start) - start);
  aiw_http_request request;
  std::memset(&request, 0xAB, sizeof request);  // garbage where 1.1 fields would be
  request.struct_size = kRequestSizeV1_0;
  request.method = "GET";
  request.url = url.c_str();
  request.headers = nullptr;
  request.header_count = 0;
  request.body = nullptr;
  request.body_len = 0;
  request.timeout_ms = 5000;
  request.max_response_bytes = 0;
  g_host->call_http(call, &request, &on_response, nullptr);
}

const aiw_stage_type kGet{sizeof(aiw_stage_type), "abi10.get", "1.0.0", "GETs a URL.",
                          R"({"type":"object","properties":{"url":{"type":"string"}}})",
                          nullptr, &aiw_test::create, &aiw_test::destroy, &invoke};
const aiw_stage_type* const kTypes[] = {&kGet};

}  // namespace

AIW_TEST_EXPORT const aiw_plugin_api* aiw_plugin_v1(const aiw_host_api* host) {
  g_host = host;
  static aiw_plugin_api api{sizeof api, AIW_ABI_MAJOR, 0, "abi_1_0_http", "1.0.0", 1, kTypes, nullptr};
  return &api;
}
