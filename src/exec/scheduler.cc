#include "exec/scheduler.h"

#include <algorithm>
#include <thread>

#include "util/error.h"

namespace wrapp::exec {

namespace {

// Checked before any member is built, so the user sees the option's name
// rather than the name of an internal throttle.
SchedulerOptions validated(SchedulerOptions options) {
  if (options.jobs == 0) fail("--jobs must be at least 1");
  if (options.file_transfer_jobs == 0) fail("--file-transfer-jobs must be at least 1");
  if (options.cpu_threads == 0) {
    // hardware_concurrency() may return 0 when it cannot tell.
    options.cpu_threads = std::max(1u, std::thread::hardware_concurrency());
  }
  return options;
}

}  // namespace

Scheduler::Scheduler(SchedulerOptions options)
    : options_(validated(options)),
      root_("total"),
      transfers_("file transfers (ftj)", options_.file_transfer_jobs),
      requests_("storage requests (jobs)", options_.jobs),
      cpu_pool_(std::make_unique<ThreadPool>("cpu", options_.cpu_threads)),
      io_pool_(std::make_unique<ThreadPool>("io", options_.jobs)) {
  if (options_.progress != ProgressVerbosity::kOff) {
    printer_ = std::make_unique<ProgressPrinter>(root_, options_.progress, options_.progress_output);
  }
}

Scheduler::~Scheduler() {
  // Explicit, although member order gives the same: the io pool first, since
  // its tasks may still submit hashing to the cpu pool while draining.
  io_pool_.reset();
  cpu_pool_.reset();
  // Tell the final progress line why the work stopped short.
  if (token_.cancelled() && root_.status().empty()) root_.set_status("cancelled");
  root_.set_finished();
  printer_.reset();
}

}  // namespace wrapp::exec

namespace wrapp::exec {

Throttle& Scheduler::connections(const std::string& resource, size_t limit) {
  std::lock_guard lock(connections_mu_);
  auto& slot = connections_[resource];
  if (!slot) slot = std::make_unique<Throttle>("connections to " + resource, std::max<size_t>(1, limit));
  return *slot;
}

}  // namespace wrapp::exec
