#include "storage/url.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <climits>
#include <string>

#include "util/error.h"
#include "util/paths.h"

namespace wrapp::storage {
namespace {

std::string cwd() {
  char buf[PATH_MAX];
  if (!::getcwd(buf, sizeof buf)) return "/";
  return buf;
}

// "" when `text` parses; otherwise the FailedCommand message.
std::string parse_error(const std::string& text) {
  try {
    Url u = Url::parse(text);
    return "";
  } catch (const FailedCommand& e) {
    return e.what();
  }
}

TEST(UrlParse, BareAbsolutePath) {
  Url u = Url::parse("/tmp/some/file.txt");
  EXPECT_EQ(u.scheme(), "file");
  EXPECT_EQ(u.authority(), "");
  EXPECT_EQ(u.path(), "/tmp/some/file.txt");
  EXPECT_TRUE(u.is_local());
  EXPECT_EQ(u.str(), "file:///tmp/some/file.txt");
  EXPECT_EQ(u.display(), "/tmp/some/file.txt");
}

TEST(UrlParse, BareRelativePathResolvesAgainstTheWorkingDirectory) {
  std::string base = cwd();
  std::string prefix = base == "/" ? "" : base;
  EXPECT_EQ(Url::parse("a/b").path(), prefix + "/a/b");
  EXPECT_EQ(Url::parse("./a").path(), prefix + "/a");
  EXPECT_EQ(Url::parse(".").path(), base);
  EXPECT_TRUE(Url::parse("a").is_local());
  EXPECT_EQ(Url::parse("a/b"), Url::from_local_path("a/b"));
}

TEST(UrlParse, FileUrls) {
  Url u = Url::parse("file:///abs/path");
  EXPECT_EQ(u.scheme(), "file");
  EXPECT_EQ(u.authority(), "");
  EXPECT_EQ(u.path(), "/abs/path");
  EXPECT_EQ(u, Url::parse("/abs/path"));

  Url l = Url::parse("file://localhost/abs/path");
  EXPECT_EQ(l.authority(), "");
  EXPECT_EQ(l, u);
  EXPECT_EQ(l.str(), "file:///abs/path");

  EXPECT_EQ(Url::parse("FILE:///x").scheme(), "file");
  EXPECT_EQ(Url::parse("file:///").path(), "/");
  EXPECT_EQ(Url::parse("file://").path(), "/");
}

TEST(UrlParse, PercentDecodingAndReencoding) {
  Url u = Url::parse("file:///my%20dir/a%2Bb%25.txt");
  EXPECT_EQ(u.path(), "/my dir/a+b%.txt");
  EXPECT_EQ(u.str(), "file:///my%20dir/a+b%25.txt");
  EXPECT_EQ(Url::parse(u.str()), u);
  EXPECT_EQ(Url::parse("file:///%41%62c").path(), "/Abc");  // upper and lower hex
}

TEST(UrlParse, StrRoundTripsAwkwardNames) {
  for (const char* p : {"/plain/name", "/with space/x", "/percent%20literal", "/q?mark/and#hash", "/ü/ñ",
                        "/semi;colon=eq&amp", "/tab\there", "/quote\"'<>", "/"}) {
    SCOPED_TRACE(p);
    Url u = Url::from_local_path(p);
    EXPECT_EQ(u.path(), p);
    std::string s = u.str();
    EXPECT_EQ(s.find(' '), std::string::npos);
    EXPECT_EQ(s.find('?'), std::string::npos);
    EXPECT_EQ(s.find('#'), std::string::npos);
    EXPECT_EQ(Url::parse(s), u) << s;
  }
  Url s3 = Url::parse("s3://bucket/dir/with%20space");
  EXPECT_EQ(Url::parse(s3.str()), s3);
}

TEST(UrlParse, QueryAndFragmentAreNotPartOfThePath) {
  EXPECT_EQ(Url::parse("s3://b/key?versionId=3").path(), "/key");
  EXPECT_EQ(Url::parse("file:///a/b#frag").path(), "/a/b");
}

TEST(UrlParse, Normalisation) {
  EXPECT_EQ(Url::parse("/a/./b//c/../d").path(), "/a/b/d");
  EXPECT_EQ(Url::parse("file:///a/./b//c/../d").path(), "/a/b/d");
  EXPECT_EQ(Url::parse("/a/b/").path(), "/a/b");
  EXPECT_EQ(Url::parse("//a///b").path(), "/a/b");
  EXPECT_EQ(Url::parse("/a/..").path(), "/");
  EXPECT_EQ(Url::parse("/").path(), "/");
  EXPECT_EQ(Url::parse("s3://bucket/x/../y/").path(), "/y");
}

TEST(UrlParse, DotDotAboveTheRootIsRefused) {
  EXPECT_NE(parse_error("/.."), "");
  EXPECT_NE(parse_error("/a/../.."), "");
  EXPECT_NE(parse_error("file:///a/../../b"), "");
  EXPECT_NE(parse_error("s3://bucket/../x"), "");
  EXPECT_NE(parse_error("file:///%2e%2e/x"), "");  // decoded before normalising
  // A relative path climbing above "/" from the working directory.
  std::string climb;
  for (char c : cwd()) {
    if (c == '/') climb += "../";
  }
  climb += "../x";
  EXPECT_NE(parse_error(climb), "") << climb;
  EXPECT_NE(parse_error("/a/../.."), "");
  EXPECT_NE(parse_error("/.."), "");
  EXPECT_NE(parse_error("/a/../../b").find("/a/../../b"), std::string::npos) << "message names the input";
}

TEST(UrlParse, ObjectStoreUrls) {
  Url u = Url::parse("s3://my-bucket/some/key.bin");
  EXPECT_EQ(u.scheme(), "s3");
  EXPECT_EQ(u.authority(), "my-bucket");
  EXPECT_EQ(u.path(), "/some/key.bin");
  EXPECT_FALSE(u.is_local());
  EXPECT_EQ(u.str(), "s3://my-bucket/some/key.bin");
  EXPECT_EQ(u.display(), u.str());
  EXPECT_EQ(u.name(), "key.bin");

  Url b = Url::parse("s3://bucket");
  EXPECT_EQ(b.authority(), "bucket");
  EXPECT_EQ(b.path(), "/");
  EXPECT_EQ(Url::parse("S3://Bucket/K").scheme(), "s3");
  EXPECT_EQ(Url::parse("https://host.example:8443/a").authority(), "host.example:8443");
  EXPECT_NE(Url::parse("s3://a/k"), Url::parse("s3://b/k"));
  EXPECT_NE(Url::parse("s3://a/k"), Url::parse("gs://a/k"));
}

// mem://NAME/path: the in-memory stores that tests register by NAME.
TEST(UrlParse, MemoryStoreUrls) {
  Url u = Url::parse("mem://test-repo/.packages/p/1/.p.wrapp");
  EXPECT_EQ(u.scheme(), "mem");
  EXPECT_EQ(u.authority(), "test-repo");
  EXPECT_EQ(u.path(), "/.packages/p/1/.p.wrapp");
  EXPECT_FALSE(u.is_local());
  EXPECT_EQ(u.str(), "mem://test-repo/.packages/p/1/.p.wrapp");
  EXPECT_EQ(Url::parse(u.str()), u);
  EXPECT_EQ(Url::parse("mem://test-repo").join("a/b").str(), "mem://test-repo/a/b");
  EXPECT_NE(parse_error("mem:///no-name"), "");
}

TEST(UrlParse, MalformedIsRefusedNamingTheInput) {
  for (const char* bad : {"file://host/x", "file://example.com/etc/passwd", "s3:///x", "s3://", "://x",
                          "file:///bad%zz", "file:///bad%2", "file:///bad%", "s3://b/%g0", ""}) {
    SCOPED_TRACE(bad);
    std::string msg = parse_error(bad);
    EXPECT_NE(msg, "");
    if (*bad) {
      EXPECT_NE(msg.find(bad), std::string::npos) << msg;
    }
  }
}

TEST(UrlParse, NulBytesAreRefused) {
  EXPECT_THROW(Url::from_local_path(std::string("/a\0b", 4)), FailedCommand);
  // A %00 escape must not smuggle a NUL into a path: every system call would
  // silently act on the truncated prefix "/tmp/a".
  EXPECT_NE(parse_error("file:///tmp/a%00b"), "");
  EXPECT_NE(parse_error("s3://bucket/a%00b"), "");
}

TEST(UrlJoin, AppendsRelativePaths) {
  Url base = Url::parse("/repo");
  EXPECT_EQ(base.join("a/b.txt").path(), "/repo/a/b.txt");
  EXPECT_EQ(base.join("").path(), "/repo");
  EXPECT_EQ(base.join("a//b/./c").path(), "/repo/a/b/c");
  EXPECT_EQ(base.join("with space").str(), "file:///repo/with%20space");
  EXPECT_EQ(Url::parse("/").join("x").path(), "/x");
  Url s3 = Url::parse("s3://bucket/prefix").join("k/v");
  EXPECT_EQ(s3.authority(), "bucket");
  EXPECT_EQ(s3.path(), "/prefix/k/v");
  EXPECT_EQ(Url::parse("s3://bucket").join("k").path(), "/k");
}

TEST(UrlJoin, RefusesEscapes) {
  Url base = Url::parse("/repo/pkg");
  for (const char* bad : {"/etc/passwd", "..", "../x", "a/../b", "a/..", "a\\b", "..\\x", "a/b\\..\\..\\c"}) {
    SCOPED_TRACE(bad);
    EXPECT_THROW(base.join(bad), FailedCommand);
  }
  // Names that merely contain dots are fine.
  EXPECT_EQ(base.join("..a/b..").path(), "/repo/pkg/..a/b..");
  EXPECT_EQ(base.join(".hidden").path(), "/repo/pkg/.hidden");
}

TEST(UrlNavigation, ParentAndName) {
  Url u = Url::parse("/a/b/c.txt");
  EXPECT_EQ(u.name(), "c.txt");
  EXPECT_EQ(u.parent().path(), "/a/b");
  EXPECT_EQ(u.parent().name(), "b");
  EXPECT_EQ(u.parent().parent().parent().path(), "/");
  Url root = Url::parse("/");
  EXPECT_EQ(root.name(), "");
  EXPECT_EQ(root.parent().path(), "/");
  EXPECT_EQ(Url::parse("/top").parent().path(), "/");
  Url s3 = Url::parse("s3://bucket/k/v");
  EXPECT_EQ(s3.parent().authority(), "bucket");
  EXPECT_EQ(s3.parent().path(), "/k");
  EXPECT_EQ(Url::parse("/a/b").join("c").parent(), Url::parse("/a/b"));
}

TEST(UrlNavigation, RelativeTo) {
  std::string rel = "unchanged";
  Url base = Url::parse("/repo/pkg");
  EXPECT_TRUE(Url::parse("/repo/pkg/a/b.txt").relative_to(base, &rel));
  EXPECT_EQ(rel, "a/b.txt");
  EXPECT_TRUE(base.relative_to(base, &rel));
  EXPECT_EQ(rel, "");
  EXPECT_FALSE(Url::parse("/repo/pkgx/a").relative_to(base, &rel));
  EXPECT_FALSE(Url::parse("/repo").relative_to(base, &rel));
  EXPECT_FALSE(Url::parse("/other").relative_to(base, &rel));
  EXPECT_TRUE(Url::parse("/x/y").relative_to(Url::parse("/"), &rel));
  EXPECT_EQ(rel, "x/y");
  EXPECT_FALSE(Url::parse("s3://b/repo/pkg/a").relative_to(base, &rel));
  EXPECT_FALSE(Url::parse("s3://b/k").relative_to(Url::parse("s3://c/"), &rel));
  EXPECT_TRUE(Url::parse("s3://b/p/k").relative_to(Url::parse("s3://b/p"), &rel));
  EXPECT_EQ(rel, "k");
}

TEST(UrlNavigation, OrderingFollowsStr) {
  EXPECT_LT(Url::parse("/a"), Url::parse("/b"));
  EXPECT_FALSE(Url::parse("/b") < Url::parse("/a"));
  EXPECT_FALSE(Url::parse("/a") < Url::parse("/a"));
}

TEST(UrlSafePaths, Segments) {
  for (const char* ok : {"a", "pkg-name", "1.0.0", "..a", "a..", ".hidden", "with space", "ü"}) {
    EXPECT_TRUE(is_safe_segment(ok)) << ok;
  }
  for (std::string bad : {std::string(""), std::string("."), std::string(".."), std::string("a/b"),
                          std::string("a\\b"), std::string("a\nb"), std::string("tab\t"), std::string("\x7f"),
                          std::string("a\0b", 3), std::string("/")}) {
    EXPECT_FALSE(is_safe_segment(bad)) << bad;
  }
}

TEST(UrlSafePaths, RelativePaths) {
  for (const char* ok : {"a", "a/b", "a/b/c.txt", ".wrapp/x", "..a/b..", "dir with space/f"}) {
    EXPECT_TRUE(is_safe_relative_path(ok)) << ok;
  }
  for (std::string bad : {std::string(""), std::string("/abs"), std::string("a//b"), std::string("a/"),
                          std::string("./a"), std::string("a/./b"), std::string("../x"), std::string("a/../b"),
                          std::string("a/.."), std::string("a\\b"), std::string("a/\x01"),
                          std::string("a\0b", 3), std::string("/")}) {
    EXPECT_FALSE(is_safe_relative_path(bad)) << bad;
  }
}

}  // namespace
}  // namespace wrapp::storage
