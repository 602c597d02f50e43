// packaging/prometheus/aiw-alerts.yml: valid rules YAML, the alerts the issue names, each with
// severity, summary and description, and every aiw_* metric it names exported by the code
// (gateway or worker metrics.cpp), so a renamed metric cannot silently break an alert.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace {

std::string read(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The metric names the code exports: the "aiw_..." string literals of the metrics sources.
std::set<std::string> exported_metrics() {
  std::set<std::string> names;
  const std::filesystem::path root = AIW_SOURCE_DIR;
  for (const char* file : {"framework/src/gateway/metrics.cpp", "framework/src/worker/metrics.cpp"}) {
    std::string text = read(root / file);
    EXPECT_FALSE(text.empty()) << "cannot read " << file;
    static const std::regex literal(R"re("(aiw_[a-z0-9_]+)")re");
    for (std::sregex_iterator it(text.begin(), text.end(), literal), end; it != end; ++it) names.insert((*it)[1]);
  }
  return names;
}

// A histogram's series carry suffixes; the family is what the code names.
std::string family(const std::string& series) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    std::string s = suffix;
    if (series.size() > s.size() && series.compare(series.size() - s.size(), s.size(), s) == 0)
      return series.substr(0, series.size() - s.size());
  }
  return series;
}

YAML::Node load_rules() {
  return YAML::LoadFile((std::filesystem::path(AIW_SOURCE_DIR) / "packaging/prometheus/aiw-alerts.yml").string());
}

}  // namespace

TEST(AlertRules, FileParsesAsPrometheusRuleGroups) {
  YAML::Node doc = load_rules();
  ASSERT_TRUE(doc["groups"].IsSequence());
  ASSERT_EQ(doc["groups"].size(), 1u);
  YAML::Node group = doc["groups"][0];
  EXPECT_EQ(group["name"].as<std::string>(), "aiw");
  ASSERT_TRUE(group["rules"].IsSequence());
  std::set<std::string> alerts;
  for (const YAML::Node& rule : group["rules"]) {
    ASSERT_TRUE(rule["alert"]) << "every rule here is an alerting rule";
    std::string name = rule["alert"].as<std::string>();
    EXPECT_TRUE(alerts.insert(name).second) << name << " appears twice";
    EXPECT_FALSE(rule["expr"].as<std::string>().empty()) << name;
    EXPECT_TRUE(std::regex_match(rule["for"].as<std::string>(), std::regex(R"(\d+[smh])"))) << name;
    std::string severity = rule["labels"]["severity"].as<std::string>();
    EXPECT_TRUE(severity == "warning" || severity == "critical") << name << ": severity " << severity;
    EXPECT_GT(rule["annotations"]["summary"].as<std::string>().size(), 10u) << name;
    EXPECT_GT(rule["annotations"]["description"].as<std::string>().size(), 40u) << name;
  }
  EXPECT_EQ(alerts, (std::set<std::string>{"AiwQueueBacklog", "AiwNoLiveWorker", "AiwHighErrorRate",
                                           "AiwWorkerDatabaseDown", "AiwGatewaySlow"}));
}

TEST(AlertRules, ThresholdsMatchTheRequirements) {
  std::map<std::string, YAML::Node> by_name;
  for (const YAML::Node& rule : load_rules()["groups"][0]["rules"]) by_name[rule["alert"].as<std::string>()] = rule;
  auto expr = [&](const char* n) { return by_name.at(n)["expr"].as<std::string>(); };
  auto for_ = [&](const char* n) { return by_name.at(n)["for"].as<std::string>(); };
  EXPECT_NE(expr("AiwQueueBacklog").find(R"(sum(aiw_queue_depth{status="pending"}) > 50)"), std::string::npos);
  EXPECT_EQ(for_("AiwQueueBacklog"), "1m");
  EXPECT_NE(expr("AiwNoLiveWorker").find("aiw_live_workers) == 0"), std::string::npos);
  EXPECT_EQ(for_("AiwNoLiveWorker"), "5m");
  EXPECT_NE(expr("AiwWorkerDatabaseDown").find("aiw_database_up == 0"), std::string::npos);
  EXPECT_NE(expr("AiwGatewaySlow").find(R"(route="POST /v1/jobs")"), std::string::npos);
  EXPECT_NE(expr("AiwGatewaySlow").find("> 0.2"), std::string::npos);
  EXPECT_NE(expr("AiwHighErrorRate").find("> 0.05"), std::string::npos);
}

TEST(AlertRules, EveryMetricNamedIsExportedByTheCode) {
  const std::set<std::string> exported = exported_metrics();
  ASSERT_GT(exported.size(), 10u);
  static const std::regex metric(R"(\baiw_[a-z0-9_]+)");
  int checked = 0;
  for (const YAML::Node& rule : load_rules()["groups"][0]["rules"]) {
    std::string expr = rule["expr"].as<std::string>();
    int in_rule = 0;
    for (std::sregex_iterator it(expr.begin(), expr.end(), metric), end; it != end; ++it) {
      std::string name = family(it->str());
      EXPECT_TRUE(exported.count(name)) << rule["alert"].as<std::string>() << " names " << it->str()
                                        << ", which neither framework/src/gateway/metrics.cpp nor "
                                           "framework/src/worker/metrics.cpp exports";
      ++in_rule;
    }
    EXPECT_GT(in_rule, 0) << rule["alert"].as<std::string>() << " names no aiw metric";
    checked += in_rule;
  }
  EXPECT_GE(checked, 6);
}
