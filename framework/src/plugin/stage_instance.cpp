#include "plugin/stage_instance.h"

#include <exception>
#include <string>

#include "plugin/registry.h"

namespace aiw::plugin {

void StageInstance::reset() noexcept {
  if (instance_ == nullptr) return;
  // A raw C++ plugin (one not built on the SDK) may throw through destroy(); a destructor
  // must not let that escape.
  try {
    type_->destroy(instance_);
  } catch (...) {
  }
  instance_ = nullptr;
  type_ = nullptr;
}

Result<StageInstance> PluginRegistry::create_instance(const StageTypeInfo& type,
                                                      std::string_view with_json) {
  constexpr size_t kErrorCap = 1024;
  char error[kErrorCap] = {};
  void* instance = nullptr;
  std::string what = "stage type " + type.name + " (plugin " + type.plugin_file + ")";
  // The SDK catches constructor exceptions itself; a raw C++ plugin might not.
  try {
    instance = type.raw->create(with_json.data(), with_json.size(), error, kErrorCap);
  } catch (const std::exception& e) {
    return Status::error(what + " threw while creating an instance: " + e.what());
  } catch (...) {
    return Status::error(what + " threw a non-standard exception while creating an instance");
  }
  if (instance == nullptr) {
    error[kErrorCap - 1] = '\0';  // a careless plugin may fill the buffer without a NUL
    std::string reason = error[0] != '\0' ? error : "it gave no reason";
    return Status::error(what + " could not create an instance: " + reason);
  }
  return StageInstance(type.raw, instance);
}

}  // namespace aiw::plugin
