#include "csv.h"

namespace nutrition {
namespace {

class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
  }

  bool run(std::vector<CsvRecord>& out, std::string& error) {
    while (pos_ < text_.size()) {
      if (at_line_end()) {  // an empty line
        skip_line_end();
        continue;
      }
      CsvRecord record;
      record.line = line_;
      if (!read_record(record, error)) return false;
      out.push_back(std::move(record));
    }
    return true;
  }

 private:
  bool at_line_end() const { return text_[pos_] == '\n' || text_.substr(pos_, 2) == "\r\n"; }
  void skip_line_end() {
    pos_ += text_[pos_] == '\r' ? 2 : 1;
    ++line_;
  }

  bool read_record(CsvRecord& record, std::string& error) {
    for (;;) {
      std::string field;
      bool ok = pos_ < text_.size() && text_[pos_] == '"' ? read_quoted(field, error)
                                                          : read_plain(field, error);
      if (!ok) return false;
      record.fields.push_back(std::move(field));
      if (pos_ >= text_.size()) return true;
      if (text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      skip_line_end();  // read_* stop only at a comma, a line end or the end of the text
      return true;
    }
  }

  bool read_plain(std::string& field, std::string& error) {
    for (; pos_ < text_.size() && text_[pos_] != ',' && !at_line_end(); ++pos_) {
      if (text_[pos_] == '"') {
        error = "line " + std::to_string(line_) +
                ": a '\"' inside an unquoted field; quote the whole field and double the quote";
        return false;
      }
      field += text_[pos_];
    }
    return true;
  }

  bool read_quoted(std::string& field, std::string& error) {
    size_t opened = line_;
    for (++pos_; pos_ < text_.size(); ++pos_) {
      char c = text_[pos_];
      if (c == '\n') ++line_;
      if (c != '"') {
        field += c;
      } else if (text_.substr(pos_, 2) == "\"\"") {
        field += '"';
        ++pos_;
      } else {
        ++pos_;
        if (pos_ < text_.size() && text_[pos_] != ',' && !at_line_end()) {
          error = "line " + std::to_string(line_) +
                  ": a quoted field must end at a comma or the end of the line";
          return false;
        }
        return true;
      }
    }
    error = "line " + std::to_string(opened) + ": the quoted field opened here never closes";
    return false;
  }

  std::string_view text_;
  size_t pos_ = 0;
  size_t line_ = 1;
};

}  // namespace

bool parse_csv(std::string_view text, std::vector<CsvRecord>& out, std::string& error) {
  return Reader(text).run(out, error);
}

}  // namespace nutrition
