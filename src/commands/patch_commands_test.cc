// create-patch, apply-patch and install --patch, called as the CLI calls
// them, on the local file system and on the in-memory object store.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "commands/apply_patch.h"
#include "commands/catalog.h"
#include "commands/command_test_support.h"
#include "commands/create_patch.h"
#include "commands/install_lock.h"
#include "commands/patch_file.h"

namespace wrapp::commands::cmdtest {
namespace {

using model::PatchOperationType;

class Patches : public BackendTest {
 protected:
  // Catalogs `tree` into the catalog file `file`.
  void catalog_to(const Url& tree, const Url& file) {
    Session s;
    CatalogOptions o;
    o.root_dir = tree.str();
    o.output = file.str();
    catalog(s.ctx, o);
  }
  CreatePatchResult make_patch(const Url& a, const Url& b, const Url& base, const Url& patch,
                               CreatePatchOptions o = {}, SessionOptions so = {}) {
    Session s(so);
    o.a_catalog = a.str();
    o.b_catalog = b.str();
    o.baseline = base.str();
    o.patch = patch.str();
    return create_patch(s.ctx, o);
  }
  ApplyPatchResult apply(const Url& patch, SessionOptions so = {}) {
    Session s(so);
    return apply_patch(s.ctx, {patch.str()});
  }
  // A patch file written by hand, with `target` and the operations' JSON.
  Url hand_patch(const Url& target, const std::string& operations, const std::string& name = "hand.json") {
    Url file = root("patches").join(name);
    put(file, R"({"wrapp_patch_version": 1, "target": ")" + target.str() + R"(", "operations": [)" + operations +
                  "]}");
    return file;
  }
  static std::string copy_op(const Url& src, const std::string& dst, const std::string& content) {
    return R"({"operation_type": "copy", "src": ")" + src.str() + R"(", "dst": ")" + dst + R"(", "hash": ")" +
           model::flat_hash(content.data(), content.size()) + R"(", "size": )" + std::to_string(content.size()) + "}";
  }
  static std::string delete_op(const std::string& url) {
    return R"({"operation_type": "delete", "url": ")" + url + R"("})";
  }
};

// The reference's tutorial: week 1 copied to a target, the target changed
// locally, week 2 published; the patch takes week 2 and keeps local work.
TEST_P(Patches, TutorialTakesUpstreamAndKeepsLocalChanges) {
  Files week1{{"same.txt", "same\n"}, {"up.txt", "upstream 1\n"}, {"gone.txt", "dropped upstream\n"},
              {"mine.txt", "local 1\n"}, {"both.txt", "base\n"}, {"dir/deep.txt", "deep 1\n"}};
  Files week2 = week1;
  week2["up.txt"] = "upstream 2, longer\n";
  week2.erase("gone.txt");
  week2["new/added.txt"] = "added upstream\n";
  week2["both.txt"] = "changed upstream\n";
  week2["dir/deep.txt"] = "deep 2\n";
  Files target = week1;
  target["mine.txt"] = "local 2\n";
  target["both.txt"] = "changed locally\n";
  target["local-only.txt"] = "mine\n";
  put_tree(root("week1"), week1);
  put_tree(root("week2"), week2);
  put_tree(root("target"), target);
  catalog_to(root("week1"), root("cat/week1.json"));
  catalog_to(root("week2"), root("cat/week2.json"));
  catalog_to(root("target"), root("cat/target.json"));

  Url patch = root("cat/patch.json");
  auto made = make_patch(root("cat/target.json"), root("cat/week2.json"), root("cat/week1.json"), patch);
  EXPECT_EQ(made.patch_file, patch.str());
  EXPECT_EQ(made.patch.target, root("target").str());
  ASSERT_EQ(made.patch.conflicts.size(), 1u);
  EXPECT_EQ(made.patch.conflicts[0].relative_path, "both.txt");
  EXPECT_EQ(made.patch.unresolved_conflicts(), 1u);
  std::vector<std::string> ops;
  for (const auto& op : made.patch.operations) ops.push_back(describe(op));
  EXPECT_EQ(ops.size(), 4u) << ::testing::PrintToString(ops);  // up, deep, added; delete gone

  auto applied = apply(patch);
  EXPECT_EQ(applied.exit_code(), 0);
  EXPECT_EQ(applied.applied, 4u);
  Files expected = week2;
  expected["mine.txt"] = "local 2\n";
  expected["both.txt"] = "changed locally\n";  // the conflict: A's version stays
  expected["local-only.txt"] = "mine\n";
  EXPECT_EQ(contents(root("target")), expected);
  EXPECT_FALSE(exists(install_lock_url(root("target"))));

  // Forced: B's version of the conflict too.
  auto forced = make_patch(root("cat/target.json"), root("cat/week2.json"), root("cat/week1.json"), patch,
                           {.overwrite = true, .force = true});
  EXPECT_EQ(forced.patch.unresolved_conflicts(), 0u);
  EXPECT_EQ(apply(patch).exit_code(), 0);
  expected["both.txt"] = "changed upstream\n";
  EXPECT_EQ(contents(root("target")), expected);
}

TEST_P(Patches, AnExistingPatchFileIsKeptUnlessOverwrite) {
  put_tree(root("t"), {{"a", "1"}});
  catalog_to(root("t"), root("cat/t.json"));
  put(root("cat/patch.json"), "mine");
  auto refused = failure_of([&] {
    make_patch(root("cat/t.json"), root("cat/t.json"), root("cat/t.json"), root("cat/patch.json"));
  });
  EXPECT_EQ(code_of(refused), "already_exists") << refused.what();
  EXPECT_EQ(get(root("cat/patch.json")), "mine");
  auto empty = make_patch(root("cat/t.json"), root("cat/t.json"), root("cat/t.json"), root("cat/patch.json"),
                          {.overwrite = true});
  EXPECT_TRUE(empty.patch.operations.empty());
  EXPECT_NE(get(root("cat/patch.json")), "mine");
  // --tags: no store holds tags, so there are none to patch.
  auto tags = make_patch(root("cat/t.json"), root("cat/t.json"), root("cat/t.json"), root("cat/p2.json"),
                         {.tags = true});
  EXPECT_TRUE(tags.patch.operations.empty());
  auto missing = failure_of([&] {
    make_patch(root("cat/nope.json"), root("cat/t.json"), root("cat/t.json"), root("cat/p3.json"));
  });
  EXPECT_NE(std::string(missing.what()).find("nope.json"), std::string::npos) << missing.what();
}

TEST_P(Patches, HostileOperationsAreRefusedBeforeAnythingIsWritten) {
  Url target = root("target");
  put_tree(target, {{"a.txt", "a\n"}, {"keep.txt", "keep\n"}});
  put(root("outside.txt"), "outside\n");
  put(root("src/x"), "x");
  std::string escape = target.str() + "/../outside.txt";
  std::string encoded = target.str() + "/%2e%2e/outside.txt";
  for (const std::string& ops : {
           copy_op(root("src/x"), root("outside.txt").str(), "x"),  // beside the target
           copy_op(root("src/x"), escape, "x"),                     // .. out of it
           delete_op(encoded),                                      // %-encoded ..
           delete_op(target.str()),                                 // the target itself
           delete_op("/etc/passwd"),
           delete_op(target.str() + "/.wrapp-install.lock"),
           delete_op(target.str() + "/a%5Cb"),  // a backslash
           delete_op("not a url://x"),
           copy_op(Url::parse("nosuch://host/x"), target.str() + "/a.txt", "x"),
           copy_op(root("src/x"), target.str() + "/a.txt", "x") + "," + delete_op(target.str() + "/a.txt"),
           copy_op(root("src/x"), target.str() + "/f", "x") + "," + copy_op(root("src/x"), target.str() + "/f/g", "x"),
       }) {
    Url patch = hand_patch(target, delete_op(target.str() + "/keep.txt") + "," + ops);
    auto before = snapshot(root(), false);
    auto e = failure_of([&] { apply(patch); });
    EXPECT_EQ(code_of(e), "bad_input") << e.what();
    EXPECT_NE(std::string(e.what()).find("nothing was changed"), std::string::npos) << e.what();
    EXPECT_EQ(snapshot(root(), false), before) << ops;
  }
}

TEST_P(Patches, CopiesAreVerifiedAndEachFailureIsReported) {
  Url target = root("target");
  put_tree(target, {{"wrong.txt", "old\n"}, {"gone.txt", "bye\n"}});
  put(root("src/good"), "good\n");
  put(faulty("src/bad-size"), "four");
  Url patch = hand_patch(target, copy_op(root("src/good"), target.str() + "/wrong.txt", "GOOD\n") + "," +
                                     copy_op(root("src/good"), target.str() + "/good.txt", "good\n") + "," +
                                     copy_op(faulty("src/bad-size"), target.str() + "/short.txt", "forty two") + "," +
                                     R"({"operation_type": "add_tag", "url": ")" + target.str() +
                                     R"(/good.txt", "tag": {"name": "approved"}})" + "," +
                                     delete_op(target.str() + "/gone.txt"));
  auto r = apply(patch);
  EXPECT_EQ(r.applied, 2u);  // good.txt, and the delete
  ASSERT_EQ(r.failed.size(), 3u);
  // In the order they ran: the copies, the tag, then the delete.
  EXPECT_EQ(r.failed[0].operation.url, target.str() + "/wrong.txt");
  EXPECT_NE(r.failed[0].message.find("does not match its recorded hash"), std::string::npos) << r.failed[0].message;
  EXPECT_EQ(r.failed[1].operation.url, target.str() + "/short.txt");
  EXPECT_NE(r.failed[1].message.find("expected 9"), std::string::npos) << r.failed[1].message;
  EXPECT_EQ(r.failed[2].operation.type, PatchOperationType::kAddTag);
  EXPECT_NE(r.failed[2].message.find("holds no tags"), std::string::npos) << r.failed[2].message;
  EXPECT_EQ(r.exit_code(), 1);
  // Nothing holds bytes other than the patch promised.
  EXPECT_EQ(contents(target), (Files{{"wrong.txt", "old\n"}, {"good.txt", "good\n"}}));

  // A storage failure: exit code 2.
  fail_copy(faulty("src/bad-size"), target.join("s.txt"));
  auto broken = apply(hand_patch(target, copy_op(faulty("src/bad-size"), target.str() + "/s.txt", "four"), "2.json"));
  clear_faults();
  ASSERT_EQ(broken.failed.size(), 1u);
  EXPECT_EQ(broken.exit_code(), 2);
  EXPECT_FALSE(exists(target.join("s.txt")));
}

TEST_P(Patches, DeletesThatClearTheWayRunFirst) {
  Url target = root("target");
  put_tree(target, {{"file-becomes-folder", "f"}, {"folder-becomes-file/x", "x"}, {"folder-becomes-file/y", "y"}});
  put(root("src/one"), "1");
  Url patch = hand_patch(target, copy_op(root("src/one"), target.str() + "/file-becomes-folder/inner", "1") + "," +
                                     copy_op(root("src/one"), target.str() + "/folder-becomes-file", "1") + "," +
                                     delete_op(target.str() + "/folder-becomes-file/x") + "," +
                                     delete_op(target.str() + "/folder-becomes-file/y") + "," +
                                     delete_op(target.str() + "/file-becomes-folder"));
  auto r = apply(patch);
  EXPECT_EQ(r.exit_code(), 0) << (r.failed.empty() ? "" : r.failed[0].message);
  EXPECT_EQ(contents(target), (Files{{"file-becomes-folder/inner", "1"}, {"folder-becomes-file", "1"}}));
  // The order of execution as reported: the clearing deletes first.
  ASSERT_EQ(r.patch.operations.size(), 5u);
  EXPECT_EQ(r.patch.operations[0].type, PatchOperationType::kDelete);
  EXPECT_EQ(r.patch.operations[3].type, PatchOperationType::kCopy);
}

TEST_P(Patches, DryRunWritesNothingAndAMissingPatchIsNamed) {
  Url target = root("target");
  put_tree(target, {{"a", "a"}});
  put(root("src/b"), "b");
  Url patch = hand_patch(target, copy_op(root("src/b"), target.str() + "/b", "b") + "," + delete_op(target.str() + "/a"));
  auto before = snapshot(root(), false);
  auto r = apply(patch, {.dry_run = true});
  EXPECT_TRUE(r.dry_run);
  EXPECT_EQ(r.applied, 0u);
  EXPECT_EQ(r.patch.operations.size(), 2u);
  EXPECT_EQ(snapshot(root(), false), before);

  auto missing = failure_of([&] { apply(root("nope.json")); });
  EXPECT_EQ(code_of(missing), "not_found");
  EXPECT_NE(std::string(missing.what()).find("nope.json"), std::string::npos) << missing.what();
}

// install --patch keeps the local changes that conflict, installs the rest,
// and apply-patch then takes the new version there.
TEST_P(Patches, InstallWithPatchThenApplyPatch) {
  Url repo = root("repo"), dest = root("work");
  publish_both(root(), repo);
  install_pkg(repo, dest, "1");
  put(dest.join("a.txt"), "alpha, my edit\n");          // v2 changes it too: conflict
  put(dest.join("dir/c.txt"), "charlie, my edit\n");    // v2 drops it: conflict
  store(dest).remove(dest.join("keep.txt"));            // v2 keeps it: conflict (deleted)
  put(dest.join("z.txt"), "zulu?\n");                   // v2 adds another: conflict
  auto refused = failure_of([&] { install_pkg(repo, dest, "2"); });
  EXPECT_EQ(code_of(refused), "conflict");

  Url patch = root("install.patch.json");
  Session s;
  InstallOptions o;
  o.package_name = kPkg;
  o.version = "2";
  o.destination = dest.str();
  o.repo = repo.str();
  o.patch_file = patch.str();
  auto r = install(s.ctx, o);
  ASSERT_TRUE(r.patch);
  EXPECT_EQ(installed_version(dest), "2");
  Files expected = v2_files();
  expected["a.txt"] = "alpha, my edit\n";
  expected["dir/c.txt"] = "charlie, my edit\n";
  expected.erase("keep.txt");
  expected["z.txt"] = "zulu?\n";
  EXPECT_EQ(contents(dest), expected);
  std::vector<std::string> kept;
  for (const auto& c : r.patch->conflicts) kept.push_back(c.relative_path + ": " + c.reason);
  EXPECT_EQ(kept, (std::vector<std::string>{"a.txt: modified", "dir/c.txt: modified",
                                            "keep.txt: missing (a package file was deleted)",
                                            "z.txt: not part of the package; install would overwrite it"}));
  Session read;
  auto written = read_patch_file(read.ctx, patch);
  EXPECT_EQ(written.target, dest.str());
  EXPECT_EQ(written.operations, r.patch->operations);
  EXPECT_FALSE(status_lines(dest).empty());

  auto applied = apply(patch);
  EXPECT_EQ(applied.exit_code(), 0) << (applied.failed.empty() ? "" : applied.failed[0].message);
  EXPECT_EQ(contents(dest), v2_files());
  EXPECT_EQ(status_lines(dest), std::vector<std::string>{});
}

INSTANTIATE_TEST_SUITE_P(Backends, Patches, ::testing::Values("local", "memory"), backend_name);

}  // namespace
}  // namespace wrapp::commands::cmdtest
