#include "statement.h"

#include <cctype>

namespace persist {

bool is_identifier(const std::string& name) {
  if (name.empty() || name.size() > 63) return false;
  if (std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool is_table_name(const std::string& name) {
  size_t dot = name.find('.');
  if (dot == std::string::npos) return is_identifier(name);
  return is_identifier(name.substr(0, dot)) && is_identifier(name.substr(dot + 1));
}

std::string quote_table(const std::string& name) {
  size_t dot = name.find('.');
  if (dot == std::string::npos) return "\"" + name + "\"";
  return "\"" + name.substr(0, dot) + "\".\"" + name.substr(dot + 1) + "\"";
}

std::string insert_sql(const std::string& table, const std::string& job_id_column,
                       const std::vector<std::string>& columns) {
  std::string names = "\"" + job_id_column + "\"";
  std::string values = "$1";
  for (size_t i = 0; i < columns.size(); ++i) {
    names += ", \"" + columns[i] + "\"";
    values += ", $" + std::to_string(i + 2);
  }
  return "INSERT INTO " + quote_table(table) + " (" + names + ") VALUES (" + values +
         ") ON CONFLICT (\"" + job_id_column + "\") DO NOTHING RETURNING 1";
}

std::optional<std::string> parameter_text(const aiw::JsonValue& value, bool json_column) {
  if (value.IsNull()) return std::nullopt;
  if (value.IsString() && !json_column)
    return std::string(value.GetString(), value.GetStringLength());
  return aiw::to_string(value);
}

bool is_retryable_sqlstate(const std::string& sqlstate) {
  if (sqlstate.size() != 5) return true;  // no SQLSTATE: the connection itself failed
  std::string cls = sqlstate.substr(0, 2);
  return cls == "08" || cls == "53" || cls == "57" || cls == "40" || cls == "58" ||
         sqlstate == "55P03";
}

std::string permanent_message(const std::string& table, const std::string& job_id_column,
                              const std::string& sqlstate, const std::string& server_message) {
  std::string text = "could not write the row into " + table + ": " + server_message +
                     " (SQLSTATE " + sqlstate + ")";
  if (sqlstate == "42P10") {
    text += "; the table needs a UNIQUE constraint or primary key on " + job_id_column +
            " so that a retried job does not write twice";
  } else if (sqlstate == "42P01" || sqlstate == "42703") {
    text +=
        "; check the table and column names, and that the deployment applied the "
        "pipelines' tables (pipelines/sql/*.sql)";
  }
  return text;
}

}  // namespace persist
