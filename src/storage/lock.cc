#include "storage/lock.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <utility>

#include "util/error.h"
#include "util/json_reader.h"
#include "util/json_writer.h"
#include "util/log.h"

namespace wrapp::storage {
namespace {

// The "wrapp_lock" key: the format of the document.
constexpr uint64_t kLockFormat = 1;
// A lock document is a few hundred bytes; anything much bigger is not one.
constexpr uint64_t kMaxLockSize = 1 << 20;
// Rounds of "create, or read and take over" before acquire gives up on a
// lock that keeps changing hands.
constexpr int kMaxAttempts = 10;

int64_t wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int64_t steady_ns() {
  using namespace std::chrono;
  return duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count();
}

const std::string& this_host() {
  static const std::string host = [] {
    char buf[HOST_NAME_MAX + 1] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0) return std::string();
    return std::string(buf);
  }();
  return host;
}

const std::string& this_boot_id() {
  static const std::string id = [] {
    std::ifstream in("/proc/sys/kernel/random/boot_id");
    std::string line;
    std::getline(in, line);
    return line;
  }();
  return id;
}

struct ProcessStat {
  uint64_t start = 0;  // field 22: clock ticks after boot
  bool zombie = false;
};

// What /proc/<pid>/stat says; nullopt when it cannot be read.
std::optional<ProcessStat> process_stat(int64_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  if (!in) return std::nullopt;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces and parentheses: fields are
  // counted from the last ')'.
  size_t paren = text.rfind(')');
  if (paren == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(paren + 1));
  char state = 0;
  fields >> state;  // field 3
  std::string skipped;
  for (int field = 4; field < 22; ++field) fields >> skipped;
  ProcessStat stat;
  fields >> stat.start;
  if (!fields) return std::nullopt;
  stat.zombie = state == 'Z' || state == 'X';
  return stat;
}

std::string random_token() {
  std::random_device rd;
  auto word = [&] { return (static_cast<uint64_t>(rd()) << 32) | rd(); };
  return fmt::format("{:016x}{:016x}", word(), word());
}

// Refuses an intent that is not one JSON value: it is embedded as is.
void check_intent(const std::string& intent) {
  if (intent.empty()) return;
  JsonReader reader(intent, "lock intent");
  reader.skip_value();
  reader.expect_end();
}

std::string to_json(const LockHolder& h) {
  std::string out;
  JsonWriter w(out);
  auto text = [&](const char* key, const std::string& value) {
    w.key(key);
    w.string(value);
  };
  auto number = [&](const char* key, auto value) {
    w.key(key);
    w.number(value);
  };
  w.begin_object();
  number("wrapp_lock", kLockFormat);
  text("purpose", h.purpose);
  text("host", h.host);
  text("boot_id", h.boot_id);
  number("pid", h.pid);
  number("process_start", h.process_start);
  number("started_ms", h.started_ms);
  number("heartbeat_ms", h.heartbeat_ms);
  number("expiry_ms", h.expiry_ms);
  text("token", h.token);
  if (h.abandoned) {
    w.key("abandoned");
    w.boolean(true);
  }
  w.key("intent");
  if (h.intent.empty()) {
    w.null();
  } else {
    w.raw(h.intent);
  }
  w.end_object();
  out.push_back('\n');
  return out;
}

[[noreturn]] void not_a_lock(const Url& url, const std::string& why) {
  fail_with(ErrorCode::kBadInput, "'{}' is not a wrapp lock ({}); remove it if no wrapp command is writing there",
            url.display(), why);
}

LockHolder parse_lock(std::string_view text, const Url& url) {
  LockHolder h;
  std::optional<uint64_t> format;
  bool has_host = false, has_pid = false, has_heartbeat = false, has_expiry = false;
  try {
    JsonReader r(text, url.display());
    if (r.peek() != JsonReader::Type::kObject) r.error("expected an object");
    r.begin_object();
    std::string key;
    auto int64_of = [&](const char* name) {
      int64_t v = 0;
      if (!r.read_int64(v)) r.error(fmt::format("\"{}\" is not an integer", name));
      return v;
    };
    while (r.next_key(key)) {
      if (key == "wrapp_lock") {
        uint64_t v = 0;
        if (!r.read_uint64(v)) r.error("\"wrapp_lock\" is not a format number");
        format = v;
      } else if (key == "purpose") {
        h.purpose = r.read_string();
      } else if (key == "host") {
        h.host = r.read_string();
        has_host = true;
      } else if (key == "boot_id") {
        h.boot_id = r.read_string();
      } else if (key == "pid") {
        h.pid = int64_of("pid");
        has_pid = true;
      } else if (key == "process_start") {
        if (!r.read_uint64(h.process_start)) r.error("\"process_start\" is not a count");
      } else if (key == "started_ms") {
        h.started_ms = int64_of("started_ms");
      } else if (key == "heartbeat_ms") {
        h.heartbeat_ms = int64_of("heartbeat_ms");
        has_heartbeat = true;
      } else if (key == "expiry_ms") {
        h.expiry_ms = int64_of("expiry_ms");
        has_expiry = true;
      } else if (key == "token") {
        h.token = r.read_string();
      } else if (key == "abandoned") {
        h.abandoned = r.read_bool();
      } else if (key == "intent") {
        h.intent = r.try_null() ? std::string() : std::string(r.skip_value());
      } else {
        r.skip_value();  // a later wrapp of the same format may add keys
      }
    }
    r.expect_end();
  } catch (const FailedCommand& e) {
    not_a_lock(url, e.what());
  }
  if (!format) not_a_lock(url, "it has no \"wrapp_lock\" key");
  if (*format > kLockFormat) {
    fail_with(ErrorCode::kNewerFormat, "'{}' is a lock of a newer wrapp (format {}, this one reads {}); upgrade wrapp",
              url.display(), *format, kLockFormat);
  }
  const char* missing = !has_host ? "host" : !has_pid ? "pid" : !has_heartbeat ? "heartbeat_ms"
                      : !has_expiry ? "expiry_ms" : h.token.empty() ? "token" : nullptr;
  if (missing) not_a_lock(url, fmt::format("it has no \"{}\"", missing));
  return h;
}

// The lock document and the etag of that very version.
struct Snapshot {
  LockHolder holder;
  std::string etag;
};

std::optional<Snapshot> read_snapshot(Storage& storage, const Url& url) {
  auto reader = storage.open_read(url);
  if (!reader) return std::nullopt;
  if (reader->size() > kMaxLockSize) not_a_lock(url, fmt::format("{} bytes", reader->size()));
  std::string etag = reader->info().etag;
  std::string text(reader->size(), '\0');
  text.resize(reader->read_at(0, text.data(), text.size()));
  return Snapshot{parse_lock(text, url), std::move(etag)};
}

std::string age_text(int64_t ms) {
  int64_t s = std::max<int64_t>(0, (ms + 500) / 1000);
  return s < 120 ? fmt::format("{} s", s) : fmt::format("{} min", s / 60);
}

std::string clock_text(int64_t ms) {
  auto when = static_cast<time_t>(ms / 1000);
  auto now = static_cast<time_t>(wall_ms() / 1000);
  struct tm t {}, today {};
  localtime_r(&when, &t);
  localtime_r(&now, &today);
  bool same_day = t.tm_year == today.tm_year && t.tm_yday == today.tm_yday;
  char buf[32];
  strftime(buf, sizeof buf, same_day ? "%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &t);
  return buf;
}

FailedCommand locked_error(const Url& url, const LockHolder& holder) {
  return FailedCommand(fmt::format("'{}' is locked by {}; wait for it to finish (a holder that stops refreshing its "
                                   "lock expires after {} s)",
                                   url.display(), holder.describe(), (holder.expiry_ms + 999) / 1000),
                       ErrorCode::kLocked, {url.display()});
}

}  // namespace

std::string LockHolder::describe() const {
  std::string details = purpose.empty() ? "" : purpose + ", ";
  details += fmt::format("since {}, last heartbeat {} ago", clock_text(started_ms), age_text(wall_ms() - heartbeat_ms));
  return fmt::format("pid {} on host '{}' ({})", pid, host, details);
}

bool LockHolder::is_dead() const {
  // Pids mean something only on the host and boot that issued them.
  if (pid <= 0 || host.empty() || host != this_host() || boot_id.empty() || boot_id != this_boot_id()) return false;
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return true;
  auto stat = process_stat(pid);
  if (!stat) return false;  // cannot tell
  if (stat->zombie) return true;
  return process_start != 0 && stat->start != process_start;  // the pid was reused
}

bool LockHolder::is_expired(int64_t now_ms) const { return heartbeat_ms + expiry_ms < now_ms; }

Lock::Options Lock::Options::from_environment(std::string purpose) {
  Options options;
  options.purpose = std::move(purpose);
  auto read_ms = [](const char* name, std::chrono::milliseconds& out) {
    const char* text = std::getenv(name);
    if (!text || !*text) return;
    int64_t value = 0;
    std::string_view view(text);
    auto [end, ec] = std::from_chars(view.data(), view.data() + view.size(), value);
    if (ec != std::errc() || end != view.data() + view.size() || value <= 0) {
      fail_with(ErrorCode::kBadInput, "{}='{}' is not a positive number of milliseconds", name, text);
    }
    out = std::chrono::milliseconds(value);
  };
  read_ms("WRAPP_LOCK_REFRESH_MS", options.refresh);
  read_ms("WRAPP_LOCK_EXPIRY_MS", options.expiry);
  if (options.refresh >= options.expiry) {
    fail_with(ErrorCode::kBadInput,
              "a lock's refresh period ({} ms, WRAPP_LOCK_REFRESH_MS) must be shorter than its expiry ({} ms, "
              "WRAPP_LOCK_EXPIRY_MS)",
              options.refresh.count(), options.expiry.count());
  }
  return options;
}

std::optional<LockHolder> Lock::read(Storage& storage, const Url& url) {
  auto snapshot = read_snapshot(storage, url);
  if (!snapshot) return std::nullopt;
  return std::move(snapshot->holder);
}

std::unique_ptr<Lock> Lock::acquire(Storage& storage, const Url& url, Options options,
                                    std::optional<LockHolder>* previous) {
  check_intent(options.intent);
  LockHolder self;
  self.purpose = options.purpose;
  self.host = this_host();
  self.boot_id = this_boot_id();
  self.pid = ::getpid();
  if (auto stat = process_stat(self.pid)) self.process_start = stat->start;
  self.started_ms = wall_ms();
  self.expiry_ms = options.expiry.count();
  self.token = random_token();
  self.intent = options.intent;
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    std::optional<Snapshot> stale;
    bool stale_dead = false;
    self.heartbeat_ms = wall_ms();
    try {
      write_all(storage, url, to_json(self), WriteOptions{});  // create-only: the first writer wins
    } catch (const FailedCommand& e) {
      if (!has_code(e, ErrorCode::kAlreadyExists)) throw;
      stale = read_snapshot(storage, url);
      if (!stale) continue;  // released meanwhile
      const LockHolder& holder = stale->holder;
      stale_dead = holder.is_dead() || holder.abandoned;
      if (!stale_dead && !holder.is_expired(wall_ms())) throw locked_error(url, holder);
      if (stale->etag.empty()) {
        fail_with(ErrorCode::kLocked,
                  "'{}' is held by {}, which is {}, but {} cannot replace a lock atomically (no etags); remove it "
                  "if that holder is gone",
                  url.display(), holder.describe(), stale_dead ? "gone" : "expired", storage.name());
      }
      self.heartbeat_ms = wall_ms();
      try {
        // Of several writers taking over the same stale lock, exactly one
        // replaces the version they all read.
        write_all(storage, url, to_json(self), WriteOptions{.overwrite = true, .if_match = stale->etag});
      } catch (const FailedCommand& e2) {
        if (has_code(e2, ErrorCode::kPreconditionFailed)) continue;  // someone else was first: decide again
        throw;
      }
    }
    // The etag of our version, read back with it (a Writer reports none).
    auto mine = read_snapshot(storage, url);
    if (!mine || mine->holder.token != self.token) continue;  // replaced at once: decide again
    if (stale) {
      log::warn("took over the lock '{}' from {}, which is {}", url.display(), stale->holder.describe(),
                stale->holder.abandoned ? "abandoned" : stale_dead ? "gone" : "expired");
      if (previous) *previous = stale->holder;
    }
    return std::unique_ptr<Lock>(new Lock(storage, url, std::move(self), std::move(mine->etag), std::move(options)));
  }
  fail_with(ErrorCode::kLocked, "could not take the lock '{}': it changed hands {} times while this command tried",
            url.display(), kMaxAttempts);
}

Lock::Lock(Storage& storage, Url url, LockHolder holder, std::string etag, Options options)
    : storage_(storage),
      url_(std::move(url)),
      holder_(std::move(holder)),
      etag_(std::move(etag)),
      options_(std::move(options)) {
  last_refresh_ns_ = steady_ns();
  heartbeat_ = std::thread([this] { heartbeat_loop(); });
}

Lock::~Lock() {
  release();
  if (heartbeat_.joinable()) {
    // Destroyed from on_lost, on the heartbeat thread itself: it ends on return.
    if (heartbeat_.get_id() == std::this_thread::get_id()) {
      heartbeat_.detach();
    } else {
      heartbeat_.join();
    }
  }
}

int64_t Lock::since_last_refresh_ms() const { return (steady_ns() - last_refresh_ns_.load()) / 1000000; }

void Lock::mark_lost_locked(std::string reason) {
  if (lost_.load()) return;
  lost_reason_ = std::move(reason);
  lost_.store(true);
  log::warn("lost the lock '{}': {}", url_.display(), lost_reason_);
}

void Lock::throw_lost() const {
  fail_with(ErrorCode::kLockLost,
            "lost the lock '{}': {}; stopping, so as not to write beside whoever holds it now", url_.display(),
            lost_reason_);
}

void Lock::check() const {
  if (lost_.load()) throw_lost();
  // The heartbeat may be stuck in a refresh that does not return: a lock not
  // refreshed for half its expiry is as good as lost.
  int64_t since = since_last_refresh_ms();
  if (!released_.load() && since > options_.expiry.count() / 2) {
    fail_with(ErrorCode::kLockLost,
              "lost the lock '{}': not refreshed for {} ms (it expires after {} ms); stopping, so as not to write "
              "beside whoever takes it over",
              url_.display(), since, options_.expiry.count());
  }
}

bool Lock::refresh_locked() {
  LockHolder doc = holder_;
  doc.heartbeat_ms = wall_ms();
  for (int attempt = 0;; ++attempt) {
    try {
      // if_match implies overwrite; overwrite alone serves backends without
      // etags (then a takeover is only seen when reading back).
      write_all(storage_, url_, to_json(doc), WriteOptions{.overwrite = true, .if_match = etag_});
      break;
    } catch (const FailedCommand& e) {
      if (!has_code(e, ErrorCode::kPreconditionFailed)) throw;
      // Not the version we wrote last. Still ours when an earlier write went
      // through but reported a failure: adopt its etag and write again.
      auto current = read_snapshot(storage_, url_);
      if (!current || current->holder.token != holder_.token || attempt > 0) return false;
      etag_ = current->etag;
    }
  }
  auto mine = read_snapshot(storage_, url_);
  if (!mine || mine->holder.token != holder_.token) return false;
  etag_ = std::move(mine->etag);
  last_refresh_ns_ = steady_ns();
  return true;
}

void Lock::heartbeat_loop() {
  std::unique_lock lock(mu_);
  while (!stopping_ && !lost_.load()) {
    cv_.wait_for(lock, options_.refresh, [this] { return stopping_ || lost_.load(); });
    if (stopping_ || lost_.load()) break;
    try {
      if (!refresh_locked()) mark_lost_locked("it was taken over or removed by someone else");
    } catch (const std::exception& e) {
      int64_t since = since_last_refresh_ms();
      log::warn("cannot refresh the lock '{}': {}", url_.display(), e.what());
      if (since > options_.expiry.count() / 2) {
        mark_lost_locked(fmt::format("no refresh succeeded for {} ms, half its expiry; the last error: {}", since,
                                     e.what()));
      }
    }
  }
  if (!lost_.load() || !options_.on_lost) return;
  lock.unlock();
  options_.on_lost();
}

void Lock::set_intent(const std::string& intent) {
  check_intent(intent);
  {
    std::lock_guard lock(mu_);
    if (released_.load()) fail("the lock '{}' was released", url_.display());
    if (lost_.load()) throw_lost();
    std::string before = std::exchange(holder_.intent, intent);
    bool ours = false;
    try {
      ours = refresh_locked();
    } catch (...) {
      holder_.intent = std::move(before);
      throw;
    }
    if (!ours) {
      holder_.intent = std::move(before);
      mark_lost_locked("it was taken over or removed by someone else");
    }
  }
  cv_.notify_all();
  if (lost_.load()) throw_lost();
}

bool Lock::stop_holding() {
  if (released_.exchange(true)) return false;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (heartbeat_.joinable() && heartbeat_.get_id() != std::this_thread::get_id()) heartbeat_.join();
  return true;
}

void Lock::release() {
  if (!stop_holding()) return;
  std::lock_guard lock(mu_);
  // Without an etag a removal cannot tell our lock from a successor's.
  if (lost_.load() && etag_.empty()) return;
  try {
    storage_.remove(url_, RemoveOptions{.if_match = etag_});
  } catch (const FailedCommand& e) {
    if (!has_code(e, ErrorCode::kPreconditionFailed)) {
      log::warn("cannot release the lock '{}': {}", url_.display(), e.what());
    }
    // Otherwise it is someone else's now: theirs to remove.
  } catch (const std::exception& e) {
    log::warn("cannot release the lock '{}': {}", url_.display(), e.what());
  }
}

void Lock::abandon() {
  if (!stop_holding()) return;
  std::lock_guard lock(mu_);
  if (lost_.load()) return;  // someone else's now
  holder_.abandoned = true;
  try {
    if (!refresh_locked()) return;  // taken over meanwhile: theirs
  } catch (const std::exception& e) {
    // Not marked: the lock expires by itself, and its intent is still there.
    log::warn("cannot mark the lock '{}' abandoned: {}", url_.display(), e.what());
  }
}

}  // namespace wrapp::storage
