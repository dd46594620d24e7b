// Conformance suite for Storage backends, modelled on rclone's fstest: every
// backend must pass the same tests of the contracts written down in
// storage/storage.h. A backend is added by adding one StorageBackend entry to
// the INSTANTIATE_TEST_SUITE_P list at the bottom (a factory that yields the
// Storage and a fresh, empty root URL below which the test may write).
//
// Capabilities that are optional (Features) are checked when announced and
// checked to fail cleanly when not. Local-only behaviour (symbolic links,
// inodes, file modes) lives in the StorageLocal* suites further down.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "util/test_data.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "storage/local/backend.h"
#include "storage/storage.h"
#include "storage/url.h"
#include "util/error.h"

namespace wrapp::storage {
namespace {

namespace fs = std::filesystem;

// What a backend factory returns for one test.
struct StorageTarget {
  std::shared_ptr<Storage> storage;  // may be non-owning (no-op deleter)
  Url root;                          // fresh, empty folder/prefix for this test
  std::function<void()> cleanup;     // removes everything below root
};

struct StorageBackend {
  std::string name;  // gtest parameter name: [A-Za-z0-9_]
  std::function<StorageTarget()> make;
};

std::string make_temp_dir(const char* tag) {
  std::string tmpl = (fs::temp_directory_path() / (std::string("wrapp-") + tag + "-XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

void remove_tree(const std::string& dir) {
  std::error_code ec;
  // Read-only files are fine to remove (the folder is writable); folders
  // made read-only by a test would not be, so restore them first.
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
  }
  fs::remove_all(dir, ec);
}

// Readable parameter in gtest messages.
void PrintTo(const StorageBackend& backend, std::ostream* os) { *os << backend.name; }

StorageTarget local_target(std::shared_ptr<Storage> storage) {
  std::string dir = make_temp_dir("conformance");
  return StorageTarget{std::move(storage), Url::from_local_path(dir), [dir] { remove_tree(dir); }};
}

// A fresh LocalStorage object per test.
StorageBackend local_backend() {
  return {"local", [] { return local_target(std::make_shared<LocalStorage>()); }};
}

// The backend that commands reach through a Resolver.
StorageBackend routed_local_backend() {
  return {"local_resolver", [] {
            static Resolver resolver;
            Url probe = Url::from_local_path("/");
            std::shared_ptr<Storage> routed(&resolver.for_url(probe), [](Storage*) {});
            return local_target(std::move(routed));
          }};
}

ListOptions opts(bool recursive, bool include_dirs = false,
                 SymlinkPolicy symlinks = SymlinkPolicy::kRefuseOutside) {
  ListOptions o;
  o.recursive = recursive;
  o.include_dirs = include_dirs;
  o.symlinks = symlinks;
  return o;
}

using wrapp::testing::pattern;

class StorageConformance : public ::testing::TestWithParam<StorageBackend> {
 protected:
  void SetUp() override {
    target_ = GetParam().make();
    ASSERT_TRUE(target_.storage);
  }
  void TearDown() override {
    if (target_.cleanup) target_.cleanup();
  }

  Storage& s() { return *target_.storage; }
  Url at(const std::string& rel) const { return target_.root.join(rel); }

  void put(const std::string& rel, const std::string& content, WriteOptions options = {}) {
    options.size_hint = content.size();
    auto w = s().open_write(at(rel), options);
    ASSERT_TRUE(w);
    if (!content.empty()) w->write_at(0, content.data(), content.size());
    w->commit();
  }

  // Whole content, or "<absent>".
  std::string get(const std::string& rel) {
    auto r = s().open_read(at(rel));
    if (!r) return "<absent>";
    std::string out(r->size(), '\0');
    size_t n = r->read_at(0, out.data(), out.size());
    out.resize(n);
    return out;
  }

  // Every file below the root (recursive, files only), e.g. to prove that no
  // temporary object was left behind.
  std::vector<std::string> all_files() {
    std::vector<std::string> out;
    for (const auto& e : list_all(s(), target_.root, ListOptions{})) out.push_back(e.relative_path);
    return out;
  }

  std::vector<std::string> paths(const std::vector<ListEntry>& entries) {
    std::vector<std::string> out;
    for (const auto& e : entries) out.push_back(e.relative_path);
    return out;
  }

  StorageTarget target_;
};

TEST_P(StorageConformance, NameIsNotEmpty) { EXPECT_FALSE(s().name().empty()); }

TEST_P(StorageConformance, StatOfAbsentIsNullopt) {
  EXPECT_EQ(s().stat(at("nothing-here")), std::nullopt);
  EXPECT_EQ(s().stat(at("no/such/folder/file")), std::nullopt);
}

TEST_P(StorageConformance, OpenReadOfAbsentIsNull) {
  EXPECT_EQ(s().open_read(at("nothing-here")), nullptr);
  EXPECT_EQ(s().open_read(at("no/such/folder/file")), nullptr);
}

TEST_P(StorageConformance, WriteThenStatAndRead) {
  std::string data = pattern(12345, 1);
  put("file.bin", data);
  auto info = s().stat(at("file.bin"));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->size, data.size());
  EXPECT_FALSE(info->is_dir);
  EXPECT_EQ(get("file.bin"), data);
  auto r = s().open_read(at("file.bin"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->size(), data.size());
}

TEST_P(StorageConformance, EmptyObject) {
  put("empty", "");
  auto info = s().stat(at("empty"));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->size, 0u);
  EXPECT_EQ(get("empty"), "");
}

TEST_P(StorageConformance, ObjectIsVisibleOnlyAfterCommit) {
  std::string data = pattern(5000, 2);
  auto w = s().open_write(at("late.bin"), WriteOptions{});
  w->write_at(0, data.data(), data.size());
  EXPECT_EQ(s().stat(at("late.bin")), std::nullopt);
  EXPECT_EQ(s().open_read(at("late.bin")), nullptr);
  for (const auto& p : all_files()) EXPECT_NE(p, "late.bin");
  w->commit();
  auto info = s().stat(at("late.bin"));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->size, data.size());
  EXPECT_EQ(get("late.bin"), data);
  w.reset();
  EXPECT_EQ(all_files(), std::vector<std::string>{"late.bin"});
}

TEST_P(StorageConformance, AbandonedWriterLeavesNothing) {
  {
    auto w = s().open_write(at("sub/abandoned.bin"), WriteOptions{.size_hint = 1 << 20});
    std::string data = pattern(1 << 16, 3);
    w->write_at(0, data.data(), data.size());
  }
  EXPECT_EQ(s().stat(at("sub/abandoned.bin")), std::nullopt);
  EXPECT_EQ(all_files(), std::vector<std::string>{});
}

// In-place writes (unpublished version folders): same result, no temporary
// names, and an abandoned write still leaves nothing behind.
TEST_P(StorageConformance, InPlaceWriteCommitsAndAbandonsCleanly) {
  put("v/a.bin", "in place", WriteOptions{.in_place = true});
  EXPECT_EQ(get("v/a.bin"), "in place");
  put("v/a.bin", "replaced", WriteOptions{.overwrite = true, .read_only = true, .in_place = true});
  EXPECT_EQ(get("v/a.bin"), "replaced");
  put("v/a.bin", "again over a read-only one", WriteOptions{.overwrite = true, .in_place = true});
  EXPECT_EQ(get("v/a.bin"), "again over a read-only one");
  EXPECT_THROW(put("v/a.bin", "no overwrite", WriteOptions{.in_place = true}), FailedCommand);
  EXPECT_EQ(get("v/a.bin"), "again over a read-only one");
  {
    auto w = s().open_write(at("v/partial.bin"), WriteOptions{.in_place = true});
    w->write_at(0, "part", 4);
  }
  EXPECT_EQ(s().stat(at("v/partial.bin")), std::nullopt);
  EXPECT_EQ(all_files(), std::vector<std::string>{"v/a.bin"});
}

TEST_P(StorageConformance, AbandonedOverwriteKeepsTheOldObject) {
  put("keep", "old content");
  {
    auto w = s().open_write(at("keep"), WriteOptions{.overwrite = true});
    w->write_at(0, "new", 3);
  }
  EXPECT_EQ(get("keep"), "old content");
  EXPECT_EQ(all_files(), std::vector<std::string>{"keep"});
}

TEST_P(StorageConformance, OpenWriteWithoutOverwriteRefusesExisting) {
  put("exists.txt", "first");
  try {
    auto w = s().open_write(at("exists.txt"), WriteOptions{});
    ADD_FAILURE() << "open_write without overwrite accepted an existing object";
  } catch (const FailedCommand& e) {
    EXPECT_NE(std::string(e.what()).find("exists.txt"), std::string::npos) << e.what();
  }
  EXPECT_EQ(get("exists.txt"), "first");
  EXPECT_EQ(all_files(), std::vector<std::string>{"exists.txt"});
}

TEST_P(StorageConformance, CommitRefusesTargetThatAppearedMeanwhile) {
  auto w = s().open_write(at("race.txt"), WriteOptions{});
  w->write_at(0, "mine", 4);
  put("race.txt", "theirs");
  try {
    w->commit();
    ADD_FAILURE() << "commit without overwrite replaced an object that appeared meanwhile";
  } catch (const FailedCommand& e) {
    EXPECT_NE(std::string(e.what()).find("race.txt"), std::string::npos) << e.what();
  }
  w.reset();
  EXPECT_EQ(get("race.txt"), "theirs");
  EXPECT_EQ(all_files(), std::vector<std::string>{"race.txt"});
}

TEST_P(StorageConformance, OverwriteReplaces) {
  put("x.txt", "a much longer first version");
  put("x.txt", "short", WriteOptions{.overwrite = true});
  EXPECT_EQ(get("x.txt"), "short");
  EXPECT_EQ(s().stat(at("x.txt"))->size, 5u);
  // overwrite=true on an absent object simply creates it.
  put("y.txt", "new", WriteOptions{.overwrite = true});
  EXPECT_EQ(get("y.txt"), "new");
  EXPECT_EQ(all_files(), (std::vector<std::string>{"x.txt", "y.txt"}));
}

TEST_P(StorageConformance, SizeHintLargerThanContentIsTrimmed) {
  auto w = s().open_write(at("hinted"), WriteOptions{.size_hint = 1 << 20});
  w->write_at(0, "0123456789", 10);
  w->commit();
  EXPECT_EQ(s().stat(at("hinted"))->size, 10u);
  EXPECT_EQ(get("hinted"), "0123456789");
}

TEST_P(StorageConformance, ParentsAreCreatedImplicitly) {
  put("a/b/c/deep.txt", "deep");
  EXPECT_EQ(get("a/b/c/deep.txt"), "deep");
  if (s().features().real_folders) {
    auto dir = s().stat(at("a/b"));
    ASSERT_TRUE(dir);
    EXPECT_TRUE(dir->is_dir);
  }
  EXPECT_EQ(all_files(), std::vector<std::string>{"a/b/c/deep.txt"});
}

TEST_P(StorageConformance, SequentialWritesInPieces) {
  std::string data = pattern(300000, 4);
  auto w = s().open_write(at("pieces"), WriteOptions{.size_hint = data.size()});
  for (size_t off = 0; off < data.size(); off += 65536) {
    size_t n = std::min<size_t>(65536, data.size() - off);
    w->write_at(off, data.data() + off, n);
  }
  w->commit();
  EXPECT_EQ(get("pieces"), data);
}

TEST_P(StorageConformance, ParallelWritesOnDisjointRanges) {
  if (!s().features().parallel_write) GTEST_SKIP() << "backend has no parallel_write";
  constexpr size_t kPiece = 64 * 1024 + 7;
  constexpr size_t kPieces = 24;
  std::string data = pattern(kPiece * kPieces - 100, 5);
  auto w = s().open_write(at("parallel.bin"), WriteOptions{.size_hint = data.size()});
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (size_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      try {
        // Each thread writes every 4th piece, from the end backwards.
        for (size_t i = kPieces; i-- > 0;) {
          if (i % 4 != t) continue;
          size_t off = i * kPiece;
          size_t n = std::min(kPiece, data.size() - off);
          w->write_at(off, data.data() + off, n);
        }
      } catch (...) {
        ++errors;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  w->commit();
  EXPECT_EQ(get("parallel.bin"), data);
}

TEST_P(StorageConformance, ReadAtIsShortOnlyAtTheEnd) {
  std::string data = pattern(1000, 6);
  put("r.bin", data);
  auto r = s().open_read(at("r.bin"));
  ASSERT_TRUE(r);
  std::string buf(4096, '\0');
  EXPECT_EQ(r->read_at(0, buf.data(), 100), 100u);
  EXPECT_EQ(buf.substr(0, 100), data.substr(0, 100));
  EXPECT_EQ(r->read_at(500, buf.data(), 500), 500u);
  EXPECT_EQ(buf.substr(0, 500), data.substr(500));
  EXPECT_EQ(r->read_at(990, buf.data(), 100), 10u);
  EXPECT_EQ(buf.substr(0, 10), data.substr(990));
  EXPECT_EQ(r->read_at(0, buf.data(), buf.size()), 1000u);
  EXPECT_EQ(buf.substr(0, 1000), data);
  EXPECT_EQ(r->read_at(1000, buf.data(), 1), 0u);
  EXPECT_EQ(r->read_at(5000, buf.data(), 10), 0u);
  EXPECT_EQ(r->read_at(10, buf.data(), 0), 0u);
}

TEST_P(StorageConformance, ConcurrentReadsOfOneReader) {
  std::string data = pattern(256 * 1024, 7);
  put("cr.bin", data);
  auto r = s().open_read(at("cr.bin"));
  ASSERT_TRUE(r);
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::string buf(4096, '\0');
      for (size_t off = static_cast<size_t>(t) * 4096; off < data.size(); off += 4 * 4096) {
        if (r->read_at(off, buf.data(), buf.size()) != buf.size() || buf != data.substr(off, buf.size())) ++bad;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
}

class StorageConformanceListing : public StorageConformance {
 protected:
  void SetUp() override {
    StorageConformance::SetUp();
    if (HasFatalFailure()) return;
    for (const auto& [p, c] : files_) put(p, c);
  }
  std::vector<std::pair<std::string, std::string>> files_ = {
      {"b.txt", "bb"},   {"a/1", "1"},       {"a/2", "22"},    {"a/sub/3", "333"},
      {"a-b.txt", "ab"}, {"c/x", "xxxx"},    {"c/y/z", "z"},   {"aa", ""},
  };
};

TEST_P(StorageConformanceListing, RecursiveIsSortedWithSizes) {
  auto entries = list_all(s(), target_.root, ListOptions{});
  std::vector<std::string> expected;
  for (const auto& [p, c] : files_) expected.push_back(p);
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(paths(entries), expected);
  EXPECT_TRUE(std::is_sorted(entries.begin(), entries.end(),
                             [](const ListEntry& x, const ListEntry& y) { return x.relative_path < y.relative_path; }));
  for (const auto& e : entries) {
    EXPECT_FALSE(e.info.is_dir) << e.relative_path;
    auto it = std::find_if(files_.begin(), files_.end(), [&](const auto& f) { return f.first == e.relative_path; });
    ASSERT_NE(it, files_.end());
    EXPECT_EQ(e.info.size, it->second.size()) << e.relative_path;
  }
}

TEST_P(StorageConformanceListing, ListOfASubfolderIsRelativeToIt) {
  EXPECT_EQ(paths(list_all(s(), at("a"), ListOptions{})), (std::vector<std::string>{"1", "2", "sub/3"}));
  EXPECT_EQ(paths(list_all(s(), at("c/y"), ListOptions{})), (std::vector<std::string>{"z"}));
}

TEST_P(StorageConformanceListing, NonRecursive) {
  EXPECT_EQ(paths(list_all(s(), target_.root, opts(false))),
            (std::vector<std::string>{"a-b.txt", "aa", "b.txt"}));
}

TEST_P(StorageConformanceListing, IncludeDirs) {
  auto top = list_all(s(), target_.root, opts(false, true));
  EXPECT_EQ(paths(top), (std::vector<std::string>{"a", "a-b.txt", "aa", "b.txt", "c"}));
  for (const auto& e : top) EXPECT_EQ(e.info.is_dir, e.relative_path == "a" || e.relative_path == "c") << e.relative_path;

  auto all = list_all(s(), target_.root, opts(true, true));
  EXPECT_EQ(paths(all), (std::vector<std::string>{"a", "a-b.txt", "a/1", "a/2", "a/sub", "a/sub/3", "aa", "b.txt",
                                                  "c", "c/x", "c/y", "c/y/z"}));
}

TEST_P(StorageConformanceListing, DescendPrunes) {
  std::mutex mu;
  std::set<std::string> asked;
  ListOptions options;
  options.descend = [&](const std::string& dir) {
    std::lock_guard lock(mu);
    asked.insert(dir);
    return dir != "a";
  };
  EXPECT_EQ(paths(list_all(s(), target_.root, options)), (std::vector<std::string>{"a-b.txt", "aa", "b.txt", "c/x", "c/y/z"}));
  EXPECT_EQ(asked, (std::set<std::string>{"a", "c", "c/y"}));

  // A pruned folder itself is still listed with include_dirs; its content is not.
  options.include_dirs = true;
  options.descend = [](const std::string& dir) { return dir != "c/y"; };
  EXPECT_EQ(paths(list_all(s(), target_.root, options)),
            (std::vector<std::string>{"a", "a-b.txt", "a/1", "a/2", "a/sub", "a/sub/3", "aa", "b.txt", "c", "c/x",
                                      "c/y"}));
}

TEST_P(StorageConformanceListing, MissingFolderIsEmpty) {
  EXPECT_TRUE(list_all(s(), at("missing"), ListOptions{}).empty());
  EXPECT_TRUE(list_all(s(), at("missing/deeper"), opts(true, true)).empty());
}

TEST_P(StorageConformanceListing, ListingAFileThrows) {
  EXPECT_THROW(list_all(s(), at("b.txt"), ListOptions{}), FailedCommand);
  EXPECT_THROW(list_all(s(), at("a/sub/3"), opts(false)), FailedCommand);
}

TEST_P(StorageConformance, RemoveReportsAbsence) {
  EXPECT_FALSE(s().remove(at("never-was")));
  put("gone", "x");
  EXPECT_TRUE(s().remove(at("gone")));
  EXPECT_EQ(s().stat(at("gone")), std::nullopt);
  EXPECT_FALSE(s().remove(at("gone")));
  EXPECT_EQ(all_files(), std::vector<std::string>{});
}

TEST_P(StorageConformance, ServerSideCopy) {
  if (!s().features().server_side_copy) GTEST_SKIP() << "backend has no server-side copy";
  std::string data = pattern(3 * 1024 * 1024 + 17, 8);
  put("src.bin", data);
  put("empty", "");
  s().copy(at("src.bin"), at("dst/copy.bin"), WriteOptions{});
  EXPECT_EQ(get("dst/copy.bin"), data);
  s().copy(at("empty"), at("dst/empty"), WriteOptions{});
  auto info = s().stat(at("dst/empty"));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->size, 0u);
  EXPECT_EQ(get("src.bin"), data);  // source untouched
  EXPECT_EQ(all_files(), (std::vector<std::string>{"dst/copy.bin", "dst/empty", "empty", "src.bin"}));
}

TEST_P(StorageConformance, ServerSideCopyHonoursOverwrite) {
  if (!s().features().server_side_copy) GTEST_SKIP() << "backend has no server-side copy";
  put("src", "source bytes");
  put("dst", "old");
  EXPECT_THROW(s().copy(at("src"), at("dst"), WriteOptions{}), FailedCommand);
  EXPECT_EQ(get("dst"), "old");
  s().copy(at("src"), at("dst"), WriteOptions{.overwrite = true});
  EXPECT_EQ(get("dst"), "source bytes");
  EXPECT_EQ(all_files(), (std::vector<std::string>{"dst", "src"}));
}

TEST_P(StorageConformance, LinkSharesDataOrDeclines) {
  std::string data = pattern(70000, 9);
  put("orig", data);
  for (LinkMode mode : {LinkMode::kHardlink, LinkMode::kReflink}) {
    SCOPED_TRACE(mode == LinkMode::kHardlink ? "hardlink" : "reflink");
    bool announced = mode == LinkMode::kHardlink ? s().features().hardlink : s().features().reflink;
    std::string to = mode == LinkMode::kHardlink ? "linked/hard" : "linked/ref";
    bool linked = false;
    ASSERT_NO_THROW(linked = s().link(at("orig"), at(to), mode, WriteOptions{}));
    if (!announced) {
      EXPECT_FALSE(linked);
    }
    if (linked) {
      EXPECT_EQ(get(to), data);
    } else {
      EXPECT_EQ(s().stat(at(to)), std::nullopt);
    }
  }
  // Whatever was declined left no partial object behind.
  for (const auto& p : all_files()) {
    EXPECT_TRUE(p == "orig" || p == "linked/hard" || p == "linked/ref") << p;
  }
  EXPECT_EQ(get("orig"), data);
}

TEST_P(StorageConformance, ReadOnlyWriteIsReadable) {
  put("ro.txt", "read only", WriteOptions{.read_only = true});
  EXPECT_EQ(get("ro.txt"), "read only");
  // A read-only object can still be removed or replaced through the API.
  put("ro.txt", "replaced", WriteOptions{.overwrite = true, .read_only = true});
  EXPECT_EQ(get("ro.txt"), "replaced");
  EXPECT_TRUE(s().remove(at("ro.txt")));
}

TEST_P(StorageConformance, SyncDoesNotThrow) {
  put("a/file", "x");
  EXPECT_NO_THROW(s().sync(target_.root));
  EXPECT_NO_THROW(s().sync(at("a")));
  EXPECT_NO_THROW(s().sync(at("missing")));
}

TEST_P(StorageConformance, ConcurrentWritersOfDifferentObjects) {
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      try {
        std::string data = pattern(10000 + static_cast<size_t>(t), static_cast<uint64_t>(t));
        auto w = s().open_write(at("many/f" + std::to_string(t)), WriteOptions{});
        w->write_at(0, data.data(), data.size());
        w->commit();
      } catch (...) {
        ++errors;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  for (int t = 0; t < 8; ++t) {
    EXPECT_EQ(get("many/f" + std::to_string(t)), pattern(10000 + static_cast<size_t>(t), static_cast<uint64_t>(t)));
  }
  EXPECT_EQ(all_files().size(), 8u);
}

std::string backend_name(const ::testing::TestParamInfo<StorageBackend>& info) { return info.param.name; }

// One line per backend. Remote backends (S3, Azure, GCS) return a target with
// a unique prefix in a test bucket and a cleanup that deletes it.
INSTANTIATE_TEST_SUITE_P(StorageBackends, StorageConformance,
                         ::testing::Values(local_backend(), routed_local_backend()), backend_name);
INSTANTIATE_TEST_SUITE_P(StorageBackends, StorageConformanceListing,
                         ::testing::Values(local_backend(), routed_local_backend()), backend_name);

// ---------------------------------------------------------------------------
// Local-only behaviour: inodes, file modes, symbolic links.

class StorageLocal : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("local");
    root_ = Url::from_local_path(dir_);
  }
  void TearDown() override { remove_tree(dir_); }

  Url at(const std::string& rel) const { return root_.join(rel); }
  std::string path(const std::string& rel) const { return dir_ + "/" + rel; }
  void put(const std::string& rel, const std::string& content, WriteOptions options = {}) {
    auto w = store_.open_write(at(rel), options);
    w->write_at(0, content.data(), content.size());
    w->commit();
  }
  std::string get(const std::string& rel) { return read_all(store_, at(rel)).value_or("<absent>"); }
  struct stat st(const std::string& rel) {
    struct stat s {};
    EXPECT_EQ(::lstat(path(rel).c_str(), &s), 0) << rel;
    return s;
  }
  std::vector<std::string> dir_names(const std::string& rel) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(rel.empty() ? dir_ : path(rel))) out.push_back(e.path().filename());
    std::sort(out.begin(), out.end());
    return out;
  }

  LocalStorage store_;
  std::string dir_;
  Url root_;
};

TEST_F(StorageLocal, FeaturesOfTheLocalFileSystem) {
  Features f = store_.features();
  EXPECT_TRUE(f.real_folders);
  EXPECT_TRUE(f.server_side_copy);
  EXPECT_TRUE(f.hardlink);
  EXPECT_TRUE(f.parallel_write);
  EXPECT_TRUE(f.stable_identity);
}

TEST_F(StorageLocal, StatReportsIdentity) {
  put("f", "hello");
  auto info = store_.stat(at("f"));
  ASSERT_TRUE(info);
  struct stat s = st("f");
  EXPECT_EQ(info->inode, s.st_ino);
  EXPECT_EQ(info->mtime_ns, static_cast<int64_t>(s.st_mtim.tv_sec) * 1000000000 + s.st_mtim.tv_nsec);
  EXPECT_EQ(info->size, 5u);
  auto dir = store_.stat(root_);
  ASSERT_TRUE(dir);
  EXPECT_TRUE(dir->is_dir);
}

TEST_F(StorageLocal, HardlinkSharesTheInode) {
  put("orig", "shared bytes");
  ASSERT_TRUE(store_.link(at("orig"), at("sub/hard"), LinkMode::kHardlink, WriteOptions{}));
  EXPECT_EQ(st("orig").st_ino, st("sub/hard").st_ino);
  EXPECT_EQ(store_.stat(at("orig"))->inode, store_.stat(at("sub/hard"))->inode);
  EXPECT_EQ(get("sub/hard"), "shared bytes");
}

TEST_F(StorageLocal, HardlinkHonoursOverwrite) {
  put("orig", "new");
  put("target", "old");
  EXPECT_THROW(store_.link(at("orig"), at("target"), LinkMode::kHardlink, WriteOptions{}), FailedCommand);
  EXPECT_EQ(get("target"), "old");
  ASSERT_TRUE(store_.link(at("orig"), at("target"), LinkMode::kHardlink, WriteOptions{.overwrite = true}));
  EXPECT_EQ(get("target"), "new");
  EXPECT_EQ(st("orig").st_ino, st("target").st_ino);
  EXPECT_EQ(dir_names(""), (std::vector<std::string>{"orig", "target"}));
}

TEST_F(StorageLocal, HardlinkOverwriteOfAnExistingLinkLeavesNoTempFile) {
  // Re-installing with --link hardlink over a previous hardlink install:
  // the target already is the same inode as the source.
  put("orig", "shared");
  ASSERT_TRUE(store_.link(at("orig"), at("target"), LinkMode::kHardlink, WriteOptions{}));
  ASSERT_TRUE(store_.link(at("orig"), at("target"), LinkMode::kHardlink, WriteOptions{.overwrite = true}));
  EXPECT_EQ(st("orig").st_ino, st("target").st_ino);
  EXPECT_EQ(st("orig").st_nlink, 2u) << "a stray extra link to the inode exists";
  EXPECT_EQ(dir_names(""), (std::vector<std::string>{"orig", "target"}));
}

TEST_F(StorageLocal, ReflinkClonesOrDeclinesCleanly) {
  std::string data(200000, 'r');
  put("orig", data);
  bool cloned = false;
  ASSERT_NO_THROW(cloned = store_.link(at("orig"), at("clone"), LinkMode::kReflink, WriteOptions{}));
  if (cloned) {
    EXPECT_EQ(get("clone"), data);
    EXPECT_NE(st("orig").st_ino, st("clone").st_ino);  // a clone is a new file
    EXPECT_EQ(dir_names(""), (std::vector<std::string>{"clone", "orig"}));
  } else {
    // ext4, tmpfs: no clone, and no temporary file left behind.
    EXPECT_EQ(dir_names(""), (std::vector<std::string>{"orig"}));
  }
}

TEST_F(StorageLocal, HardlinkAcrossFileSystemsReturnsFalse) {
  // /dev/shm is a tmpfs on most Linux systems; skip when it is the same
  // file system as the temp dir or does not exist.
  struct stat shm {}, tmp {};
  if (::stat("/dev/shm", &shm) != 0 || ::stat(dir_.c_str(), &tmp) != 0 || shm.st_dev == tmp.st_dev ||
      ::access("/dev/shm", W_OK) != 0) {
    GTEST_SKIP() << "no second writable file system";
  }
  std::string other = "/dev/shm/wrapp-xdev-XXXXXX";
  ASSERT_NE(::mkdtemp(other.data()), nullptr);
  Url far = Url::from_local_path(other).join("f");
  put("orig", "data");
  bool hard = true, ref = true;
  EXPECT_NO_THROW(hard = store_.link(at("orig"), far, LinkMode::kHardlink, WriteOptions{}));
  EXPECT_FALSE(hard);
  EXPECT_NO_THROW(ref = store_.link(at("orig"), far, LinkMode::kReflink, WriteOptions{}));
  EXPECT_FALSE(ref);
  EXPECT_EQ(store_.stat(far), std::nullopt);
  EXPECT_TRUE(fs::is_empty(other));
  std::error_code ec;
  fs::remove_all(other, ec);
}

TEST_F(StorageLocal, ReadOnlyClearsWriteBits) {
  put("ro", "x", WriteOptions{.read_only = true});
  EXPECT_EQ(st("ro").st_mode & 0222, 0u);
  put("rw", "x");
  EXPECT_NE(st("rw").st_mode & 0200, 0u);
  put("src", "copy me");
  store_.copy(at("src"), at("ro-copy"), WriteOptions{.read_only = true});
  EXPECT_EQ(st("ro-copy").st_mode & 0222, 0u);
  EXPECT_EQ(get("ro-copy"), "copy me");
}

TEST_F(StorageLocal, NoPartialFilesAfterCommitFailure) {
  auto w = store_.open_write(at("t"), WriteOptions{});
  w->write_at(0, "abc", 3);
  put("t", "other");
  EXPECT_THROW(w->commit(), FailedCommand);
  w.reset();
  EXPECT_EQ(dir_names(""), std::vector<std::string>{"t"});
}

TEST_F(StorageLocal, UncommittedWriterLeavesNoTempFileInTheFolder) {
  auto w = store_.open_write(at("pending"), WriteOptions{});
  w->write_at(0, "abc", 3);
  EXPECT_EQ(::access(path("pending").c_str(), F_OK), -1);
  w.reset();
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(StorageLocal, OpenReadOfAFolderThrows) {
  fs::create_directories(path("d"));
  EXPECT_THROW(store_.open_read(at("d")), Error);
}

// -- symbolic links --------------------------------------------------------

class StorageLocalSymlinks : public StorageLocal {
 protected:
  void SetUp() override {
    StorageLocal::SetUp();
    fs::create_directories(path("tree/sub"));
    put("tree/file.txt", "12345");
    put("tree/sub/inner", "inner");
    put("outside.txt", "outside content");
  }
  void symlink(const std::string& target, const std::string& rel) {
    ASSERT_EQ(::symlink(target.c_str(), path(rel).c_str()), 0) << rel;
  }
  std::vector<ListEntry> list_tree(SymlinkPolicy policy, bool include_dirs = false) {
    return list_all(store_, at("tree"), opts(true, include_dirs, policy));
  }
  // Asserts that listing refuses and names the link.
  void expect_refused(const std::string& link_rel) {
    try {
      auto entries = list_tree(SymlinkPolicy::kRefuseOutside);
      ADD_FAILURE() << "listing accepted the link " << link_rel << " (" << entries.size() << " entries)";
    } catch (const FailedCommand& e) {
      EXPECT_NE(std::string(e.what()).find(link_rel), std::string::npos) << e.what();
    }
  }
};

TEST_F(StorageLocalSymlinks, LinkToAFileInsideIsListedAsThatFile) {
  symlink("file.txt", "tree/link");
  symlink("../file.txt", "tree/sub/uplink");
  for (auto policy : {SymlinkPolicy::kRefuseOutside, SymlinkPolicy::kSkipOutside}) {
    auto entries = list_tree(policy);
    std::vector<std::string> names;
    for (const auto& e : entries) names.push_back(e.relative_path);
    EXPECT_EQ(names, (std::vector<std::string>{"file.txt", "link", "sub/inner", "sub/uplink"}));
    for (const auto& e : entries) {
      EXPECT_FALSE(e.info.is_dir);
      if (e.relative_path == "link" || e.relative_path == "sub/uplink") {
        EXPECT_EQ(e.info.size, 5u);
      }
    }
  }
}

TEST_F(StorageLocalSymlinks, LinkToAFolderInsideIsFollowed) {
  symlink("sub", "tree/alias");
  auto entries = list_tree(SymlinkPolicy::kRefuseOutside, true);
  std::vector<std::string> names;
  for (const auto& e : entries) names.push_back(e.relative_path);
  EXPECT_EQ(names, (std::vector<std::string>{"alias", "alias/inner", "file.txt", "sub", "sub/inner"}));
  EXPECT_TRUE(entries[0].info.is_dir);
}

TEST_F(StorageLocalSymlinks, LinkOutsideIsRefusedOrSkipped) {
  symlink("../../outside.txt", "tree/sub/escape");
  ASSERT_TRUE(fs::exists(path("tree/sub/escape"))) << "the link must resolve, to an outside file";
  expect_refused("escape");
  auto entries = list_tree(SymlinkPolicy::kSkipOutside);
  std::vector<std::string> names;
  for (const auto& e : entries) names.push_back(e.relative_path);
  EXPECT_EQ(names, (std::vector<std::string>{"file.txt", "sub/inner"}));
}

TEST_F(StorageLocalSymlinks, AbsoluteLinkOutsideIsRefused) {
  symlink(path("outside.txt"), "tree/abs");
  expect_refused("abs");
  EXPECT_EQ(list_tree(SymlinkPolicy::kSkipOutside).size(), 2u);
}

TEST_F(StorageLocalSymlinks, BrokenLinkIsRefusedOrSkipped) {
  symlink("does-not-exist", "tree/broken");
  expect_refused("broken");
  auto entries = list_tree(SymlinkPolicy::kSkipOutside);
  std::vector<std::string> names;
  for (const auto& e : entries) names.push_back(e.relative_path);
  EXPECT_EQ(names, (std::vector<std::string>{"file.txt", "sub/inner"}));
}

TEST_F(StorageLocalSymlinks, LinkToAnAncestorFolderIsALoop) {
  symlink("..", "tree/sub/up");
  expect_refused("up");
  auto entries = list_tree(SymlinkPolicy::kSkipOutside, true);
  std::vector<std::string> names;
  for (const auto& e : entries) names.push_back(e.relative_path);
  EXPECT_EQ(names, (std::vector<std::string>{"file.txt", "sub", "sub/inner"}));
}

TEST_F(StorageLocalSymlinks, MutuallyPointingFolderLinksAreALoop) {
  // tree/a/to_b -> ../b and tree/b/to_a -> ../a: neither link points to a
  // folder that contains it, yet following both never ends (a/to_b/to_a/...).
  fs::create_directories(path("tree/a"));
  fs::create_directories(path("tree/b"));
  put("tree/a/fa", "a");
  put("tree/b/fb", "b");
  symlink("../b", "tree/a/to_b");
  symlink("../a", "tree/b/to_a");
  try {
    auto entries = list_tree(SymlinkPolicy::kRefuseOutside);
    ADD_FAILURE() << "a cycle of folder links was listed (" << entries.size() << " entries)";
  } catch (const FailedCommand& e) {
    EXPECT_NE(std::string(e.what()).find("loop"), std::string::npos) << e.what();
  }
  // Skipping keeps each folder once through each link, and drops the link
  // that closes the cycle.
  auto entries = list_tree(SymlinkPolicy::kSkipOutside);
  std::vector<std::string> names;
  for (const auto& e : entries) names.push_back(e.relative_path);
  std::vector<std::string> expected = {"a/fa", "a/to_b/fb", "b/fb", "b/to_a/fa", "file.txt", "sub/inner"};
  if (names.size() > 3 * expected.size()) {
    auto deepest = *std::max_element(names.begin(), names.end(),
                                     [](const std::string& x, const std::string& y) { return x.size() < y.size(); });
    ADD_FAILURE() << names.size() << " entries, the cycle was followed down to '" << deepest << "'";
  } else {
    EXPECT_EQ(names, expected);
  }
}

TEST_F(StorageLocalSymlinks, LinkToTheListedRootIsALoop) {
  symlink(".", "tree/self");
  expect_refused("self");
  EXPECT_EQ(list_tree(SymlinkPolicy::kSkipOutside).size(), 2u);
}

// stat never follows a link beneath the anchor (storage/storage.h): it
// reports the link itself, so that planners see a link where one is and
// nothing is ever written through it. (It used to follow links, and call a
// dangling one absent.) Reads still follow links that stay inside.
TEST_F(StorageLocalSymlinks, StatReportsLinksAsThemselves) {
  symlink("file.txt", "tree/link");
  symlink("nowhere", "tree/dangling");
  auto info = store_.stat(at("tree/link"));
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->is_link);
  EXPECT_FALSE(info->is_file());
  EXPECT_EQ(info->inode, st("tree/link").st_ino);
  auto dangling = store_.stat(at("tree/dangling"));
  ASSERT_TRUE(dangling);
  EXPECT_TRUE(dangling->is_link);
  EXPECT_EQ(get("tree/link"), "12345");
  EXPECT_EQ(store_.open_read(at("tree/dangling")), nullptr);
}

}  // namespace
}  // namespace wrapp::storage
