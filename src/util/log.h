// Process-wide logging: human text or JSON lines, to stderr and optionally to
// a log file. Results go to stdout through the CLI, never through here.
#pragma once

#include <string>
#include <string_view>

#include <fmt/format.h>

namespace wrapp::log {

enum class Level { kDebug, kInfo, kWarning, kError };

struct Options {
  bool verbose = false;       // info lines on stderr (warnings and errors always)
  bool debug = false;         // debug lines too
  bool json = false;          // one JSON object per line
  std::string file;           // also append every line (info and up, debug with `debug`) here
};

// Configures the sinks; throws StorageError if the log file cannot be opened.
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
