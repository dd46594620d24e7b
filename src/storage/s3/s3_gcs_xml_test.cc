// Google Cloud Storage's XML API with HMAC keys: the S3 backend in GCS's
// dialect (s3_dialect.h), against scripted answers shaped as GCS's (no
// server here speaks it; tests/e2e/test_gcs_hmac.py runs the commands
// against moto through WRAPP_GCS_XML_ENDPOINT). What is checked is what
// GCS needs and S3 would not: generations as version tags and in every
// precondition, the XML API's endpoint and region, HMAC keys from wrapp's
// sources only, and which gs:// URLs take this path.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "storage/credentials.h"
#include "storage/http/scripted_server.h"
#include "storage/s3/s3_storage.h"
#include "util/error.h"
#include "util/test_dir.h"

namespace wrapp::storage::s3 {
namespace {

using http::testing::Reply;
using http::testing::ScriptedServer;

Env env_of(std::map<std::string, std::string> vars) {
  return [vars](const char* name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

constexpr const char* kListing = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://doc.s3.amazonaws.com/2006-03-01"><Name>bkt</Name><Prefix>root/</Prefix>
<IsTruncated>false</IsTruncated>
<Contents><Key>root/a</Key><Generation>1700000000000001</Generation><MetaGeneration>1</MetaGeneration>
<LastModified>2026-11-30T10:00:00.000Z</LastModified><ETag>"md5a"</ETag><Size>3</Size></Contents>
</ListBucketResult>)";

TEST(GcsXmlConfig, GooglesEndpointPathStyleAndRegionAuto) {
  Config c = load_gcs_xml_config(env_of({}));
  EXPECT_TRUE(c.is_gcs());
  EXPECT_EQ(c.region, "auto");
  EXPECT_EQ(c.object_url("my.bucket", "a b/c"), "https://storage.googleapis.com/my.bucket/a%20b/c");
  EXPECT_EQ(c.object_url("bkt", "k"), "https://storage.googleapis.com/bkt/k");
  EXPECT_EQ(c.multipart_threshold, 8 * kMiB);
  EXPECT_EQ(c.multipart_chunksize, 8 * kMiB);
  EXPECT_FALSE(load_config(env_of({})).is_gcs());
}

TEST(GcsXmlConfig, EndpointAndSizesFromTheEnvironment) {
  Config c = load_gcs_xml_config(env_of({{"WRAPP_GCS_XML_ENDPOINT", "http://127.0.0.1:9/"},
                                         {"WRAPP_GCS_MULTIPART_THRESHOLD", "1000"},
                                         {"WRAPP_GCS_CHUNK_SIZE", "262144"},
                                         {"WRAPP_GCS_CA_FILE", "/ca.pem"}}));
  EXPECT_EQ(c.object_url("bkt", "k"), "http://127.0.0.1:9/bkt/k");
  EXPECT_EQ(c.multipart_threshold, 1000u);
  EXPECT_EQ(c.multipart_chunksize, kMinPartSize) << "a JSON-API chunk size below S3's part minimum is raised";
  EXPECT_EQ(c.ca_file, "/ca.pem");
  try {
    load_gcs_xml_config(env_of({{"WRAPP_GCS_XML_ENDPOINT", "storage.example.com"}}));
    ADD_FAILURE() << "a bad endpoint was taken";
  } catch (const FailedCommand& e) {
    EXPECT_NE(std::string(e.what()).find("WRAPP_GCS_XML_ENDPOINT"), std::string::npos) << e.what();
  }
}

class GcsHmacChoice : public ::testing::Test {
 protected:
  void TearDown() override {
    remove_credential("gs://bkt");
    remove_credential("gs://other");
  }
  const Url url_ = Url::parse("gs://bkt/repo");
  wrapp::testing::TempDir dir_{"gcs-hmac"};
};

TEST_F(GcsHmacChoice, ARegisteredCredentialDecides) {
  add_credential(parse_auth_option("gs://bkt,GOOGID,secret"));
  EXPECT_TRUE(uses_gcs_hmac(url_, env_of({{"GOOGLE_APPLICATION_CREDENTIALS", "/sa.json"}})));
  EXPECT_FALSE(uses_gcs_hmac(Url::parse("gs://bucket2/x"), env_of({})));
  add_credential({"gs://other", "gcs", {{"credentials_file", "/sa.json"}}});
  EXPECT_FALSE(uses_gcs_hmac(Url::parse("gs://other/x"),
                             env_of({{"WRAPP_GCS_HMAC_ACCESS_ID", "id"}, {"WRAPP_GCS_HMAC_SECRET", "s"}})));
}

TEST_F(GcsHmacChoice, TheEnvironmentAfterServiceAccountsAndEmulators) {
  std::map<std::string, std::string> hmac{{"WRAPP_GCS_HMAC_ACCESS_ID", "GOOGID"}, {"WRAPP_GCS_HMAC_SECRET", "s"}};
  EXPECT_TRUE(uses_gcs_hmac(url_, env_of(hmac)));
  auto with = [&](const char* name) {
    auto vars = hmac;
    vars[name] = "x";
    return env_of(vars);
  };
  EXPECT_FALSE(uses_gcs_hmac(url_, with("GOOGLE_APPLICATION_CREDENTIALS")));
  EXPECT_FALSE(uses_gcs_hmac(url_, with("STORAGE_EMULATOR_HOST")));
  EXPECT_FALSE(uses_gcs_hmac(url_, env_of({{"WRAPP_GCS_HMAC_ACCESS_ID", "GOOGID"}})));
  // AWS's keys are not Google's.
  EXPECT_FALSE(uses_gcs_hmac(url_, env_of({{"AWS_ACCESS_KEY_ID", "a"}, {"AWS_SECRET_ACCESS_KEY", "b"},
                                          {"HOME", dir_.path()}})));
}

TEST_F(GcsHmacChoice, GsutilsBotoFile) {
  std::ofstream(dir_ / ".boto") << "[Boto]\nhttps_validate_certificates = True\n"
                                   "[Credentials]\ngs_access_key_id = GOOGBOTO\ngs_secret_access_key = s3cr3t\n";
  auto found = find_gcs_hmac_environment(env_of({{"HOME", dir_.path()}}));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->access_key_id, "GOOGBOTO");
  EXPECT_EQ(found->secret_access_key, "s3cr3t");
  EXPECT_TRUE(uses_gcs_hmac(url_, env_of({{"HOME", dir_.path()}})));
  std::ofstream(dir_ / "other.boto") << "[Credentials]\ngs_access_key_id = GOOGOTHER\n";  // no secret
  EXPECT_FALSE(find_gcs_hmac_environment(env_of({{"BOTO_CONFIG", dir_.path() + "/other.boto"},
                                                 {"HOME", dir_.path()}})));
}

// The backend on a scripted server standing for storage.googleapis.com.
class GcsXmlScripted : public ::testing::Test {
 protected:
  void start(std::vector<Reply> replies, std::map<std::string, std::string> env = {
                                             {"WRAPP_GCS_HMAC_ACCESS_ID", "GOOGTESTID"},
                                             {"WRAPP_GCS_HMAC_SECRET", "the-secret"}}) {
    server_ = std::make_unique<ScriptedServer>(std::move(replies));
    env["WRAPP_GCS_XML_ENDPOINT"] = server_->url("");
    Env e = env_of(env);
    store_ = std::make_unique<S3Storage>(load_gcs_xml_config(e), std::function<void()>{}, e);
  }
  std::string request(size_t i) {
    auto all = server_->requests();
    return i < all.size() ? all[i] : std::string("<no request ") + std::to_string(i) + ">";
  }
  static bool has(const std::string& request, const std::string& text) {
    return request.find(text) != std::string::npos;
  }
  Url at(const std::string& key) { return Url::parse("gs://bkt/" + key); }

  std::unique_ptr<ScriptedServer> server_;
  std::unique_ptr<S3Storage> store_;
};

TEST_F(GcsXmlScripted, StatTakesTheGenerationAndEitherMetadataHeader) {
  start({{200, {{"ETag", "\"md5\""}, {"x-goog-generation", "1700000000000042"}, {"Content-Length", "0"},
                {"x-goog-meta-wrapp-hash", "sha-256-flat;1048576;ab"}}}});
  auto info = store_->stat(at("k"));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->etag, "1700000000000042");
  EXPECT_EQ(info->content_hash, "sha-256-flat;1048576;ab");
  std::string head = request(0);
  EXPECT_TRUE(has(head, "HEAD /bkt/k HTTP/1.1")) << head;
  EXPECT_TRUE(has(head, "Credential=GOOGTESTID/")) << head;
  EXPECT_TRUE(has(head, "/auto/s3/aws4_request")) << head;
  EXPECT_FALSE(has(head, "the-secret"));
  EXPECT_EQ(store_->name(), "Google Cloud Storage (XML API)");
}

TEST_F(GcsXmlScripted, CreateOnlyIsGenerationZero) {
  // The service refuses (the object exists), and it is not ours.
  start({{412, {}, "<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you "
                   "specified did not hold.</Message></Error>"},
         {200, {{"x-goog-generation", "7"}, {"Content-Length", "5"}}}});
  auto w = store_->open_write(at("v/f"), WriteOptions{.in_place = true});
  w->write_at(0, "bytes", 5);
  try {
    w->commit();
    ADD_FAILURE() << "a refused create-only write was taken";
  } catch (const FailedCommand& e) {
    EXPECT_EQ(e.code(), ErrorCode::kAlreadyExists) << e.what();
  }
  std::string put = request(0);
  EXPECT_TRUE(has(put, "PUT /bkt/v/f HTTP/1.1")) << put;
  EXPECT_TRUE(has(put, "x-goog-if-generation-match: 0")) << put;
  EXPECT_FALSE(has(put, "If-None-Match")) << put;
  EXPECT_TRUE(has(put, "x-amz-meta-wrapp-hash: sha-256-flat;1048576;")) << put;
}

TEST_F(GcsXmlScripted, CompareAndSwapAndRemovalNameTheGeneration) {
  start({{200, {{"x-goog-generation", "7"}, {"Content-Length", "3"}}},  // open_write's HEAD
         {200, {{"x-goog-generation", "8"}}},                           // the PUT
         {200, {{"x-goog-generation", "8"}, {"Content-Length", "3"}}},  // remove's HEAD
         {204, {}}});                                                    // its DELETE
  auto w = store_->open_write(at("lock"), WriteOptions{.overwrite = true, .if_match = "7"});
  w->write_at(0, "new", 3);
  w->commit();
  EXPECT_TRUE(has(request(1), "PUT /bkt/lock HTTP/1.1")) << request(1);
  EXPECT_TRUE(has(request(1), "x-goog-if-generation-match: 7")) << request(1);
  EXPECT_FALSE(has(request(1), "If-Match")) << request(1);
  EXPECT_TRUE(store_->remove(at("lock")));
  EXPECT_TRUE(has(request(3), "DELETE /bkt/lock HTTP/1.1")) << request(3);
  EXPECT_TRUE(has(request(3), "x-goog-if-generation-match: 8")) << request(3);
}

TEST_F(GcsXmlScripted, ListedEntriesCarryTheirGeneration) {
  start({{200, {}, kListing}});
  auto entries = list_all(*store_, at("root"), ListOptions{});
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].relative_path, "a");
  EXPECT_EQ(entries[0].info.etag, "1700000000000001");
  EXPECT_EQ(entries[0].info.size, 3u);
  EXPECT_TRUE(has(request(0), "GET /bkt/?")) << request(0);
  EXPECT_TRUE(has(request(0), "list-type=2")) << request(0);
}

TEST_F(GcsXmlScripted, RangedReadsStayOnTheOpenedGeneration) {
  std::string data(3 * kMiB, 'x');
  start({{206, {{"x-goog-generation", "9"}, {"Content-Range", "bytes 0-1/" + std::to_string(data.size())}}, "xx"},
         {412, {}, "<Error><Code>PreconditionFailed</Code></Error>"}});
  auto reader = store_->open_read(at("big"));
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->info().etag, "9");
  std::string buf(kMiB, '\0');
  EXPECT_THROW(reader->read_at(2 * kMiB, buf.data(), buf.size()), StorageError);  // replaced meanwhile
  EXPECT_TRUE(has(request(1), "x-goog-if-generation-match: 9")) << request(1);
}

TEST_F(GcsXmlScripted, CopiesAreWholeObjectsWithGenerationConditions) {
  start({{200, {{"x-goog-generation", "11"}, {"Content-Length", "100"}}},  // the source's HEAD
         {404, {}},                                                          // the destination's
         {200, {}, "<CopyObjectResult><ETag>\"e\"</ETag></CopyObjectResult>"}});
  store_->set_copy_part_size(10);  // S3 would copy this one in parts
  store_->copy(at("a"), at("b"), WriteOptions{.in_place = true});
  std::string copy = request(2);
  EXPECT_TRUE(has(copy, "PUT /bkt/b HTTP/1.1")) << copy;
  EXPECT_TRUE(has(copy, "x-amz-copy-source: /bkt/a")) << copy;
  EXPECT_TRUE(has(copy, "x-goog-copy-source-if-generation-match: 11")) << copy;
  EXPECT_TRUE(has(copy, "x-goog-if-generation-match: 0")) << copy;
  EXPECT_EQ(server_->requests().size(), 3u);
}

TEST_F(GcsXmlScripted, ErrorsSayGcsAndNameTheUrl) {
  start({{403, {}, "<Error><Code>AccessDenied</Code><Message>GOOGTESTID does not have storage.objects.create "
                   "access.</Message></Error>"}});
  try {
    auto w = store_->open_write(at("x"), WriteOptions{.overwrite = true});
    w->write_at(0, "b", 1);
    w->commit();
    ADD_FAILURE() << "a refused write was taken";
  } catch (const StorageError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("'gs://bkt/x': GCS AccessDenied (HTTP 403)"), std::string::npos) << what;
    EXPECT_EQ(what.find("the-secret"), std::string::npos);
  }
}

TEST_F(GcsXmlScripted, AwsKeysAreNeverSentToGoogle) {
  start({{404, {}}, {200, {}, "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>"}},
        {{"AWS_ACCESS_KEY_ID", "AKIAAWS"}, {"AWS_SECRET_ACCESS_KEY", "aws-secret"}, {"HOME", "/nonexistent"}});
  EXPECT_FALSE(store_->stat(at("k")));
  std::string head = request(0);
  EXPECT_FALSE(has(head, "AKIAAWS")) << head;
  EXPECT_FALSE(has(head, "Authorization")) << head;
}

}  // namespace
}  // namespace wrapp::storage::s3
