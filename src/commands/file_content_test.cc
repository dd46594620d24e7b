// What the Python face reaches besides the commands: whole files and
// package files read and written through the storage layer, ignore
// predicates in place of rule files, a patch handed over as text, and the
// per-command parameters of a CommandScope.
#include "commands/file_content.h"

#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "commands/apply_patch.h"
#include "commands/catalog.h"
#include "commands/command_test_support.h"
#include "commands/create.h"
#include "commands/session.h"
#include "model/hash_cache.h"
#include "util/error.h"
#include "util/log.h"

namespace wrapp::commands::cmdtest {
namespace {

using nlohmann::json;

class FileContent : public BackendTest {};

TEST_P(FileContent, WholeFilesRoundTripAndAbsenceIsNoError) {
  Session s;
  Url file = root("a/b/c.bin");
  EXPECT_EQ(read_file_content(s.ctx, file.str()), std::nullopt);
  write_file_content(s.ctx, file.str(), std::string("one\0two", 7));
  EXPECT_EQ(read_file_content(s.ctx, file.str()), std::string("one\0two", 7));
  write_file_content(s.ctx, file.str(), "replaced");
  EXPECT_EQ(get(file), "replaced");
}

TEST_P(FileContent, ADryRunWritesNothing) {
  Session s(SessionOptions{.dry_run = true});
  write_file_content(s.ctx, root("x").str(), "x");
  EXPECT_FALSE(exists(root("x")));
}

TEST_P(FileContent, PackageFilesAreCheckedBeforeTheyAreWritten) {
  Session s;
  Url file = root("pkg/.p.wrapp");
  EXPECT_EQ(read_package_file(s.ctx, file.str()), std::nullopt);
  model::PackageInfo info;
  info.name = "p";
  info.version = "1";
  EXPECT_EQ(write_package_file(s.ctx, file.str(), info), file.str());
  auto back = read_package_file(s.ctx, file.str());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->name, "p");
  EXPECT_EQ(back->serialize(), info.serialize());

  info.name = "../escape";
  EXPECT_THROW(write_package_file(s.ctx, file.str(), info), FailedCommand);
  EXPECT_EQ(read_package_file(s.ctx, file.str())->name, "p");  // the old file stays
  put(root("bad.wrapp"), "{not json");
  EXPECT_THROW(read_package_file(s.ctx, root("bad.wrapp").str()), FailedCommand);
}

TEST_P(FileContent, AnIgnorePredicateReplacesTheRuleFiles) {
  put_tree(root("tree"), {{"keep.txt", "k"}, {"skip/a.txt", "a"}, {"x.tmp", "t"}, {"p.auto.png", "p"},
                          {".wrappignore", "keep.txt\n"}});
  std::mutex mu;
  std::set<std::string> asked;
  CatalogOptions o;
  o.root_dir = root("tree").str();
  o.ignore_predicate = [&](std::string_view path, bool is_dir) {
    std::lock_guard lock(mu);
    asked.insert(std::string(path) + (is_dir ? "/" : ""));
    return path == "skip" || path.ends_with(".tmp");
  };
  Session s;
  auto r = catalog(s.ctx, o);
  std::set<std::string> paths;
  for (const auto& item : r.catalog.items) paths.insert(item.relative_path);
  // .wrappignore is not read (keep.txt stays), the built-in rule still holds.
  EXPECT_EQ(paths, (std::set<std::string>{".wrappignore", "keep.txt"}));
  EXPECT_TRUE(asked.count("skip/") || asked.count("skip/a.txt"));
}

TEST_P(FileContent, AFailingPredicateFailsTheCommand) {
  put_tree(root("tree"), {{"a.txt", "a"}});
  CatalogOptions o;
  o.root_dir = root("tree").str();
  o.ignore_predicate = [](std::string_view path, bool) -> bool { fail("predicate failed on {}", path); };
  Session s;
  EXPECT_THROW(catalog(s.ctx, o), FailedCommand);
}

TEST_P(FileContent, APatchGivenAsTextIsCheckedAsAFileIs) {
  put_tree(root("target"), {{"old.txt", "old"}});
  json patch = {{"target", root("target").str()},
                {"operations", json::array({{{"operation_type", "delete"}, {"url", root("target/old.txt").str()}}})}};
  ApplyPatchOptions o;
  o.patch = "<patch>";
  o.patch_text = patch.dump();
  Session s;
  auto r = apply_patch(s.ctx, o);
  EXPECT_EQ(r.applied, 1u);
  EXPECT_FALSE(exists(root("target/old.txt")));

  json outside = patch;
  outside["operations"][0]["url"] = root("elsewhere.txt").str();
  o.patch_text = outside.dump();
  EXPECT_THROW(apply_patch(s.ctx, o), FailedCommand);
  o.patch_text = "{\"target\": 3}";
  EXPECT_THROW(apply_patch(s.ctx, o), FailedCommand);
}

INSTANTIATE_TEST_SUITE_P(Backends, FileContent, ::testing::Values("local", "memory"), backend_name);

TEST(CommandScopeOptionsTest, ACommandsOwnParametersWinOverTheSessions) {
  commands::SessionOptions options;
  options.scheduling.jobs = 2;
  commands::Session session(options);
  exec::ProgressJob& group = *session.runtime().root_job().add_child("Packaging");
  model::HashCache cache;
  std::atomic<int> records{0};
  log::Logger logger(log::Options{.verbose = true, .to_stderr = false,
                                  .callback = [&](log::Level, std::string_view) { ++records; }});
  {
    CommandScope scope(session, {.job_name = "create", .parent_job = &group, .dry_run = true, .hash_cache = &cache,
                                 .logger = &logger});
    EXPECT_TRUE(scope.context().dry_run);
    EXPECT_EQ(scope.context().hash_cache, &cache);
    EXPECT_EQ(&scope.scheduler().root_job(), group.children().at(0));
    log::info("to the command's logger");
  }
  EXPECT_EQ(records.load(), 1);
  CommandScope plain(session);
  EXPECT_FALSE(plain.context().dry_run);
  EXPECT_EQ(plain.context().hash_cache, nullptr);
}

}  // namespace
}  // namespace wrapp::commands::cmdtest
