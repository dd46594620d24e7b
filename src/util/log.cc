#include "util/log.h"

#include <chrono>
#include <cstdio>
#include <ctime>

#include "util/color.h"
#include "util/error.h"
#include "util/json_writer.h"

namespace wrapp::log {
namespace {

thread_local Logger* t_logger = nullptr;

std::string timestamp() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03d}Z", buf, static_cast<int>(ms));
}

// `color`: the level word painted (errors bold red, warnings bold yellow).
std::string format_line(Level level, std::string_view message, bool json, bool color = false) {
  if (json) {
    std::string line = fmt::format("{{\"time\":\"{}\",\"level\":\"{}\",\"logger\":\"{}\",\"message\":", timestamp(),
                                   level_name(level), kLoggerName);
    append_json_escaped(line, message);
    line += "}\n";
    return line;
  }
  if (level == Level::kInfo) return fmt::format("{}\n", message);
  std::string word = level_name(level);
  if (level == Level::kError) word = paint(word, Color::kBoldRed, color);
  if (level == Level::kWarning) word = paint(word, Color::kBoldYellow, color);
  return fmt::format("{}: {}\n", word, message);
}

}  // namespace

const char* level_name(Level l) {
  switch (l) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarning: return "warning";
    case Level::kError: return "error";
  }
  return "?";
}

Logger::~Logger() {
  if (file_) std::fclose(file_);
}

void Logger::configure(const Options& options) {
  std::lock_guard lock(mu_);
  if (file_) {
    std::fclose(file_);
    file_ = nullptr;
  }
  options_ = options;
  info_ = debug_ = false;
  if (!options.file.empty()) {
    file_ = std::fopen(options.file.c_str(), "a");
    if (!file_) throw_errno("cannot open log file", options.file, errno);
  }
  bool stderr_info = options.to_stderr && (options.verbose || options.debug);
  info_ = stderr_info || file_ || options.callback;
  debug_ = options.debug;
}

bool Logger::enabled(Level level) const {
  if (level >= Level::kWarning) return true;
  return level == Level::kInfo ? info_.load(std::memory_order_relaxed) : debug_.load(std::memory_order_relaxed);
}

void Logger::write(Level level, std::string_view message) {
  std::function<void(Level, std::string_view)> callback;
  {
    std::lock_guard lock(mu_);
    const Options& o = options_;
    bool to_stderr = o.to_stderr && (level >= Level::kWarning || (level == Level::kInfo && (o.verbose || o.debug)) ||
                                     (level == Level::kDebug && o.debug));
    if (to_stderr) {
      std::string line = format_line(level, message, o.json, o.color);
      std::fwrite(line.data(), 1, line.size(), stderr);
    }
    bool recorded = level != Level::kDebug || o.debug;  // what the file and the callback receive
    if (file_ && recorded) {
      std::string line = format_line(level, message, o.json);
      if (!o.json) line = timestamp() + " " + line;
      std::fwrite(line.data(), 1, line.size(), file_);
      std::fflush(file_);
    }
    if (recorded) callback = o.callback;
  }
  // Outside the lock: a callback into another runtime (Python's GIL) must
  // not hold up the other threads' lines, nor deadlock with them.
  if (callback) callback(level, message);
}

Logger& process_logger() {
  static Logger logger;
  return logger;
}

Logger& current() { return t_logger ? *t_logger : process_logger(); }

LoggerScope::LoggerScope(Logger* logger) : previous_(t_logger), active_(logger != nullptr) {
  if (active_) t_logger = logger;
}

LoggerScope::~LoggerScope() {
  if (active_) t_logger = previous_;
}

void configure(const Options& options) { process_logger().configure(options); }
bool enabled(Level level) { return current().enabled(level); }
void write(Level level, std::string_view message) { current().write(level, message); }

}  // namespace wrapp::log
