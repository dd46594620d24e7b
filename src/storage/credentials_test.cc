#include "storage/credentials.h"

#include <gtest/gtest.h>

#include "util/error.h"

namespace wrapp::storage {
namespace {

struct Clean {
  Clean() { clear_credentials(); }
  ~Clean() { clear_credentials(); }
};

TEST(Credentials, TheLongestPrefixAtASlashWins) {
  Clean clean;
  add_credential({"s3://bucket", "boto3", {{"aws_access_key_id", "outer"}}});
  add_credential({"S3://Bucket/team/", "boto3", {{"aws_access_key_id", "inner"}}});
  EXPECT_EQ(find_credential("s3://bucket/x")->field("aws_access_key_id"), "outer");
  EXPECT_EQ(find_credential(Url::parse("s3://bucket/team/repo/.packages"))->field("aws_access_key_id"), "inner");
  EXPECT_EQ(find_credential("s3://bucket/teamwork")->field("aws_access_key_id"), "outer");
  EXPECT_FALSE(find_credential("s3://bucket2/x"));
  EXPECT_EQ(find_credential("s3://bucket")->field("missing"), "");
}

TEST(Credentials, ReplaceRemoveAndClear) {
  Clean clean;
  add_credential({"gs://b", "gcs", {{"project_id", "1"}}});
  add_credential({"gs://b/", "gcs", {{"project_id", "2"}}});
  EXPECT_EQ(find_credential("gs://b/o")->field("project_id"), "2");
  EXPECT_TRUE(remove_credential("gs://b"));
  EXPECT_FALSE(remove_credential("gs://b"));
  EXPECT_FALSE(find_credential("gs://b/o"));
}

TEST(Credentials, ReplacedWholeLaterEntriesWinning) {
  Clean clean;
  add_credential({"s3://old", "boto3", {}});
  replace_credentials({{"s3://b", "boto3", {{"aws_access_key_id", "1"}}}, {"s3://b/", "boto3", {{"aws_access_key_id", "2"}}}});
  EXPECT_FALSE(find_credential("s3://old/x"));
  EXPECT_EQ(find_credential("s3://b/x")->field("aws_access_key_id"), "2");
}

TEST(Credentials, AuthOptionForms) {
  Credential s3 = parse_auth_option("s3://bucket/repo,AKID,se,cret");
  EXPECT_EQ(s3.kind, "boto3");
  EXPECT_EQ(s3.field("aws_access_key_id"), "AKID");
  EXPECT_EQ(s3.field("aws_secret_access_key"), "se,cret");
  EXPECT_EQ(parse_auth_option("omniverse://host,user,pw").kind, "nucleus");
  Credential hmac = parse_auth_option("gs://bucket,GOOGID,secret");  // a Cloud Storage HMAC key
  EXPECT_EQ(hmac.kind, "boto3");
  EXPECT_EQ(hmac.field("aws_access_key_id"), "GOOGID");
  Credential bearer = parse_auth_option("https://discovery.example.com,TOKEN");
  EXPECT_EQ(bearer.kind, "storage_api_bearer");
  EXPECT_EQ(bearer.field("bearer_token"), "TOKEN");
  for (const char* bad : {"", "s3://b", "nourl,user,pw", "s3://b,,pw", "s3://b,user,", "s3://b,"}) {
    try {
      parse_auth_option(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const FailedCommand& e) {
      EXPECT_EQ(std::string(e.what()).find("pw"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace wrapp::storage
