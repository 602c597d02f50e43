#include <aiw/plugin.h>

#include <string>

namespace testkit {

// testkit.transform: reshapes a JSON object, the glue between stages whose outputs and inputs
// disagree. Options:
//   from  object, required           the object to start from
//   pick  array of strings, optional keep only these keys of `from` (missing ones are skipped)
//   set   object, optional           keys to add or overwrite (applied after pick)
// At least one of pick / set is required.
//
//   - id: shape
//     uses: testkit.transform
//     needs: [detect]
//     with:
//       from: "${stages.detect.output}"
//       pick: [labels, score]
//       set: { source: "yolo" }
class Transform : public aiw::Stage {
 public:
  static constexpr aiw::StageInfo kInfo{
      "testkit.transform", "1.0.0", "Picks keys of an object and sets others.",
      R"({"type":"object","properties":{"from":{"type":"object"},)"
      R"("pick":{"type":"array","items":{"type":"string"}},"set":{"type":"object"}},)"
      R"("required":["from"],"anyOf":[{"required":["pick"]},{"required":["set"]}],)"
      R"("additionalProperties":false})",
      R"({"type":"object"})"};

  void run(aiw::Call call, const aiw::Json& params) override {
    aiw::Json out(rapidjson::kObjectType);
    auto& alloc = out.GetAllocator();
    const aiw::JsonValue& from = params["from"];
    if (const aiw::JsonValue* pick = aiw::find_member(params, "pick")) {
      for (const auto& key : pick->GetArray())
        if (const aiw::JsonValue* v = aiw::find_member(from, key.GetString()))
          put(out, key.GetString(), *v, alloc);
    } else {
      for (const auto& m : from.GetObject()) put(out, m.name.GetString(), m.value, alloc);
    }
    if (const aiw::JsonValue* set = aiw::find_member(params, "set"))
      for (const auto& m : set->GetObject()) put(out, m.name.GetString(), m.value, alloc);
    call.complete(out);
  }

 private:
  static void put(aiw::Json& out, const std::string& key, const aiw::JsonValue& value,
                  aiw::Json::AllocatorType& alloc) {
    aiw::JsonValue copy(value, alloc);
    if (auto it = out.FindMember(key); it != out.MemberEnd()) {
      it->value = copy;
    } else {
      out.AddMember(aiw::JsonValue(key, alloc), copy, alloc);
    }
  }
};
AIW_REGISTER_STAGE(Transform);

}  // namespace testkit
