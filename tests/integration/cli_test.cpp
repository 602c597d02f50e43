// Proves docs/cli.md: the `aiw` binary's commands, exit codes (0 ok, 1 the work failed, 2 bad
// usage), messages and outputs, run as a user would run them (a separate process).
#include <aiw/json.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "support/process.h"
#include "support/temp_dir.h"

namespace aiw::test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr auto kTimeout = std::chrono::seconds(120);

using aiw::testing::TempDir;

std::string source_file(const std::string& relative) {
  return (fs::path(AIW_SOURCE_DIR) / relative).string();
}

// Runs `aiw args...` with the build tree's plugins (plugin_path when given).
ProcessResult aiw(const std::vector<std::string>& args,
                  const std::string& plugin_path = AIW_BUILD_PLUGIN_DIR) {
  std::vector<std::string> argv{AIW_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, {{"AIW_PLUGIN_PATH", plugin_path}}, kTimeout);
}

// What a failed expectation shows about a run.
std::string describe(const ProcessResult& r) {
  return "exit " + std::to_string(r.exit_code) + " signal " + std::to_string(r.term_signal) +
         (r.timed_out ? " (timed out)" : "") + "\n--- stdout:\n" + r.out + "\n--- stderr:\n" +
         r.err;
}

std::string escape_regex(const std::string& text) {
  static const std::regex special(R"([.^$|()\[\]{}*+?\\])");
  return std::regex_replace(text, special, R"(\$&)");
}

// True when text has "file:line:column:" with line when given (else any line).
bool has_position(const std::string& text, const std::string& file, int line = 0) {
  std::string line_pattern = line > 0 ? std::to_string(line) : "[0-9]+";
  return std::regex_search(text, std::regex(escape_regex(file) + ":" + line_pattern + ":[0-9]+:"));
}

// True when some line of text starts with word followed by a space.
bool has_row(const std::string& text, const std::string& word) {
  return std::regex_search(text, std::regex("(^|\n)" + escape_regex(word) + " "));
}

// The block of `aiw plugins` output about one stage type: from its heading to the blank line.
std::string plugin_section(const std::string& listing, const std::string& type) {
  const std::string heading = type + " ";
  size_t start =
      listing.compare(0, heading.size(), heading) == 0 ? 0 : listing.find("\n" + heading);
  if (start == std::string::npos) return {};
  if (start > 0) ++start;  // past the newline
  size_t end = listing.find("\n\n", start);
  return listing.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// Every stage type of the testkit plugin (plugins/testkit/*.cpp).
const std::vector<std::string> kTestkitTypes = {
    "testkit.clock", "testkit.complete_twice", "testkit.cpu", "testkit.echo",
    "testkit.fail", "testkit.http", "testkit.never_complete", "testkit.noop",
    "testkit.sleep", "testkit.throw", "testkit.transform"};

// ---------------------------------------------------------------------------------------------
// aiw itself

TEST(AiwCommand, NoArgumentsPrintsUsageOnStderrAndExits2) {
  ProcessResult r = aiw({});
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_THAT(r.err, HasSubstr("usage: aiw <command>"));
  EXPECT_EQ(r.out, "");
}

TEST(AiwCommand, UnknownCommandIsNamedWithUsageOnStderrAndExits2) {
  ProcessResult r = aiw({"frobnicate"});
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_THAT(r.err, HasSubstr("unknown command 'frobnicate'"));
  EXPECT_THAT(r.err, HasSubstr("usage: aiw <command>"));
}

TEST(AiwCommand, HelpPrintsUsageOnStdoutAndExits0) {
  ProcessResult r = aiw({"--help"});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_THAT(r.out, HasSubstr("usage: aiw <command>"));
  for (const char* command : {"validate", "run", "plugins", "bench"})
    EXPECT_THAT(r.out, HasSubstr(command));
}

TEST(AiwCommand, VersionPrintsVersionAndAbiAndExits0) {
  ProcessResult r = aiw({"--version"});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_THAT(r.out, StartsWith("aiw "));
  EXPECT_THAT(r.out, HasSubstr("plugin ABI"));
}

// ---------------------------------------------------------------------------------------------
// Usage errors, the same for every command

struct CommandCase {
  std::string command;
  std::vector<std::string> operands;  // what makes an otherwise valid call
  std::string number_flag;            // a flag taking a positive number (or one it rejects)
};

std::ostream& operator<<(std::ostream& os, const CommandCase& c) { return os << c.command; }

class CommandUsage : public ::testing::TestWithParam<CommandCase> {
 protected:
  ProcessResult call(std::vector<std::string> extra) const {
    std::vector<std::string> args{GetParam().command};
    args.insert(args.end(), GetParam().operands.begin(), GetParam().operands.end());
    args.insert(args.end(), extra.begin(), extra.end());
    return aiw(args);
  }
  std::string usage_line() const { return "usage: aiw " + GetParam().command; }
};

TEST_P(CommandUsage, HelpPrintsUsageAndExits0) {
  ProcessResult r = call({"--help"});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_THAT(r.out, HasSubstr(usage_line()));
}

TEST_P(CommandUsage, UnknownFlagExits2WithUsageNamingTheFlag) {
  ProcessResult r = call({"--bogus"});
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_THAT(r.err, HasSubstr("--bogus"));
  EXPECT_THAT(r.err, HasSubstr(usage_line()));
}

TEST_P(CommandUsage, FlagWithoutItsValueAtTheEndExits2NamingTheFlag) {
  ProcessResult r = call({"--" + GetParam().number_flag});
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_THAT(r.err, HasSubstr("--" + GetParam().number_flag));
  EXPECT_THAT(r.err, HasSubstr(usage_line()));
}

TEST_P(CommandUsage, ZeroWhereAPositiveNumberIsNeededExits2) {
  ProcessResult r = call({"--" + GetParam().number_flag, "0"});
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_THAT(r.err, HasSubstr("--" + GetParam().number_flag));
  EXPECT_THAT(r.err, HasSubstr(usage_line()));
}

TEST_P(CommandUsage, TextWhereANumberIsNeededExits2) {
  ProcessResult r = call({"--" + GetParam().number_flag, "abc"});
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_THAT(r.err, HasSubstr("--" + GetParam().number_flag));
  EXPECT_THAT(r.err, HasSubstr(usage_line()));
}

// validate and plugins take no number: --jobs is an unknown flag to them, still a usage error.
INSTANTIATE_TEST_SUITE_P(
    EveryCommand, CommandUsage,
    ::testing::Values(CommandCase{"validate", {source_file("examples/demo.yaml")}, "jobs"},
                      CommandCase{"run", {source_file("examples/demo.yaml")}, "deadline"},
                      CommandCase{"plugins", {}, "jobs"},
                      CommandCase{"bench", {source_file("bench/pipelines/noop5.yaml")}, "jobs"},
                      CommandCase{
                          "bench", {source_file("bench/pipelines/noop5.yaml")}, "concurrency"}),
    [](const ::testing::TestParamInfo<CommandCase>& info) {
      return info.param.command + "_" + info.param.number_flag;
    });

TEST(AiwRun, InputThatIsNotJsonExits2SayingSo) {
  ProcessResult r = aiw({"run", source_file("examples/demo.yaml"), "--input", "{not json"});
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_THAT(r.err, HasSubstr("--input is not valid JSON"));
  EXPECT_THAT(r.err, HasSubstr("usage: aiw run"));
}

TEST(AiwRun, InputFileThatDoesNotExistExits2NamingIt) {
  TempDir tmp;
  std::string missing = (tmp.path() / "missing.json").string();
  ProcessResult r = aiw({"run", source_file("examples/demo.yaml"), "--input", "@" + missing});
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_THAT(r.err, HasSubstr(missing));
}

TEST(AiwBench, InputThatIsNotJsonExits2) {
  ProcessResult r =
      aiw({"bench", source_file("bench/pipelines/noop5.yaml"), "--input", "{not json"});
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_THAT(r.err, HasSubstr("not valid JSON"));
}

// ---------------------------------------------------------------------------------------------
// aiw validate

TEST(AiwValidate, DemoAndEveryBenchPipelineAreValid) {
  std::vector<std::string> files{source_file("examples/demo.yaml")};
  for (const auto& entry : fs::directory_iterator(source_file("bench/pipelines")))
    if (entry.path().extension() == ".yaml") files.push_back(entry.path().string());
  ASSERT_GE(files.size(), 4u);
  std::vector<std::string> args{"validate"};
  args.insert(args.end(), files.begin(), files.end());
  ProcessResult r = aiw(args);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  for (const std::string& file : files) EXPECT_THAT(r.out, HasSubstr(file + ": ok"));
}

TEST(AiwValidate, QuietPrintsNothingForGoodFiles) {
  ProcessResult r = aiw({"validate", "--quiet", source_file("examples/demo.yaml")});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "");
}

TEST(AiwValidate, UnknownStageTypeExits1WithPositionAndSuggestion) {
  TempDir tmp;
  std::string file = tmp.write("typo.yaml",
                               "name: typo\n"
                               "version: \"1\"\n"
                               "stages:\n"
                               "  - id: nap\n"
                               "    uses: testkit.slep\n"
                               "    with: { ms: 1 }\n");
  ProcessResult r = aiw({"validate", file});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_TRUE(has_position(r.err, file, 5)) << describe(r);
  EXPECT_THAT(r.err, HasSubstr("testkit.slep"));
  EXPECT_THAT(r.err, HasSubstr("did you mean"));
  EXPECT_THAT(r.err, HasSubstr("testkit.sleep"));
}

TEST(AiwValidate, MalformedYamlExits1WithPosition) {
  TempDir tmp;
  std::string file = tmp.write("broken.yaml",
                               "name: broken\n"
                               "version: \"1\"\n"
                               "stages:\n"
                               "  - { id: a, uses: testkit.noop\n"
                               "  - id: b\n");
  ProcessResult r = aiw({"validate", file});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_TRUE(has_position(r.err, file)) << describe(r);
}

TEST(AiwValidate, OneBadFileAmongGoodOnesExits1AndStillReportsTheGoodOnes) {
  TempDir tmp;
  std::string bad = tmp.write("bad.yaml",
                              "name: bad\nversion: \"1\"\nstages:\n"
                              "  - { id: a, uses: testkit.nope }\n");
  std::string good = source_file("examples/demo.yaml");
  ProcessResult r = aiw({"validate", bad, good});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_THAT(r.out, HasSubstr(good + ": ok"));
  EXPECT_TRUE(has_position(r.err, bad, 4)) << describe(r);
}

TEST(AiwValidate, MissingFileExits1NamingIt) {
  TempDir tmp;
  std::string missing = (tmp.path() / "nowhere.yaml").string();
  ProcessResult r = aiw({"validate", missing});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_THAT(r.err, HasSubstr(missing));
}

// ---------------------------------------------------------------------------------------------
// aiw run

TEST(AiwRun, DemoPrintsResultJsonFromThePipelineAndTimingsOfEveryStage) {
  ProcessResult r = aiw({"run", source_file("examples/demo.yaml"), "--input",
                         R"({"imageUrl":"https://e.com/a.jpg"})", "--timings"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  Json result;
  ASSERT_TRUE(parse_json(r.out, result)) << r.out;
  ASSERT_TRUE(result.IsObject()) << r.out;
  const JsonValue* labels = find_member(result, "labels");
  ASSERT_NE(labels, nullptr) << r.out;
  ASSERT_TRUE(labels->IsArray());
  ASSERT_EQ(labels->Size(), 3u);
  EXPECT_STREQ((*labels)[0].GetString(), "rice");
  const JsonValue* caption = find_member(result, "caption");
  ASSERT_NE(caption, nullptr) << r.out;
  ASSERT_TRUE(caption->IsString());
  EXPECT_THAT(caption->GetString(), HasSubstr("rice"));
  EXPECT_THAT(caption->GetString(), HasSubstr("https://e.com/a.jpg"));
  const JsonValue* job = find_member(result, "job");
  ASSERT_NE(job, nullptr) << r.out;
  EXPECT_TRUE(job->IsString() && job->GetStringLength() > 0) << r.out;

  EXPECT_TRUE(has_row(r.err, "stage")) << r.err;
  for (const char* stage : {"fetch", "detect", "nutrition", "caption", "summary"})
    EXPECT_TRUE(std::regex_search(r.err, std::regex(std::string("(^|\n)") + stage + " +ok ")))
        << stage << " missing from\n"
        << r.err;
  EXPECT_TRUE(has_row(r.err, "total")) << r.err;
}

TEST(AiwRun, InputFromAFileIsUsed) {
  TempDir tmp;
  std::string input = tmp.write("input.json", R"({"imageUrl":"https://e.com/from-file.jpg"})");
  ProcessResult r = aiw({"run", source_file("examples/demo.yaml"), "--input", "@" + input});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_THAT(r.out, HasSubstr("https://e.com/from-file.jpg"));
}

TEST(AiwRun, StageFailingPermanentlyExits1NamingTheStageAndItsSentence) {
  TempDir tmp;
  std::string file =
      tmp.write("fails.yaml",
                "name: fails\n"
                "version: \"1\"\n"
                "stages:\n"
                "  - { id: first, uses: testkit.noop }\n"
                "  - id: judge\n"
                "    uses: testkit.fail\n"
                "    needs: [first]\n"
                "    with: { kind: permanent, message: \"the model refused the photo\" }\n");
  ProcessResult r = aiw({"run", file});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_THAT(r.err, HasSubstr("aiw run: job failed at stage 'judge' (permanent): "));
  EXPECT_THAT(r.err, HasSubstr("the model refused the photo"));
  EXPECT_EQ(r.out, "");
}

TEST(AiwRun, InputBreakingThePipelineSchemaExits1NamingTheField) {
  ProcessResult r =
      aiw({"run", source_file("examples/demo.yaml"), "--input", R"({"language":"pt"})"});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_THAT(r.err, HasSubstr("aiw run: job failed (permanent): "));
  EXPECT_THAT(r.err, HasSubstr("imageUrl"));
  EXPECT_EQ(r.out, "");
}

TEST(AiwRun, InvalidPipelineExits1WithPosition) {
  TempDir tmp;
  std::string file = tmp.write("typo.yaml",
                               "name: typo\nversion: \"1\"\nstages:\n"
                               "  - { id: a, uses: testkit.nope }\n");
  ProcessResult r = aiw({"run", file});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_TRUE(has_position(r.err, file, 4)) << describe(r);
}

// True once the process has a handler for sig (so a signal now is handled, not fatal).
bool catches_signal(pid_t pid, int sig) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("SigCgt:", 0) != 0) continue;
    unsigned long long mask = std::stoull(line.substr(7), nullptr, 16);
    return (mask >> (sig - 1)) & 1u;
  }
  return false;
}

TEST(AiwRun, CtrlCCancelsTheRunningJobAndExits1) {
  TempDir tmp;
  std::string file = tmp.write("slow.yaml",
                               "name: slow\n"
                               "version: \"1\"\n"
                               "defaults: { timeout: 120s }\n"
                               "stages:\n"
                               "  - { id: nap, uses: testkit.sleep, with: { ms: 60000 } }\n");
  Process process({AIW_BINARY, "run", file}, {{"AIW_PLUGIN_PATH", AIW_BUILD_PLUGIN_DIR}});
  // aiw installs its SIGINT handler right before submitting the job; a signal before that would
  // kill it outright, so wait for the handler (generous bound), then give the job time to start.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!catches_signal(process.pid(), SIGINT) && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(catches_signal(process.pid(), SIGINT)) << "aiw run never handled SIGINT";
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  process.send_signal(SIGINT);
  ProcessResult r = process.wait(std::chrono::seconds(20));
  EXPECT_FALSE(r.timed_out) << "aiw run did not end within 20 s of Ctrl-C\n" << describe(r);
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_THAT(r.err, HasSubstr("aiw run: job cancelled"));
  EXPECT_THAT(r.err, HasSubstr("Ctrl-C"));
}

// ---------------------------------------------------------------------------------------------
// aiw plugins

TEST(AiwPlugins, ListsEveryTestkitStageTypeWithItsParameters) {
  ProcessResult r = aiw({"plugins"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  for (const std::string& type : kTestkitTypes)
    EXPECT_FALSE(plugin_section(r.out, type).empty()) << type << " missing from\n" << r.out;

  struct Param {
    std::string type, name, json_type, required;
  };
  const std::vector<Param> params = {
      {"testkit.sleep", "ms", "integer", "required"},
      {"testkit.sleep", "output", "any", "optional"},
      {"testkit.fail", "kind", "enum", "required"},
      {"testkit.fail", "message", "string", "required"},
      {"testkit.fail", "retry_after_ms", "integer", "optional"},
      {"testkit.cpu", "iterations", "integer", "required"},
      {"testkit.http", "url", "string", "required"},
      {"testkit.http", "timeout_ms", "integer", "optional"},
      {"testkit.transform", "from", "object", "required"},
      {"testkit.transform", "pick", "array", "optional"},
  };
  for (const Param& p : params) {
    std::string section = plugin_section(r.out, p.type);
    EXPECT_TRUE(std::regex_search(
        section, std::regex("\n +" + p.name + " +" + p.json_type + " +" + p.required)))
        << p.type << " " << p.name << " in\n"
        << section;
  }
  for (const char* type : {"testkit.noop", "testkit.clock", "testkit.throw", "testkit.never_complete"})
    EXPECT_THAT(plugin_section(r.out, type), HasSubstr("(no parameters)"));
  EXPECT_THAT(plugin_section(r.out, "testkit.sleep"),
              HasSubstr("Completes after a delay without holding a thread."));
  EXPECT_THAT(plugin_section(r.out, "testkit.sleep"), HasSubstr("aiw_testkit.so"));
}

TEST(AiwPlugins, JsonIsValidWithNameAndParamsSchemaForEveryType) {
  ProcessResult r = aiw({"plugins", "--json"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  Json listing;
  ASSERT_TRUE(parse_json(r.out, listing)) << r.out;
  ASSERT_TRUE(listing.IsArray()) << r.out;
  std::vector<std::string> names;
  for (const auto& item : listing.GetArray()) {
    const JsonValue* name = find_member(item, "name");
    ASSERT_TRUE(name != nullptr && name->IsString()) << to_string(item);
    names.push_back(name->GetString());
    const JsonValue* schema = find_member(item, "params_schema");
    ASSERT_TRUE(schema != nullptr && schema->IsObject()) << to_string(item);
    const JsonValue* file = find_member(item, "file");
    EXPECT_TRUE(file != nullptr && file->IsString()) << to_string(item);
  }
  for (const std::string& type : kTestkitTypes) EXPECT_THAT(names, ::testing::Contains(type));
  for (const auto& item : listing.GetArray()) {
    if (std::string(item["name"].GetString()) != "testkit.sleep") continue;
    const JsonValue& schema = item["params_schema"];
    const JsonValue* ms = find_member(schema["properties"], "ms");
    ASSERT_NE(ms, nullptr);
    EXPECT_STREQ((*ms)["type"].GetString(), "integer");
  }
}

TEST(AiwPlugins, RefusedPluginIsAWarningNamingTheFileAndTheRestStillLoad) {
  TempDir tmp;
  std::mt19937 random(42);
  std::string garbage(4096, '\0');
  for (char& c : garbage) c = static_cast<char>(random() & 0xff);
  tmp.write("bad.so", garbage);
  ProcessResult r = aiw({"plugins"}, tmp.path().string() + ":" + AIW_BUILD_PLUGIN_DIR);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(std::regex_search(r.err, std::regex("warning: .*bad\\.so"))) << r.err;
  EXPECT_THAT(r.err, HasSubstr("refused"));
  for (const std::string& type : kTestkitTypes)
    EXPECT_FALSE(plugin_section(r.out, type).empty()) << type << " missing from\n" << r.out;
}

// ---------------------------------------------------------------------------------------------
// aiw bench

TEST(AiwBench, Noop5PrintsARowPerStageAndJobsPerSecond) {
  ProcessResult r = aiw({"bench", source_file("bench/pipelines/noop5.yaml"), "--jobs", "2000",
                         "--concurrency", "50"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_THAT(r.out, HasSubstr("jobs/s"));
  EXPECT_THAT(r.out, HasSubstr("2000 jobs (2000 completed, 0 failed)"));
  for (const char* stage : {"s1", "s2", "s3", "s4", "s5"})
    EXPECT_TRUE(
        std::regex_search(r.out, std::regex(std::string("(^|\n)") + stage + " +testkit\\.noop ")))
        << stage << " missing from\n"
        << r.out;
}

TEST(AiwBench, JsonReportParsesAndCountsEveryJobCompleted) {
  ProcessResult r = aiw({"bench", source_file("bench/pipelines/noop5.yaml"), "--jobs", "2000",
                         "--concurrency", "50", "--json"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  Json report;
  ASSERT_TRUE(parse_json(r.out, report)) << r.out;
  ASSERT_TRUE(report.IsObject()) << r.out;
  EXPECT_EQ(report["jobs"].GetInt64(), 2000);
  EXPECT_EQ(report["completed"].GetInt64(), 2000);
  EXPECT_EQ(report["failed"].GetInt64(), 0);
  ASSERT_TRUE(report["stages"].IsArray());
  EXPECT_EQ(report["stages"].Size(), 5u);
  for (const auto& stage : report["stages"].GetArray())
    EXPECT_EQ(stage["succeeded"].GetUint64(), 2000u) << to_string(stage);
}

// Each in-flight slot runs its own share of the jobs: every job runs exactly once also when the
// concurrency does not divide the count, or exceeds it.
TEST(AiwBench, RunsExactlyTheJobsAskedForWhateverTheConcurrency) {
  for (auto [jobs, concurrency] : {std::pair{"1001", "7"}, std::pair{"3", "50"}, std::pair{"1", "1"}}) {
    ProcessResult r = aiw({"bench", source_file("bench/pipelines/noop5.yaml"), "--jobs", jobs,
                           "--concurrency", concurrency, "--json"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    Json report;
    ASSERT_TRUE(parse_json(r.out, report)) << r.out;
    EXPECT_EQ(report["completed"].GetInt64(), std::atoll(jobs)) << jobs << " / " << concurrency;
    for (const auto& stage : report["stages"].GetArray())
      EXPECT_EQ(stage["succeeded"].GetUint64(), std::strtoull(jobs, nullptr, 10)) << to_string(stage);
  }
}

// --stage-cpu tells each stage's own cost apart: a stage that burns CPU shows many times the
// CPU per call of a no-op one in the same pipeline (not a timing: a ratio of one run's work).
TEST(AiwBench, StageCpuTellsACpuHeavyStageFromACheapOneAndIsOffByDefault) {
  TempDir tmp;
  std::string file = tmp.write("mixed.yaml",
                               "name: mixed\n"
                               "version: \"1\"\n"
                               "stages:\n"
                               "  - { id: cheap, uses: testkit.noop }\n"
                               "  - { id: heavy, uses: testkit.cpu, needs: [cheap], with: { iterations: 3000000 } }\n");
  ProcessResult r = aiw({"bench", file, "--jobs", "40", "--concurrency", "4", "--json", "--stage-cpu"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  Json report;
  ASSERT_TRUE(parse_json(r.out, report)) << r.out;
  const double cheap = report["stages"][0]["cpu_ns_per_call"].GetDouble();
  const double heavy = report["stages"][1]["cpu_ns_per_call"].GetDouble();
  EXPECT_GT(cheap, 0) << r.out;
  EXPECT_GT(heavy, 20 * cheap) << r.out;

  ProcessResult table = aiw({"bench", file, "--jobs", "4", "--concurrency", "2", "--stage-cpu"});
  ASSERT_EQ(table.exit_code, 0) << describe(table);
  EXPECT_THAT(table.out, HasSubstr("max/s/core"));
  EXPECT_TRUE(std::regex_search(table.out, std::regex("(^|\n)heavy +testkit\\.cpu +\\d+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +\\d+ ")))
      << table.out;

  ProcessResult off = aiw({"bench", file, "--jobs", "4", "--concurrency", "2", "--json"});
  ASSERT_EQ(off.exit_code, 0) << describe(off);
  Json unmeasured;
  ASSERT_TRUE(parse_json(off.out, unmeasured)) << off.out;
  for (const auto& stage : unmeasured["stages"].GetArray())
    EXPECT_EQ(stage["cpu_ns_per_call"].GetDouble(), 0.0) << off.out;
}

TEST(AiwBench, FailingJobsExit1AndShowTheFirstError) {
  TempDir tmp;
  std::string file = tmp.write("fails.yaml",
                               "name: fails\n"
                               "version: \"1\"\n"
                               "stages:\n"
                               "  - id: judge\n"
                               "    uses: testkit.fail\n"
                               "    with: { kind: permanent, message: \"no thanks\" }\n");
  ProcessResult r = aiw({"bench", file, "--jobs", "10", "--concurrency", "2"});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_THAT(r.out, HasSubstr("no thanks"));
}

}  // namespace
}  // namespace aiw::test
