// S3-only behaviour, against the server of WRAPP_TEST_S3_ENDPOINT (see
// s3_test_support.h; skipped without one): multipart uploads, the hash
// metadata of uploads whose hash comes at the end, copies in parts, readers
// pinned to one version, error messages. The generic contract is the
// conformance suite's (storage_conformance_test.cc, backend "s3").
#include <gtest/gtest.h>

#include <string>

#include "model/hash.h"
#include "storage/s3/s3_test_support.h"
#include "storage/s3/s3_writer.h"
#include "util/error.h"
#include "util/test_data.h"

namespace wrapp::storage::s3 {
namespace {

using wrapp::testing::pattern;

class S3StorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    target_ = testing::make_s3_target();
    if (!target_.skip.empty()) GTEST_SKIP() << target_.skip;
  }
  void TearDown() override {
    if (target_.cleanup) target_.cleanup();
  }
  S3Storage& s() { return *target_.storage; }
  Url at(const std::string& rel) { return target_.root.join(rel); }

  // Writes `data` in 1 MiB pieces, as commands stream a file.
  void put(const std::string& rel, const std::string& data, WriteOptions options = {}) {
    auto w = s().open_write(at(rel), options);
    for (size_t off = 0; off < data.size(); off += kMiB) {
      w->write_at(off, data.data() + off, std::min<size_t>(kMiB, data.size() - off));
    }
    w->commit();
  }
  std::string get(const std::string& rel) { return read_all(s(), at(rel)).value_or("<absent>"); }

  testing::S3Target target_;
};

TEST_F(S3StorageTest, MultipartUploadWithTheHashGivenUpFront) {
  std::string data = pattern(11 * kMiB + 3, 1);
  std::string hash = model::flat_hash(data.data(), data.size());
  put("given.bin", data, WriteOptions{.size_hint = data.size(), .content_hash = hash});
  auto info = s().stat(at("given.bin"));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->size, data.size());
  EXPECT_NE(info->etag.find('-'), std::string::npos) << "not a multipart upload: " << info->etag;
  EXPECT_EQ(info->content_hash, hash);
  EXPECT_EQ(get("given.bin"), data);
}

TEST_F(S3StorageTest, MultipartUploadGetsTheHashOfItsBytes) {
  std::string data = pattern(6 * kMiB + 1, 2);
  put("computed.bin", data);  // no hash, no size hint
  auto info = s().stat(at("computed.bin"));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->content_hash, model::flat_hash(data.data(), data.size()));
  EXPECT_EQ(get("computed.bin"), data);
  // Single PUTs too.
  put("small", "small bytes");
  EXPECT_EQ(s().stat(at("small"))->content_hash, model::flat_hash("small bytes", 11));
}

TEST_F(S3StorageTest, MultipartCreateOnlyAndIfMatch) {
  std::string data = pattern(2 * kMiB, 3);
  put("m", data);
  EXPECT_THROW(put("m", data, WriteOptions{.in_place = true}), FailedCommand);  // refused at commit
  std::string etag = s().stat(at("m"))->etag;
  auto w = s().open_write(at("m"), WriteOptions{.if_match = etag});
  w->write_at(0, data.data(), data.size());
  put("m", "replaced", WriteOptions{.overwrite = true});
  try {
    w->commit();
    ADD_FAILURE() << "a stale if_match multipart upload was completed";
  } catch (const FailedCommand& e) {
    EXPECT_EQ(e.code(), ErrorCode::kPreconditionFailed) << e.what();
  }
  w.reset();
  EXPECT_EQ(get("m"), "replaced");
}

TEST_F(S3StorageTest, CopyInPartsKeepsBytesAndHash) {
  s().set_copy_part_size(5 * kMiB);
  std::string data = pattern(11 * kMiB + 5, 4);
  put("src.bin", data, WriteOptions{.content_hash = "sha-256-flat;1048576;" + std::string(64, 'b')});
  s().copy(at("src.bin"), at("dst.bin"), WriteOptions{});
  EXPECT_EQ(get("dst.bin"), data);
  EXPECT_EQ(s().stat(at("dst.bin"))->content_hash, "sha-256-flat;1048576;" + std::string(64, 'b'));
  try {
    s().copy(at("src.bin"), at("dst.bin"), WriteOptions{});
    ADD_FAILURE() << "a create-only copy replaced its target";
  } catch (const FailedCommand& e) {
    EXPECT_EQ(e.code(), ErrorCode::kAlreadyExists);
  }
}

TEST_F(S3StorageTest, AReaderFailsWhenItsObjectIsReplaced) {
  // Small objects are read whole at open (a snapshot); past the prefetched
  // start, a replaced object fails instead of mixing two versions.
  std::string first = pattern(3 * kMiB, 5);
  put("small", "first version");
  put("r", first);
  auto small = s().open_read(at("small"));
  auto reader = s().open_read(at("r"));
  ASSERT_TRUE(small && reader);
  std::string buf(100, '\0');
  EXPECT_EQ(reader->read_at(2 * kMiB, buf.data(), 100), 100u);
  EXPECT_EQ(buf, first.substr(2 * kMiB, 100));
  put("small", "second version", WriteOptions{.overwrite = true});
  put("r", pattern(3 * kMiB, 6), WriteOptions{.overwrite = true});
  EXPECT_EQ(small->read_at(0, buf.data(), 13), 13u);
  EXPECT_EQ(buf.substr(0, 13), "first version");
  EXPECT_EQ(reader->read_at(0, buf.data(), 100), 100u);  // prefetched
  try {
    reader->read_at(2 * kMiB, buf.data(), 100);
    ADD_FAILURE() << "read bytes of another version";
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("replaced"), std::string::npos) << e.what();
  }
}

TEST_F(S3StorageTest, DescendPrunesAcrossPages) {
  // More keys than a page below a refused folder: the listing skips them.
  for (size_t i = 0; i < 2 * testing::kTestListPageSize + 5; ++i) {
    put("skip/f" + std::to_string(i), "x", WriteOptions{.in_place = true});
  }
  put("keep/a", "a");
  put("z", "z");
  ListOptions options;
  int asked = 0;
  options.descend = [&](const std::string& dir) {
    ++asked;
    return dir != "skip";
  };
  std::vector<std::string> paths;
  for (const auto& e : list_all(s(), target_.root, options)) paths.push_back(e.relative_path);
  EXPECT_EQ(paths, (std::vector<std::string>{"keep/a", "z"}));
  EXPECT_EQ(asked, 2);
}

TEST_F(S3StorageTest, ErrorsNameTheUrlAndS3sCode) {
  Url missing = Url::parse("s3://wrapp-no-such-bucket-" + std::to_string(::getpid()) + "/k");
  try {
    s().stat(missing);
    ADD_FAILURE() << "stat of a missing bucket succeeded";
  } catch (const StorageError& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("NoSuchBucket"), std::string::npos) << message;
    EXPECT_NE(message.find("s3://" + missing.authority()), std::string::npos) << message;
  }
  EXPECT_THROW(s().open_write(target_.root.parent(), WriteOptions{}), FailedCommand);  // the bucket's root
}

TEST(S3StoragePartSizes, GrowToFitTenThousandParts) {
  Config c;
  c.multipart_chunksize = 5 * kMiB;
  EXPECT_EQ(part_size_for(c, 0), 5 * kMiB);
  EXPECT_EQ(part_size_for(c, 100 * kMiB), 5 * kMiB);
  EXPECT_EQ(part_size_for(c, 100000 * kMiB), 10 * kMiB);
  EXPECT_EQ(part_size_for(c, 100000 * kMiB + 1), 11 * kMiB);
}

}  // namespace
}  // namespace wrapp::storage::s3
