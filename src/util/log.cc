#include "util/log.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "util/error.h"
#include "util/json_writer.h"

namespace wrapp::log {
namespace {

std::mutex g_mu;
Options g_options;
FILE* g_file = nullptr;

const char* level_name(Level l) {
  switch (l) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarning: return "warning";
    case Level::kError: return "error";
  }
  return "?";
}

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

std::string format_line(Level level, std::string_view message, bool json) {
  if (json) {
    std::string line = fmt::format("{{\"time\":\"{}\",\"level\":\"{}\",\"logger\":\"omni.wrapp\",\"message\":",
                                   timestamp(), level_name(level));
    append_json_escaped(line, message);
    line += "}\n";
    return line;
  }
  if (level == Level::kInfo) return fmt::format("{}\n", message);
  return fmt::format("{}: {}\n", level_name(level), message);
}

}  // namespace

void configure(const Options& options) {
  std::lock_guard lock(g_mu);
  if (g_file) {
    std::fclose(g_file);
    g_file = nullptr;
  }
  g_options = options;
  if (!options.file.empty()) {
    g_file = std::fopen(options.file.c_str(), "a");
    if (!g_file) throw_errno("cannot open log file", options.file, errno);
  }
}

bool enabled(Level level) {
  if (level >= Level::kWarning) return true;
  if (level == Level::kInfo) return g_options.verbose || g_options.debug || g_file;
  return g_options.debug;
}

void write(Level level, std::string_view message) {
  std::lock_guard lock(g_mu);
  bool to_stderr = level >= Level::kWarning || (level == Level::kInfo && (g_options.verbose || g_options.debug)) ||
                   (level == Level::kDebug && g_options.debug);
  if (to_stderr) {
    std::string line = format_line(level, message, g_options.json);
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  if (g_file && (level != Level::kDebug || g_options.debug)) {
    std::string line = format_line(level, message, g_options.json);
    if (!g_options.json) line = timestamp() + " " + line;
    std::fwrite(line.data(), 1, line.size(), g_file);
    std::fflush(g_file);
  }
}

}  // namespace wrapp::log
