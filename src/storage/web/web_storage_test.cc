// The read-only HTTP(S) backend against a scripted loopback server: what a
// HEAD tells, ranged reads (and servers that ignore ranges), an object
// replaced while read, absence, and the refusals of a read-only store.
#include "storage/web/web_storage.h"

#include <gtest/gtest.h>

#include "storage/http/scripted_server.h"
#include "util/error.h"

namespace wrapp::storage {
namespace {

using http::testing::Reply;
using http::testing::ScriptedServer;


TEST(WebStorage, StatTellsSizeEtagAndTimeAndAbsence) {
  // HEAD answers carry the length of the body a GET would send.
  Reply h{200, {{"ETag", "\"v1\""}, {"Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT"}}, "0123456789"};
  ScriptedServer server({h, {404}});
  WebStorage web;
  auto info = web.stat(Url::parse(server.url("/f.bin")));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->size, 10u);
  EXPECT_EQ(info->etag, "\"v1\"");
  EXPECT_EQ(info->mtime_ns, 784111777LL * 1'000'000'000);
  EXPECT_TRUE(server.requests().at(0).starts_with("HEAD /f.bin"));
  EXPECT_FALSE(web.stat(Url::parse(server.url("/gone"))));
}

TEST(WebStorage, ReadsRangesWithIfRangeAndSlicesWholeAnswers) {
  Reply h{200, {{"ETag", "\"v1\""}}, "0123456789"};
  ScriptedServer server({h, {206, {{"ETag", "\"v1\""}}, "3456"}, {200, {{"ETag", "\"v1\""}}, "0123456789"}});
  WebStorage web;
  auto reader = web.open_read(Url::parse(server.url("/f.bin")));
  ASSERT_TRUE(reader);
  char buf[4];
  EXPECT_EQ(reader->read_at(3, buf, 4), 4u);
  EXPECT_EQ(std::string(buf, 4), "3456");
  EXPECT_NE(server.requests().at(1).find("Range: bytes=3-6"), std::string::npos);
  EXPECT_NE(server.requests().at(1).find("If-Range: \"v1\""), std::string::npos);
  // A server that ignores Range sends everything; the slice asked for is kept.
  EXPECT_EQ(reader->read_at(3, buf, 4), 4u);
  EXPECT_EQ(std::string(buf, 4), "3456");
}

TEST(WebStorage, AnObjectReplacedWhileReadFails) {
  Reply h{200, {{"ETag", "\"v1\""}}, "0123456789"};
  ScriptedServer server({h, {200, {{"ETag", "\"v2\""}}, "abcdefghij"}});
  WebStorage web;
  auto reader = web.open_read(Url::parse(server.url("/f.bin")));
  char buf[4];
  EXPECT_THROW(reader->read_at(3, buf, 4), StorageError);
}

TEST(WebStorage, IsReadOnlyAndUnlisted) {
  WebStorage web;
  Url url = Url::parse("https://cdn.example.com/a.txt");
  EXPECT_THROW(web.open_write(url, {}), FailedCommand);
  EXPECT_THROW(web.remove(url, {}), FailedCommand);
  EXPECT_THROW(web.copy(url, url, {}), FailedCommand);
  EXPECT_THROW(web.list(url, {}, [](std::vector<ListEntry>&&) {}), FailedCommand);
  EXPECT_FALSE(web.link(url, url, LinkMode::kHardlink, {}));
}

}  // namespace
}  // namespace wrapp::storage
