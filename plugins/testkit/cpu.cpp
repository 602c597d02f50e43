#include <aiw/plugin.h>

#include <cstdint>
#include <cstdio>

namespace testkit {

// testkit.cpu: burns CPU for a given number of hash rounds, to measure CPU-bound stages and
// thread use. The hash is returned so the compiler cannot drop the loop. Options:
//   iterations  integer in [0, 1e10], required
//
//   - { id: burn, uses: testkit.cpu, with: { iterations: 1000000 } }
//   # output: {"iterations": 1000000, "hash": "9f0c..."}
class Cpu : public aiw::Stage {
 public:
  static constexpr aiw::StageInfo kInfo{
      "testkit.cpu", "1.0.0", "Burns CPU for a number of hash rounds.",
      R"({"type":"object","properties":{"iterations":{"type":"integer","minimum":0,)"
      R"("maximum":10000000000}},"required":["iterations"],"additionalProperties":false})",
      R"({"type":"object","properties":{"iterations":{"type":"integer"},)"
      R"("hash":{"type":"string"}}})"};

  void run(aiw::Call call, const aiw::Json& params) override {
    uint64_t n = params["iterations"].GetUint64();
    uint64_t h = 1469598103934665603ull;  // FNV-1a offset basis
    for (uint64_t i = 0; i < n; ++i) {
      h ^= i & 0xff;
      h *= 1099511628211ull;  // FNV-1a prime
      h ^= h >> 29;           // keeps the loop from collapsing into a closed form
    }
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    call.complete(R"({"iterations":)" + std::to_string(n) + R"(,"hash":")" + hex + "\"}");
  }
};
AIW_REGISTER_STAGE(Cpu);

}  // namespace testkit
