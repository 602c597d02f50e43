// Reading a YOLO service's answer: the envelope we standardise on (protocols.md 3.1) and the
// variants real services send (3.2), all turned into one list of detections.
#pragma once

#include <aiw/json.h>

#include <optional>
#include <string>
#include <vector>

namespace yolo {

struct Box {
  double x1 = 0, y1 = 0, x2 = 0, y2 = 0;
};

struct Detection {
  std::string label;
  double confidence = 0;
  std::optional<Box> box;  // classification models give none
};

// The detections in a response body, or nullopt when it holds no recognisable list. When it
// holds one with a field of the wrong type, also a sentence in `problem` naming the field
// ("scores[1] is not a number").
std::optional<std::vector<Detection>> parse_detections(const aiw::JsonValue& body,
                                                       std::string& problem);

}  // namespace yolo
