#include "detections.h"

#include <array>
#include <cmath>

namespace yolo {
namespace {

const aiw::JsonValue* member(const aiw::JsonValue& v, const char* name) {
  return aiw::find_member(v, name);
}

std::optional<double> number(const aiw::JsonValue& v, const char* name) {
  const aiw::JsonValue* m = member(v, name);
  if (m && m->IsNumber()) return m->GetDouble();
  return std::nullopt;
}

// A box as {x1,y1,x2,y2}, {xmin,ymin,xmax,ymax} or [x1,y1,x2,y2].
std::optional<Box> read_box(const aiw::JsonValue& v) {
  if (v.IsArray() && v.Size() == 4) {
    for (const auto& c : v.GetArray())
      if (!c.IsNumber()) return std::nullopt;
    return Box{v[0].GetDouble(), v[1].GetDouble(), v[2].GetDouble(), v[3].GetDouble()};
  }
  for (auto names : {std::array{"x1", "y1", "x2", "y2"}, std::array{"xmin", "ymin", "xmax", "ymax"}}) {
    auto x1 = number(v, names[0]), y1 = number(v, names[1]);
    auto x2 = number(v, names[2]), y2 = number(v, names[3]);
    if (x1 && y1 && x2 && y2) return Box{*x1, *y1, *x2, *y2};
  }
  return std::nullopt;
}

std::string class_id_text(double id) {
  return std::to_string(static_cast<long long>(std::llround(id)));
}

// One item: name from `name`, `label` or a string `class`; a numeric class alone names it.
std::optional<Detection> read_item(const aiw::JsonValue& item) {
  if (!item.IsObject()) return std::nullopt;
  Detection d;
  const aiw::JsonValue* cls = member(item, "class");
  if (const auto* n = member(item, "name"); n && n->IsString()) d.label = n->GetString();
  else if (const auto* l = member(item, "label"); l && l->IsString()) d.label = l->GetString();
  else if (cls && cls->IsString()) d.label = cls->GetString();
  else if (cls && cls->IsNumber()) d.label = class_id_text(cls->GetDouble());
  else return std::nullopt;
  auto confidence = number(item, "confidence");
  if (!confidence) confidence = number(item, "score");
  if (!confidence) confidence = number(item, "conf");
  d.confidence = confidence.value_or(0);
  if (const auto* box = member(item, "box")) d.box = read_box(*box);
  else d.box = read_box(item);  // YOLOv5 pandas style keeps xmin.. on the item
  return d;
}

std::optional<std::vector<Detection>> read_list(const aiw::JsonValue& list) {
  std::vector<Detection> out;
  for (const auto& item : list.GetArray()) {
    if (auto d = read_item(item)) out.push_back(std::move(*d));
  }
  if (out.empty() && !list.Empty()) return std::nullopt;  // a list, but not of detections
  return out;
}

// {"boxes":[[..]],"classes":[0.0],"scores":[0.91]} with optional "names" (array or id map).
std::optional<std::vector<Detection>> read_columns(const aiw::JsonValue& body, std::string& problem) {
  const auto* boxes = member(body, "boxes");
  const auto* classes = member(body, "classes");
  const auto* scores = member(body, "scores");
  if (!boxes || !classes || !scores || !boxes->IsArray() || !classes->IsArray() ||
      !scores->IsArray() || boxes->Size() != classes->Size() || scores->Size() != classes->Size()) {
    return std::nullopt;
  }
  const auto* names = member(body, "names");
  std::vector<Detection> out;
  for (rapidjson::SizeType i = 0; i < classes->Size(); ++i) {
    Detection d;
    const auto& c = (*classes)[i];
    const auto& score = (*scores)[i];
    if (!c.IsString() && !c.IsNumber()) {
      problem = "classes[" + std::to_string(i) + "] is neither a number nor a name";
      return std::nullopt;
    }
    if (!score.IsNumber()) {
      problem = "scores[" + std::to_string(i) + "] is not a number";
      return std::nullopt;
    }
    if (c.IsString()) {
      d.label = c.GetString();
    } else {
      d.label = class_id_text(c.GetDouble());
      const aiw::JsonValue* name = nullptr;
      auto index = static_cast<rapidjson::SizeType>(std::llround(c.GetDouble()));
      if (names && names->IsArray() && index < names->Size()) name = &(*names)[index];
      if (names && names->IsObject()) name = member(*names, d.label.c_str());
      if (name && name->IsString()) d.label = name->GetString();
    }
    d.confidence = score.GetDouble();
    d.box = read_box((*boxes)[i]);
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace

std::optional<std::vector<Detection>> parse_detections(const aiw::JsonValue& body,
                                                       std::string& problem) {
  if (body.IsArray()) return read_list(body);
  if (!body.IsObject()) return std::nullopt;
  if (const auto* images = member(body, "images"); images && images->IsArray()) {
    if (images->Empty()) return std::vector<Detection>{};
    if (const auto* results = member((*images)[0], "results"); results && results->IsArray())
      return read_list(*results);
  }
  for (const char* name : {"predictions", "detections", "results"}) {
    if (const auto* list = member(body, name); list && list->IsArray()) return read_list(*list);
  }
  return read_columns(body, problem);
}

}  // namespace yolo
