// Test helper (not part of the library): package trees of several named
// packages (a parent with subpackages, `wrapp new` files), for the tests of
// status, dependency files and create's subpackage checks, on every backend.
#pragma once

#include <functional>
#include <string>

#include "commands/command_test_support.h"
#include "commands/new_package.h"

namespace wrapp::commands::cmdtest {

class PackageTreeTest : public BackendTest {
 protected:
  // `wrapp new NAME VERSION FOLDER` (with --catalog when asked): the file's URL.
  Url new_file(const std::string& name, const std::string& version, const Url& folder, bool with_catalog = false) {
    Session s;
    NewOptions o;
    o.package_name = name;
    o.version = version;
    o.destination = folder.str();
    o.create_catalog = with_catalog;
    return Url::parse(new_package(s.ctx, o).wrapp_file);
  }
  StatusResult status_of(const Url& wrapp_file, const std::function<void(StatusOptions&)>& tweak = {}) {
    Session s;
    StatusOptions o;
    o.wrapp_file = wrapp_file.str();
    if (tweak) tweak(o);
    return status(s.ctx, o);
  }
  model::PackageInfo info_of(const Url& wrapp_file) {
    Session s;
    return require_package_info(s.ctx, wrapp_file, "package file");
  }
  static Url marker_of(const Url& location, const std::string& name) {
    return location.join(model::wrapp_file_name(name));
  }

  // app 1 (a.txt) holding lib 1 (l.txt) at libs/lib, both in `repo`.
  void publish_app_with_lib(const Url& repo) {
    create_package("lib", "1", root("src-lib"), repo, {{"l.txt", "lib\n"}});
    put(root("src-app").join("a.txt"), "app\n");
    install_package("lib", "1", root("src-app").join("libs/lib"), repo);
    create_package("app", "1", root("src-app"), repo);
  }
};

}  // namespace wrapp::commands::cmdtest
