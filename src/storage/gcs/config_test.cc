#include "storage/gcs/config.h"

#include <gtest/gtest.h>

#include <map>

#include "util/error.h"

namespace wrapp::storage::gcs {
namespace {

Getenv env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

TEST(GcsConfig, GoogleByDefault) {
  Config c = config_from_environment(env_of({}));
  EXPECT_EQ(c.endpoint, "https://storage.googleapis.com");
  EXPECT_FALSE(c.emulator);
  EXPECT_EQ(c.credentials_file, "");
  EXPECT_EQ(c.multipart_threshold, 8u << 20);
  EXPECT_EQ(c.chunk_size % kChunkUnit, 0u);
}

TEST(GcsConfig, EmulatorHostInEveryFormGoogleClientsAccept) {
  EXPECT_EQ(emulator_endpoint("localhost:9023"), "http://localhost:9023");
  EXPECT_EQ(emulator_endpoint("http://127.0.0.1:9023"), "http://127.0.0.1:9023");
  EXPECT_EQ(emulator_endpoint("https://gcs.test:443/"), "https://gcs.test:443");
  for (const char* bad : {"", "ftp://x:1", "http://", "host:1/path", "a b:1", "http://user@host:1"}) {
    EXPECT_THROW(emulator_endpoint(bad), FailedCommand) << bad;
  }
  Config c = config_from_environment(env_of({{"STORAGE_EMULATOR_HOST", "127.0.0.1:4443"},
                                             {"GOOGLE_APPLICATION_CREDENTIALS", "/k.json"},
                                             {"WRAPP_GCS_CA_FILE", "/ca.pem"}}));
  EXPECT_TRUE(c.emulator);
  EXPECT_EQ(c.endpoint, "http://127.0.0.1:4443");
  EXPECT_EQ(c.credentials_file, "/k.json");
  EXPECT_EQ(c.ca_file, "/ca.pem");
  // Set but empty is unset, as for Google's clients.
  EXPECT_FALSE(config_from_environment(env_of({{"STORAGE_EMULATOR_HOST", ""}})).emulator);
}

TEST(GcsConfig, UploadSizesAreTunedAndChunksRoundedTo256KiB) {
  Config c = config_from_environment(
      env_of({{"WRAPP_GCS_MULTIPART_THRESHOLD", "1000"}, {"WRAPP_GCS_CHUNK_SIZE", "300000"}}));
  EXPECT_EQ(c.multipart_threshold, 1000u);
  EXPECT_EQ(c.chunk_size, 2 * kChunkUnit);
  EXPECT_EQ(round_chunk_size(0), kChunkUnit);
  EXPECT_EQ(round_chunk_size(kChunkUnit), kChunkUnit);
  EXPECT_THROW(config_from_environment(env_of({{"WRAPP_GCS_CHUNK_SIZE", "8M"}})), FailedCommand);
  EXPECT_THROW(config_from_environment(env_of({{"WRAPP_GCS_MULTIPART_THRESHOLD", "0"}})), FailedCommand);
}

TEST(GcsConfig, UrlsNameBucketsAndObjects) {
  Location l = locate(Url::parse("gs://my-bucket.example/a/b c/ü.txt"));
  EXPECT_EQ(l.bucket, "my-bucket.example");
  EXPECT_EQ(l.object, "a/b c/ü.txt");
  EXPECT_EQ(l.folder_prefix(), "a/b c/ü.txt/");
  // The name is one segment of the API path: '/' and everything else reserved is encoded.
  EXPECT_EQ(object_path(l), "/storage/v1/b/my-bucket.example/o/a%2Fb%20c%2F%C3%BC.txt");
  EXPECT_EQ(upload_path(l.bucket), "/upload/storage/v1/b/my-bucket.example/o");
  Location root = locate(Url::parse("gs://bkt"));
  EXPECT_TRUE(root.is_root());
  EXPECT_EQ(root.folder_prefix(), "");
}

TEST(GcsConfig, NamesGcsCannotHaveAreBadInput) {
  for (const char* bad : {"gs://Upper/x", "gs://ab/x", "gs://b%3Fx/y", "gs://b:1/x"}) {
    try {
      locate(Url::parse(bad));
      ADD_FAILURE() << bad;
    } catch (const FailedCommand& e) {
      EXPECT_EQ(e.code(), ErrorCode::kBadInput) << bad;
    }
  }
  EXPECT_THROW(locate(Url::parse("gs://bkt/" + std::string(1025, 'x'))), FailedCommand);
  EXPECT_NO_THROW(locate(Url::parse("gs://bkt/" + std::string(1024, 'x'))));
}

}  // namespace
}  // namespace wrapp::storage::gcs
