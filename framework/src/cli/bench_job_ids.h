// The job ids `aiw bench` gives its jobs: "%08x-0000-4000-8000-%012llx" of (the run's random
// prefix, the job's number), shaped like the queue's uuids so that a pipeline storing ${job.id}
// in a uuid column (persist.row) runs as in production, and two runs against one database do
// not collide.
//
// Written by hand, not with snprintf (~1,500 instructions a job, 11 % of a no-op pipeline's
// run in callgrind: the driver's cost, not the engine's it is there to measure); and a
// finished job's id buffer can be rewritten for the next job (renumber), so ids cost no
// allocation.
#pragma once

#include <array>
#include <cstring>
#include <string>

namespace aiw::cli {

class BenchJobIds {
 public:
  static constexpr size_t kLength = 36;

  explicit BenchJobIds(unsigned run_prefix) : run_prefix_(run_prefix) {}

  std::string make(long long n) const {
    std::string id = "00000000-0000-4000-8000-000000000000";
    unsigned prefix = run_prefix_;
    for (size_t i = 8; i > 0; i -= 2, prefix >>= 8) std::memcpy(&id[i - 2], pair(prefix & 255), 2);
    renumber(id, n);
    return id;
  }
  // Rewrites the job number (the last 12 hex digits) of an id made by make().
  static void renumber(std::string& id, long long n) {
    auto count = static_cast<unsigned long long>(n);
    for (size_t i = kLength; i > 24; i -= 2, count >>= 8) std::memcpy(&id[i - 2], pair(count & 255), 2);
  }

 private:
  // "000102...feff": two hex digits per byte value, so an id takes ten two-byte copies.
  static const char* pair(unsigned long long byte) {
    static constexpr auto kPairs = [] {
      std::array<char, 512> pairs{};
      constexpr char kHex[] = "0123456789abcdef";
      for (size_t i = 0; i < 256; ++i) {
        pairs[2 * i] = kHex[i >> 4];
        pairs[2 * i + 1] = kHex[i & 15];
      }
      return pairs;
    }();
    return &kPairs[2 * byte];
  }

  unsigned run_prefix_;
};

}  // namespace aiw::cli
