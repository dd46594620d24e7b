// Lock objects (storage/lock.h) on the in-memory object store and on the
// local file system.
#include "storage/lock.h"

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/local/backend.h"
#include "storage/memory/memory_storage.h"
#include "util/error.h"

namespace wrapp::storage {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string hostname() {
  char buf[HOST_NAME_MAX + 1] = {};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

std::string boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string line;
  std::getline(in, line);
  return line;
}

// The pid of a process that existed and is gone (reaped).
int64_t dead_pid() {
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int status = 0;
  ::waitpid(child, &status, 0);
  return child;
}

// A lock document as another wrapp process would write it (the format of
// docs/design.md, Locks).
std::string lock_document(int64_t pid, const std::string& host, int64_t heartbeat_ms, int64_t expiry_ms,
                          const std::string& intent = "null") {
  return fmt::format(
      R"({{"wrapp_lock": 1, "purpose": "create p 1", "host": "{}", "boot_id": "{}", "pid": {}, "process_start": 1, )"
      R"("started_ms": {}, "heartbeat_ms": {}, "expiry_ms": {}, "token": "someone-else", "intent": {}}})",
      host, boot_id(), pid, heartbeat_ms, heartbeat_ms, expiry_ms, intent);
}

// Waits up to `limit` for `condition`; returns whether it came true.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit = 5s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// Parameter: "memory" or "local".
class LockTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "memory") {
      MemoryStorage::Options o;
      o.fault = [this](const std::string& op, const std::string& key) {
        std::function<void(const std::string&)> fault;
        {
          std::lock_guard lock(fault_mu_);
          fault = fault_;
        }
        if (fault && key == url_.str()) fault(op);
      };
      store_ = std::make_shared<MemoryStorage>(std::move(o));
      url_ = Url::parse("mem://locks/repo/.packages/p/1.lock");
    } else {
      std::string tmpl = (fs::temp_directory_path() / "wrapp-lock-XXXXXX").string();
      ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
      dir_ = tmpl;
      store_ = std::make_shared<LocalStorage>();
      url_ = Url::from_local_path(dir_).join("repo/.packages/p/1.lock");
    }
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // Called with the operation before each call the memory store makes on
  // the lock object (memory only).
  void set_fault(std::function<void(const std::string& op)> fault) {
    std::lock_guard lock(fault_mu_);
    fault_ = std::move(fault);
  }
  bool has_faults() const { return GetParam() == "memory"; }

  Lock::Options options(std::chrono::milliseconds refresh = 1h, std::chrono::milliseconds expiry = 2h) {
    Lock::Options o;
    o.purpose = "create p 1";
    o.refresh = refresh;
    o.expiry = expiry;
    return o;
  }
  void put(const std::string& content) { write_all(*store_, url_, content, WriteOptions{.overwrite = true}); }
  std::string raw() { return read_all(*store_, url_).value_or("<absent>"); }

  std::shared_ptr<Storage> store_;
  Url url_;
  std::string dir_;
  std::mutex fault_mu_;
  std::function<void(const std::string&)> fault_;
};

// Expects `action` to throw FailedCommand with `code`; returns its message.
template <typename Action>
std::string failure(Action&& action, ErrorCode code) {
  try {
    action();
    ADD_FAILURE() << "no error; expected " << error_code_name(code);
  } catch (const FailedCommand& e) {
    EXPECT_EQ(std::string(error_code_name(e.code())), error_code_name(code)) << e.what();
    return e.what();
  }
  return "";
}

TEST_P(LockTest, AcquireWritesTheHolder) {
  Lock::Options o = options();
  o.intent = R"({"step": "copy"})";
  auto lock = Lock::acquire(*store_, url_, o);
  EXPECT_NE(raw().find("\"wrapp_lock\": 1"), std::string::npos) << raw();
  auto holder = Lock::read(*store_, url_);
  ASSERT_TRUE(holder);
  EXPECT_EQ(holder->purpose, "create p 1");
  EXPECT_EQ(holder->host, hostname());
  EXPECT_EQ(holder->boot_id, boot_id());
  EXPECT_EQ(holder->pid, ::getpid());
  EXPECT_NE(holder->process_start, 0u);
  EXPECT_EQ(holder->expiry_ms, 2 * 3600 * 1000);
  EXPECT_EQ(holder->token, lock->holder().token);
  EXPECT_EQ(holder->token.size(), 32u);
  EXPECT_NE(holder->intent.find("\"copy\""), std::string::npos) << holder->intent;
  EXPECT_LE(holder->heartbeat_ms, now_ms());
  EXPECT_FALSE(holder->is_dead());
  EXPECT_FALSE(holder->is_expired(now_ms()));
  EXPECT_NO_THROW(lock->check());
  EXPECT_EQ(lock->url(), url_);
}

TEST_P(LockTest, SecondAcquireWhileHeldIsLocked) {
  auto lock = Lock::acquire(*store_, url_, options(1h, 90s));
  std::string message = failure([&] { Lock::acquire(*store_, url_, options()); }, ErrorCode::kLocked);
  EXPECT_NE(message.find(url_.display()), std::string::npos) << message;
  EXPECT_NE(message.find(fmt::format("pid {} on host '{}'", ::getpid(), hostname())), std::string::npos) << message;
  EXPECT_NE(message.find("create p 1"), std::string::npos) << message;
  EXPECT_NE(message.find("wait for it to finish"), std::string::npos) << message;
  EXPECT_NE(message.find("expires after 90 s"), std::string::npos) << message;
  EXPECT_EQ(Lock::read(*store_, url_)->token, lock->holder().token);
}

TEST_P(LockTest, LiveHolderOnAnotherHostIsRespected) {
  put(lock_document(1, "build-agent-7", now_ms(), 60000));
  std::string message = failure([&] { Lock::acquire(*store_, url_, options()); }, ErrorCode::kLocked);
  EXPECT_NE(message.find("pid 1 on host 'build-agent-7'"), std::string::npos) << message;
  EXPECT_NE(raw().find("someone-else"), std::string::npos);
}

TEST_P(LockTest, DeadHolderIsTakenOverAndHandedBack) {
  int64_t pid = dead_pid();
  put(lock_document(pid, hostname(), now_ms(), 3600000, R"({"step": "copy", "done": 12})"));
  std::optional<LockHolder> previous;
  auto lock = Lock::acquire(*store_, url_, options(), &previous);
  ASSERT_TRUE(previous);
  EXPECT_EQ(previous->pid, pid);
  EXPECT_EQ(previous->token, "someone-else");
  EXPECT_NE(previous->intent.find("\"done\": 12"), std::string::npos) << previous->intent;
  EXPECT_EQ(Lock::read(*store_, url_)->token, lock->holder().token);
}

// A command that failed part-way abandons its lock: the object stays with
// its intent, and the next writer of this very process (whose pid is alive)
// takes it over at once.
TEST_P(LockTest, AbandonedLockIsTakenOverAtOnceWithItsIntent) {
  auto first = Lock::acquire(*store_, url_, options());
  first->set_intent(R"({"installing": 2})");
  first->abandon();
  auto left = Lock::read(*store_, url_);
  ASSERT_TRUE(left);
  EXPECT_TRUE(left->abandoned);
  EXPECT_FALSE(left->is_dead()) << "the same process: only the mark makes it stale";
  std::optional<LockHolder> previous;
  auto second = Lock::acquire(*store_, url_, options(), &previous);
  ASSERT_TRUE(previous);
  EXPECT_EQ(previous->token, first->holder().token);
  EXPECT_EQ(previous->intent, R"({"installing": 2})");
  EXPECT_FALSE(Lock::read(*store_, url_)->abandoned);
  first->release();  // after abandon: does nothing, the second holder keeps it
  EXPECT_EQ(Lock::read(*store_, url_)->token, second->holder().token);
}

TEST_P(LockTest, ExpiredHolderIsTakenOver) {
  put(lock_document(1, "build-agent-7", now_ms() - 600000, 1000));
  std::optional<LockHolder> previous;
  auto lock = Lock::acquire(*store_, url_, options(), &previous);
  ASSERT_TRUE(previous);
  EXPECT_EQ(previous->host, "build-agent-7");
  EXPECT_EQ(Lock::read(*store_, url_)->token, lock->holder().token);
}

// Of 8 writers taking over one stale lock, exactly one wins; on the memory
// store all of them first reach their compare-and-swap with the same etag.
TEST_P(LockTest, RacingTakeoversHaveExactlyOneWinner) {
  constexpr int kWriters = 8;
  put(lock_document(dead_pid(), hostname(), now_ms(), 3600000));
  std::atomic<int> at_commit{0};
  set_fault([&](const std::string& op) {
    if (op != "commit" || at_commit.load() >= kWriters) return;
    ++at_commit;
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (at_commit.load() < kWriters && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  });
  std::vector<std::unique_ptr<Lock>> won(kWriters);
  std::vector<std::string> lost(kWriters);
  std::vector<std::thread> threads;
  for (int t = 0; t < kWriters; ++t) {
    threads.emplace_back([&, t] {
      try {
        won[t] = Lock::acquire(*store_, url_, options());
      } catch (const std::exception& e) {
        lost[t] = e.what();
        if (!has_code(e, ErrorCode::kLocked)) lost[t] = "unexpected: " + lost[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  set_fault(nullptr);
  int winners = 0;
  for (int t = 0; t < kWriters; ++t) {
    if (won[t]) {
      ++winners;
      EXPECT_EQ(Lock::read(*store_, url_)->token, won[t]->holder().token);
    } else {
      EXPECT_EQ(lost[t].find("unexpected"), std::string::npos) << lost[t];
    }
  }
  EXPECT_EQ(winners, 1);
  if (has_faults()) {
    EXPECT_EQ(at_commit.load(), kWriters) << "the writers did not all race";
  }
}

TEST_P(LockTest, ReplacedLockIsLostOnceAndReleaseLeavesTheNewHolder) {
  constexpr auto kRefresh = 100ms;
  std::atomic<int> lost_calls{0};
  Lock::Options o = options(kRefresh, 60s);
  o.on_lost = [&] { ++lost_calls; };
  auto lock = Lock::acquire(*store_, url_, o);
  auto replaced = std::chrono::steady_clock::now();
  put(lock_document(1, "build-agent-7", now_ms(), 60000));
  ASSERT_TRUE(eventually([&] { return lock->lost(); }));
  auto detected = std::chrono::steady_clock::now() - replaced;
  EXPECT_LT(detected, 10 * kRefresh) << "detected after "
                                     << std::chrono::duration_cast<std::chrono::milliseconds>(detected).count()
                                     << " ms; a refresh every " << kRefresh.count() << " ms";
  ASSERT_TRUE(eventually([&] { return lost_calls.load() > 0; }));
  std::this_thread::sleep_for(3 * kRefresh);
  EXPECT_EQ(lost_calls.load(), 1);
  std::string message = failure([&] { lock->check(); }, ErrorCode::kLockLost);
  EXPECT_NE(message.find(url_.display()), std::string::npos) << message;
  failure([&] { lock->set_intent("{}"); }, ErrorCode::kLockLost);
  lock->release();
  EXPECT_NE(raw().find("someone-else"), std::string::npos) << raw();
}

TEST_P(LockTest, ReleaseAfterTakeoverLeavesTheNewHolder) {
  // The first holder stalls: its heartbeat would come only after its expiry.
  auto stalled = Lock::acquire(*store_, url_, options(1h, 50ms));
  std::this_thread::sleep_for(120ms);
  std::optional<LockHolder> previous;
  auto successor = Lock::acquire(*store_, url_, options(), &previous);
  ASSERT_TRUE(previous);
  EXPECT_EQ(previous->token, stalled->holder().token);
  failure([&] { stalled->check(); }, ErrorCode::kLockLost);
  stalled->release();
  stalled.reset();
  EXPECT_EQ(Lock::read(*store_, url_)->token, successor->holder().token);
  successor->release();
  EXPECT_EQ(Lock::read(*store_, url_), std::nullopt);
}

TEST_P(LockTest, FailingRefreshesLoseTheLockAfterHalfItsExpiry) {
  if (!has_faults()) GTEST_SKIP() << "needs injected faults";
  std::atomic<int> lost_calls{0};
  Lock::Options o = options(20ms, 400ms);
  o.on_lost = [&] { ++lost_calls; };
  auto lock = Lock::acquire(*store_, url_, o);
  auto start = std::chrono::steady_clock::now();
  std::atomic<bool> failing{true};
  set_fault([&](const std::string& op) {
    if (failing && op == "commit") throw StorageError("injected: the store is unreachable");
  });
  ASSERT_TRUE(eventually([&] { return lock->lost(); }));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 200ms) << "lost before half the expiry had passed";
  ASSERT_TRUE(eventually([&] { return lost_calls.load() > 0; }));
  failing = false;
  std::string message = failure([&] { lock->check(); }, ErrorCode::kLockLost);
  EXPECT_NE(message.find("unreachable"), std::string::npos) << message;
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(lost_calls.load(), 1);
  // Still the version we wrote: release removes it.
  lock->release();
  EXPECT_EQ(Lock::read(*store_, url_), std::nullopt);
}

TEST_P(LockTest, HeartbeatRefreshesTheObject) {
  auto lock = Lock::acquire(*store_, url_, options(20ms, 60s));
  int64_t first = Lock::read(*store_, url_)->heartbeat_ms;
  ASSERT_TRUE(eventually([&] { return Lock::read(*store_, url_)->heartbeat_ms > first; }));
  EXPECT_EQ(Lock::read(*store_, url_)->token, lock->holder().token);
  EXPECT_FALSE(lock->lost());
  EXPECT_NO_THROW(lock->check());
}

TEST_P(LockTest, ReleaseRemovesItAndIsIdempotent) {
  {
    auto lock = Lock::acquire(*store_, url_, options(20ms, 60s));
    lock->release();
    EXPECT_EQ(Lock::read(*store_, url_), std::nullopt);
    lock->release();
    EXPECT_NO_THROW(lock->check()) << "a released lock is not a lost one";
    auto again = Lock::acquire(*store_, url_, options());
    EXPECT_TRUE(Lock::read(*store_, url_));
  }
  EXPECT_EQ(Lock::read(*store_, url_), std::nullopt) << "the destructor releases";
}

TEST_P(LockTest, SetIntentUpdatesTheObject) {
  auto lock = Lock::acquire(*store_, url_, options(20ms, 60s));
  EXPECT_EQ(Lock::read(*store_, url_)->intent, "");
  lock->set_intent(R"({"phase": "publish", "files": [1, 2]})");
  auto holder = Lock::read(*store_, url_);
  EXPECT_NE(holder->intent.find("\"publish\""), std::string::npos) << holder->intent;
  EXPECT_NE(lock->holder().intent.find("\"publish\""), std::string::npos);
  // Refreshes keep it.
  int64_t beat = holder->heartbeat_ms;
  ASSERT_TRUE(eventually([&] { return Lock::read(*store_, url_)->heartbeat_ms > beat; }));
  EXPECT_NE(Lock::read(*store_, url_)->intent.find("\"publish\""), std::string::npos);
  EXPECT_THROW(lock->set_intent("{not json"), FailedCommand);
  EXPECT_NE(Lock::read(*store_, url_)->intent.find("\"publish\""), std::string::npos);
  EXPECT_NO_THROW(lock->check());
}

TEST_P(LockTest, ForeignDocumentsAreRefusedNamingThem) {
  for (const char* text : {"not json at all", R"({"some": "config"})", R"([1, 2])", R"({"wrapp_lock": 1})"}) {
    SCOPED_TRACE(text);
    put(text);
    std::string message = failure([&] { Lock::read(*store_, url_); }, ErrorCode::kBadInput);
    EXPECT_NE(message.find(url_.display()), std::string::npos) << message;
    EXPECT_NE(message.find("not a wrapp lock"), std::string::npos) << message;
  }
  put(R"({"wrapp_lock": 7, "pid": 1})");
  std::string message = failure([&] { Lock::read(*store_, url_); }, ErrorCode::kNewerFormat);
  EXPECT_NE(message.find("upgrade wrapp"), std::string::npos) << message;
}

TEST_P(LockTest, AcquireRefusesAForeignDocument) {
  put("{\"hello\": \"world\"}");
  std::string message = failure([&] { Lock::acquire(*store_, url_, options()); }, ErrorCode::kBadInput);
  EXPECT_NE(message.find(url_.display()), std::string::npos) << message;
  EXPECT_EQ(raw(), "{\"hello\": \"world\"}") << "a foreign document was replaced";
}

TEST_P(LockTest, InvalidIntentIsRefusedBeforeAnythingIsWritten) {
  Lock::Options o = options();
  o.intent = "{\"unterminated\": ";
  EXPECT_THROW(Lock::acquire(*store_, url_, o), FailedCommand);
  EXPECT_EQ(Lock::read(*store_, url_), std::nullopt);
}

INSTANTIATE_TEST_SUITE_P(Backends, LockTest, ::testing::Values("memory", "local"),
                         [](const auto& info) { return info.param; });

// -- the holder record -------------------------------------------------------

LockHolder this_process() {
  MemoryStorage store;
  auto lock = Lock::acquire(store, Url::parse("mem://b/lock"), Lock::Options{.purpose = "install p 2"});
  return lock->holder();
}

TEST(LockHolder, DeadOnlyWhenCertainlyGone) {
  LockHolder me = this_process();
  EXPECT_FALSE(me.is_dead());

  LockHolder gone = me;
  gone.pid = dead_pid();
  EXPECT_TRUE(gone.is_dead());

  LockHolder reused = me;  // our pid, but another process's start time
  reused.process_start = me.process_start + 1;
  EXPECT_TRUE(reused.is_dead());

  // A process that exited but was not reaped yet is gone too (its start
  // time unknown here, so only its state tells).
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT), 0);
  LockHolder zombie = me;
  zombie.pid = child;
  zombie.process_start = 0;
  EXPECT_TRUE(zombie.is_dead());
  ::waitpid(child, nullptr, 0);

  LockHolder elsewhere = gone;  // pids of other hosts or boots tell nothing
  elsewhere.host = "build-agent-7";
  EXPECT_FALSE(elsewhere.is_dead());
  LockHolder other_boot = gone;
  other_boot.boot_id = "00000000-0000-0000-0000-000000000000";
  EXPECT_FALSE(other_boot.is_dead());
}

TEST(LockHolder, ExpiredAfterHeartbeatPlusExpiry) {
  LockHolder h;
  h.heartbeat_ms = 1000;
  h.expiry_ms = 500;
  EXPECT_FALSE(h.is_expired(1500));
  EXPECT_TRUE(h.is_expired(1501));
}

TEST(LockHolder, DescribeNamesTheHolder) {
  LockHolder h = this_process();
  h.heartbeat_ms = now_ms() - 3000;
  std::string text = h.describe();
  EXPECT_NE(text.find(fmt::format("pid {} on host '{}'", ::getpid(), hostname())), std::string::npos) << text;
  EXPECT_NE(text.find("install p 2"), std::string::npos) << text;
  EXPECT_NE(text.find("last heartbeat 3 s ago"), std::string::npos) << text;
}

TEST(LockOptions, FromEnvironment) {
  ::unsetenv("WRAPP_LOCK_REFRESH_MS");
  ::unsetenv("WRAPP_LOCK_EXPIRY_MS");
  Lock::Options defaults = Lock::Options::from_environment("create p 1");
  EXPECT_EQ(defaults.purpose, "create p 1");
  EXPECT_EQ(defaults.refresh, 10s);
  EXPECT_EQ(defaults.expiry, 120s);

  ::setenv("WRAPP_LOCK_REFRESH_MS", "50", 1);
  ::setenv("WRAPP_LOCK_EXPIRY_MS", "400", 1);
  Lock::Options quick = Lock::Options::from_environment("x");
  EXPECT_EQ(quick.refresh, 50ms);
  EXPECT_EQ(quick.expiry, 400ms);

  for (const char* bad : {"abc", "-5", "0", "12ms"}) {
    ::setenv("WRAPP_LOCK_REFRESH_MS", bad, 1);
    std::string message = failure([] { Lock::Options::from_environment("x"); }, ErrorCode::kBadInput);
    EXPECT_NE(message.find("WRAPP_LOCK_REFRESH_MS"), std::string::npos) << message;
  }
  ::setenv("WRAPP_LOCK_REFRESH_MS", "500", 1);
  failure([] { Lock::Options::from_environment("x"); }, ErrorCode::kBadInput);
  ::unsetenv("WRAPP_LOCK_REFRESH_MS");
  ::unsetenv("WRAPP_LOCK_EXPIRY_MS");
}

}  // namespace
}  // namespace wrapp::storage
