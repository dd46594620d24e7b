// The compiled module wrapp._core: the Python face's translation layer.
//
// Nothing here decides anything a command decides: Python values become a
// command's Options, the command runs in a commands::CommandScope with the
// GIL released, and its result comes back as the JSON the CLI's --json
// prints (each command's to_json), errors as the exceptions of errors.cc.
// The Python package (python/wrapp) gives these the reference's names and
// signatures; /work docs/python.md describes the whole face.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nanobind/nanobind.h>
#include <nlohmann/json_fwd.hpp>

#include "commands/context.h"
#include "commands/session.h"
#include "model/ignore_rules.h"

namespace wrapp::python {

namespace nb = nanobind;

// errors.cc: FailedCommand, StorageOperationError and Cancelled.
void bind_errors(nb::module_& m);

// runtime.cc: Runtime (one per SchedulerContext) and Token.
void bind_runtime(nb::module_& m);

// commands.cc: run(runtime, command, options, ...).
void bind_commands(nb::module_& m);

// files.cc: package files, whole files, the hasher, ignore rules.
void bind_files(nb::module_& m);

// A Python object owned from C++ code that may drop it without the GIL
// (a command's options are destroyed on the thread that ran it).
class PyRef {
 public:
  explicit PyRef(nb::object object) : object_(std::move(object)) {}
  PyRef(const PyRef&) = delete;
  PyRef& operator=(const PyRef&) = delete;
  ~PyRef();
  // Call only with the GIL held.
  const nb::object& get() const { return object_; }

 private:
  nb::object object_;
};

// The options dict of one command: keys are the C++ Options' field names.
// Each getter marks its key used; finish() refuses keys nobody read, so a
// misspelt option is an error instead of being silently ignored. Call with
// the GIL held.
class Fields {
 public:
  Fields(nb::dict dict, std::string command);
  std::string str(const char* key);  // required
  std::string str_or(const char* key, std::string fallback);
  std::optional<std::string> opt_str(const char* key);
  bool flag(const char* key, bool fallback = false);
  std::vector<std::string> strings(const char* key);
  std::vector<std::pair<std::string, std::string>> string_pairs(const char* key);
  // A JSON value given as its text (dependencies, package locations, patches).
  std::optional<std::string> json_text(const char* key);
  // A Python callable (relative_path: str, is_dir: bool) -> bool, called
  // with the GIL taken from any thread; an exception it raises fails the
  // command naming the path.
  model::IgnoreEvaluator::Predicate ignore_predicate(const char* key);
  // Any Python callable; null when absent.
  std::shared_ptr<PyRef> callable(const char* key);
  void finish();

 private:
  bool has(const char* key);
  nb::object get(const char* key);

  nb::dict dict_;
  std::string command_;
  std::set<std::string> used_;
};

// A command ready to run: options parsed (GIL held), run without the GIL.
using PreparedCommand = std::function<nlohmann::json(commands::CommandContext&)>;
using CommandPreparer = PreparedCommand (*)(Fields&);
// command_table*.cc: every command by its command-line name.
void add_package_commands(std::map<std::string, CommandPreparer>& table);
void add_file_commands(std::map<std::string, CommandPreparer>& table);
void add_tree_commands(std::map<std::string, CommandPreparer>& table);

// True while Python can run code: not before initialisation, not while
// the interpreter is finalizing (a thread taking the GIL then hangs).
bool python_alive();

// The session and progress jobs behind one Python SchedulerContext.
class Runtime {
 public:
  Runtime(size_t jobs, size_t file_transfer_jobs, std::string job_name, nb::object progress_callback,
          double progress_interval);
  ~Runtime();
  // Cancels the commands still running on it (a scheduler stopped while a
  // task was not awaited), waits until they have returned and the last
  // progress report was given; idempotent. Call with the GIL held: it
  // releases it while waiting.
  void close();
  bool closed() const;
  // The session, kept alive by the caller while a command runs on it;
  // FailedCommand once closed.
  std::shared_ptr<commands::Session> lease();
  // The job a sub_job path ("Packaging/assets") names in `session`, made
  // once under the root; "" is the root.
  exec::ProgressJob& group_job(commands::Session& session, const std::string& path);

 private:
  std::shared_ptr<PyRef> callback_;
  mutable std::mutex mu_;
  std::shared_ptr<commands::Session> session_;
  std::map<std::string, exec::ProgressJob*> groups_;
};

// Runs `body` in a CommandScope of `runtime` (or, with none, of a small
// session of its own), with the per-command parameters of the reference's
// CommandParameters; the GIL is released meanwhile. Shared by run() and
// the file functions.
struct CommandParameters {
  bool dry_run = false;
  bool debug = false;
  bool verbose = false;
  std::optional<std::string> log_file;
  std::optional<std::string> hash_cache_file;
  nb::object log_callback;  // (level: str, message: str) -> None, or None
};
nlohmann::json run_in_scope(Runtime* runtime, const exec::CancellationToken* token, const std::string& group,
                            const std::string& job_name, const CommandParameters& parameters,
                            const PreparedCommand& body);

// nlohmann::json -> Python objects (dicts, lists, str, int, float, bool, None).
nb::object to_python(const nlohmann::json& value);
// A Python object of JSON values as JSON text (json.dumps), for the C++ readers.
std::string to_json_text(nb::handle value);

}  // namespace wrapp::python
