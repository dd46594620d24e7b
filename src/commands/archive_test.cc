// export, import and freeze, called as the CLI calls them, on the local file
// system and on the in-memory object store. Hostile archives, built byte by
// byte, are in tests/e2e/test_export_import.py.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "commands/command_test_support.h"
#include "commands/export_package.h"
#include "commands/freeze.h"
#include "commands/import_package.h"
#include "util/tar.h"

namespace wrapp::commands::cmdtest {
namespace {

class Archives : public BackendTest {
 protected:
  ExportResult export_pkg(const Url& repo, const std::string& version, const Url& output, bool dedup = false,
                          bool overwrite = false, SessionOptions so = {}) {
    Session s(so);
    ExportOptions o;
    o.package_name = kPkg;
    o.version = version;
    o.output = output.str();
    o.repo = repo.str();
    o.dedup = dedup;
    o.overwrite = overwrite;
    return export_package(s.ctx, o);
  }
  ImportResult import_pkg(const Url& archive, const Url& repo, bool overwrite = false, SessionOptions so = {}) {
    Session s(so);
    ImportOptions o;
    o.package_file = archive.str();
    o.repository = repo.str();
    o.overwrite = overwrite;
    return import_package(s.ctx, o);
  }
  // Member names of a tar, in order.
  std::vector<std::string> members(const Url& archive) {
    std::string bytes = get(archive);
    size_t offset = 0;
    tar::Reader::Source source;
    source.read = [&](void* buf, size_t len) {
      size_t n = std::min(len, bytes.size() - offset);
      std::memcpy(buf, bytes.data() + offset, n);
      offset += n;
      return n;
    };
    tar::Reader r(source, archive.display());
    std::vector<std::string> out;
    while (auto h = r.next()) out.push_back(h->path);
    return out;
  }
};

TEST_P(Archives, ExportThenImportPublishesTheSameVersion) {
  Url repo = root("repo"), other = root("other"), archive = root("out/pkg.tar");
  put_tree(root("src1"), v1_files());
  create_pkg(root("src1"), repo, "1");

  auto exported = export_pkg(repo, "1", archive);
  EXPECT_EQ(exported.files, v1_files().size());
  std::vector<std::string> expected{".pkg.wrapp"};
  for (const auto& [rel, content] : v1_files()) expected.push_back(rel);
  EXPECT_EQ(members(archive), expected) << "the package file first, then the items in catalog order";

  auto imported = import_pkg(archive, other);
  EXPECT_FALSE(imported.no_op);
  EXPECT_EQ(imported.package_name, kPkg);
  EXPECT_EQ(imported.version, "1");
  EXPECT_EQ(contents(version_folder(other, "1")), v1_files());
  EXPECT_EQ(check_report(other, "1"), all_ok(v1_files()));
  Session s;
  auto info = read_package_info(s.ctx, repo_marker_url(other, kPkg, "1"));
  ASSERT_TRUE(info && info->catalog);
  EXPECT_EQ(info->catalog->root, version_folder(other, "1").str());
  EXPECT_TRUE(info->catalog->storage_map.empty());

  install_pkg(other, root("work"), "1");
  EXPECT_EQ(contents(root("work")), v1_files());
  EXPECT_TRUE(import_pkg(archive, other).no_op) << "the same version again changes nothing";
}

TEST_P(Archives, DedupStoresEachContentOnceAndImportsEveryItem) {
  Url repo = root("repo"), other = root("other");
  Files files{{"a.txt", "same\n"}, {"b/a.txt", "same\n"}, {"c.txt", "other\n"}, {"d/e/f.txt", "same\n"}};
  put_tree(root("src"), files);
  create_pkg(root("src"), repo, "1");
  export_pkg(repo, "1", root("plain.tar"));
  export_pkg(repo, "1", root("dedup.tar"), /*dedup=*/true);
  EXPECT_EQ(members(root("plain.tar")).size(), 5u);
  auto names = members(root("dedup.tar"));
  ASSERT_EQ(names.size(), 3u);
  EXPECT_EQ(names[0], ".pkg.wrapp");
  EXPECT_TRUE(names[1].starts_with(".wrapp-blobs/")) << names[1];

  import_pkg(root("dedup.tar"), other);
  EXPECT_EQ(contents(version_folder(other, "1")), files);
  EXPECT_EQ(check_report(other, "1"), all_ok(files));
}

TEST_P(Archives, ExportRefusesAnExistingOutputUnlessOverwrite) {
  Url repo = root("repo"), archive = root("pkg.tar");
  put_tree(root("src1"), v1_files());
  create_pkg(root("src1"), repo, "1");
  put(archive, "mine");
  auto refused = failure_of([&] { export_pkg(repo, "1", archive); });
  EXPECT_EQ(code_of(refused), "already_exists") << refused.what();
  EXPECT_EQ(get(archive), "mine");
  export_pkg(repo, "1", archive, false, /*overwrite=*/true);
  EXPECT_EQ(members(archive).size(), v1_files().size() + 1);
}

TEST_P(Archives, ExportOfADamagedVersionWritesNothing) {
  Url repo = root("repo"), archive = root("pkg.tar");
  put_tree(root("src1"), v1_files());
  create_pkg(root("src1"), repo, "1");
  std::string damaged = get(version_folder(repo, "1").join("b.bin"));
  damaged[5] ^= 1;
  put(version_folder(repo, "1").join("b.bin"), damaged);
  auto refused = failure_of([&] { export_pkg(repo, "1", archive); });
  EXPECT_EQ(code_of(refused), "damaged") << refused.what();
  EXPECT_NE(std::string(refused.what()).find("b.bin"), std::string::npos) << refused.what();
  EXPECT_FALSE(exists(archive)) << "a half-written archive never sits under its name";

  store(version_folder(repo, "1")).remove(version_folder(repo, "1").join("a.txt"));
  auto missing = failure_of([&] { export_pkg(repo, "1", archive); });
  EXPECT_EQ(code_of(missing), "not_found") << missing.what();
  EXPECT_FALSE(exists(archive));
}

TEST_P(Archives, ImportRefusesOtherContentAndOverwriteReplacesIt) {
  Url repo = root("repo"), other = root("other");
  publish_both(root(), repo);
  export_pkg(repo, "2", root("v2.tar"));
  // Version "2" of another repository with v1's files: same name, other content.
  put_tree(root("src-other"), v1_files());
  create_pkg(root("src-other"), other, "2");
  auto before = snapshot(version_folder(other, "2"));
  auto refused = failure_of([&] { import_pkg(root("v2.tar"), other); });
  EXPECT_EQ(code_of(refused), "already_exists") << refused.what();
  EXPECT_EQ(snapshot(version_folder(other, "2")), before);

  auto replaced = import_pkg(root("v2.tar"), other, /*overwrite=*/true);
  EXPECT_TRUE(replaced.replaced);
  EXPECT_EQ(contents(version_folder(other, "2")), v2_files());
  EXPECT_EQ(check_report(other, "2"), all_ok(v2_files()));
}

TEST_P(Archives, AVersionUnderTheOlderPackageFileNameCountsAsPublished) {
  Url repo = root("repo"), other = root("other");
  put_tree(root("src1"), v1_files());
  put_tree(root("src2"), v2_files());
  create_pkg(root("src1"), repo, "1");
  create_pkg(root("src2"), other, "1");
  export_pkg(other, "1", root("other-1.tar"));
  // An older repository: `pkg.wrapp`, no `.pkg.wrapp`.
  Url canonical = repo_marker_url(repo, kPkg, "1");
  Url legacy = version_folder(repo, "1").join(legacy_wrapp_file_name(kPkg));
  put(legacy, get(canonical));
  store(canonical).remove(canonical);

  auto refused = failure_of([&] { import_pkg(root("other-1.tar"), repo); });
  EXPECT_EQ(code_of(refused), "already_exists") << refused.what();
  EXPECT_EQ(contents(version_folder(repo, "1")), v1_files());

  EXPECT_TRUE(import_pkg(root("other-1.tar"), repo, /*overwrite=*/true).replaced);
  EXPECT_FALSE(exists(legacy));
  EXPECT_TRUE(exists(canonical));
  EXPECT_EQ(contents(version_folder(repo, "1")), v2_files());
}

TEST_P(Archives, ImportFinishesWhatAnInterruptedImportLeft) {
  Url repo = root("repo"), other = root("other");
  put_tree(root("src1"), v1_files());
  create_pkg(root("src1"), repo, "1");
  export_pkg(repo, "1", root("pkg.tar"));
  // An import killed part-way: no package file, a file done, one cut short,
  // one that is no part of the version.
  Url folder = version_folder(other, "1");
  put(folder.join("a.txt"), v1_files().at("a.txt"));
  put(folder.join("b.bin"), v1_files().at("b.bin").substr(0, 1000));
  put(folder.join("stray.txt"), "left over\n");
  auto r = import_pkg(root("pkg.tar"), other);
  EXPECT_EQ(actions_of(r.plan)["keep"], (std::vector<std::string>{"a.txt"}));
  EXPECT_EQ(contents(folder), v1_files());
  EXPECT_EQ(check_report(other, "1"), all_ok(v1_files()));
}

TEST_P(Archives, DryRunsWriteNothing) {
  Url repo = root("repo"), other = root("other");
  put_tree(root("src1"), v1_files());
  create_pkg(root("src1"), repo, "1");
  auto planned = export_pkg(repo, "1", root("pkg.tar"), false, false, {.dry_run = true});
  EXPECT_EQ(planned.plan.actions.size(), v1_files().size());
  EXPECT_FALSE(exists(root("pkg.tar")));
  export_pkg(repo, "1", root("pkg.tar"));
  auto would = import_pkg(root("pkg.tar"), other, false, {.dry_run = true});
  EXPECT_EQ(actions_of(would.plan)["copy"].size(), v1_files().size());
  EXPECT_TRUE(snapshot(other).empty());
}

TEST_P(Archives, FreezeCopiesAFolderOrACatalogsFiles) {
  Url src = root("src"), frozen = root("frozen");
  Files files = v1_files();
  files[".sub.wrapp"] = "{\"name\": \"sub\", \"version\": \"1\"}\n";
  put_tree(src, files);
  Session s;
  FreezeOptions o;
  o.source = src.str();
  o.destination = frozen.str();
  auto r = freeze(s.ctx, o);
  EXPECT_EQ(r.plan.actions.size(), files.size());
  EXPECT_EQ(get(frozen.join(".sub.wrapp")), files[".sub.wrapp"]) << "package files are part of the frozen tree";
  EXPECT_EQ(get(frozen.join("b.bin")), files["b.bin"]);

  auto refused = failure_of([&] {
    Session again;
    freeze(again.ctx, o);
  });
  EXPECT_EQ(code_of(refused), "already_exists") << refused.what();

  // From a repository version's package file (a catalog): its bytes verified.
  Url repo = root("repo");
  put_tree(root("src1"), v1_files());
  create_pkg(root("src1"), repo, "1");
  Session c;
  FreezeOptions co;
  co.source = repo_marker_url(repo, kPkg, "1").str();
  co.destination = root("from-catalog").str();
  co.catalog = true;
  freeze(c.ctx, co);
  EXPECT_EQ(contents(root("from-catalog")), v1_files());
}

INSTANTIATE_TEST_SUITE_P(Backends, Archives, ::testing::Values("local", "memory"), backend_name);

}  // namespace
}  // namespace wrapp::commands::cmdtest
