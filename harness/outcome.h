// A value or the reason a candidate could not produce it. Candidate errors (crash, hang, garbage,
// early exit, refused handshake) travel as values: nothing in the harness throws on them.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace sendpath::harness {

struct CandidateError {
  std::string reason;  // one line: "killed by signal 11 (SIGSEGV) during send", "no reply within 5000 ms"
};

// Outcome<T>: T on success, CandidateError otherwise.
template <class T>
class Outcome {
 public:
  Outcome(T value) : value_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Outcome(CandidateError error) : value_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return value_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& operator*() { return std::get<0>(value_); }
  const T& operator*() const { return std::get<0>(value_); }
  T* operator->() { return &std::get<0>(value_); }
  const T* operator->() const { return &std::get<0>(value_); }
  const CandidateError& error() const { return std::get<1>(value_); }

 private:
  std::variant<T, CandidateError> value_;
};

struct Done {};  // the value of an operation that returns nothing

}  // namespace sendpath::harness
