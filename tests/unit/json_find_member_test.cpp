// aiw::find_member with keys that are views into longer text (aiw/json.h).
#include <aiw/json.h>

#include <gtest/gtest.h>

#include <string_view>

namespace aiw {

TEST(JsonFindMember, LooksUpAViewThatIsNotNulTerminated) {
  Json doc;
  ASSERT_TRUE(parse_json(R"({"app_metadata":{"plan":"premium"},"app":1})", doc));
  std::string_view path = "app_metadata.plan";
  const JsonValue* metadata = find_member(doc, path.substr(0, 12));
  ASSERT_NE(metadata, nullptr);
  EXPECT_NE(find_member(*metadata, path.substr(13)), nullptr);
  // A prefix of a longer key finds the shorter member, not the longer one.
  const JsonValue* app = find_member(doc, path.substr(0, 3));
  ASSERT_NE(app, nullptr);
  EXPECT_TRUE(app->IsInt());
}

}  // namespace aiw
