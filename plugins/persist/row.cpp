#include <aiw/plugin.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "db_pool.h"
#include "handoff.h"
#include "statement.h"

namespace persist {
namespace {

using std::chrono::milliseconds;

int int_param(const aiw::JsonValue& params, const char* name, int fallback) {
  const aiw::JsonValue* v = aiw::find_member(params, name);
  return v && v->IsInt() ? v->GetInt() : fallback;
}

// Names come from the `with` block as written: they must be literal identifiers, never
// references, so that no job data can choose where a row goes.
std::string literal_name(const aiw::JsonValue& config, const char* key, const char* fallback) {
  const aiw::JsonValue* v = aiw::find_member(config, key);
  if (v == nullptr) return fallback;
  if (!v->IsString()) throw std::invalid_argument(std::string(key) + " must be a string");
  return v->GetString();
}

}  // namespace

// persist.row: writes one row per job into a PostgreSQL table, in one transaction, at most
// once per job id (a retried job writes nothing the second time).
// Parameters:
//   database_url          string, required  libpq URL, typically ${env.DATABASE_URL}
//   table                 string, required  "table" or "schema.table" (lower-case identifiers)
//   columns               object, required  column name -> value, usually a reference
//                                           (${stages.parse.output.foods}); json/jsonb columns
//                                           get JSON text, others the value as text (null = NULL)
//   job_id_column         string            default "job_id"; gets the job id; the table needs a
//                                           UNIQUE constraint (or primary key) on it
//   connections           integer 1..16     default 2: the pool's connections (and threads)
//   statement_timeout_ms  integer           default 10000
//   connect_timeout_s     integer 1..60     default 5
// Table and column names are checked when the pipeline loads (plain identifiers, no
// references) and quoted; values travel only as statement parameters.
// Idempotency: INSERT ... ON CONFLICT (job_id_column) DO NOTHING in one statement, so the
// check and the write are one atomic step, and the row and its guard live in the same table.
// The first attempt's row wins: a re-run job (whose LLM may answer differently) finds it and
// writes nothing, so its result can differ from the stored row (docs/plugins.md, persist.row).
// Errors: lost or refused connections, timeouts, deadlocks, a server shutting down: retryable.
// Unknown tables or columns, a missing unique constraint, type and constraint violations:
// permanent, with PostgreSQL's sentence and SQLSTATE.
// Output: {table, job_id, written: true | false (the row was already there)}.
//
//   - id: save
//     uses: persist.row
//     needs: [parse]
//     with:
//       database_url: "${env.DATABASE_URL}"
//       table: meal_analyses
//       columns:
//         user_ref: "${input.userId}"
//         foods: "${stages.parse.output.foods}"
class Row : public aiw::Stage {
 public:
  static constexpr aiw::StageInfo kInfo{
      "persist.row", "1.0.0",
      "Writes one row per job into a PostgreSQL table, once per job id, in one transaction.",
      R"({"type":"object","properties":{"database_url":{"type":"string","minLength":1},)"
      R"("table":{"type":"string","pattern":"^[a-z_][a-z0-9_]{0,62}(\\.[a-z_][a-z0-9_]{0,62})?$"},)"
      R"("job_id_column":{"type":"string","pattern":"^[a-z_][a-z0-9_]{0,62}$"},)"
      R"("columns":{"type":"object"},)"
      R"("connections":{"type":"integer","minimum":1,"maximum":16},)"
      R"("statement_timeout_ms":{"type":"integer","minimum":1},)"
      R"("connect_timeout_s":{"type":"integer","minimum":1,"maximum":60}},)"
      R"("required":["database_url","table","columns"],"additionalProperties":false})",
      R"({"type":"object","properties":{"table":{"type":"string"},"job_id":{"type":"string"},)"
      R"("written":{"type":"boolean"}},"required":["table","job_id","written"]})"};

  explicit Row(const aiw::Json& config) {
    table_ = literal_name(config, "table", "");
    job_id_column_ = literal_name(config, "job_id_column", "job_id");
    if (!is_table_name(table_))
      throw std::invalid_argument("table '" + table_ +
                                  "' is not a plain lower-case name (letters, digits, _)");
    if (!is_identifier(job_id_column_))
      throw std::invalid_argument("job_id_column '" + job_id_column_ + "' is not a plain name");
    const aiw::JsonValue* columns = aiw::find_member(config, "columns");
    if (columns == nullptr || !columns->IsObject() || columns->MemberCount() == 0)
      throw std::invalid_argument("columns must map at least one column to a value");
    for (const auto& m : columns->GetObject()) {
      std::string name = m.name.GetString();
      if (!is_identifier(name))
        throw std::invalid_argument("column '" + name + "' is not a plain lower-case name");
      if (name == job_id_column_)
        throw std::invalid_argument("column '" + name +
                                    "' is the job_id_column; it gets the job id");
      columns_.push_back(name);
    }
    sql_ = insert_sql(table_, job_id_column_, columns_);
    options_.connections = int_param(config, "connections", 2);
    options_.statement_timeout_ms = int_param(config, "statement_timeout_ms", 10000);
    options_.connect_timeout_s = int_param(config, "connect_timeout_s", 5);
  }

  void run(aiw::Call call, const aiw::Json& params) override {
    // params live only during run(): the values go to the pool's thread as a copy.
    auto values = std::make_shared<aiw::Json>(rapidjson::kArrayType);
    const aiw::JsonValue& columns = params["columns"];
    for (const std::string& name : columns_) {
      aiw::JsonValue copy;
      if (const aiw::JsonValue* v = aiw::find_member(columns, name))
        copy.CopyFrom(*v, values->GetAllocator());
      values->PushBack(copy, values->GetAllocator());
    }
    std::shared_ptr<DbPool> pool = pool_for(params["database_url"].GetString());
    // The host's stage timeout normally ends a slow write; the guard only backs it up.
    milliseconds guard = std::min(call.remaining() + milliseconds(1000), milliseconds(3600000));
    auto handoff = Handoff::arm(call, guard, "the database did not answer in time");
    pool->submit([handoff, values, job_id = std::string(call.job_id()), sql = sql_, table = table_,
                  id_column = job_id_column_](Connection& connection) {
      if (!handoff->wanted()) return;  // timed out or cancelled while queued
      InsertOutcome outcome = connection.insert(sql, [&](const std::vector<bool>& json_params) {
        std::vector<std::optional<std::string>> texts{job_id};
        for (rapidjson::SizeType i = 0; i < values->Size(); ++i) {
          bool json = i + 1 < json_params.size() && json_params[i + 1];
          texts.push_back(parameter_text((*values)[i], json));
        }
        return texts;
      });
      handoff->end([&](aiw::Call c) { finish(c, outcome, table, id_column, job_id); });
    });
  }

 private:
  static void finish(aiw::Call call, const InsertOutcome& outcome, const std::string& table,
                     const std::string& id_column, const std::string& job_id) {
    using Kind = InsertOutcome::Kind;
    if (outcome.kind == Kind::kWritten || outcome.kind == Kind::kAlreadyWritten) {
      aiw::Json out(rapidjson::kObjectType);
      auto& a = out.GetAllocator();
      out.AddMember("table", aiw::JsonValue(table.c_str(), a), a);
      out.AddMember("job_id", aiw::JsonValue(job_id.c_str(), a), a);
      out.AddMember("written", outcome.kind == Kind::kWritten, a);
      call.complete(out);
    } else if (outcome.kind == Kind::kRetryable) {
      std::string state = outcome.sqlstate.empty() ? "" : " (SQLSTATE " + outcome.sqlstate + ")";
      call.fail_retryable("could not write into " + table + ": " + outcome.message + state);
    } else {
      call.fail_permanent(permanent_message(table, id_column, outcome.sqlstate, outcome.message));
    }
  }

  std::shared_ptr<DbPool> pool_for(const std::string& url) {
    std::lock_guard lock(mu_);
    auto& pool = pools_[url];
    if (!pool) {
      PoolOptions options = options_;
      options.url = url;
      pool = DbPool::shared(options);
    }
    return pool;
  }

  std::string table_;
  std::string job_id_column_;
  std::vector<std::string> columns_;
  std::string sql_;
  PoolOptions options_;
  std::mutex mu_;  // run() is called from several threads
  std::map<std::string, std::shared_ptr<DbPool>> pools_;
};

AIW_REGISTER_STAGE(Row);

}  // namespace persist
