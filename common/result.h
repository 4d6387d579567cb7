// A small std::expected stand-in (the toolchain is C++20): hot paths return Result<T> instead of throwing.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace peregrine {

/// What kind of failure an Error is, so that callers decide by kind, never by matching message text.
enum class ErrorCode : uint8_t {
  kUnknown = 0,  // not classified
  kInvalid,      // bad input or configuration: retrying the same thing fails the same way
  kQueueFull,    // a bounded queue or disk budget is exhausted: retry later
  kIo,           // a local I/O or system call failed
  kUnavailable,  // a peer or resource is not reachable right now
  kTimeout,      // no answer in time
};

struct Error {
  std::string message;
  ErrorCode code = ErrorCode::kUnknown;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}            // NOLINT: implicit by design
  Result(Error e) : v_(std::move(e)) {}                 // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error e) : err_(std::move(e)), ok_(false) {}   // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return err_; }

 private:
  Error err_;
  bool ok_ = true;
};

inline Error make_error(std::string msg, ErrorCode code = ErrorCode::kUnknown) { return Error{std::move(msg), code}; }

}  // namespace peregrine
