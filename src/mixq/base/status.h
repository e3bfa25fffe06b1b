// Status and Result<T>: how library code reports expected failures (bad files, bad shapes,
// unsupported fields). Library code never prints, exits or throws across its API; messages
// start with where the failure happened: "[safetensors] model.safetensors: 'x.weight': ...".
#pragma once

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <variant>

namespace mixq {

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  static Status Ok() { return Status(); }
  static Status Error(std::string message) { return Status(std::move(message), true); }

  bool ok() const { return !failed_; }
  const std::string& message() const { return message_; }

  // Prepends context ("while loading X: ") to an error; no-op on ok.
  Status WithContext(const std::string& context) const {
    return ok() ? *this : Error(context + ": " + message_);
  }

 private:
  Status(std::string message, bool failed) : message_(std::move(message)), failed_(failed) {}
  std::string message_;
  bool failed_ = false;
};

// Formats an error Status: Err("[gguf] {}: bad magic", path).
template <typename... Args>
Status Err(fmt::format_string<Args...> format, Args&&... args) {
  return Status::Error(fmt::format(format, std::forward<Args>(args)...));
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : value_(std::move(status)) {  // NOLINT
    if (std::get<Status>(value_).ok()) std::abort();   // a Result error must be an error
  }

  bool ok() const { return std::holds_alternative<T>(value_); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(value_); }
  const std::string& message() const { return std::get<Status>(value_).message(); }

  T& value() & { return std::get<T>(value_); }
  const T& value() const& { return std::get<T>(value_); }
  T&& value() && { return std::get<T>(std::move(value_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> value_;
};

}  // namespace mixq

#define MIXQ_CONCAT_INNER(a, b) a##b
#define MIXQ_CONCAT(a, b) MIXQ_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function if expr fails.
#define MIXQ_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::mixq::Status _mixq_status = (expr);        \
    if (!_mixq_status.ok()) return _mixq_status; \
  } while (0)

// MIXQ_ASSIGN_OR_RETURN(auto x, MakeX()); binds the value or returns the error.
#define MIXQ_ASSIGN_OR_RETURN(lhs, expr) MIXQ_ASSIGN_OR_RETURN_IMPL(MIXQ_CONCAT(_mixq_result_, __LINE__), lhs, expr)
#define MIXQ_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()

// Invariant violations (programming errors, not bad input) abort with file:line.
#define MIXQ_CHECK(cond)                                                          \
  do {                                                                            \
    if (!(cond)) {                                                                \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                               \
    }                                                                             \
  } while (0)
