// The scheduling side of the Python face: a Runtime per SchedulerContext
// (pools, throttles and the progress tree shared by the commands awaited
// on it), tokens that cancel one command, and the scope every call runs in.
#include <chrono>
#include <thread>

#include <nanobind/stl/string.h>
#include <nlohmann/json.hpp>

#include "exec/progress_sink.h"
#include "model/hash_cache.h"
#include "python/binding.h"
#include "util/error.h"
#include "util/log.h"

namespace wrapp::python {

bool python_alive() {
#if PY_VERSION_HEX >= 0x030D0000
  return Py_IsInitialized() && !Py_IsFinalizing();
#else
  return Py_IsInitialized() && !_Py_IsFinalizing();
#endif
}

PyRef::~PyRef() {
  if (!object_.is_valid() || !python_alive()) {
    (void)object_.release();  // the interpreter is gone: nothing to drop
    return;
  }
  nb::gil_scoped_acquire gil;
  object_.reset();
}

nb::object to_python(const nlohmann::json& value) {
  // Kept for the whole process: a static nb::object would be released after
  // Python ended, without the GIL.
  static nb::handle loads = nb::object(nb::module_::import_("json").attr("loads")).release();
  return loads(nb::str(value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str()));
}

std::string to_json_text(nb::handle value) {
  // Kept for the whole process, as `loads` above.
  static nb::handle dumps = nb::object(nb::module_::import_("json").attr("dumps")).release();
  return nb::cast<std::string>(dumps(value));
}

namespace {

nb::dict snapshot_to_python(const exec::ProgressSnapshot& s) {
  nb::dict d;
  d["name"] = s.name;
  d["phase"] = s.phase;
  d["pass"] = s.pass;
  d["status"] = s.status;
  d["finished"] = s.finished;
  d["elapsed_seconds"] = s.elapsed_seconds;
  d["done_tasks"] = s.done_tasks;
  d["total_tasks"] = s.total_tasks;
  d["done_bytes"] = s.done_bytes;
  d["total_bytes"] = s.total_bytes;
  nb::list resources;
  for (const auto& r : s.resources) {
    nb::dict rd;
    rd["name"] = r.name;
    rd["limit"] = r.limit;
    rd["processing"] = r.processing;
    rd["waiting"] = r.waiting;
    resources.append(rd);
  }
  d["resources"] = resources;
  nb::list subs;
  for (const auto& sub : s.sub_jobs) subs.append(snapshot_to_python(sub));
  d["sub_jobs"] = subs;
  return d;
}

}  // namespace

Runtime::Runtime(size_t jobs, size_t file_transfer_jobs, std::string job_name, nb::object progress_callback,
                 double progress_interval) {
  commands::SessionOptions options;
  options.scheduling.jobs = jobs;
  options.scheduling.file_transfer_jobs = file_transfer_jobs;
  options.scheduling.job_name = std::move(job_name);
  options.scheduling.progress = exec::ProgressVerbosity::kOff;  // reports go to the callback, never a terminal
  if (!progress_callback.is_none()) {
    callback_ = std::make_shared<PyRef>(std::move(progress_callback));
    auto interval = std::chrono::duration<double>(std::max(0.0, progress_interval));
    options.scheduling.progress_sinks.push_back(exec::PeriodicProgressReporter::factory(
        interval, [callback = callback_](const exec::ProgressSnapshot& snapshot) {
          if (!python_alive()) return;
          nb::gil_scoped_acquire gil;
          try {
            callback->get()(snapshot_to_python(snapshot));
          } catch (nb::python_error& e) {
            // Reported once per failure by the reporter as a warning.
            throw std::runtime_error(std::string("progress_report_callback failed: ") + e.what());
          }
        }));
  }
  nb::gil_scoped_release release;  // the runtime starts threads
  session_ = std::make_shared<commands::Session>(std::move(options));
}

Runtime::~Runtime() {
  if (!python_alive()) {
    // Threads may not take the GIL any more: leave the workers be.
    std::lock_guard lock(mu_);
    if (session_) new std::shared_ptr<commands::Session>(std::move(session_));
    return;
  }
  close();
}

void Runtime::close() {
  std::shared_ptr<commands::Session> session;
  {
    std::lock_guard lock(mu_);
    session = std::move(session_);
    groups_.clear();
  }
  if (!session) return;
  nb::gil_scoped_release release;  // the commands and the last progress report take the GIL
  if (session.use_count() > 1) session->runtime().token().cancel();  // commands still running
  std::weak_ptr<commands::Session> last = session;
  session.reset();  // the last lease ends the session, on its command's thread
  while (!last.expired()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

bool Runtime::closed() const {
  std::lock_guard lock(mu_);
  return !session_;
}

std::shared_ptr<commands::Session> Runtime::lease() {
  std::lock_guard lock(mu_);
  if (!session_) fail("the scheduler was stopped: start a new SchedulerContext to run more commands");
  return session_;
}

exec::ProgressJob& Runtime::group_job(commands::Session& session, const std::string& path) {
  exec::ProgressJob* job = &session.runtime().root_job();
  std::lock_guard lock(mu_);
  size_t start = 0;
  while (start < path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) {
      exec::ProgressJob*& slot = groups_[path.substr(0, end)];
      if (!slot) slot = job->add_child(path.substr(start, end - start));
      job = slot;
    }
    start = end + 1;
  }
  return *job;
}

nlohmann::json run_in_scope(Runtime* runtime, const exec::CancellationToken* token, const std::string& group,
                            const std::string& job_name, const CommandParameters& parameters,
                            const PreparedCommand& body) {
  // The command's own logger: its records go to Python's logging (the
  // callback), to its log file, never to stderr.
  log::Options log_options;
  log_options.debug = parameters.debug;
  log_options.verbose = true;
  log_options.to_stderr = false;
  if (parameters.log_file) log_options.file = *parameters.log_file;
  std::shared_ptr<PyRef> log_callback;
  if (parameters.log_callback.is_valid() && !parameters.log_callback.is_none()) {
    log_callback = std::make_shared<PyRef>(parameters.log_callback);
    log_options.callback = [log_callback](log::Level level, std::string_view message) {
      if (!python_alive()) return;
      nb::gil_scoped_acquire gil;
      try {
        log_callback->get()(log::level_name(level), nb::str(message.data(), message.size()));
      } catch (nb::python_error& e) {
        e.discard_as_unraisable("wrapp logging");
      }
    };
  }
  nb::gil_scoped_release release;
  log::Logger logger(log_options);

  std::shared_ptr<commands::Session> session;
  if (runtime) {
    session = runtime->lease();
  } else {
    commands::SessionOptions options;
    options.scheduling.jobs = 16;
    options.scheduling.file_transfer_jobs = 8;
    options.scheduling.progress = exec::ProgressVerbosity::kOff;
    session = std::make_shared<commands::Session>(std::move(options));
  }

  std::optional<model::HashCache> hash_cache;
  if (parameters.hash_cache_file) {
    log::LoggerScope use(&logger);
    hash_cache = model::HashCache::load(*parameters.hash_cache_file, [&logger](const std::string& m) {
      logger.write(log::Level::kWarning, m);
    });
  }
  commands::CommandScope::Options scope_options;
  if (token) scope_options.token = *token;
  scope_options.job_name = job_name;
  if (runtime) scope_options.parent_job = &runtime->group_job(*session, group);
  scope_options.dry_run = parameters.dry_run;
  scope_options.hash_cache = hash_cache ? &*hash_cache : nullptr;
  scope_options.logger = &logger;

  nlohmann::json result;
  {
    commands::CommandScope scope(*session, scope_options);
    try {
      result = body(scope.context());
    } catch (...) {
      // Hashes computed before a failure are still true.
      if (hash_cache && !parameters.dry_run) {
        try {
          hash_cache->save(*parameters.hash_cache_file);
        } catch (const std::exception& e) {
          logger.write(log::Level::kWarning, e.what());
        }
      }
      throw;
    }
  }
  if (hash_cache && !parameters.dry_run) hash_cache->save(*parameters.hash_cache_file);
  return result;
}

void bind_runtime(nb::module_& m) {
  nb::class_<exec::CancellationToken>(m, "Token", "Cancels one command run on a Runtime.")
      .def("cancel", [](exec::CancellationToken& t) { t.cancel(); }, "Asks the command to stop; it ends promptly.")
      .def_prop_ro("cancelled", [](const exec::CancellationToken& t) { return t.cancelled(); });

  nb::class_<Runtime>(m, "Runtime", "Pools, throttles and the progress tree shared by the commands of one SchedulerContext.")
      .def(nb::init<size_t, size_t, std::string, nb::object, double>(), nb::arg("jobs") = 200,
           nb::arg("file_transfer_jobs") = 50, nb::arg("job_name") = "WRAPP", nb::arg("progress_callback") = nb::none(),
           nb::arg("progress_interval") = 0.2)
      .def("close", &Runtime::close, "Waits for the work and gives the last progress report.")
      .def_prop_ro("closed", &Runtime::closed)
      .def("new_token", [](Runtime& r) { return r.lease()->new_token(); },
           "A token for one command: cancelling it stops that command only.");
}

}  // namespace wrapp::python
