// Finding the JSON object inside a language model's answer.
//
// Models wrap their JSON in prose ("Here is the analysis: {...} Let me know..."), in Markdown
// fences (```json ... ```), or answer with bare JSON. extract_json_object() accepts all three.
#pragma once

#include <aiw/json.h>

#include <string>
#include <string_view>

namespace parse {

// Why no object came out of the text; the message is a sentence for the job's error.
struct ExtractResult {
  bool ok = false;
  std::string error;
};

// Puts into out the first JSON object found in text, trying in order:
//   1. the whole text (trimmed), when it is JSON: an object is the answer; an array or a bare
//      value is an error (an object inside it would be a fragment, not the answer);
//   2. the content of each Markdown fence (``` or ```json ... ```), first object inside it;
//   3. each top-level balanced {...} of the text, in order: braces inside JSON strings and
//      escaped quotes do not count; a candidate that is not valid JSON is skipped, and nested
//      objects of a skipped candidate are never tried (they would be fragments of it).
// Comments and trailing commas, frequent in model output, are accepted.
ExtractResult extract_json_object(std::string_view text, aiw::Json& out);

// The first n characters (UTF-8 code points) of text, with "..." when cut, on one line.
std::string preview(std::string_view text, size_t n);

}  // namespace parse
