// Everything a command needs to run work concurrently, built from the
// user's options in one place.
//
// Two pools because the work is of two kinds: storage operations mostly
// wait (on disks, on servers), so many threads pay off; hashing keeps a core
// busy, so more threads than cores only adds switching. Two throttles
// because threads are not the scarce resource: open files being copied
// (--file-transfer-jobs) and requests in flight (--jobs) are.
#pragma once

#include <cstddef>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "exec/cancellation.h"
#include "exec/progress.h"
#include "exec/progress_printer.h"
#include "exec/thread_pool.h"
#include "exec/throttle.h"

namespace wrapp::exec {

struct SchedulerOptions {
  size_t jobs = 200;                // --jobs: storage requests in flight, io threads
  size_t file_transfer_jobs = 50;   // --file-transfer-jobs: files copied at once
  size_t cpu_threads = 0;           // hashing threads; 0 = hardware_concurrency
  ProgressVerbosity progress = ProgressVerbosity::kOff;
  FILE* progress_output = stderr;   // where the progress display goes
};

class Scheduler {
 public:
  // FailedCommand if jobs or file_transfer_jobs is 0.
  explicit Scheduler(SchedulerOptions options);
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;
  // Joins the pools (running what is queued), then prints the final progress
  // line.
  ~Scheduler();

  const SchedulerOptions& options() const { return options_; }

  ThreadPool& io_pool() { return *io_pool_; }    // blocking storage operations; up to `jobs` threads
  ThreadPool& cpu_pool() { return *cpu_pool_; }  // hashing; cpu_threads threads
  Throttle& transfers() { return transfers_; }   // acquire before opening a file to copy
  Throttle& requests() { return requests_; }     // acquire around one storage request
  // The throttle of one storage resource (a backend: "local file system",
  // an S3 endpoint), created with `limit` slots on first use: every command
  // sharing this scheduler stays within the connections the backend asked
  // for (storage::Features::connections).
  Throttle& connections(const std::string& resource, size_t limit);

  // The command's token: cancelled by Ctrl-C (if the CLI installed the
  // handler with it) or by the first failing task of a group using it.
  CancellationToken token() const { return token_; }

  ProgressJob& root_job() { return root_; }
  // A new child of the root for a command phase ("hash", "copy"). Each call
  // makes a new job, even for a name used before.
  ProgressJob& sub_job(std::string name) { return *root_.add_child(std::move(name)); }

 private:
  // Declaration order is destruction order reversed: pools are joined first
  // (their tasks use everything else), the printer goes next so its final
  // line counts all work, the jobs and throttles last.
  SchedulerOptions options_;
  CancellationToken token_;
  ProgressJob root_;
  Throttle transfers_;
  Throttle requests_;
  std::mutex connections_mu_;
  std::map<std::string, std::unique_ptr<Throttle>> connections_;
  std::unique_ptr<ProgressPrinter> printer_;
  std::unique_ptr<ThreadPool> cpu_pool_;
  std::unique_ptr<ThreadPool> io_pool_;
};

}  // namespace wrapp::exec
