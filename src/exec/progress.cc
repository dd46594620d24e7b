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

namespace {
std::atomic<uint64_t> g_next_sequence{0};
}  // namespace

ProgressJob::ProgressJob(std::string name) : ProgressJob(std::move(name), {}, JobKind::kWork, nullptr) {}

ProgressJob::ProgressJob(std::string name, std::string phase, JobKind kind, ProgressJob* parent)
    : name_(std::move(name)),
      phase_(std::move(phase)),
      kind_(kind),
      parent_(parent),
      sequence_(g_next_sequence.fetch_add(1, std::memory_order_relaxed)),
      start_(Clock::now()) {}

ProgressJob* ProgressJob::add_child(std::string name, std::string phase, JobKind kind) {
  // The constructor is private, so no make_unique.
  std::unique_ptr<ProgressJob> child(new ProgressJob(std::move(name), std::move(phase), kind, this));
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
  add(&ProgressJob::total_tasks_, &ProgressJob::total_bytes_, tasks, bytes);
}

void ProgressJob::add_done(uint64_t tasks, uint64_t bytes) {
  add(&ProgressJob::done_tasks_, &ProgressJob::done_bytes_, tasks, bytes);
}

void ProgressJob::add(Counter tasks_counter, Counter bytes_counter, uint64_t tasks, uint64_t bytes) {
  // This job and the ancestors its counts add up into: up to the first pass.
  for (ProgressJob* job = this; job != nullptr; job = job->kind_ == JobKind::kPass ? nullptr : job->parent_) {
    (job->*tasks_counter).fetch_add(tasks, std::memory_order_relaxed);
    (job->*bytes_counter).fetch_add(bytes, std::memory_order_relaxed);
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

const ProgressJob* current_phase(const ProgressJob& root) {
  const ProgressJob* best = nullptr;
  std::vector<const ProgressJob*> todo{&root};
  while (!todo.empty()) {
    const ProgressJob* job = todo.back();
    todo.pop_back();
    if (job->finished()) continue;  // and its children: they are over too
    if (!job->phase().empty() && (!best || job->sequence() > best->sequence())) best = job;
    for (const ProgressJob* child : job->children()) todo.push_back(child);
  }
  return best;
}

}  // namespace wrapp::exec
