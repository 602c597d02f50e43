// The simulator's image host: real file signatures and types, a large body of any size, and
// redirect chains.
#include <gtest/gtest.h>

#include "fakes/sim/simulator.h"
#include "sim_test_support.h"

namespace aiw::sim {
namespace {

using testing::http;

TEST(SimImages, EachFileHasItsMagicBytesAndContentType) {
  Simulator sim;
  struct Case {
    const char* name;
    const char* type;
    std::string magic;
  };
  for (const Case& c :
       {Case{"meal.jpg", "image/jpeg", "\xFF\xD8\xFF"},
        Case{"meal.png", "image/png", "\x89PNG\r\n\x1A\n"}, Case{"meal.webp", "image/webp", "RIFF"},
        Case{"menu.pdf", "application/pdf", "%PDF-"},
        Case{"page.html", "text/html; charset=utf-8", "<!doctype html>"}}) {
    auto r = http("GET", sim.url(std::string("/images/") + c.name));
    ASSERT_EQ(r.status, 200) << c.name;
    EXPECT_EQ(r.header("content-type"), c.type) << c.name;
    EXPECT_EQ(r.body.substr(0, c.magic.size()), c.magic) << c.name;
  }
  auto webp = http("GET", sim.url("/images/x.webp")).body;
  EXPECT_EQ(webp.substr(8, 4), "WEBP");
  auto jpeg = http("GET", sim.url("/images/meal.jpg")).body;
  EXPECT_EQ(jpeg.substr(jpeg.size() - 2), "\xFF\xD9");
  EXPECT_NE(jpeg, http("GET", sim.url("/images/other.jpg")).body);  // names are pictures
  EXPECT_EQ(http("GET", sim.url("/images/unknown.gif")).status, 404);
}

TEST(SimImages, BigBodyHasExactlyTheBytesAskedFor) {
  Simulator sim;
  const uint64_t size = 52428800;
  auto r = http("GET", sim.url("/images/big?bytes=" + std::to_string(size)));
  ASSERT_EQ(r.code, CURLE_OK);
  EXPECT_EQ(r.header("content-length"), std::to_string(size));
  ASSERT_EQ(r.body.size(), size);
  EXPECT_EQ(r.body.substr(0, 2), "\xFF\xD8");
  EXPECT_EQ(r.body.substr(size - 2), "\xFF\xD9");
}

TEST(SimImages, RedirectChainsEndAtTheTarget) {
  Simulator sim;
  const std::string target = sim.url("/images/meal.png");
  auto hop = http("GET", sim.url("/redirect?to=" + target + "&n=3"));
  EXPECT_EQ(hop.status, 302);
  EXPECT_NE(hop.header("location").find("n=2"), std::string::npos);

  auto followed =
      http("GET", sim.url("/redirect?to=" + target + "&n=3&status=301"), "", {.follow = true});
  EXPECT_EQ(followed.status, 200);
  EXPECT_EQ(followed.redirects, 3);
  EXPECT_EQ(followed.header("content-type"), "image/png");
}

}  // namespace
}  // namespace aiw::sim
