#include "storage/gcs/json.h"

#include <gtest/gtest.h>

#include "util/error.h"

namespace wrapp::storage::gcs {
namespace {

TEST(GcsJson, ObjectResource) {
  ObjectMeta m = parse_object(R"({"kind":"storage#object","name":"a/b","size":"12345678901","generation":"1700000000123456",
    "updated":"2026-01-02T03:04:05.5Z","metadata":{"wrapp-hash":"sha-256-flat;1048576;ab","other":"x"}})",
                              "test");
  EXPECT_EQ(m.name, "a/b");
  EXPECT_EQ(m.info.size, 12345678901u);
  EXPECT_EQ(m.info.etag, "1700000000123456");
  EXPECT_EQ(m.info.content_hash, "sha-256-flat;1048576;ab");
  EXPECT_EQ(m.info.mtime_ns, 1767323045'500000000);
  EXPECT_TRUE(m.info.is_file());
  // Numbers where GCS sends strings, no metadata, no "updated".
  ObjectMeta n = parse_object(R"({"name":"x","size":0,"generation":7})", "test");
  EXPECT_EQ(n.info.size, 0u);
  EXPECT_EQ(n.info.etag, "7");
  EXPECT_EQ(n.info.content_hash, "");
  EXPECT_EQ(n.info.mtime_ns, 0);
}

TEST(GcsJson, HostileDocumentsAreStorageErrorsNamingTheRequest) {
  for (const char* bad : {
           "", "not json", "[]", "\"a string\"", "{}",                       // not an object resource
           R"({"name":"x","generation":"1","size":"-1"})",                     // negative size
           R"({"name":"x","generation":"1","size":"99999999999999999999999"})",  // beyond 64 bits
           R"({"name":"x","generation":"1","size":"12abc"})",
           R"({"name":"x","generation":"1","size":{}})",
           R"({"name":"x","generation":"one","size":"1"})",                   // no generation, no etag
           R"({"name":"x","size":"1"})",
           R"({"name":"","generation":"1","size":"1"})",
           R"({"name":7,"generation":"1","size":"1"})",
       }) {
    try {
      parse_object(bad, "reading 'gs://b/x'");
      ADD_FAILURE() << bad;
    } catch (const StorageError& e) {
      EXPECT_NE(std::string(e.what()).find("gs://b/x"), std::string::npos) << e.what();
    }
  }
  // Nesting deep enough to exhaust a recursive parser is refused before parsing.
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_THROW(parse_object(deep, "t"), StorageError);
  EXPECT_THROW(parse_object_page(R"({"items":)" + deep + "}", "t"), StorageError);
  // Brackets inside strings do not count.
  EXPECT_NO_THROW(parse_object(R"({"name":")" + std::string(1000, '[') + R"(","generation":"1"})", "t"));
  // A hash that is no hash is not taken for one.
  EXPECT_EQ(parse_object(R"({"name":"x","generation":"1","metadata":{"wrapp-hash":5}})", "t").info.content_hash, "");
  EXPECT_EQ(parse_object(R"({"name":"x","generation":"1","metadata":{"wrapp-hash":")" + std::string(300, 'a') + R"("}})",
                         "t").info.content_hash,
            "");
}

TEST(GcsJson, ListPages) {
  ObjectPage p = parse_object_page(R"({"kind":"storage#objects","items":[{"name":"p/a","size":"1","generation":"2"}],
    "prefixes":["p/d/"],"nextPageToken":"tok"})",
                                   "t");
  ASSERT_EQ(p.items.size(), 1u);
  EXPECT_EQ(p.items[0].name, "p/a");
  EXPECT_EQ(p.prefixes, std::vector<std::string>{"p/d/"});
  EXPECT_EQ(p.next_page_token, "tok");
  ObjectPage empty = parse_object_page(R"({"kind":"storage#objects"})", "t");
  EXPECT_TRUE(empty.items.empty() && empty.prefixes.empty() && empty.next_page_token.empty());
  for (const char* bad : {R"({"items":{}})", R"({"items":[1]})", R"({"prefixes":[1]})", R"({"prefixes":"p/"})",
                          R"({"nextPageToken":5})", R"({"items":[{"name":"a"}]})"}) {
    EXPECT_THROW(parse_object_page(bad, "t"), StorageError) << bad;
  }
}

TEST(GcsJson, RewriteAnswers) {
  RewriteStatus more = parse_rewrite(R"({"done":false,"rewriteToken":"abc","totalBytesRewritten":"5"})", "t");
  EXPECT_FALSE(more.done);
  EXPECT_EQ(more.rewrite_token, "abc");
  RewriteStatus done = parse_rewrite(R"({"done":true,"resource":{"name":"x","generation":"9","size":"3"}})", "t");
  EXPECT_TRUE(done.done);
  ASSERT_TRUE(done.resource);
  EXPECT_EQ(done.resource->info.etag, "9");
  EXPECT_THROW(parse_rewrite(R"({"done":false})", "t"), StorageError);  // would loop without a token
  EXPECT_THROW(parse_rewrite(R"({"done":"yes"})", "t"), StorageError);
}

TEST(GcsJson, AccessTokens) {
  AccessToken t = parse_access_token(R"({"access_token":"ya29.a-b_c~d+e/f=","expires_in":3599,"token_type":"Bearer"})",
                                     "t");
  EXPECT_EQ(t.token, "ya29.a-b_c~d+e/f=");
  EXPECT_EQ(t.expires_in, 3599);
  EXPECT_EQ(parse_access_token(R"({"access_token":"x"})", "t").expires_in, 3600);
  EXPECT_EQ(parse_access_token(R"({"access_token":"x","expires_in":"99999999"})", "t").expires_in, 24 * 3600);
  // A token that would break out of its header line.
  EXPECT_THROW(parse_access_token(R"({"access_token":"x\r\nX-Evil: 1"})", "t"), StorageError);
  EXPECT_THROW(parse_access_token(R"({"access_token":""})", "t"), StorageError);
}

TEST(GcsJson, ErrorSummaries) {
  EXPECT_EQ(error_summary(R"({"error":{"code":403,"message":"robot lacks storage.objects.get",
    "errors":[{"reason":"forbidden","message":"other"}]}})"),
            "forbidden: robot lacks storage.objects.get");
  EXPECT_EQ(error_summary(R"({"error":"invalid_grant","error_description":"Invalid JWT Signature."})"),
            "invalid_grant: Invalid JWT Signature.");
  EXPECT_EQ(error_summary(R"({"error":{"message":"only a message"}})"), "only a message");
  for (const char* nothing : {"", "<html>502</html>", "[]", R"({"error":5})", R"({"other":1})"}) {
    EXPECT_EQ(error_summary(nothing), "") << nothing;
  }
  std::string longer = R"({"error":{"message":")" + std::string(100000, 'm') + R"("}})";
  EXPECT_LT(error_summary(longer).size(), 1000u);
}

TEST(GcsJson, Rfc3339Times) {
  EXPECT_EQ(parse_rfc3339_ns("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339_ns("1970-01-01T00:00:01.000000001Z"), 1'000'000'001);
  EXPECT_EQ(parse_rfc3339_ns("1970-01-01T01:00:00+01:00"), 0);
  EXPECT_EQ(parse_rfc3339_ns("2026-11-30T16:46:55.150371Z"), 1796057215'150371000);
  for (const char* bad : {"", "2026-11-30", "2026-13-01T00:00:00Z", "2026-11-30T16:46:55", "2026-11-30T16:46:55.Z",
                          "2026-11-30T16:46:55Zjunk", "x026-11-30T16:46:55Z"}) {
    EXPECT_EQ(parse_rfc3339_ns(bad), std::nullopt) << bad;
  }
}

TEST(GcsJson, Generations) {
  EXPECT_TRUE(is_generation("0"));
  EXPECT_TRUE(is_generation("1796057215150368118"));
  EXPECT_FALSE(is_generation(""));
  EXPECT_FALSE(is_generation("12a"));
  EXPECT_FALSE(is_generation("\"etag\""));
  EXPECT_FALSE(is_generation(std::string(21, '1')));
}

}  // namespace
}  // namespace wrapp::storage::gcs
