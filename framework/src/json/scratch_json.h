// ScratchJson: a Json for a short-lived parse on a hot path (a request body, a token's header
// and claims). The first kInlineBytes of its values live inside the object (on the caller's
// stack), so a small document takes nothing from the heap for them; a plain Json takes a
// 64 KiB block for its first value, which glibc serves by consolidating its free lists and
// gives back by trimming, on every parse. A larger document spills to the heap in blocks of
// the same 64 KiB, as a plain Json would.
//
//   ScratchJson body;
//   if (!parse_json(req.body, body.doc()) || !body.doc().IsObject()) ...
#pragma once

#include <aiw/json.h>

#include <cstddef>

namespace aiw::json {

class ScratchJson {
 public:
  static constexpr size_t kInlineBytes = 4096;

  ScratchJson() : pool_(inline_, sizeof inline_), doc_(&pool_) {}
  ScratchJson(const ScratchJson&) = delete;  // doc_ points into this object
  ScratchJson& operator=(const ScratchJson&) = delete;

  Json& doc() { return doc_; }
  const Json& doc() const { return doc_; }

 private:
  alignas(std::max_align_t) char inline_[kInlineBytes];
  rapidjson::MemoryPoolAllocator<> pool_;  // frees its spilled blocks after doc_ is gone
  Json doc_;
};

}  // namespace aiw::json
