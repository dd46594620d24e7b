#include "storage/s3/s3_config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "storage/credentials.h"
#include "util/error.h"
#include "util/test_dir.h"

namespace wrapp::storage::s3 {
namespace {

Env env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

void write_file(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST(S3Config, DefaultsAreAwsWithTheReferenceSizes) {
  Config c = load_config(env_of({}));
  EXPECT_EQ(c.region, "us-east-1");
  EXPECT_EQ(c.endpoint, "https://s3.us-east-1.amazonaws.com");
  EXPECT_FALSE(c.custom_endpoint);
  EXPECT_EQ(c.multipart_threshold, 5 * kMiB);
  EXPECT_EQ(c.multipart_chunksize, 5 * kMiB);
  EXPECT_EQ(c.max_concurrency, 50u);
  EXPECT_EQ(c.object_url("bucket", "a/b c.txt"), "https://bucket.s3.us-east-1.amazonaws.com/a/b%20c.txt");
  // Dots (and names that are no DNS label) go path style.
  EXPECT_EQ(c.object_url("my.bucket", "k", "list-type=2"), "https://s3.us-east-1.amazonaws.com/my.bucket/k?list-type=2");
  EXPECT_EQ(c.object_url("Upper_Case", "k"), "https://s3.us-east-1.amazonaws.com/Upper_Case/k");
}

TEST(S3Config, RegionFromVariablesThenProfile) {
  EXPECT_EQ(load_config(env_of({{"AWS_REGION", "eu-west-1"}, {"AWS_DEFAULT_REGION", "x"}})).region, "eu-west-1");
  EXPECT_EQ(load_config(env_of({{"AWS_DEFAULT_REGION", "ap-south-1"}})).endpoint, "https://s3.ap-south-1.amazonaws.com");
  wrapp::testing::TempDir dir{"s3config"};
  write_file(dir.path() + "/config", "[default]\nregion = eu-central-1\n[profile work]\nregion=us-west-2\n");
  EXPECT_EQ(load_config(env_of({{"AWS_CONFIG_FILE", dir.path() + "/config"}})).region, "eu-central-1");
  EXPECT_EQ(load_config(env_of({{"AWS_CONFIG_FILE", dir.path() + "/config"}, {"AWS_PROFILE", "work"}})).region,
            "us-west-2");
  EXPECT_EQ(load_config(env_of({{"HOME", dir.path()}})).region, "us-east-1");  // no ~/.aws/config there
  EXPECT_THROW(load_config(env_of({{"AWS_REGION", "evil.com/x"}})), FailedCommand);
}

TEST(S3Config, CustomEndpointIsPathStyleAndIgnoresAcceleration) {
  Config c = load_config(env_of({{"AWS_ENDPOINT_URL", "http://127.0.0.1:9000/"},
                                 {"WRAPP_ENABLE_S3_ACCELERATION", "true"}}));
  EXPECT_TRUE(c.custom_endpoint);
  EXPECT_FALSE(c.accelerate);
  EXPECT_EQ(c.object_url("bucket", "k/x"), "http://127.0.0.1:9000/bucket/k/x");
  EXPECT_EQ(c.object_url("bucket", ""), "http://127.0.0.1:9000/bucket/");
  // The S3-specific variable wins.
  c = load_config(env_of({{"AWS_ENDPOINT_URL", "http://a:1"}, {"AWS_ENDPOINT_URL_S3", "https://b:2"}}));
  EXPECT_EQ(c.endpoint, "https://b:2");
  EXPECT_THROW(load_config(env_of({{"AWS_ENDPOINT_URL", "ftp://x"}})), FailedCommand);
  EXPECT_THROW(load_config(env_of({{"AWS_ENDPOINT_URL", "http://user:pw@x"}})), FailedCommand);
}

TEST(S3Config, AccelerationOnAws) {
  Config c = load_config(env_of({{"WRAPP_ENABLE_S3_ACCELERATION", "1"}}));
  EXPECT_TRUE(c.accelerate);
  EXPECT_EQ(c.object_url("bucket", "k"), "https://bucket.s3-accelerate.amazonaws.com/k");
  EXPECT_THROW(load_config(env_of({{"WRAPP_ENABLE_S3_ACCELERATION", "maybe"}})), FailedCommand);
}

TEST(S3Config, SizesAndConcurrency) {
  Config c = load_config(env_of({{"WRAPP_S3_MULTIPART_THRESHOLD", "1048576"},
                                 {"WRAPP_S3_MULTIPART_CHUNKSIZE", "10485760"},
                                 {"WRAPP_S3_MAX_CONCURRENCY", "32"},
                                 {"WRAPP_S3_CA_FILE", "/tmp/ca.pem"}}));
  EXPECT_EQ(c.multipart_threshold, kMiB);
  EXPECT_EQ(c.multipart_chunksize, 10 * kMiB);
  EXPECT_EQ(c.max_concurrency, 32u);
  EXPECT_EQ(c.ca_file, "/tmp/ca.pem");
  for (const char* bad : {"-1", "12MB", "", " ", "99999999999999999999999"}) {
    if (std::string(bad).empty()) continue;  // empty means unset
    EXPECT_THROW(load_config(env_of({{"WRAPP_S3_MULTIPART_THRESHOLD", bad}})), FailedCommand) << bad;
  }
  // S3 refuses parts under 5 MiB (but the last one).
  EXPECT_THROW(load_config(env_of({{"WRAPP_S3_MULTIPART_CHUNKSIZE", "1024"}})), FailedCommand);
  EXPECT_THROW(load_config(env_of({{"WRAPP_S3_MAX_CONCURRENCY", "0"}})), FailedCommand);
}

TEST(S3Config, MessagesNeverQuoteLongValues) {
  try {
    load_config(env_of({{"WRAPP_S3_MAX_CONCURRENCY", std::string(5000, '9')}}));
    FAIL();
  } catch (const FailedCommand& e) {
    EXPECT_LT(std::string(e.what()).size(), 400u);
    EXPECT_NE(std::string(e.what()).find("WRAPP_S3_MAX_CONCURRENCY"), std::string::npos);
  }
}

class S3Credentials : public ::testing::Test {
 protected:
  void TearDown() override { clear_credentials(); }
  Url url = Url::parse("s3://bucket/repo/x");
  wrapp::testing::TempDir dir{"s3config"};
};

TEST_F(S3Credentials, RegistryThenVariablesThenProfile) {
  write_file(dir.path() + "/credentials",
             "# comment\n[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = FILESECRET\n"
             "[other]\naws_access_key_id=OTHERKEY\naws_secret_access_key=OTHERSECRET\naws_session_token=TOK\n");
  std::map<std::string, std::string> vars{{"AWS_SHARED_CREDENTIALS_FILE", dir.path() + "/credentials"}};
  auto c = find_credentials(url, env_of(vars));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->access_key_id, "FILEKEY");
  EXPECT_EQ(c->secret_access_key, "FILESECRET");

  vars["AWS_PROFILE"] = "other";
  c = find_credentials(url, env_of(vars));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->access_key_id, "OTHERKEY");
  EXPECT_EQ(c->session_token, "TOK");

  vars["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  vars["AWS_SECRET_ACCESS_KEY"] = "ENVSECRET";
  c = find_credentials(url, env_of(vars));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->access_key_id, "ENVKEY");
  EXPECT_EQ(c->session_token, "");

  add_credential({"s3://bucket", "boto3", {{"aws_access_key_id", "REGKEY"}, {"aws_secret_access_key", "REGSECRET"}}});
  c = find_credentials(url, env_of(vars));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->access_key_id, "REGKEY");
  // Another bucket, or a credential of another kind, is not used.
  EXPECT_EQ(find_credentials(Url::parse("s3://other/x"), env_of(vars))->access_key_id, "ENVKEY");
  add_credential({"s3://azure-like", "azure", {{"account_name", "a"}}});
  EXPECT_EQ(find_credentials(Url::parse("s3://azure-like/x"), env_of(vars))->access_key_id, "ENVKEY");
}

TEST_F(S3Credentials, NoneFound) {
  EXPECT_EQ(find_credentials(url, env_of({{"HOME", dir.path()}})), std::nullopt);
  EXPECT_EQ(find_credentials(url, env_of({{"AWS_ACCESS_KEY_ID", "only-the-id"}, {"HOME", dir.path()}})), std::nullopt);
  write_file(dir.path() + "/credentials", "[default]\naws_access_key_id=K\n");  // no secret
  EXPECT_EQ(find_credentials(url, env_of({{"AWS_SHARED_CREDENTIALS_FILE", dir.path() + "/credentials"}})),
            std::nullopt);
}

TEST_F(S3Credentials, IniReaderIsBounded) {
  std::string text = "[default]\n";
  text += "long = " + std::string(10000, 'x') + "\n";  // over the line limit: skipped
  text += "  key1 =  value one  \n";
  text += "; comment = no\n";
  text += "key1 = second is ignored\n";
  text += "[ spaced ]\nkey2 = v2\n";
  text += "[broken\nkey3 = v3\n";
  write_file(dir.path() + "/ini", text);
  auto keys = read_ini_section(dir.path() + "/ini", "default");
  EXPECT_EQ(keys, (std::map<std::string, std::string>{{"key1", "value one"}}));
  EXPECT_EQ(read_ini_section(dir.path() + "/ini", "spaced"), (std::map<std::string, std::string>{{"key2", "v2"}}));
  EXPECT_TRUE(read_ini_section(dir.path() + "/missing", "default").empty());
  // Beyond 1 MiB nothing more is read.
  std::string big = "[default]\n";
  while (big.size() < 2 * 1024 * 1024) big += "# " + std::string(1000, 'p') + "\n";
  big += "late = yes\n";
  write_file(dir.path() + "/big", big);
  EXPECT_TRUE(read_ini_section(dir.path() + "/big", "default").empty());
}

TEST(S3Config, CanonicalQueryIsSortedAndStrictlyEncoded) {
  EXPECT_EQ(canonical_query({{"prefix", "a b/c+"}, {"list-type", "2"}, {"delimiter", "/"}, {"uploads", ""}}),
            "delimiter=%2F&list-type=2&prefix=a%20b%2Fc%2B&uploads=");
  EXPECT_EQ(canonical_query({}), "");
}

}  // namespace
}  // namespace wrapp::storage::s3
