#include <aiw/plugin.h>

#include <memory>
#include <string>

#include "coerce.h"
#include "extract.h"
#include "schema_check.h"

namespace parse {
namespace {

// True when a ${...} reference appears anywhere in value: it then changes from job to job.
bool has_reference(const aiw::JsonValue& value) {
  if (value.IsString())
    return std::string_view(value.GetString(), value.GetStringLength()).find("${") !=
           std::string_view::npos;
  if (value.IsArray()) {
    for (const auto& v : value.GetArray())
      if (has_reference(v)) return true;
  }
  if (value.IsObject()) {
    for (const auto& m : value.GetObject())
      if (has_reference(m.name) || has_reference(m.value)) return true;
  }
  return false;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

}  // namespace

// parse.json: the JSON object inside a language model's answer, checked against a JSON Schema.
// Finds the object whether the answer is bare JSON, a Markdown fence (```json ... ```) or JSON
// wrapped in prose (the first top-level {...} that is valid JSON; braces in strings do not
// count); comments and trailing commas are tolerated. Then, when a schema is given, numbers the
// model wrote as strings ("150", "12.5", "1,5") become numbers where the schema asks for one
// (units such as "150 g" are not stripped: see coerce.h), and RapidJSON's validator checks it.
// Parameters:
//   text            string, required    the model's answer, e.g. ${stages.llm.output.text}
//   schema          object, optional    JSON Schema (draft 4) the object must satisfy; compiled
//                                       once when it holds no ${...} reference
//   coerce_numbers  boolean, optional   default true; false validates the object as written
// Output: the object, after coercion.
// Errors, all permanent (asking the model again is the pipeline's choice, not a retry's):
// "the model answered prose with no JSON object: <first 80 characters>", an object that is not
// valid JSON or never closes, and "the model's JSON does not match the schema:
// /foods/0/grams: expected number, got \"lots\"; ..." (at most 5 JSON pointers).
//
//   - id: parse
//     uses: parse.json
//     needs: [llm]
//     with:
//       text: "${stages.llm.output.text}"
//       schema:
//         type: object
//         required: [foods]
//         properties:
//           foods:
//             type: array
//             items:
//               type: object
//               required: [name, grams]
//               properties:
//                 name: { type: string, minLength: 1 }
//                 grams: { type: number, minimum: 0 }
class ParseJson : public aiw::Stage {
 public:
  static constexpr aiw::StageInfo kInfo{
      "parse.json", "1.0.0",
      "Extracts the JSON object from a model's text answer and checks it against a JSON Schema.",
      R"({"type":"object","properties":{"text":{"type":"string"},"schema":{"type":"object"},)"
      R"("coerce_numbers":{"type":"boolean"}},"required":["text"],"additionalProperties":false})",
      R"({"type":"object"})"};

  explicit ParseJson(const aiw::Json& config) {
    const aiw::JsonValue* schema = aiw::find_member(config, "schema");
    if (schema != nullptr && schema->IsObject() && !has_reference(*schema))
      constant_schema_ = std::make_unique<CompiledSchema>(*schema);
  }

  void run(aiw::Call call, const aiw::Json& params) override {
    const aiw::JsonValue* text = aiw::find_member(params, "text");
    if (text == nullptr || !text->IsString()) {
      call.fail_permanent("parameter text is " +
                          (text ? aiw::to_string(*text) : std::string("missing")) +
                          ", not the model's answer as a string: check the reference to it");
      return;
    }
    aiw::Json doc;
    ExtractResult found = extract_json_object({text->GetString(), text->GetStringLength()}, doc);
    if (!found.ok) {
      call.fail_permanent(found.error);
      return;
    }
    std::unique_ptr<CompiledSchema> per_job;
    const CompiledSchema* schema = constant_schema_.get();
    if (schema == nullptr) {
      if (const aiw::JsonValue* given = aiw::find_member(params, "schema")) {
        if (!given->IsObject()) {
          call.fail_permanent("parameter schema resolved to " + aiw::to_string(*given) +
                              ", not a JSON Schema object");
          return;
        }
        per_job = std::make_unique<CompiledSchema>(*given);
        schema = per_job.get();
      }
    }
    if (schema != nullptr) {
      const aiw::JsonValue* coerce = aiw::find_member(params, "coerce_numbers");
      if (coerce == nullptr || !coerce->IsBool() || coerce->GetBool())
        coerce_numbers(schema->json(), doc);
      std::vector<std::string> problems = schema->problems(doc);
      if (!problems.empty()) {
        call.fail_permanent("the model's JSON does not match the schema: " + join(problems));
        return;
      }
    }
    call.complete(doc);
  }

 private:
  std::unique_ptr<CompiledSchema> constant_schema_;  // null: none, or it changes per job
};
AIW_REGISTER_STAGE(ParseJson);

}  // namespace parse
