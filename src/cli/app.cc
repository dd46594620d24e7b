#include "cli/app.h"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <set>

#include <unistd.h>

#include "exec/progress_printer.h"
#include "commands/session.h"
#include "storage/credentials.h"
#include "util/error.h"
#include "util/log.h"

namespace wrapp::cli {

namespace {

// Results are held back while a command runs and printed once its progress
// display is gone, so a progress line never lands in the middle of them.
std::string* g_pending_output = nullptr;

// Whether results on stdout are coloured (--color; set by run_command).
bool g_color_stdout = false;

// The first error writing standard output (0: none yet).
int g_stdout_errno = 0;

void note_stdout_error(int err) {
  if (g_stdout_errno == 0) g_stdout_errno = err ? err : EIO;
}

void write_stdout(const std::string& text) {
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
    note_stdout_error(errno);
  }
}

// The stream of content_stream(): straight to file descriptor 1, and every
// failure's cause kept, even where the writer ignores it.
std::FILE* g_content_stream = nullptr;

ssize_t write_content(void*, const char* data, size_t size) {
  for (size_t done = 0; done < size;) {
    ssize_t n = ::write(STDOUT_FILENO, data + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      note_stdout_error(n < 0 ? errno : EIO);
      return 0;  // fopencookie(3): 0 on error, never negative
    }
    done += static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(size);
}

}  // namespace

std::FILE* content_stream() {
  if (!g_content_stream) {
    std::fflush(stdout);
    g_content_stream = fopencookie(nullptr, "w", cookie_io_functions_t{nullptr, write_content, nullptr, nullptr});
    if (!g_content_stream) throw_errno("cannot open", "standard output", errno);
  }
  return g_content_stream;
}

int finish_stdout(int code) {
  // Whatever wrote to stdout (results, `cat`, CLI11's help through
  // std::cout): a failure is in the stream's error flag and shows again
  // on the last flush, or at the latest on close.
  if (g_content_stream) {
    if (std::fclose(g_content_stream) != 0) note_stdout_error(errno);
    g_content_stream = nullptr;
  }
  errno = 0;
  std::cout.flush();
  bool failed = g_stdout_errno != 0 || !std::cout.good() || std::ferror(stdout);
  if (std::fflush(stdout) != 0) failed = true;
  int err = g_stdout_errno ? g_stdout_errno : errno;
  if (std::fclose(stdout) != 0 && !failed) {
    failed = true;
    err = errno;
  }
  if (!failed) return code;
  log::error("cannot write to standard output: {}", std::strerror(err ? err : EIO));
  return code < 2 ? 2 : code;
}

void warn_no_tags(std::string_view command) {
  log::warn("{} --tags: no storage of this build has tags (Nucleus tags); tags already recorded in catalogs are kept",
            command);
}

std::string capped_message(std::string_view message) { return shorten_for_message(message, kMaxMessageBytes); }

std::string colored(std::string_view text, Color color) { return paint(text, color, g_color_stdout); }

void out(const std::string& text) {
  if (g_pending_output) {
    *g_pending_output += text;
  } else {
    write_stdout(text);
  }
}

void add_generic_options(CLI::App& sub, GenericOptions& g) {
  const char* group = "Generic options";
  sub.add_flag("-v,--verbose", g.verbose, "Verbose output of the operation")->group(group);
  sub.add_flag("--time", g.time, "Print the time the operation took")->group(group);
  sub.add_flag("--stats", g.stats, "Print statistics about the operation")->group(group);
  sub.add_option("-j,--jobs", g.jobs, "Number of parallel storage operations")
      ->envname("WRAPP_JOBS")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str()
      ->group(group);
  sub.add_option("--file-transfer-jobs,--ftj", g.file_transfer_jobs, "Number of parallel file transfers")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str()
      ->group(group);
  sub.add_option("-l,--log-file", g.log_file, "Append log lines to this file")->envname("WRAPP_LOG_FILE")->group(group);
  sub.add_flag("-d,--debug", g.debug, "Debug logging")->group(group);
  sub.add_flag("--json-logging", g.json_logging, "Log JSON lines instead of text")->group(group);
  sub.add_flag("--dry-run", g.dry_run, "Plan and print what would be done, write nothing")->group(group);
  sub.add_option("--progress-report", g.progress_report, "Progress display: off, normal or verbose")
      ->check(CLI::IsMember({"off", "normal", "verbose"}))
      ->capture_default_str()
      ->group(group);
  sub.add_option("--progress-interval", g.progress_interval,
                 "Seconds between progress lines when stderr is not a terminal (a log); on a terminal the live "
                 "line appears after this or 0.75 s, whichever is shorter")
      ->check(CLI::Range(0.0, 86400.0))
      ->capture_default_str()
      ->group(group);
  sub.add_option("--color", g.color,
                 "Colour errors, warnings and status kinds: auto (on a terminal, unless NO_COLOR is set), always "
                 "or never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str()
      ->group(group);
  sub.add_flag("--fsync", g.fsync,
               "Flush written files to disk before the package file that publishes them (survives power loss; slower)")
      ->envname("WRAPP_FSYNC")
      ->group(group);
  auto* cache_file = sub.add_option("--hash-cache-file,--hcf", g.hash_cache_file,
                                    "Hash cache file: unchanged files (size, mtime, ctime, inode) are not hashed "
                                    "again (default: $XDG_CACHE_HOME/wrapp/hash-cache or "
                                    "~/.cache/wrapp/hash-cache)")
                         ->envname("WRAPP_HASH_CACHE_FILE")
                         ->group(group);
  sub.add_flag("--no-hash-cache", g.no_hash_cache, "Use no hash cache: hash every file read")
      ->excludes(cache_file)
      ->group(group);
  sub.add_option("--auth", g.auth,
                 "Credentials for a server or bucket: URL,USER,PASSWORD_OR_TOKEN (s3://: URL,KEY_ID,SECRET) or "
                 "URL,TOKEN; repeatable; also WRAPP_AUTH (values separated by spaces)")
      ->type_name("URL,USER,SECRET")
      ->group(group);
  sub.add_flag("--interactive-auth", g.interactive_auth,
               "Allow an interactive login (no backend of this build has one: a warning)")
      ->group(group);
}

namespace {

// --auth values, then WRAPP_AUTH's (so the command line's win for the same server).
void register_credentials(const GenericOptions& g) {
  if (const char* env = std::getenv("WRAPP_AUTH")) {
    std::string all(env);
    size_t at = 0;
    while (at < all.size()) {
      size_t end = all.find_first_of(" \t\n", at);
      if (end == std::string::npos) end = all.size();
      if (end > at) storage::add_credential(storage::parse_auth_option(std::string_view(all).substr(at, end - at)));
      at = end + 1;
    }
  }
  for (const auto& value : g.auth) storage::add_credential(storage::parse_auth_option(value));
  if (g.interactive_auth) log::warn("--interactive-auth: no storage backend of this build has an interactive login");
}

// The commands that hash local files or write files whose hashes a later
// command wants: they use the default hash cache. The others never load it
// (a cache of a million entries takes a while to read).
const std::set<std::string, std::less<>> kHashingCommands = {
    "apply-patch", "catalog", "check",  "create",    "create-patch", "export",   "freeze",
    "get",         "import",  "install", "mirror",   "status",       "uninstall",
};

commands::SessionOptions session_options(const GenericOptions& g, std::string_view command) {
  commands::SessionOptions o;
  o.dry_run = g.dry_run;
  o.hash_cache_file = g.hash_cache_file;
  if (g.no_hash_cache) {
    o.hash_cache_file.clear();
  } else if (o.hash_cache_file.empty() && kHashingCommands.count(command)) {
    o.hash_cache_file = commands::default_hash_cache_file();
    o.hash_cache_by_default = true;
  }
  o.fsync = g.fsync;
  o.scheduling.jobs = g.jobs;
  o.scheduling.file_transfer_jobs = g.file_transfer_jobs;
  o.scheduling.progress = exec::parse_progress_verbosity(g.progress_report);
  o.scheduling.progress_interval_seconds = g.progress_interval;
  return o;
}

}  // namespace

int run_command(Cli& cli, const std::function<int(commands::CommandContext&)>& body) {
  const GenericOptions& g = cli.generic;
  auto started = std::chrono::steady_clock::now();
  int code = 0;
  std::string pending, stats;
  g_pending_output = &pending;
  try {
    // The process's logger: errors after the session ended go there too.
    ColorMode color = parse_color_mode(g.color);
    g_color_stdout = color_enabled(color, STDOUT_FILENO);
    log::configure({.verbose = g.verbose,
                    .debug = g.debug,
                    .json = g.json_logging,
                    .file = g.log_file,
                    .color = color_enabled(color, STDERR_FILENO)});
    std::string command_name;
    for (const auto* sub : cli.app.get_subcommands()) command_name = sub->get_name();
    commands::SessionOptions options = session_options(g, command_name);
    log::debug("{}: {} jobs, {} file transfer jobs, hash cache {}, progress {}{}{}", command_name, g.jobs,
               g.file_transfer_jobs, options.hash_cache_file.empty() ? "off" : "'" + options.hash_cache_file + "'",
               g.progress_report, g.dry_run ? ", dry run" : "", g.auth.empty() ? "" : ", credentials given");
    register_credentials(g);
    // The session (and its progress display) ends before results print.
    commands::Session session(std::move(options));
    auto sigint = exec::install_sigint_handler(session.runtime().token());
    std::vector<std::pair<std::string, storage::Traffic>> traffic;
    {
      commands::CommandScope command(session);
      code = body(command.context());
      traffic = command.context().resolver.traffic();
    }
    session.finish();
    if (g.stats) {
      auto& root = session.runtime().root_job();
      auto* cache = session.hash_cache();
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      stats = fmt::format("stats: {} tasks, {} processed in {} ({}/s){}\n", root.done_tasks(),
                          exec::format_bytes(root.done_bytes()), exec::format_duration(secs),
                          exec::format_bytes(static_cast<uint64_t>(secs > 0 ? root.done_bytes() / secs : 0)),
                          cache ? fmt::format(", hash cache: {} entries", cache->size()) : "");
      // What each server was asked: retries count, bodies only (no headers).
      for (const auto& [backend, t] : traffic) {
        stats += fmt::format("stats: {}: {} requests, {} sent, {} received\n", backend, t.requests,
                             exec::format_bytes(t.bytes_sent), exec::format_bytes(t.bytes_received));
      }
    }
  } catch (const Error& e) {
    log::error("{}", capped_message(e.what()));
    code = e.exit_code();
  } catch (const std::bad_alloc&) {
    log::error("out of memory");
    code = 2;
  } catch (const std::exception& e) {
    log::error("unexpected failure: {}", capped_message(e.what()));
    code = 2;
  }
  g_pending_output = nullptr;
  write_stdout(pending);
  std::fputs(stats.c_str(), stderr);
  if (g.time) {
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::fprintf(stderr, "time: %.3f s\n", secs);
  }
  return code;
}

}  // namespace wrapp::cli
