#include "commands/package_file_argument.h"

#include <gtest/gtest.h>

#include <string>

#include "commands/command_test_support.h"

namespace wrapp::commands::cmdtest {
namespace {

class PackageFileArgumentTest : public BackendTest {
 protected:
  Url argument(const Url& url) {
    Session s;
    return package_file_argument(s.ctx, url.str());
  }
  ErrorCode code_for(const Url& url, std::string* message) {
    try {
      argument(url);
    } catch (const FailedCommand& e) {
      *message = e.what();
      return e.code();
    }
    return ErrorCode::kGeneric;
  }
};

TEST_P(PackageFileArgumentTest, AFolderStandsForItsOnePackageFile) {
  put(root("inst/.p.wrapp"), "{}");
  put(root("inst/data.txt"), "x");
  put(root("inst/sub/.q.wrapp"), "{}");  // below: not the folder's own
  EXPECT_EQ(argument(root("inst")), root("inst/.p.wrapp"));
  // A file, or nothing at all, is the command's to read or report.
  EXPECT_EQ(argument(root("inst/data.txt")), root("inst/data.txt"));
  EXPECT_EQ(argument(root("absent")), root("absent"));
  // A legacy visible name only where no hidden one is.
  put(root("legacy/p.wrapp"), "{}");
  EXPECT_EQ(argument(root("legacy")), root("legacy/p.wrapp"));
  put(root("legacy/.p.wrapp"), "{}");
  EXPECT_EQ(argument(root("legacy")), root("legacy/.p.wrapp"));
}

TEST_P(PackageFileArgumentTest, NoneOrSeveralAreRefusedNamingThem) {
  put(root("plain/data.txt"), "x");
  std::string message;
  EXPECT_EQ(code_for(root("plain"), &message), ErrorCode::kNotFound);
  EXPECT_NE(message.find("no package file"), std::string::npos) << message;
  EXPECT_NE(message.find(root("plain").display()), std::string::npos) << message;

  put(root("two/.a.wrapp"), "{}");
  put(root("two/.b.wrapp"), "{}");
  EXPECT_EQ(code_for(root("two"), &message), ErrorCode::kBadInput);
  EXPECT_NE(message.find("holds 2 package files (.a.wrapp, .b.wrapp)"), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(Backends, PackageFileArgumentTest, ::testing::Values("local", "memory"), backend_name);

}  // namespace
}  // namespace wrapp::commands::cmdtest
