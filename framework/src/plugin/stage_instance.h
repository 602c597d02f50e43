// StageInstance: one stage of one pipeline, made by its plugin's create() and destroyed by its
// destroy(), exactly once, whatever path the owner takes.
#pragma once

#include <aiw/abi.h>

#include <string_view>
#include <utility>

namespace aiw::plugin {

// Owns the opaque instance a plugin made. Move-only. Must not outlive the PluginRegistry that
// loaded the plugin (the registry keeps the library mapped).
class StageInstance {
 public:
  StageInstance() = default;
  StageInstance(const aiw_stage_type* type, void* instance) : type_(type), instance_(instance) {}
  StageInstance(StageInstance&& other) noexcept { swap(other); }
  StageInstance& operator=(StageInstance&& other) noexcept {
    StageInstance(std::move(other)).swap(*this);
    return *this;
  }
  StageInstance(const StageInstance&) = delete;
  StageInstance& operator=(const StageInstance&) = delete;
  ~StageInstance() { reset(); }

  explicit operator bool() const { return instance_ != nullptr; }
  const aiw_stage_type* type() const { return type_; }
  void* get() const { return instance_; }

  // Runs the stage for one job (see aiw_stage_type::invoke: it may end the call later).
  void invoke(aiw_call* call, std::string_view params_json) const {
    type_->invoke(instance_, call, params_json.data(), params_json.size());
  }

  void reset() noexcept;

 private:
  void swap(StageInstance& other) noexcept {
    std::swap(type_, other.type_);
    std::swap(instance_, other.instance_);
  }
  const aiw_stage_type* type_ = nullptr;
  void* instance_ = nullptr;
};

}  // namespace aiw::plugin
