// Status and Result: errors a caller must handle, as values (DESIGN.md "Code conventions").
#pragma once

#include <string>
#include <utility>

namespace aiw {

// Ok, or a sentence a person can act on.
class Status {
 public:
  Status() = default;
  static Status error(std::string message) { return Status(std::move(message)); }
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const std::string& message() const { return message_; }

 private:
  explicit Status(std::string message) : ok_(false), message_(std::move(message)) {}
  bool ok_ = true;
  std::string message_;
};

// A value or an error sentence. T must be default-constructible (kept simple on purpose: plain
// members avoid g++ 12's false maybe-uninitialized warnings on std::variant).
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status error) : status_(std::move(error)) {}  // NOLINT
  bool ok() const { return status_.ok(); }
  explicit operator bool() const { return ok(); }
  T& value() { return value_; }
  const T& value() const { return value_; }
  T& operator*() { return value_; }
  T* operator->() { return &value_; }
  const std::string& error() const { return status_.message(); }
  const Status& status() const { return status_; }

 private:
  T value_{};
  Status status_;
};

}  // namespace aiw
