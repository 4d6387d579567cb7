// Graceful shutdown on SIGINT/SIGTERM.
//
// A self-pipe per ShutdownSignal: the process-wide handler (installed once, async-signal-safe) writes one
// byte to every registered pipe, so requested() and wait_for() are plain fd checks with no polling loop.
// The handler also ignores SIGPIPE process-wide: a closed socket must surface as an error, not a kill.
#pragma once

#include <atomic>
#include <chrono>

namespace peregrine {

class ShutdownSignal {
 public:
  /// Installs the handlers on first construction. At most 16 instances may exist at once (throws beyond).
  ShutdownSignal();
  ~ShutdownSignal();
  ShutdownSignal(const ShutdownSignal&) = delete;
  ShutdownSignal& operator=(const ShutdownSignal&) = delete;

  /// True once a signal arrived (after this instance was created) or request() was called.
  bool requested() const;
  /// Waits up to `timeout`; true if shutdown was requested.
  bool wait_for(std::chrono::milliseconds timeout) const;
  /// Requests shutdown programmatically (tests, fatal errors in a worker).
  void request();
  /// (Re)installs the SIGINT/SIGTERM handlers and ignores SIGPIPE. The constructor does this once; call it
  /// again only if something else replaced the handlers since (e.g. a test framework's crash handlers).
  static void install_handlers();
  /// The last signal number received by the process (0 if none).
  static int last_signal();

 private:
  int read_fd_ = -1;
  int write_fd_ = -1;
  int slot_ = -1;
};

}  // namespace peregrine
