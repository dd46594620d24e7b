// One command's view of the shared Runtime (runtime.h): the pools and
// throttles are the runtime's, the cancellation token and the progress job
// are the command's own. So commands running at once on one runtime are
// cancelled one by one (the Python API cancels an awaiting task) and
// reported each under its own job, while staying within the same limits.
#pragma once

#include <memory>
#include <string>

#include "exec/cancellation.h"
#include "exec/progress.h"
#include "exec/runtime.h"
#include "exec/thread_pool.h"
#include "exec/throttle.h"

namespace wrapp::exec {

class Scheduler {
 public:
  // A runtime of its own, whose token and root job are this scheduler's:
  // one command alone (tests, tools). FailedCommand if jobs or
  // file_transfer_jobs is 0.
  explicit Scheduler(SchedulerOptions options);
  // A view of `runtime` with `token` (a child of the runtime's, or of
  // another scheduler's) and `job` (the runtime's root, or a job under it).
  Scheduler(Runtime& runtime, CancellationToken token, ProgressJob& job);
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;
  // Gives the job the status "cancelled" when the token was (and it has no
  // other), and marks it finished unless it is the runtime's root, which
  // the runtime finishes. An own runtime is then destroyed (joins the pools,
  // prints the final progress line).
  ~Scheduler();

  const SchedulerOptions& options() const { return runtime_.options(); }
  Runtime& runtime() { return runtime_; }

  ThreadPool& io_pool() { return runtime_.io_pool(); }
  ThreadPool& cpu_pool() { return runtime_.cpu_pool(); }
  Throttle& transfers() { return runtime_.transfers(); }
  Throttle& requests() { return runtime_.requests(); }
  Throttle& connections(const std::string& resource, size_t limit) {
    return runtime_.connections(resource, limit);
  }

  // The command's token: cancelled by its caller, by the runtime's (Ctrl-C)
  // or by the first failing task of a group using it.
  CancellationToken token() const { return token_; }

  // The command's job.
  ProgressJob& root_job() { return job_; }
  // A new child of the command's job, e.g. ("install pkg 1.0", "copying")
  // for a phase. Each call makes a new job, even for a name used before.
  ProgressJob& sub_job(std::string name, std::string phase = {}, JobKind kind = JobKind::kWork) {
    return *job_.add_child(std::move(name), std::move(phase), kind);
  }

 private:
  std::unique_ptr<Runtime> own_runtime_;
  Runtime& runtime_;
  CancellationToken token_;
  ProgressJob& job_;
};

}  // namespace wrapp::exec
