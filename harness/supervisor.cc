#include "harness/supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

extern char** environ;

namespace sendpath::harness {
namespace {

constexpr std::size_t kStderrTailBytes = 4096;

std::string Errno(std::string_view what) { return std::string(what) + ": " + std::strerror(errno); }

int RemainingMs(ChildProcess::Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - ChildProcess::Clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(left.count());
}

}  // namespace

std::string ChildExit::Describe() const {
  if (!signaled) return "exited with status " + std::to_string(code);
  const char* name = sigabbrev_np(signal);
  return "killed by signal " + std::to_string(signal) + (name != nullptr ? std::string(" (SIG") + name + ")" : "");
}

ChildProcess::~ChildProcess() { Kill(); }

int ChildProcess::PollMs(Clock::time_point deadline) const {
  const int left = RemainingMs(deadline);
  if (stop_ == nullptr) return left;
  return std::min(left, static_cast<int>(kStopPollInterval.count()));
}

CandidateError ChildProcess::Interrupted() {
  Kill();
  return CandidateError{"interrupted: the run was stopped (candidate killed)"};
}

void ChildProcess::CloseFds() {
  if (io_fd_ >= 0) close(io_fd_);
  if (stderr_fd_ >= 0) close(stderr_fd_);
  io_fd_ = stderr_fd_ = -1;
  pending_.clear();
}

Outcome<Done> ChildProcess::Start(const std::vector<std::string>& argv) {
  Kill();
  stderr_tail_.clear();
  if (argv.empty()) return CandidateError{"no command to run"};
  int io[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, io) != 0) return CandidateError{Errno("socketpair")};
  int err[2];
  if (pipe2(err, O_CLOEXEC) != 0) {
    close(io[0]);
    close(io[1]);
    return CandidateError{Errno("pipe2")};
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, io[1], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, io[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setpgroup(&attributes, 0);
  sigset_t default_signals;
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGPIPE);
  posix_spawnattr_setsigdefault(&attributes, &default_signals);
  sigset_t no_signals;
  sigemptyset(&no_signals);
  posix_spawnattr_setsigmask(&attributes, &no_signals);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, args[0], &actions, &attributes, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  close(io[1]);
  close(err[1]);
  if (rc != 0) {
    close(io[0]);
    close(err[0]);
    return CandidateError{"cannot start " + argv[0] + ": " + std::strerror(rc)};
  }
  pid_ = pid;
  io_fd_ = io[0];
  stderr_fd_ = err[0];
  fcntl(io_fd_, F_SETFL, fcntl(io_fd_, F_GETFL) | O_NONBLOCK);
  fcntl(stderr_fd_, F_SETFL, fcntl(stderr_fd_, F_GETFL) | O_NONBLOCK);
  return Done{};
}

void ChildProcess::DrainStderr() {
  if (stderr_fd_ < 0) return;
  char buffer[4096];
  for (;;) {
    const ssize_t n = read(stderr_fd_, buffer, sizeof buffer);
    if (n > 0) {
      stderr_tail_.append(buffer, static_cast<std::size_t>(n));
      if (stderr_tail_.size() > kStderrTailBytes) stderr_tail_.erase(0, stderr_tail_.size() - kStderrTailBytes);
      continue;
    }
    if (n == 0) {  // the child closed stderr
      close(stderr_fd_);
      stderr_fd_ = -1;
    }
    return;
  }
}

std::string ChildProcess::StderrTail() const {
  std::string tail = stderr_tail_;
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r' || tail.back() == ' ')) tail.pop_back();
  const auto last_break = tail.rfind('\n');
  if (last_break != std::string::npos) tail.erase(0, last_break + 1);
  for (char& c : tail) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) == 0x7f) c = ' ';
  }
  if (tail.size() > 200) tail = "..." + tail.substr(tail.size() - 200);
  return tail;
}

std::string ChildProcess::DescribeEnd(const std::optional<ChildExit>& exit) const {
  std::string text = exit ? exit->Describe() : std::string("closed its output");
  const std::string tail = StderrTail();
  if (!tail.empty()) text += "; stderr: " + tail;
  return text;
}

std::optional<ChildExit> ChildProcess::Reap(std::chrono::milliseconds wait) {
  if (pid_ <= 0) return std::nullopt;
  const auto deadline = Clock::now() + wait;
  for (;;) {
    int status = 0;
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      pid_ = -1;
      ChildExit exit;
      if (WIFSIGNALED(status)) {
        exit.signaled = true;
        exit.signal = WTERMSIG(status);
      } else {
        exit.code = WEXITSTATUS(status);
      }
      return exit;
    }
    if (done < 0 && errno != EINTR) {
      pid_ = -1;
      return std::nullopt;
    }
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

std::optional<ChildExit> ChildProcess::Kill() {
  if (pid_ <= 0) {
    CloseFds();
    return std::nullopt;
  }
  kill(-pid_, SIGKILL);
  kill(pid_, SIGKILL);
  DrainStderr();
  auto exit = Reap(std::chrono::seconds(5));
  CloseFds();
  return exit;
}

std::optional<ChildExit> ChildProcess::Finish(std::chrono::milliseconds grace) {
  if (pid_ <= 0) {
    CloseFds();
    return std::nullopt;
  }
  if (io_fd_ >= 0) shutdown(io_fd_, SHUT_WR);
  auto exit = Reap(grace);
  if (!exit) return Kill();
  DrainStderr();
  CloseFds();
  return exit;
}

Outcome<Done> ChildProcess::WriteLine(std::string_view line, std::chrono::milliseconds timeout) {
  if (pid_ <= 0 || io_fd_ < 0) return CandidateError{"candidate is not running"};
  std::string data(line);
  data.push_back('\n');
  const auto deadline = Clock::now() + timeout;
  std::size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = send(io_fd_, data.data() + written, data.size() - written, MSG_NOSIGNAL);
    if (n > 0) {
      written += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (StopRequested()) return Interrupted();
      pollfd fds[2] = {{io_fd_, POLLOUT, 0}, {stderr_fd_, POLLIN, 0}};
      const int left = RemainingMs(deadline);
      if (left == 0) {
        auto exit = Kill();
        return CandidateError{"did not read its input within " + std::to_string(timeout.count()) + " ms (" +
                              DescribeEnd(exit) + " after SIGKILL)"};
      }
      poll(fds, stderr_fd_ >= 0 ? 2 : 1, PollMs(deadline));
      DrainStderr();
      continue;
    }
    // EPIPE / ECONNRESET: the child is gone.
    DrainStderr();
    auto exit = Reap(std::chrono::seconds(2));
    if (!exit) exit = Kill();
    CloseFds();
    return CandidateError{"exited early: " + DescribeEnd(exit)};
  }
  return Done{};
}

Outcome<std::string> ChildProcess::ReadLine(std::chrono::milliseconds timeout, std::size_t max_bytes) {
  if (pid_ <= 0 || io_fd_ < 0) return CandidateError{"candidate is not running"};
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const auto newline = pending_.find('\n');
    if (newline != std::string::npos) {
      std::string line = pending_.substr(0, newline);
      pending_.erase(0, newline + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    }
    if (pending_.size() > max_bytes) {
      auto exit = Kill();
      (void)exit;
      return CandidateError{"garbage reply: a line longer than " + std::to_string(max_bytes) + " bytes"};
    }
    char buffer[65536];
    const ssize_t n = recv(io_fd_, buffer, sizeof buffer, 0);
    if (n > 0) {
      pending_.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      // End of output: the child exited (or closed stdout, which we treat the same way).
      DrainStderr();
      auto exit = Reap(std::chrono::seconds(2));
      if (!exit) exit = Kill();
      CloseFds();
      return CandidateError{"exited early: " + DescribeEnd(exit)};
    }
    if (n < 0 && errno == EINTR) continue;
    if (StopRequested()) return Interrupted();
    const int left = RemainingMs(deadline);
    if (left == 0) {
      auto exit = Kill();
      (void)exit;  // our SIGKILL; what matters is the hang
      std::string reason = "hang: no reply within " + std::to_string(timeout.count()) + " ms (killed)";
      const std::string tail = StderrTail();
      if (!tail.empty()) reason += "; stderr: " + tail;
      return CandidateError{reason};
    }
    pollfd fds[2] = {{io_fd_, POLLIN, 0}, {stderr_fd_, POLLIN, 0}};
    poll(fds, stderr_fd_ >= 0 ? 2 : 1, PollMs(deadline));
    DrainStderr();
  }
}

}  // namespace sendpath::harness
