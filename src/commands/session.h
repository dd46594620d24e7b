// The one set-up path of every face (the command line, the Python API):
// what a run of commands needs besides their own parameters.
//
// A Session is built from the generic options (the reference's
// CommandParameters and SchedulingParameters/ThrottlingParameters):
// it configures logging, starts the shared Runtime (pools, throttles,
// progress sinks) and loads the hash cache. Each command then runs in a
// CommandScope of its own: its Scheduler view (own cancellation token, own
// progress job), a Resolver bound to that token, and its CommandContext.
// Several scopes may live at once on one session, on different threads: the
// Python API's asyncio.gather of commands on one SchedulerContext.
//
// The hash cache is saved once, when the session finishes: it is shared by
// the commands and kept in memory, so saving it after each of several
// concurrent commands would only rewrite the same file more often.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "commands/context.h"
#include "exec/runtime.h"
#include "exec/scheduler.h"
#include "model/hash_cache.h"
#include "storage/storage.h"
#include "util/log.h"

namespace wrapp::commands {

struct SessionOptions {
  // The reference's CommandParameters (and --json-logging, --fsync).
  // Verbose, debug, JSON lines, log file, callback: the session's own
  // logger, for its commands' lines on every thread they run on. None: the
  // process's (log::configure(), what the command line sets).
  std::optional<log::Options> logging;
  bool dry_run = false;
  // Empty: no hash cache. Its folder is made when the cache is saved.
  std::string hash_cache_file;
  // hash_cache_file is the default one (default_hash_cache_file()), not a
  // file the caller named: a failure to save it is a warning, not an error.
  bool hash_cache_by_default = false;
  bool fsync = false;
  // SchedulingParameters and ThrottlingParameters: jobs, file transfer
  // jobs, progress display and sinks, root job name.
  exec::SchedulerOptions scheduling;
};

// Where the hash cache lives when no --hash-cache-file names one:
// $XDG_CACHE_HOME/wrapp/hash-cache, else ~/.cache/wrapp/hash-cache
// ($HOME); "" when neither variable holds an absolute path.
std::string default_hash_cache_file();

class Session {
 public:
  // Opens the session's logger (throws StorageError if its log file cannot
  // be opened), starts the runtime, loads the hash cache (a broken cache file
  // is warned about and replaced on save).
  explicit Session(SessionOptions options);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  // Saves the hash cache unless finish() did (a failure is a warning: the
  // session may end by an exception already), then ends the runtime.
  ~Session();

  // Saves the hash cache (not in a dry run); throws StorageError when it
  // cannot be written (warns instead for the default cache). Call when
  // every command has ended. Idempotent.
  void finish();

  const SessionOptions& options() const { return options_; }
  exec::Runtime& runtime() { return *runtime_; }
  model::HashCache* hash_cache() { return hash_cache_ ? &*hash_cache_ : nullptr; }
  // A new token for one command, which the caller may cancel: a child of
  // the session's, so cancelling the session (Ctrl-C) cancels it too.
  exec::CancellationToken new_token() const { return runtime_->token().child(); }
  // Null when the session logs to the process's logger.
  log::Logger* logger() { return logger_.get(); }

 private:
  void save_hash_cache();

  const SessionOptions options_;
  std::unique_ptr<log::Logger> logger_;  // first: the last to go
  std::optional<model::HashCache> hash_cache_;  // before the runtime, whose tasks may use it
  std::unique_ptr<exec::Runtime> runtime_;
  std::atomic<bool> finished_{false};
};

// How a CommandScope differs from its session's defaults.
struct CommandScopeOptions {
  // The caller's handle to cancel this command alone (from
  // Session::new_token()); none: a new child of the session's token.
  std::optional<exec::CancellationToken> token;
  // The command's progress job: a new job of this name under
  // `parent_job` (none: the session's root); empty: the root itself (the
  // command line, which runs one command per session and shows the root's
  // phases).
  std::string job_name;
  exec::ProgressJob* parent_job = nullptr;  // a job of the session's tree (SchedulerContext.sub_job)
  // The command's own generic parameters, where they differ from the
  // session's (the Python API's CommandParameters come per command):
  std::optional<bool> dry_run;
  model::HashCache* hash_cache = nullptr;  // instead of the session's
  log::Logger* logger = nullptr;           // instead of the session's
};

// Everything one command runs in; while it lives, the session's logger is
// the constructing thread's. Destroy it on that thread, after the command
// returned or threw.
class CommandScope {
 public:
  using Options = CommandScopeOptions;

  explicit CommandScope(Session& session, Options options = {});
  CommandScope(const CommandScope&) = delete;
  CommandScope& operator=(const CommandScope&) = delete;

  CommandContext& context() { return context_; }
  exec::Scheduler& scheduler() { return scheduler_; }

 private:
  log::LoggerScope logger_scope_;
  exec::Scheduler scheduler_;
  storage::Resolver resolver_;
  CommandContext context_;
};

}  // namespace wrapp::commands
