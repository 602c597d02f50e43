// The SSRF guard's address classification and allow-list, without any network.
#include "net/address_policy.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <cstring>

namespace aiw::net {
namespace {

// The guard's verdict for a textual address: "" when allowed, else "<address>: <reason>".
std::string verdict(const AddressGuard& guard, const std::string& text) {
  sockaddr_storage storage{};
  if (text.find(':') == std::string::npos) {
    auto* in = reinterpret_cast<sockaddr_in*>(&storage);
    in->sin_family = AF_INET;
    EXPECT_EQ(inet_pton(AF_INET, text.c_str(), &in->sin_addr), 1) << text;
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    in6->sin6_family = AF_INET6;
    EXPECT_EQ(inet_pton(AF_INET6, text.c_str(), &in6->sin6_addr), 1) << text;
  }
  auto refusal = guard.check(reinterpret_cast<const sockaddr*>(&storage));
  return refusal ? refusal->address + ": " + refusal->reason : "";
}

AddressGuard guard(std::vector<std::string> allowed = {}) {
  AddressPolicy policy{true, std::move(allowed)};
  return *AddressGuard::make(policy, nullptr);
}

TEST(AddressPolicy, RefusesEveryNonPublicRangeAndAllowsPublicAddresses) {
  AddressGuard g = guard();
  EXPECT_EQ(verdict(g, "10.0.0.1"), "10.0.0.1: a private address");
  EXPECT_EQ(verdict(g, "172.16.5.4"), "172.16.5.4: a private address");
  EXPECT_EQ(verdict(g, "172.32.0.1"), "");
  EXPECT_EQ(verdict(g, "192.168.1.1"), "192.168.1.1: a private address");
  EXPECT_EQ(verdict(g, "127.0.0.1"), "127.0.0.1: a loopback address");
  EXPECT_EQ(verdict(g, "169.254.169.254"), "169.254.169.254: the cloud metadata address");
  EXPECT_EQ(verdict(g, "169.254.1.1"), "169.254.1.1: a link-local address");
  EXPECT_EQ(verdict(g, "0.0.0.0"), "0.0.0.0: an unspecified address");
  EXPECT_EQ(verdict(g, "224.0.0.1"), "224.0.0.1: a multicast address");
  EXPECT_EQ(verdict(g, "::1"), "::1: a loopback address");
  EXPECT_EQ(verdict(g, "::"), "::: an unspecified address");
  EXPECT_EQ(verdict(g, "fd00:ec2::254"), "fd00:ec2::254: the cloud metadata address");
  EXPECT_EQ(verdict(g, "fd12::1"), "fd12::1: a private address");
  EXPECT_EQ(verdict(g, "fe80::1"), "fe80::1: a link-local address");
  EXPECT_EQ(verdict(g, "ff02::1"), "ff02::1: a multicast address");
  EXPECT_EQ(verdict(g, "8.8.8.8"), "");
  EXPECT_EQ(verdict(g, "2606:4700::1111"), "");
}

TEST(AddressPolicy, Ipv4MappedIpv6CannotSmuggleAPrivateAddress) {
  EXPECT_EQ(verdict(guard(), "::ffff:10.0.0.1"), "10.0.0.1: a private address");
  EXPECT_EQ(verdict(guard(), "::ffff:169.254.169.254"), "169.254.169.254: the cloud metadata address");
}

TEST(AddressPolicy, SharedBenchmarkingReservedAndBroadcastRangesAreRefused) {
  AddressGuard g = guard();
  EXPECT_EQ(verdict(g, "100.64.0.1"), "100.64.0.1: a carrier-grade NAT address");
  EXPECT_EQ(verdict(g, "100.127.255.254"), "100.127.255.254: a carrier-grade NAT address");
  EXPECT_EQ(verdict(g, "100.128.0.1"), "");
  EXPECT_EQ(verdict(g, "198.18.0.1"), "198.18.0.1: a benchmarking address");
  EXPECT_EQ(verdict(g, "198.19.255.254"), "198.19.255.254: a benchmarking address");
  EXPECT_EQ(verdict(g, "198.20.0.1"), "");
  EXPECT_EQ(verdict(g, "240.0.0.1"), "240.0.0.1: a reserved address");
  EXPECT_EQ(verdict(g, "255.255.255.255"), "255.255.255.255: the broadcast address");
  EXPECT_EQ(verdict(g, "fec0::1"), "fec0::1: a site-local address");
}

TEST(AddressPolicy, Ipv4EmbeddedInNat64SixToFourOrCompatibleIpv6IsJudgedAsIpv4) {
  AddressGuard g = guard();
  EXPECT_EQ(verdict(g, "64:ff9b::a9fe:a9fe"),
            "64:ff9b::a9fe:a9fe: the cloud metadata address inside a NAT64 address");
  EXPECT_EQ(verdict(g, "64:ff9b::10.1.2.3"), "64:ff9b::a01:203: a private address inside a NAT64 address");
  EXPECT_EQ(verdict(g, "64:ff9b::8.8.8.8"), "");
  EXPECT_EQ(verdict(g, "64:ff9b:1::8.8.8.8"), "64:ff9b:1::808:808: a local-use NAT64 address");
  EXPECT_EQ(verdict(g, "2002:7f00:1::"), "2002:7f00:1::: a loopback address inside a 6to4 address");
  EXPECT_EQ(verdict(g, "2002:a9fe:a9fe::1"),
            "2002:a9fe:a9fe::1: the cloud metadata address inside a 6to4 address");
  EXPECT_EQ(verdict(g, "2002:0808:0808::"), "");
  EXPECT_EQ(verdict(g, "::192.168.0.1"), "::192.168.0.1: a private address inside an IPv4-compatible address");
  EXPECT_EQ(verdict(g, "::8.8.8.8"), "");
  EXPECT_EQ(verdict(g, "::1"), "::1: a loopback address");  // not 0.0.0.1 inside ::/96
}

TEST(AddressPolicy, AllowListExemptsOnlyItsNetworks) {
  AddressGuard g = guard({"127.0.0.1/32", "10.20.0.0/16", "fd00::/8"});
  EXPECT_EQ(verdict(g, "127.0.0.1"), "");
  EXPECT_EQ(verdict(g, "127.0.0.2"), "127.0.0.2: a loopback address");
  EXPECT_EQ(verdict(g, "10.20.3.4"), "");
  EXPECT_EQ(verdict(g, "10.21.0.1"), "10.21.0.1: a private address");
  EXPECT_EQ(verdict(g, "fd00::5"), "");
}

TEST(AddressPolicy, MalformedAllowedNetworkIsASentence) {
  std::string error;
  EXPECT_FALSE(AddressGuard::make({true, {"10.0.0.0/33"}}, &error));
  EXPECT_NE(error.find("'10.0.0.0/33'"), std::string::npos) << error;
  EXPECT_FALSE(AddressGuard::make({true, {"localhost"}}, &error));
  EXPECT_TRUE(AddressGuard::make({true, {"::1", "192.168.0.0/16"}}, &error));
}

}  // namespace
}  // namespace aiw::net
