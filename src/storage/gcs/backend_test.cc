// The backend against scripted answers (no emulator): authentication on
// every request, pages, and what error statuses and hostile documents
// become. The emulator runs the conformance suite (tests/e2e/test_gcs.py).
#include "storage/gcs/backend.h"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "storage/credentials.h"
#include "storage/gcs/test_key.h"
#include "storage/http/scripted_server.h"
#include "util/error.h"
#include "util/test_dir.h"

namespace wrapp::storage::gcs {
namespace {

using http::testing::Reply;
using http::testing::ScriptedServer;

// A backend whose endpoint and token_uri are the scripted server, with a
// service-account key (made now) registered for gs://bkt.
class GcsBackendScripted : public ::testing::Test {
 protected:
  void start(std::vector<Reply> replies) {
    replies.insert(replies.begin(), Reply{200, {}, R"({"access_token":"tok-1","expires_in":3600})"});
    server_ = std::make_unique<ScriptedServer>(std::move(replies));
    nlohmann::json sa = {{"type", "service_account"}, {"client_email", "robot@p.iam.gserviceaccount.com"},
                         {"private_key", testing::test_key().pem()},
                         {"token_uri", server_->url("/token")}};
    std::ofstream(dir_ / "key.json") << sa.dump();
    add_credential({"gs://bkt", "gcs", {{"credentials_file", dir_ / "key.json"}}});
    Config config;
    config.endpoint = server_->url("");  // scheme://host:port, no path
    config.snapshot_limit = 4;            // objects of more than 4 bytes are read in ranges
    store_ = std::make_unique<GcsStorage>(config, std::function<void()>{});
  }
  void TearDown() override { remove_credential("gs://bkt"); }

  // The request lines received, after the token exchange.
  std::vector<std::string> request_lines() {
    std::vector<std::string> out;
    for (const auto& r : server_->requests()) out.push_back(r.substr(0, r.find(" HTTP/1.1")));
    return out;
  }

  wrapp::testing::TempDir dir_{"gcs-backend"};
  std::unique_ptr<ScriptedServer> server_;
  std::unique_ptr<GcsStorage> store_;
};

TEST_F(GcsBackendScripted, ListingFollowsPagesWithTheBearerToken) {
  start({{404, {}, R"({"error":{"code":404,"message":"No such object"}})"},  // "root" is no file
         {200, {}, R"({"items":[{"name":"root/a","size":"1","generation":"5"}],"nextPageToken":"t 2"})"},
         {200, {}, R"({"items":[{"name":"root/b/c","size":"2","generation":"6","metadata":{"wrapp-hash":"h"}},
                                {"name":"root/bad//name","size":"1","generation":"7"},
                                {"name":"root/marker/","size":"0","generation":"8"}]})"}});
  auto entries = list_all(*store_, Url::parse("gs://bkt/root"), ListOptions{.include_dirs = true});
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].relative_path, "a");
  EXPECT_EQ(entries[1].relative_path, "b");
  EXPECT_TRUE(entries[1].info.is_dir);
  EXPECT_EQ(entries[2].relative_path, "b/c");
  EXPECT_EQ(entries[2].info.content_hash, "h");
  EXPECT_EQ(entries[2].info.etag, "6");
  auto lines = request_lines();
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "POST /token");
  EXPECT_EQ(lines[1], "GET /storage/v1/b/bkt/o/root");
  EXPECT_EQ(lines[2], "GET /storage/v1/b/bkt/o?maxResults=1000&prefix=root%2F");
  EXPECT_EQ(lines[3], "GET /storage/v1/b/bkt/o?maxResults=1000&prefix=root%2F&pageToken=t%202");
  for (size_t i = 1; i < 4; ++i) {
    EXPECT_NE(server_->requests()[i].find("Authorization: Bearer tok-1"), std::string::npos) << i;
  }
}

TEST_F(GcsBackendScripted, ARepeatedPageTokenIsAnErrorNotALoop) {
  start({{404, {}, ""}, {200, {}, R"({"nextPageToken":"same"})"}, {200, {}, R"({"nextPageToken":"same"})"}});
  EXPECT_THROW(list_all(*store_, Url::parse("gs://bkt/root"), ListOptions{}), StorageError);
}

TEST_F(GcsBackendScripted, CreateOnlyUploadRefusedWith412IsAlreadyExists) {
  start({{404, {}, ""},  // open_write: nothing there yet
         {412, {}, R"({"error":{"code":412,"message":"At least one of the pre-conditions you specified did not hold.",
                     "errors":[{"reason":"conditionNotMet"}]}})"}});
  auto w = store_->open_write(Url::parse("gs://bkt/v/x.bin"), WriteOptions{.content_hash = "sha-256-flat;1048576;ab"});
  w->write_at(0, "bytes", 5);
  try {
    w->commit();
    ADD_FAILURE();
  } catch (const FailedCommand& e) {
    EXPECT_EQ(e.code(), ErrorCode::kAlreadyExists);
    EXPECT_NE(std::string(e.what()).find("gs://bkt/v/x.bin"), std::string::npos) << e.what();
  }
  auto upload = server_->requests().at(2);
  EXPECT_TRUE(upload.starts_with("POST /upload/storage/v1/b/bkt/o?uploadType=multipart&ifGenerationMatch=0 "))
      << upload;
  EXPECT_NE(upload.find(R"("metadata":{"wrapp-hash":"sha-256-flat;1048576;ab"})"), std::string::npos) << upload;
  EXPECT_NE(upload.find(R"("name":"v/x.bin")"), std::string::npos) << upload;
  EXPECT_NE(upload.find("\r\n\r\nbytes\r\n--"), std::string::npos) << upload;
}

TEST_F(GcsBackendScripted, CompareAndSwapSendsTheGeneration) {
  start({{200, {}, R"({"name":"k","size":"1","generation":"42"})"},
         {200, {}, R"({"name":"k","size":"3","generation":"43"})"}});
  write_all(*store_, Url::parse("gs://bkt/k"), "new", WriteOptions{.if_match = "42"});
  EXPECT_TRUE(request_lines().at(2).ends_with("uploadType=multipart&ifGenerationMatch=42")) << request_lines().at(2);
}

TEST_F(GcsBackendScripted, RemoveMapsStatuses) {
  start({{204}, {404}, {412}});
  EXPECT_TRUE(store_->remove(Url::parse("gs://bkt/a")));
  EXPECT_FALSE(store_->remove(Url::parse("gs://bkt/a")));
  try {
    store_->remove(Url::parse("gs://bkt/a"), RemoveOptions{.if_match = "7"});
    ADD_FAILURE();
  } catch (const FailedCommand& e) {
    EXPECT_EQ(e.code(), ErrorCode::kPreconditionFailed);
  }
  EXPECT_EQ(request_lines().at(3), "DELETE /storage/v1/b/bkt/o/a?ifGenerationMatch=7");
}

TEST_F(GcsBackendScripted, ForbiddenSaysWhatToCheckAndNamesTheUrl) {
  start({{403, {}, R"({"error":{"code":403,"message":"robot does not have storage.objects.get access",
                               "errors":[{"reason":"forbidden"}]}})"}});
  try {
    store_->stat(Url::parse("gs://bkt/x"));
    ADD_FAILURE();
  } catch (const StorageError& e) {
    std::string m = e.what();
    EXPECT_EQ(e.exit_code(), 2);
    EXPECT_NE(m.find("gs://bkt/x"), std::string::npos) << m;
    EXPECT_NE(m.find("permission denied"), std::string::npos) << m;
    EXPECT_NE(m.find("forbidden: robot does not have storage.objects.get access"), std::string::npos) << m;
    EXPECT_EQ(m.find("tok-1"), std::string::npos) << m;
  }
}

TEST_F(GcsBackendScripted, A401FetchesANewTokenOnceThenTellsWhatToCheck) {
  start({{401, {}, R"({"error":{"code":401,"message":"Invalid Credentials"}})"},
         {200, {}, R"({"access_token":"tok-2","expires_in":3600})"},
         {200, {}, R"({"name":"x","size":"4","generation":"9"})"},
         {401, {}, R"({"error":{"code":401,"message":"Invalid Credentials"}})"},
         {200, {}, R"({"access_token":"tok-3","expires_in":3600})"},
         {401, {}, R"({"error":{"code":401,"message":"Invalid Credentials"}})"}});
  auto info = store_->stat(Url::parse("gs://bkt/x"));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->size, 4u);
  EXPECT_NE(server_->requests().at(3).find("Authorization: Bearer tok-2"), std::string::npos);
  try {
    store_->stat(Url::parse("gs://bkt/x"));
    ADD_FAILURE();
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("refused the credentials"), std::string::npos) << e.what();
  }
}

TEST_F(GcsBackendScripted, HostileAnswersAreStorageErrors) {
  start({{200, {}, std::string(5000, '[')},
         {200, {}, R"({"name":"other-object","size":"1","generation":"1"})"},
         {200, {}, R"({"name":"x","size":"-5","generation":"1"})"}});
  for (int i = 0; i < 3; ++i) EXPECT_THROW(store_->stat(Url::parse("gs://bkt/x")), StorageError) << i;
}

TEST_F(GcsBackendScripted, ReadsAskForTheOpenedGenerationAndRefuseAReplacedObject) {
  start({{200, {}, R"({"name":"x","size":"10","generation":"5"})"},
         {206, {{"Content-Range", "bytes 2-5/10"}}, "2345"},
         {206, {{"Content-Range", "bytes 0-3/12"}}, "0123"},  // another object, of another size
         {412, {}, ""}});
  auto r = store_->open_read(Url::parse("gs://bkt/x"));
  ASSERT_TRUE(r);
  char buf[16];
  EXPECT_EQ(r->read_at(2, buf, 4), 4u);
  EXPECT_EQ(std::string(buf, 4), "2345");
  auto head = server_->requests().at(2);
  EXPECT_TRUE(head.starts_with("GET /storage/v1/b/bkt/o/x?alt=media&ifGenerationMatch=5 ")) << head;
  EXPECT_NE(head.find("Range: bytes=2-5"), std::string::npos) << head;
  EXPECT_THROW(r->read_at(0, buf, 4), StorageError);
  EXPECT_THROW(r->read_at(0, buf, 4), StorageError);
}

TEST(GcsBackend, NoCredentialsAndNoEmulatorNamesTheUrl) {
  Config config;  // Google's endpoint, no key file: nothing is sent
  GcsStorage store(config, {});
  try {
    store.stat(Url::parse("gs://some-bucket/a/b"));
    ADD_FAILURE();
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("gs://some-bucket/a/b"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("STORAGE_EMULATOR_HOST"), std::string::npos) << e.what();
  }
}

TEST(GcsBackend, FeaturesOfAnObjectStore) {
  GcsStorage store(Config{}, {});
  Features f = store.features();
  EXPECT_TRUE(f.server_side_copy && f.conditional_write && f.object_metadata);
  EXPECT_FALSE(f.real_folders || f.parallel_write || f.hardlink || f.reflink || f.symbolic_links);
  EXPECT_FALSE(store.link(Url::parse("gs://bkt/a"), Url::parse("gs://bkt/b"), LinkMode::kHardlink, {}));
}

}  // namespace
}  // namespace wrapp::storage::gcs
