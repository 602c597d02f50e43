#include "net/address_policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

namespace aiw::net {
namespace {

using Bytes = std::array<uint8_t, 16>;

Bytes mapped_v4(const uint8_t v4[4]) {
  Bytes out{};
  out[10] = 0xff;
  out[11] = 0xff;
  std::memcpy(out.data() + 12, v4, 4);
  return out;
}

bool is_mapped_v4(const Bytes& a) {
  static constexpr uint8_t kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(a.data(), kPrefix, 12) == 0;
}

// One row of the table of non-public ranges; order matters (metadata before link-local).
struct Range {
  const char* network;
  const char* reason;
};

constexpr Range kRanges[] = {
    {"169.254.169.254/32", "the cloud metadata address"},
    {"fd00:ec2::254/128", "the cloud metadata address"},
    {"0.0.0.0/8", "an unspecified address"},
    {"127.0.0.0/8", "a loopback address"},
    {"10.0.0.0/8", "a private address"},
    {"172.16.0.0/12", "a private address"},
    {"192.168.0.0/16", "a private address"},
    {"100.64.0.0/10", "a carrier-grade NAT address"},
    {"169.254.0.0/16", "a link-local address"},
    {"198.18.0.0/15", "a benchmarking address"},
    {"224.0.0.0/4", "a multicast address"},
    {"255.255.255.255/32", "the broadcast address"},
    {"240.0.0.0/4", "a reserved address"},
    {"::/128", "an unspecified address"},
    {"::1/128", "a loopback address"},
    {"fc00::/7", "a private address"},
    {"fe80::/10", "a link-local address"},
    {"fec0::/10", "a site-local address"},
    // RFC 8215's local-use NAT64 prefix translates to whatever the local network chooses, at a
    // prefix length only it knows, so the IPv4 address inside cannot be read: never public.
    {"64:ff9b:1::/48", "a local-use NAT64 address"},
    {"ff00::/8", "a multicast address"},
};

// IPv6 ranges that carry an IPv4 address a gateway will connect to on our behalf: the IPv4
// address is what decides, or 64:ff9b::a9fe:a9fe would reach the metadata service.
struct Embedding {
  const char* network;
  size_t offset;     // where the four IPv4 bytes start
  const char* kind;  // for the reason: "a private address inside a NAT64 address"
};

constexpr Embedding kEmbeddings[] = {
    {"64:ff9b::/96", 12, "a NAT64 address"},          // RFC 6052 well-known prefix
    {"2002::/16", 2, "a 6to4 address"},               // RFC 3056: 2002:V4ADDR::/48
    {"::/96", 12, "an IPv4-compatible address"},      // RFC 4291 2.5.5.1, deprecated
};

}  // namespace

std::optional<Network> Network::parse(std::string_view text) {
  std::string_view address = text;
  int prefix = -1;
  if (size_t slash = text.find('/'); slash != std::string_view::npos) {
    address = text.substr(0, slash);
    std::string_view digits = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty()) {
      return std::nullopt;
    }
  }
  std::string host(address);
  Network out;
  uint8_t v4[4];
  if (inet_pton(AF_INET, host.c_str(), v4) == 1) {
    if (prefix > 32) return std::nullopt;
    out.bytes = mapped_v4(v4);
    out.prefix = 96 + (prefix < 0 ? 32 : prefix);
    return out;
  }
  if (inet_pton(AF_INET6, host.c_str(), out.bytes.data()) == 1) {
    if (prefix > 128) return std::nullopt;
    out.prefix = prefix < 0 ? 128 : prefix;
    return out;
  }
  return std::nullopt;
}

bool Network::contains(const Bytes& address) const {
  int full = prefix / 8;
  if (std::memcmp(address.data(), bytes.data(), static_cast<size_t>(full)) != 0) return false;
  int rest = prefix % 8;
  if (rest == 0) return true;
  auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (address[full] & mask) == (bytes[full] & mask);
}

std::optional<std::string> non_public_reason(const Bytes& address) {
  static const std::vector<std::pair<Network, const char*>> table = [] {
    std::vector<std::pair<Network, const char*>> t;
    for (const Range& r : kRanges) t.emplace_back(*Network::parse(r.network), r.reason);
    return t;
  }();
  static const std::vector<std::pair<Network, const Embedding*>> embeddings = [] {
    std::vector<std::pair<Network, const Embedding*>> t;
    for (const Embedding& e : kEmbeddings) t.emplace_back(*Network::parse(e.network), &e);
    return t;
  }();
  for (const auto& [network, reason] : table) {
    // "::/128" and "::1/128" must not match mapped IPv4 (::ffff:...): they do not, as exact
    // 128-bit prefixes; IPv4 rows only match mapped addresses by construction.
    if (network.contains(address)) return std::string(reason);
  }
  for (const auto& [network, embedding] : embeddings) {
    if (!network.contains(address)) continue;
    Bytes inner = mapped_v4(address.data() + embedding->offset);
    if (auto reason = non_public_reason(inner)) return *reason + " inside " + embedding->kind;
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<AddressGuard> AddressGuard::make(const AddressPolicy& policy, std::string* error) {
  AddressGuard guard;
  for (const std::string& text : policy.allowed) {
    std::optional<Network> network = Network::parse(text);
    if (!network) {
      if (error) {
        *error = "the allowed network '" + text +
                 "' is not an address or address/prefix such as 127.0.0.0/8 or fd00::/8";
      }
      return std::nullopt;
    }
    guard.allowed_.push_back(*network);
  }
  return guard;
}

std::optional<Refusal> AddressGuard::check(const sockaddr* address) const {
  Bytes bytes{};
  char text[INET6_ADDRSTRLEN] = {};
  if (address->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(address);
    bytes = mapped_v4(reinterpret_cast<const uint8_t*>(&in->sin_addr));
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
  } else if (address->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address);
    std::memcpy(bytes.data(), &in6->sin6_addr, 16);
    if (is_mapped_v4(bytes)) {
      inet_ntop(AF_INET, bytes.data() + 12, text, sizeof text);
    } else {
      inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    }
  } else {
    return Refusal{"(unknown family)", "not an internet address"};
  }
  std::optional<std::string> reason = non_public_reason(bytes);
  if (!reason) return std::nullopt;
  for (const Network& network : allowed_) {
    if (network.contains(bytes)) return std::nullopt;
  }
  return Refusal{text, *reason};
}

}  // namespace aiw::net
