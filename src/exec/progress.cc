#include "exec/progress.h"

#include "util/error.h"

namespace wrapp::exec {

ProgressVerbosity parse_progress_verbosity(std::string_view text) {
  if (text == "off") return ProgressVerbosity::kOff;
  if (text == "normal") return ProgressVerbosity::kNormal;
  if (text == "verbose") return ProgressVerbosity::kVerbose;
  fail("invalid progress mode '{}': expected off, normal or verbose", text);
}

std::string_view to_string(ProgressVerbosity verbosity) {
  switch (verbosity) {
    case ProgressVerbosity::kOff:
      return "off";
    case ProgressVerbosity::kNormal:
      return "normal";
    case ProgressVerbosity::kVerbose:
      return "verbose";
  }
  return "?";
}

ProgressJob::ProgressJob(std::string name) : ProgressJob(std::move(name), nullptr) {}

ProgressJob::ProgressJob(std::string name, ProgressJob* parent)
    : name_(std::move(name)), parent_(parent), start_(Clock::now()) {}

ProgressJob* ProgressJob::add_child(std::string name) {
  // The constructor is private, so no make_unique.
  std::unique_ptr<ProgressJob> child(new ProgressJob(std::move(name), this));
  std::lock_guard lock(mu_);
  children_.push_back(std::move(child));
  return children_.back().get();
}

std::vector<ProgressJob*> ProgressJob::children() const {
  std::lock_guard lock(mu_);
  std::vector<ProgressJob*> out;
  out.reserve(children_.size());
  for (const auto& child : children_) out.push_back(child.get());
  return out;
}

void ProgressJob::add_total(uint64_t tasks, uint64_t bytes) {
  for (ProgressJob* job = this; job != nullptr; job = job->parent_) {
    job->total_tasks_.fetch_add(tasks, std::memory_order_relaxed);
    job->total_bytes_.fetch_add(bytes, std::memory_order_relaxed);
  }
}

void ProgressJob::add_done(uint64_t tasks, uint64_t bytes) {
  for (ProgressJob* job = this; job != nullptr; job = job->parent_) {
    job->done_tasks_.fetch_add(tasks, std::memory_order_relaxed);
    job->done_bytes_.fetch_add(bytes, std::memory_order_relaxed);
  }
}

void ProgressJob::set_status(std::string status) {
  std::lock_guard lock(mu_);
  status_ = std::move(status);
}

std::string ProgressJob::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

void ProgressJob::set_finished() {
  // The time is published before the flag, so a reader that sees finished()
  // also sees the time it finished.
  Clock::rep expected = 0;
  finish_ticks_.compare_exchange_strong(expected, Clock::now().time_since_epoch().count());
  finished_.store(true, std::memory_order_release);
}

double ProgressJob::elapsed_seconds() const {
  Clock::time_point end = Clock::now();
  if (finished()) end = Clock::time_point(Clock::duration(finish_ticks_.load()));
  return std::chrono::duration<double>(end - start_).count();
}

}  // namespace wrapp::exec
