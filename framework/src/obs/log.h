// Structured logs: one JSON object per line on stderr, e.g.
//   {"ts":"2026-11-28T15:20:01.123Z","level":"warn","msg":"...","job":"...","stage":"detect"}
// Never log inputs, prompts, tokens or personal data: pass ids and sentences only.
// The level comes from LOG_LEVEL (debug, info, warn, error; default info).
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace aiw::obs {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

using LogField = std::pair<std::string_view, std::string_view>;

void log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields = {});
bool log_enabled(LogLevel level);
// Parses "debug" / "info" / "warn" / "error"; false when the text is none of them.
bool parse_log_level(std::string_view text, LogLevel& out);

}  // namespace aiw::obs
