// The SDK reuses the parsed `with` block for a call whose parameters are that block: under ABI
// 1.2 it knows them by create()'s address (the host's promise); from an older host it compares
// the text.
#include <aiw/plugin.h>
#include <gtest/gtest.h>

#include <string>

#include "testkit_fake_host.h"

namespace aiw::testing {
namespace {

struct EchoParams : Stage {
  static constexpr StageInfo kInfo{"test.echo_params", "1.0.0", "Outputs its parameters.",
                                   R"({"type":"object"})", nullptr};
  void run(Call call, const Json& params) override { call.complete(params); }
};
using Adapter = sdk::StageAdapter<EchoParams>;

// Makes the SDK of this binary talk to `host` for the scope.
class ScopedHost {
 public:
  explicit ScopedHost(const aiw_host_api* host) : old_(sdk::host()) { sdk::host() = host; }
  ~ScopedHost() { sdk::host() = old_; }
  ScopedHost(const ScopedHost&) = delete;
  ScopedHost& operator=(const ScopedHost&) = delete;

 private:
  const aiw_host_api* old_;
};

aiw_host_api host_with_minor(uint16_t minor) {
  aiw_host_api host = *fake_host();
  host.abi_minor = minor;
  return host;
}

// Creates the stage from `with`, then changes that buffer in place (a host never does: it is
// how a test sees whether the SDK read the text or went by the address) and invokes it with
// the same pointer, and with the changed text at another address.
struct Outputs {
  std::string same_address;
  std::string other_address;
};
Outputs run_with_changed_buffer(uint16_t host_minor) {
  aiw_host_api host = host_with_minor(host_minor);
  ScopedHost scoped(&host);
  std::string with = R"({"n":1})";
  char error[256] = {};
  void* instance = Adapter::create(with.data(), with.size(), error, sizeof error);
  EXPECT_NE(instance, nullptr) << error;
  if (instance == nullptr) return {};
  with[5] = '2';
  FakeCall same;
  Adapter::invoke(instance, same.raw(), with.data(), with.size());
  std::string elsewhere = with;
  FakeCall other;
  Adapter::invoke(instance, other.raw(), elsewhere.data(), elsewhere.size());
  Adapter::destroy(instance);
  return {same.output, other.output};
}

TEST(SdkParams, UnderAbi12TheWithBlockIsKnownByCreatesAddress) {
  Outputs out = run_with_changed_buffer(2);
  EXPECT_EQ(out.same_address, R"({"n":1})");   // the config parsed at create(), by address
  EXPECT_EQ(out.other_address, R"({"n":2})");  // other text elsewhere: parsed for the call
}

TEST(SdkParams, FromAnOlderHostTheParametersAreComparedByText) {
  Outputs out = run_with_changed_buffer(1);
  EXPECT_EQ(out.same_address, R"({"n":2})");  // no promise from a 1.1 host: the text decides
  EXPECT_EQ(out.other_address, R"({"n":2})");
}

TEST(SdkParams, TheSameTextAtAnotherAddressStillReusesTheConfig) {
  aiw_host_api host = host_with_minor(2);
  ScopedHost scoped(&host);
  std::string with = R"({"n":1})";
  char error[256] = {};
  void* instance = Adapter::create(with.data(), with.size(), error, sizeof error);
  ASSERT_NE(instance, nullptr) << error;
  std::string copy = with;
  FakeCall call;
  Adapter::invoke(instance, call.raw(), copy.data(), copy.size());
  EXPECT_EQ(call.output, R"({"n":1})");
  Adapter::destroy(instance);
}

}  // namespace
}  // namespace aiw::testing
