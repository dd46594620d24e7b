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
//
// Each file counts once. A job is either part of its parent's work (its
// counts add up into the parent's: the files a command copies) or a pass
// over files other work counts (planning stats each file an install then
// copies; a repair verifies files before copying the damaged ones): a
// pass keeps its counts to itself. Jobs may name their phase ("planning",
// "copying", "verifying", "publishing"), which the display shows.
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

// How a job's counts relate to its parent's (see above).
enum class JobKind {
  kWork,  // its files and bytes are part of its parent's
  kPass,  // another look at files counted elsewhere: its counts stay its own
};

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
  const std::string& phase() const { return phase_; }
  JobKind kind() const { return kind_; }
  ProgressJob* parent() const { return parent_; }
  // Increases with every job made in the process: later jobs have higher.
  uint64_t sequence() const { return sequence_; }

  // Thread-safe. The child is owned by this job and lives as long as it.
  // `phase` is a word for the display ("copying"); empty: none.
  ProgressJob* add_child(std::string name, std::string phase = {}, JobKind kind = JobKind::kWork);
  std::vector<ProgressJob*> children() const;  // snapshot, in creation order

  // Thread-safe; each applies to this job and, up to the first pass, its
  // ancestors.
  void add_total(uint64_t tasks, uint64_t bytes);
  void add_done(uint64_t tasks, uint64_t bytes);

  // Totals of this job including its descendants' work (not their passes).
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
  ProgressJob(std::string name, std::string phase, JobKind kind, ProgressJob* parent);
  using Counter = std::atomic<uint64_t> ProgressJob::*;
  void add(Counter tasks_counter, Counter bytes_counter, uint64_t tasks, uint64_t bytes);

  const std::string name_;
  const std::string phase_;
  const JobKind kind_;
  ProgressJob* const parent_;
  const uint64_t sequence_;
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

// The job whose phase the display names: of the unfinished jobs under
// `root` (itself included) that have a phase, the one made last; nullptr
// when none has.
const ProgressJob* current_phase(const ProgressJob& root);

}  // namespace wrapp::exec
