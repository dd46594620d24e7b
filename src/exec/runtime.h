// What all the commands of one session share: pools, throttles, the root
// of the progress tree and the sinks that observe it.
//
// Two pools because the work is of two kinds: storage operations mostly
// wait (on disks, on servers), so many threads pay off; hashing keeps a core
// busy, so more threads than cores only adds switching. Two throttles
// because threads are not the scarce resource: open files being copied
// (--file-transfer-jobs) and requests in flight (--jobs) are. Commands
// running at once on one Runtime (the Python API's asyncio.gather on one
// SchedulerContext) stay within these limits together; each sees it through
// a Scheduler (scheduler.h) with a cancellation token and a job of its own.
#pragma once

#include <cstddef>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "exec/cancellation.h"
#include "exec/progress.h"
#include "exec/progress_sink.h"
#include "exec/thread_pool.h"
#include "exec/throttle.h"

namespace wrapp::exec {

struct SchedulerOptions {
  size_t jobs = 200;                // --jobs: storage requests in flight, io threads
  size_t file_transfer_jobs = 50;   // --file-transfer-jobs: files copied at once
  size_t cpu_threads = 0;           // hashing threads; 0 = hardware_concurrency
  ProgressVerbosity progress = ProgressVerbosity::kOff;
  FILE* progress_output = stderr;   // where the terminal display (progress) goes
  // --progress-interval: seconds between the display's lines when it is no
  // terminal (a log); on a terminal, the live line appears after this or
  // 0.75 s, whichever is shorter.
  double progress_interval_seconds = 5.0;
  std::string job_name = "total";   // the root job's name
  // More sinks besides the terminal display (a caller's callback).
  std::vector<ProgressSinkFactory> progress_sinks;
};

class Runtime {
 public:
  // FailedCommand if jobs or file_transfer_jobs is 0.
  explicit Runtime(SchedulerOptions options);
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;
  // Joins the pools (running what is queued), marks the root finished, then
  // ends the sinks (the terminal display prints its final line).
  ~Runtime();

  const SchedulerOptions& options() const { return options_; }

  ThreadPool& io_pool() { return *io_pool_; }    // blocking storage operations; up to `jobs` threads
  ThreadPool& cpu_pool() { return *cpu_pool_; }  // hashing; cpu_threads threads
  Throttle& transfers() { return transfers_; }   // acquire before opening a file to copy
  Throttle& requests() { return requests_; }     // acquire around one storage request
  // The throttle of one storage resource (a backend: "local file system",
  // an S3 endpoint), created with `limit` slots on first use: every command
  // sharing this runtime stays within the connections the backend asked
  // for (storage::Features::connections).
  Throttle& connections(const std::string& resource, size_t limit);
  // Every throttle's use now, for progress reports.
  std::vector<ResourceUse> resource_use();

  // The session's token: cancelling it (Ctrl-C) cancels every command's,
  // which are its children.
  CancellationToken token() const { return token_; }
  ProgressJob& root_job() { return root_; }

 private:
  // Declaration order is destruction order reversed: pools are joined first
  // (their tasks use everything else), the sinks go next so their final
  // report counts all work, the jobs and throttles last.
  SchedulerOptions options_;
  CancellationToken token_;
  ProgressJob root_;
  Throttle transfers_;
  Throttle requests_;
  std::mutex connections_mu_;
  std::map<std::string, std::unique_ptr<Throttle>> connections_;
  std::vector<std::unique_ptr<ProgressSink>> sinks_;
  std::unique_ptr<ThreadPool> cpu_pool_;
  std::unique_ptr<ThreadPool> io_pool_;
};

}  // namespace wrapp::exec
