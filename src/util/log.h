// Logging: human text or JSON lines, to stderr, optionally to a log file
// and to a callback (the Python API hands records to Python's `logging`
// under the logger "omni.wrapp"). Results go to stdout through the CLI,
// never through here.
//
// A Logger is one configuration of those sinks. The process has one
// (configure() sets it: the command line); a session of the Python API may
// have its own, installed on a thread with a LoggerScope. The free
// functions below write to the calling thread's logger, and exec::TaskGroup
// hands the spawning thread's logger to its tasks, so a command's lines go
// to its session's logger on whichever thread they are written.
#pragma once

#include <atomic>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace wrapp::log {

enum class Level { kDebug, kInfo, kWarning, kError };
const char* level_name(Level level);  // "debug", "info", "warning", "error"

// The name of wrapp's logger, as the reference's JSON lines and Python's
// `logging` know it.
inline constexpr std::string_view kLoggerName = "omni.wrapp";

struct Options {
  bool verbose = false;       // info lines on stderr (warnings and errors always)
  bool debug = false;         // debug lines too
  bool json = false;          // one JSON object per line
  std::string file;           // also append every line (info and up, debug with `debug`) here
  bool to_stderr = true;      // false: nothing on stderr (a caller with a callback)
  bool color = false;         // "error"/"warning" in colour on stderr (util/color.h); never in the file
  // Receives every record the file would (info and up, debug with `debug`),
  // on the thread that logs; may be called from several threads at once.
  // It must not throw.
  std::function<void(Level, std::string_view message)> callback;
};

class Logger {
 public:
  Logger() = default;  // warnings and errors to stderr
  // Throws StorageError if the log file cannot be opened.
  explicit Logger(const Options& options) { configure(options); }
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;
  ~Logger();

  // Replaces the configuration; throws StorageError if the log file cannot
  // be opened (the logger then keeps no file).
  void configure(const Options& options);
  bool enabled(Level level) const;
  void write(Level level, std::string_view message);

 private:
  mutable std::mutex mu_;
  Options options_;
  FILE* file_ = nullptr;
  std::atomic<bool> info_{false};   // info lines go somewhere
  std::atomic<bool> debug_{false};  // debug lines go somewhere
};

// The process's logger, and the calling thread's (its LoggerScope's, else
// the process's).
Logger& process_logger();
Logger& current();

// Makes `logger` the calling thread's for the scope's lifetime (null: no
// change). Scopes nest.
class LoggerScope {
 public:
  explicit LoggerScope(Logger* logger);
  LoggerScope(const LoggerScope&) = delete;
  LoggerScope& operator=(const LoggerScope&) = delete;
  ~LoggerScope();

 private:
  Logger* previous_;
  bool active_;
};

// Configures the process's logger; throws StorageError if the log file
// cannot be opened.
void configure(const Options& options);
void write(Level level, std::string_view message);
bool enabled(Level level);

template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::kInfo)) write(Level::kInfo, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::kDebug)) write(Level::kDebug, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  write(Level::kWarning, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  write(Level::kError, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace wrapp::log
