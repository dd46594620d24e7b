#include "exec/progress_sink.h"

#include <algorithm>
#include <utility>

#include "util/log.h"

namespace wrapp::exec {

ProgressSnapshot take_snapshot(const ProgressJob& job) {
  ProgressSnapshot s;
  s.name = job.name();
  s.phase = job.phase();
  s.pass = job.kind() == JobKind::kPass;
  s.status = job.status();
  s.finished = job.finished();
  s.elapsed_seconds = job.elapsed_seconds();
  s.done_tasks = job.done_tasks();
  s.done_bytes = job.done_bytes();
  s.total_tasks = std::max(job.total_tasks(), s.done_tasks);
  s.total_bytes = std::max(job.total_bytes(), s.done_bytes);
  for (const ProgressJob* child : job.children()) s.sub_jobs.push_back(take_snapshot(*child));
  return s;
}

PeriodicProgressReporter::PeriodicProgressReporter(ProgressSource source, std::chrono::duration<double> interval,
                                                   Report report)
    : source_(std::move(source)),
      interval_(std::max(interval, std::chrono::duration<double>(0.01))),
      report_(std::move(report)),
      thread_([this] { run(); }) {}

PeriodicProgressReporter::~PeriodicProgressReporter() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
  report_now();  // the last report: the Runtime marked the root finished before
}

ProgressSinkFactory PeriodicProgressReporter::factory(std::chrono::duration<double> interval, Report report) {
  return [interval, report](const ProgressSource& source) {
    return std::make_unique<PeriodicProgressReporter>(source, interval, report);
  };
}

void PeriodicProgressReporter::run() {
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, interval_, [&] { return stop_; })) {
    lock.unlock();
    report_now();
    lock.lock();
  }
}

void PeriodicProgressReporter::report_now() {
  ProgressSnapshot snapshot = take_snapshot(source_.root);
  if (source_.resources) snapshot.resources = source_.resources();
  try {
    report_(snapshot);
  } catch (const std::exception& e) {
    if (!std::exchange(warned_, true)) log::warn("progress report callback failed: {}", e.what());
  } catch (...) {
    if (!std::exchange(warned_, true)) log::warn("progress report callback failed");
  }
}

}  // namespace wrapp::exec
