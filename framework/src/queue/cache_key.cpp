#include "queue/cache_key.h"

#include <aiw/json.h>
#include <openssl/evp.h>

#include <algorithm>
#include <vector>

namespace aiw::queue {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write_canonical(const JsonValue& v, Writer& w) {
  if (v.IsObject()) {
    std::vector<const JsonValue::Member*> members;
    members.reserve(v.MemberCount());
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) members.push_back(&*it);
    std::sort(members.begin(), members.end(), [](const auto* a, const auto* b) {
      return std::string_view(a->name.GetString(), a->name.GetStringLength()) <
             std::string_view(b->name.GetString(), b->name.GetStringLength());
    });
    w.StartObject();
    for (const auto* m : members) {
      w.Key(m->name.GetString(), m->name.GetStringLength());
      write_canonical(m->value, w);
    }
    w.EndObject();
  } else if (v.IsArray()) {
    w.StartArray();
    for (const auto& item : v.GetArray()) write_canonical(item, w);
    w.EndArray();
  } else {
    v.Accept(w);
  }
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

}  // namespace

Result<std::string> canonical_json(std::string_view json) {
  Json doc;
  if (!parse_json(json, doc)) return Status::error("the job input is not valid JSON");
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  write_canonical(doc, writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

Result<std::string> cache_key(std::string_view type, std::string_view pipeline_version,
                              std::string_view input_json) {
  auto canonical = canonical_json(input_json);
  if (!canonical) return canonical.status();
  std::string material;
  material.reserve(type.size() + pipeline_version.size() + canonical->size() + 2);
  material.append(type).push_back('\0');
  material.append(pipeline_version).push_back('\0');
  material.append(*canonical);
  return sha256_hex(material);
}

}  // namespace aiw::queue
