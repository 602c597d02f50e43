// AddressPolicy: which resolved addresses a request may connect to (the SSRF guard).
//
// URLs that come from users (image links) must not reach the worker's own network: the
// database, the metadata service of the cloud it runs on, a router's admin page. Checking the
// host name before the request is not enough (DNS can answer differently a moment later, or
// a redirect can lead elsewhere), so the check runs on the address curl is about to connect
// to, from its open-socket callback, for every connection of the exchange.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aiw::net {

// An IPv4 or IPv6 network; IPv4 is kept as an IPv4-mapped IPv6 address (::ffff:a.b.c.d/96+n)
// so one comparison covers both families and mapped addresses cannot slip past.
struct Network {
  std::array<uint8_t, 16> bytes{};
  int prefix = 128;

  // "10.0.0.0/8", "fd00::/8", "127.0.0.1" (a whole address); nullopt when malformed.
  static std::optional<Network> parse(std::string_view text);
  bool contains(const std::array<uint8_t, 16>& address) const;
};

struct AddressPolicy {
  bool public_only = false;             // false: any address (the default for configured URLs)
  std::vector<std::string> allowed;     // networks exempt from public_only, as written
};

// What is wrong with an address, for error sentences.
struct Refusal {
  std::string address;  // "10.0.0.1", "::1"
  std::string reason;   // "a private address"
};

// The policy with its networks parsed, checked once per connection.
class AddressGuard {
 public:
  // nullopt and a sentence in *error when an allowed network is malformed.
  static std::optional<AddressGuard> make(const AddressPolicy& policy, std::string* error);

  // nullopt when the request may connect to this address.
  std::optional<Refusal> check(const sockaddr* address) const;

 private:
  std::vector<Network> allowed_;
};

// Why an address is not public ("a loopback address"), or nullopt when it is.
std::optional<std::string> non_public_reason(const std::array<uint8_t, 16>& address);

}  // namespace aiw::net
