// Where progress goes while work runs.
//
// The work only adds to counters of a ProgressJob tree (exec/progress.h);
// who looks at them is a sink's business. The terminal display
// (progress_printer.h) is one sink; a face that reports to its caller (the
// Python API's progress_report_callback) uses a PeriodicProgressReporter,
// which hands out snapshots of the tree at a fixed interval. A sink lives
// as long as the work it observes: the Runtime builds its sinks when it
// starts and destroys them once the work is over, which is when a sink
// gives its last report.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "exec/progress.h"

namespace wrapp::exec {

// One limited resource shared by all the work (a Throttle): how many tasks
// use it and how many wait for it.
struct ResourceUse {
  std::string name;  // "file transfers (ftj)", "connections to local file system"
  size_t limit = 0;
  size_t processing = 0;
  size_t waiting = 0;
};

// A job's state at one instant, with its sub-jobs. Counters include the
// sub-jobs' work, not their passes (as ProgressJob's do). Each counter only
// grows, so successive snapshots of one job never run backwards.
struct ProgressSnapshot {
  std::string name;
  std::string phase;  // "copying", "planning", ...; "" for none
  bool pass = false;  // JobKind::kPass: its counts are not in its parent's
  std::string status;  // "", "failed", "cancelled"
  bool finished = false;
  double elapsed_seconds = 0;
  uint64_t done_tasks = 0;
  uint64_t total_tasks = 0;
  uint64_t done_bytes = 0;
  uint64_t total_bytes = 0;
  // The shared resources, on the root snapshot only: a task's throttle
  // slot is not tied to its job, so use per job is not known.
  std::vector<ResourceUse> resources;
  std::vector<ProgressSnapshot> sub_jobs;
};

// Done is read before total, so a snapshot never shows more done than total.
ProgressSnapshot take_snapshot(const ProgressJob& job);

// What a sink observes: the root job and the use of the shared resources.
struct ProgressSource {
  ProgressJob& root;
  std::function<std::vector<ResourceUse>()> resources;
};

class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
};

// Builds a sink when the work starts; the Runtime owns what it returns.
using ProgressSinkFactory = std::function<std::unique_ptr<ProgressSink>(const ProgressSource&)>;

// Calls `report` with a snapshot of the root every `interval` (as often as
// every 10 ms for an interval of 0), and once more, finished, when
// destroyed. `report` runs on the reporter's own thread, never two at once;
// an exception it throws is logged once as a warning and later reports go on.
class PeriodicProgressReporter : public ProgressSink {
 public:
  using Report = std::function<void(const ProgressSnapshot&)>;
  PeriodicProgressReporter(ProgressSource source, std::chrono::duration<double> interval, Report report);
  ~PeriodicProgressReporter() override;

  // The factory for SchedulerOptions::progress_sinks.
  static ProgressSinkFactory factory(std::chrono::duration<double> interval, Report report);

 private:
  void run();
  void report_now();

  ProgressSource source_;
  const std::chrono::duration<double> interval_;
  const Report report_;
  bool warned_ = false;  // used by the reporting thread only, then by the destructor
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;  // last: started after everything it reads
};

}  // namespace wrapp::exec
