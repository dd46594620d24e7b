#include "exec/runtime.h"

#include <algorithm>
#include <thread>

#include "exec/progress_printer.h"
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

Runtime::Runtime(SchedulerOptions options)
    : options_(validated(std::move(options))),
      root_(options_.job_name),
      transfers_("file transfers (ftj)", options_.file_transfer_jobs),
      requests_("storage requests (jobs)", options_.jobs),
      cpu_pool_(std::make_unique<ThreadPool>("cpu", options_.cpu_threads)),
      io_pool_(std::make_unique<ThreadPool>("io", options_.jobs)) {
  if (options_.progress != ProgressVerbosity::kOff) {
    sinks_.push_back(std::make_unique<ProgressPrinter>(root_, options_.progress, options_.progress_output,
                                                       options_.progress_interval_seconds));
  }
  ProgressSource source{root_, [this] { return resource_use(); }};
  for (const auto& make : options_.progress_sinks) sinks_.push_back(make(source));
}

Runtime::~Runtime() {
  // Explicit, although member order gives the same: the io pool first, since
  // its tasks may still submit hashing to the cpu pool while draining.
  io_pool_.reset();
  cpu_pool_.reset();
  // Tell the final report why the work stopped short.
  if (token_.cancelled() && root_.status().empty()) root_.set_status("cancelled");
  root_.set_finished();
  sinks_.clear();
}

Throttle& Runtime::connections(const std::string& resource, size_t limit) {
  std::lock_guard lock(connections_mu_);
  auto& slot = connections_[resource];
  if (!slot) slot = std::make_unique<Throttle>("connections to " + resource, std::max<size_t>(1, limit));
  return *slot;
}

std::vector<ResourceUse> Runtime::resource_use() {
  std::vector<ResourceUse> use;
  auto add = [&](const Throttle& t) { use.push_back({t.name(), t.limit(), t.in_use(), t.waiting()}); };
  add(transfers_);
  add(requests_);
  std::lock_guard lock(connections_mu_);
  for (const auto& [name, throttle] : connections_) add(*throttle);
  return use;
}

}  // namespace wrapp::exec
