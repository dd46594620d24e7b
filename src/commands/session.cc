#include "commands/session.h"

#include <cstdlib>
#include <filesystem>

#include "exec/task_group.h"
#include "util/error.h"

namespace wrapp::commands {

namespace {

// The resolver's hooks: backends check the command's token between pages
// and parts, and run their parallel work (a directory walk) on the shared
// io pool, within its limits.
storage::Resolver::Options resolver_options(exec::Scheduler& scheduler) {
  return {[token = scheduler.token()] { token.throw_if_cancelled(); },
          [&scheduler](size_t workers, const std::function<void()>& work) {
            exec::TaskGroup group(scheduler.io_pool(), scheduler.token().child());
            for (size_t i = 0; i < workers; ++i) group.spawn(work);
            group.wait();
          }};
}

exec::ProgressJob& job_for(Session& session, const CommandScope::Options& options) {
  exec::ProgressJob& parent = options.parent_job ? *options.parent_job : session.runtime().root_job();
  return options.job_name.empty() ? parent : *parent.add_child(options.job_name);
}

}  // namespace

Session::Session(SessionOptions options) : options_(std::move(options)) {
  if (options_.logging) logger_ = std::make_unique<log::Logger>(*options_.logging);
  log::LoggerScope use(logger_.get());
  runtime_ = std::make_unique<exec::Runtime>(options_.scheduling);
  if (!options_.hash_cache_file.empty()) {
    // Opening reads the table's header only (model/hash_cache.h).
    hash_cache_ = model::HashCache::load(options_.hash_cache_file, [](const std::string& m) {
      log::warn("{}", shorten_for_message(m, kMaxMessageBytes));
    });
  }
}

Session::~Session() {
  log::LoggerScope use(logger_.get());
  if (!finished_) {
    try {
      save_hash_cache();  // hashes computed before a failure are still true
    } catch (const std::exception& e) {
      log::warn("{}", shorten_for_message(e.what(), kMaxMessageBytes));
    }
  }
  runtime_.reset();  // before the hash cache its tasks may use
}

void Session::finish() {
  if (finished_.exchange(true)) return;
  if (!options_.hash_cache_by_default) return save_hash_cache();
  // A cache nobody asked for never fails a command that did its work.
  try {
    save_hash_cache();
  } catch (const StorageError& e) {
    log::warn("{}", shorten_for_message(e.what(), kMaxMessageBytes));
  }
}

void Session::save_hash_cache() {
  if (!hash_cache_ || options_.dry_run || !hash_cache_->dirty()) return;
  std::filesystem::path folder = std::filesystem::path(options_.hash_cache_file).parent_path();
  std::error_code ignored;  // a folder that cannot be made fails the save, which says why
  if (!folder.empty()) std::filesystem::create_directories(folder, ignored);
  hash_cache_->save(options_.hash_cache_file);
}

std::string default_hash_cache_file() {
  auto absolute = [](const char* value) { return value && value[0] == '/'; };
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); absolute(xdg)) {
    return std::string(xdg) + "/wrapp/hash-cache";
  }
  if (const char* home = std::getenv("HOME"); absolute(home)) return std::string(home) + "/.cache/wrapp/hash-cache";
  return "";
}

CommandScope::CommandScope(Session& session, Options options)
    : logger_scope_(options.logger ? options.logger : session.logger()),
      scheduler_(session.runtime(), options.token ? options.token->child() : session.new_token(),
                 job_for(session, options)),
      resolver_(resolver_options(scheduler_)),
      context_{scheduler_, resolver_, options.hash_cache ? options.hash_cache : session.hash_cache(),
               options.dry_run.value_or(session.options().dry_run), session.options().fsync} {}

}  // namespace wrapp::commands
