// Write locks kept as objects in the storage they protect.
//
// A version is written by one writer at a time, and so is an install
// location. The lock is an object (a small JSON document) created
// create-only: the first writer wins, on a disk as on S3, Azure or GCS,
// without any lock service. Modelled on restic's locks:
//   - the holder refreshes a heartbeat in the object while it works;
//   - a holder that is dead (same host and boot, process gone or its pid
//     reused) or whose heartbeat is older than the expiry is stale, and is
//     taken over by compare-and-swap on the object's etag, so that of two
//     writers taking over the same stale lock exactly one wins;
//   - a live holder makes the second writer fail at once (FailedCommand
//     kLocked) with a message naming the holder;
//   - a holder that cannot refresh in time, or finds its lock taken over,
//     has lost it: on_lost runs once (commands cancel themselves), and
//     check() throws kLockLost, so a stalled writer stops instead of writing
//     on beside the one that took over (restic 0.16's rule).
// The document also carries an intent (free JSON chosen by the command),
// which tells a later run what an interrupted writer was doing.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "storage/storage.h"

namespace wrapp::storage {

// What a lock object says about its holder.
struct LockHolder {
  std::string purpose;       // "create pkg 1.0", "install pkg 2.0"
  std::string host;          // gethostname()
  std::string boot_id;       // /proc/sys/kernel/random/boot_id: pids are per boot
  int64_t pid = 0;
  uint64_t process_start = 0;  // /proc/<pid>/stat start time: pids are reused
  int64_t started_ms = 0;      // wall clock, ms since the epoch
  int64_t heartbeat_ms = 0;    // last refresh, wall clock
  int64_t expiry_ms = 0;       // stale when heartbeat_ms + expiry_ms < now
  std::string token;           // random: tells our lock from a successor's
  std::string intent;          // JSON text chosen by the command ("" = none)
  // The holder stopped without finishing (its command failed part-way) and
  // left its intent for the next writer: stale at once, like a dead holder.
  bool abandoned = false;

  // One line for messages: "pid 123 on host 'h' (create p 1, since 12:00:01,
  // last heartbeat 3 s ago)".
  std::string describe() const;
  // True when the holder is certainly gone: same host and boot, and no
  // process with its pid and start time exists.
  bool is_dead() const;
  bool is_expired(int64_t now_ms) const;
  // Dead, abandoned, or expired at `now_ms`: the next writer takes over.
  bool is_stale(int64_t now_ms) const { return abandoned || is_dead() || is_expired(now_ms); }
};

class Lock {
 public:
  struct Options {
    std::string purpose;
    std::string intent;  // JSON text, "" for none
    std::chrono::milliseconds refresh{std::chrono::seconds(10)};
    std::chrono::milliseconds expiry{std::chrono::seconds(120)};
    // Called once, from the heartbeat thread, when the lock is lost.
    std::function<void()> on_lost;

    // The defaults, overridden by WRAPP_LOCK_REFRESH_MS / WRAPP_LOCK_EXPIRY_MS
    // (tests use short ones).
    static Options from_environment(std::string purpose);
  };

  // Takes the lock object at `url`. Throws FailedCommand kLocked naming the
  // holder when a live holder has it; takes over a dead or expired one
  // (logging whom it replaced, and handing back the previous holder through
  // `previous` when given, so the caller can resume its intent).
  static std::unique_ptr<Lock> acquire(Storage& storage, const Url& url, Options options,
                                       std::optional<LockHolder>* previous = nullptr);

  // Reads the lock object at `url` without taking it; nullopt when absent.
  // A document that is not a lock throws FailedCommand naming it.
  static std::optional<LockHolder> read(Storage& storage, const Url& url);

  ~Lock();  // releases
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

  // Throws FailedCommand kLockLost when the lock was lost (see above).
  void check() const;
  bool lost() const { return lost_.load(); }

  // Replaces the intent (compare-and-swap on our own etag).
  void set_intent(const std::string& intent);

  // Removes the lock object if it is still ours. Idempotent.
  void release();

  // Stops holding the lock but leaves the object, marked abandoned, with its
  // intent: for a command that failed part-way, so that the next writer
  // takes over at once and knows what was left unfinished (even within this
  // same process, whose pid is still alive). Idempotent; after release() it
  // does nothing.
  void abandon();

  const LockHolder& holder() const { return holder_; }
  const Url& url() const { return url_; }

 private:
  Lock(Storage& storage, Url url, LockHolder holder, std::string etag, Options options);
  void heartbeat_loop();
  // Marks the lock released and stops the heartbeat thread; false when it
  // already was (release and abandon are idempotent).
  bool stop_holding();
  // With mu_ held: rewrites our object with a fresh heartbeat, by
  // compare-and-swap on etag_. False when it is not ours any more (taken
  // over or removed); throws on other failures.
  bool refresh_locked();
  // With mu_ held: records the first loss (the heartbeat thread then calls
  // on_lost).
  void mark_lost_locked(std::string reason);
  [[noreturn]] void throw_lost() const;
  int64_t since_last_refresh_ms() const;

  Storage& storage_;
  Url url_;
  LockHolder holder_;  // heartbeat_ms as acquired; intent as set (under mu_)
  std::string etag_;   // of the version we wrote last (under mu_)
  Options options_;
  std::atomic<bool> lost_{false};
  std::string lost_reason_;  // written once, before lost_ is set
  std::atomic<bool> released_{false};
  // steady_clock nanoseconds of the last successful write: check() reads it
  // without waiting for a refresh in progress.
  std::atomic<int64_t> last_refresh_ns_{0};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread heartbeat_;
};

}  // namespace wrapp::storage
