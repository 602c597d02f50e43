// A small RFC 4180 CSV reader for the data files pipelines ship (food tables).
//
// Fields are separated by commas and records by CRLF or LF. A field that starts with '"' is
// quoted: it may hold commas, line breaks and doubled quotes ("" is one "), and must end at a
// comma or the end of its record. A UTF-8 byte-order mark at the start is skipped; empty lines
// are skipped. Anything else malformed is an error naming the line, since a silently misread
// row would put wrong numbers into people's meal totals.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace nutrition {

struct CsvRecord {
  size_t line = 0;  // 1-based line where the record starts
  std::vector<std::string> fields;
};

// Appends the records of text to out; false with "line N: <sentence>" in error.
bool parse_csv(std::string_view text, std::vector<CsvRecord>& out, std::string& error);

}  // namespace nutrition
