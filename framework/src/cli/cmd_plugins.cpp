// aiw plugins: every stage type the loaded plugins provide, with its parameters (like
// gst-inspect), from the plugins' own descriptions.
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/common.h"

#include <aiw/json.h>

#include <rapidjson/prettywriter.h>

#include <algorithm>
#include <cstdio>

namespace aiw::cli {

namespace {
constexpr const char* kUsage =
    "usage: aiw plugins [--json]\n"
    "Lists every stage type found on AIW_PLUGIN_PATH and the install's plugin folder, with its\n"
    "version, plugin file, description and parameters; --json prints the same as JSON.\n";

std::string type_of(const JsonValue& schema) {
  const JsonValue* t = find_member(schema, "type");
  if (!t) return find_member(schema, "enum") ? "enum" : "any";
  if (t->IsString()) return t->GetString();
  std::string joined;
  if (t->IsArray())
    for (const auto& v : t->GetArray()) joined += (joined.empty() ? "" : "|") + to_string(v);
  return joined;
}

void print_parameters(const std::string& schema_text) {
  Json schema;
  if (!parse_json(schema_text, schema)) return;
  const JsonValue* props = find_member(schema, "properties");
  if (!props || !props->IsObject() || props->MemberCount() == 0) {
    std::printf("    (no parameters)\n");
    return;
  }
  std::vector<std::string> required;
  if (const JsonValue* req = find_member(schema, "required"); req && req->IsArray())
    for (const auto& r : req->GetArray())
      if (r.IsString()) required.push_back(r.GetString());
  for (const auto& p : props->GetObject()) {
    std::string name = p.name.GetString();
    bool is_required = std::find(required.begin(), required.end(), name) != required.end();
    const JsonValue* desc = find_member(p.value, "description");
    std::printf("    %-18s %-10s %-9s %s\n", name.c_str(), type_of(p.value).c_str(),
                is_required ? "required" : "optional",
                desc && desc->IsString() ? desc->GetString() : "");
  }
}

void print_json(const std::vector<const plugin::StageTypeInfo*>& types) {
  Json out(rapidjson::kArrayType);
  auto& a = out.GetAllocator();
  for (const auto* t : types) {
    JsonValue item(rapidjson::kObjectType);
    item.AddMember("name", JsonValue(t->name.c_str(), a), a);
    item.AddMember("version", JsonValue(t->version.c_str(), a), a);
    item.AddMember("description", JsonValue(t->description.c_str(), a), a);
    item.AddMember("plugin", JsonValue(t->plugin_name.c_str(), a), a);
    item.AddMember("file", JsonValue(t->plugin_file.c_str(), a), a);
    Json params;
    parse_json(t->params_schema, params);
    item.AddMember("params_schema", JsonValue(params, a), a);
    Json output;
    if (!t->output_schema.empty() && parse_json(t->output_schema, output))
      item.AddMember("output_schema", JsonValue(output, a), a);
    out.PushBack(item, a);
  }
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
  out.Accept(writer);
  std::printf("%s\n", buffer.GetString());
}

}  // namespace

int cmd_plugins(const CommandArgs& argv) {
  try {
    Args args(argv, {}, {"help", "json"});
    if (args.has("help")) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (!args.positionals().empty()) throw UsageError("unexpected argument " + args.positionals()[0]);
    auto registry = load_plugins();
    auto types = registry->all();
    if (args.has("json")) {
      print_json(types);
      return 0;
    }
    if (types.empty()) {
      std::printf("no stage types found; searched:\n");
      for (const auto& dir : plugin::PluginRegistry::default_search_path())
        std::printf("  %s\n", dir.c_str());
      return 0;
    }
    for (const auto* t : types) {
      std::printf("%s %s  (%s)\n  %s\n", t->name.c_str(), t->version.c_str(),
                  t->plugin_file.c_str(), t->description.c_str());
      print_parameters(t->params_schema);
      std::printf("\n");
    }
    return 0;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "aiw plugins: %s\n%s", e.what(), kUsage);
    return 2;
  }
}

}  // namespace aiw::cli
