// The progress tree: what a command has to do and how much is done.
//
// A command has a root job and one child per phase ("list", "hash", "copy");
// phases may have children of their own. Workers on many threads add to the
// counters of the job they work for, and a display thread reads the root, so
// counters are atomics and each add is also applied to every ancestor: reads
// of aggregated totals are then O(1) and never see a child half-summed.
//
// Plans call add_total() for all their files and bytes before transferring
// anything, so the display shows true totals and a meaningful ETA from the
// start instead of a total that keeps growing.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace wrapp::exec {

enum class ProgressVerbosity { kOff, kNormal, kVerbose };

// "off", "normal" or "verbose"; FailedCommand naming the accepted values
// otherwise.
ProgressVerbosity parse_progress_verbosity(std::string_view text);
std::string_view to_string(ProgressVerbosity verbosity);

class ProgressJob {
 public:
  using Clock = std::chrono::steady_clock;

  // A root job. Children are made with add_child().
  explicit ProgressJob(std::string name);
  ProgressJob(const ProgressJob&) = delete;
  ProgressJob& operator=(const ProgressJob&) = delete;

  const std::string& name() const { return name_; }
  ProgressJob* parent() const { return parent_; }

  // Thread-safe. The child is owned by this job and lives as long as it.
  ProgressJob* add_child(std::string name);
  std::vector<ProgressJob*> children() const;  // snapshot, in creation order

  // Thread-safe; each applies to this job and all its ancestors.
  void add_total(uint64_t tasks, uint64_t bytes);
  void add_done(uint64_t tasks, uint64_t bytes);

  // Totals of this job including all its descendants.
  uint64_t total_tasks() const { return total_tasks_.load(std::memory_order_relaxed); }
  uint64_t done_tasks() const { return done_tasks_.load(std::memory_order_relaxed); }
  uint64_t total_bytes() const { return total_bytes_.load(std::memory_order_relaxed); }
  uint64_t done_bytes() const { return done_bytes_.load(std::memory_order_relaxed); }

  // A short word for the display ("scanning", "failed"); empty by default.
  void set_status(std::string status);
  std::string status() const;

  // Marks the job done and freezes elapsed_seconds(). Idempotent.
  void set_finished();
  bool finished() const { return finished_.load(std::memory_order_acquire); }

  Clock::time_point start_time() const { return start_; }
  // Seconds from creation until now, or until set_finished().
  double elapsed_seconds() const;

 private:
  ProgressJob(std::string name, ProgressJob* parent);

  const std::string name_;
  ProgressJob* const parent_;
  const Clock::time_point start_;

  std::atomic<uint64_t> total_tasks_{0};
  std::atomic<uint64_t> done_tasks_{0};
  std::atomic<uint64_t> total_bytes_{0};
  std::atomic<uint64_t> done_bytes_{0};
  std::atomic<bool> finished_{false};
  std::atomic<Clock::rep> finish_ticks_{0};  // finish time since epoch of Clock

  mutable std::mutex mu_;  // guards children_ and status_
  std::deque<std::unique_ptr<ProgressJob>> children_;
  std::string status_;
};

}  // namespace wrapp::exec
