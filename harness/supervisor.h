// Runs a candidate as a child process and talks to it in lines, with a deadline on every
// exchange. Whatever the child does (crashes, hangs, prints garbage, exits, floods stderr) the
// harness gets a value back: a line, or the reason there is none.
//
// The child's stdin and stdout are one end of a socketpair (writes use MSG_NOSIGNAL, so a dead
// child never raises SIGPIPE in the harness); its stderr is a pipe whose last few KiB are kept
// for diagnoses. The child leads its own process group, so a hang is ended with SIGKILL to the
// whole group. posix_spawn keeps this safe in the multi-threaded runner (--jobs).
#pragma once

#include "harness/outcome.h"

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sendpath::harness {

// How a child ended.
struct ChildExit {
  bool signaled = false;
  int code = 0;    // exit status when !signaled
  int signal = 0;  // terminating signal when signaled
  // "exited with status 3", "killed by signal 11 (SIGSEGV)"
  std::string Describe() const;
};

class ChildProcess {
 public:
  using Clock = std::chrono::steady_clock;

  ChildProcess() = default;
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // While `stop` is set (SIGINT/SIGTERM), every wait ends within kStopPollInterval: the child is
  // killed and the exchange fails with a reason starting "interrupted".
  void SetStopFlag(const std::atomic<bool>* stop) { stop_ = stop; }
  static constexpr std::chrono::milliseconds kStopPollInterval{50};

  // Starts argv[0] (searched in PATH when it has no '/'). Any running child is killed first.
  Outcome<Done> Start(const std::vector<std::string>& argv);
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  // Writes `line` and a newline within `timeout`.
  Outcome<Done> WriteLine(std::string_view line, std::chrono::milliseconds timeout);
  // Reads one line (without its newline) within `timeout`. On end of output the child is reaped
  // and the reason says how it ended; on timeout the child is killed. Lines longer than
  // `max_bytes` are garbage: the child is killed.
  Outcome<std::string> ReadLine(std::chrono::milliseconds timeout, std::size_t max_bytes);

  // SIGKILL to the child's process group, then reaps it. Returns how it ended (nullopt when no
  // child was running).
  std::optional<ChildExit> Kill();
  // Closes the child's stdin and waits up to `grace` for it to exit, then kills it.
  std::optional<ChildExit> Finish(std::chrono::milliseconds grace);

  // The last bytes the child wrote to stderr, on one line ("" when none).
  std::string StderrTail() const;

 private:
  void DrainStderr();
  std::optional<ChildExit> Reap(std::chrono::milliseconds wait);
  void CloseFds();
  std::string DescribeEnd(const std::optional<ChildExit>& exit) const;
  bool StopRequested() const { return stop_ != nullptr && stop_->load(); }
  // How long one poll may wait: the time left, in slices when a stop flag is watched.
  int PollMs(Clock::time_point deadline) const;
  // Kills the child after a stop: the error of the interrupted exchange.
  CandidateError Interrupted();

  pid_t pid_ = -1;
  int io_fd_ = -1;      // our end of the socketpair (child's stdin + stdout)
  int stderr_fd_ = -1;  // read end of the child's stderr pipe
  std::string pending_;  // bytes read past the last line
  std::string stderr_tail_;
  const std::atomic<bool>* stop_ = nullptr;
};

}  // namespace sendpath::harness
