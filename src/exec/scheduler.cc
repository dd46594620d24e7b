#include "exec/scheduler.h"

namespace wrapp::exec {

Scheduler::Scheduler(SchedulerOptions options)
    : own_runtime_(std::make_unique<Runtime>(std::move(options))),
      runtime_(*own_runtime_),
      token_(runtime_.token()),
      job_(runtime_.root_job()) {}

Scheduler::Scheduler(Runtime& runtime, CancellationToken token, ProgressJob& job)
    : runtime_(runtime), token_(std::move(token)), job_(job) {}

Scheduler::~Scheduler() {
  if (own_runtime_) {
    own_runtime_.reset();  // the runtime's token is ours: it sets the status
    return;
  }
  if (token_.cancelled() && job_.status().empty()) job_.set_status("cancelled");
  if (&job_ != &runtime_.root_job()) job_.set_finished();
}

}  // namespace wrapp::exec
