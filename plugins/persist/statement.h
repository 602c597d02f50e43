// The SQL side of persist.row, free of threads and of the host: which names are allowed, the
// one INSERT it runs, how a JSON value becomes a parameter, and how a PostgreSQL error is
// classified. Kept apart so each rule can be read (and tested) on its own.
#pragma once

#include <aiw/json.h>

#include <optional>
#include <string>
#include <vector>

namespace persist {

// A plain lower-case SQL identifier (letters, digits, _; not starting with a digit; at most
// 63 bytes, PostgreSQL's limit). Names are never taken from job data, and are still checked
// and quoted, so no text of a pipeline can become SQL.
bool is_identifier(const std::string& name);

// "table" or "schema.table", each part an identifier.
bool is_table_name(const std::string& name);

// `"a"."b"`: every part double-quoted.
std::string quote_table(const std::string& name);

// INSERT INTO <table> (<job_id_column>, <columns...>) VALUES ($1, $2, ...)
// ON CONFLICT (<job_id_column>) DO NOTHING RETURNING 1
// One statement is one transaction: the row is written whole or not at all, and a second
// write for the same job id writes nothing (the table must hold a UNIQUE constraint or the
// primary key on that column; without one PostgreSQL refuses the statement with 42P10).
std::string insert_sql(const std::string& table, const std::string& job_id_column,
                       const std::vector<std::string>& columns);

// A JSON value as a text parameter. `json_column`: the column is json/jsonb, so the value is
// sent as JSON text (a string keeps its quotes). Otherwise a string is sent as it is, a number
// or boolean as its JSON text (PostgreSQL parses it for the column's type), an object or array
// as JSON text. null is SQL NULL (nullopt).
std::optional<std::string> parameter_text(const aiw::JsonValue& value, bool json_column);

// True when a failure with this SQLSTATE may succeed if the job is tried again later: the
// connection (class 08), resources (53), the server shutting down or a cancelled statement
// (57), serialization failures and deadlocks (40), lock timeouts (55P03), system errors (58).
// Everything else (constraint, type, unknown table or column) is the pipeline's or the data's
// fault and fails the job.
bool is_retryable_sqlstate(const std::string& sqlstate);

// The sentence for a permanent failure, with a hint for the usual set-up mistakes.
std::string permanent_message(const std::string& table, const std::string& job_id_column,
                              const std::string& sqlstate, const std::string& server_message);

}  // namespace persist
