#include "storage/azure/shared_key.h"

#include <gtest/gtest.h>

#include "storage/azure/config.h"
#include "util/error.h"

namespace wrapp::storage::azure {
namespace {

// The expected values come from azure-storage-blob 12.31.1's own
// SharedKeyCredentialPolicy, signing the same requests with the emulator's
// well-known key: our signatures are the official client's.
TEST(AzureSharedKey, SignsABlockUploadAsTheOfficialClientDoes) {
  Headers headers = {{"x-ms-date", "Mon, 30 Nov 2026 19:04:05 GMT"},
                     {"x-ms-version", "2021-08-06"},
                     {"x-ms-meta-wrapp_hash", "sha-256-flat;1048576;abc"},
                     {"If-None-Match", "*"}};
  std::string text = string_to_sign("PUT", "devstoreaccount1", "/devstoreaccount1/repo/dir/a%20b.txt",
                                    {{"comp", "block"}, {"blockid", "QUJD"}}, headers, 5);
  EXPECT_EQ(text,
            "PUT\n\n\n5\n\n\n\n\n\n*\n\n\n"
            "x-ms-date:Mon, 30 Nov 2026 19:04:05 GMT\nx-ms-meta-wrapp_hash:sha-256-flat;1048576;abc\n"
            "x-ms-version:2021-08-06\n/devstoreaccount1/devstoreaccount1/repo/dir/a%20b.txt\nblockid:QUJD\ncomp:block");
  EXPECT_EQ(shared_key_authorization("devstoreaccount1", kDevelopmentKey, text, "test"),
            "SharedKey devstoreaccount1:YjCUim8s2xk4XtRvdxeyLop1CJpYyCUi0GIUOsPffzE=");
}

TEST(AzureSharedKey, SignsAListingWithDecodedQueryValues) {
  Headers headers = {{"x-ms-date", "Mon, 30 Nov 2026 19:04:05 GMT"}, {"x-ms-version", "2021-08-06"}};
  std::string text = string_to_sign(
      "GET", "devstoreaccount1", "/devstoreaccount1/repo",
      {{"restype", "container"}, {"comp", "list"}, {"prefix", "a/b/"}, {"include", "metadata"}}, headers, 0);
  EXPECT_EQ(shared_key_authorization("devstoreaccount1", kDevelopmentKey, text, "test"),
            "SharedKey devstoreaccount1:kkfkFMacOIO/QpReNUaYY34hzwSYhnY7kJYw7WA8XPU=");
}

TEST(AzureSharedKey, AKeyThatIsNotBase64IsBadInputAndNotRepeated) {
  try {
    shared_key_authorization("acct", "not base64 at all!", "x", "AZURE_STORAGE_KEY");
    FAIL() << "no error";
  } catch (const FailedCommand& e) {
    EXPECT_NE(std::string(e.what()).find("AZURE_STORAGE_KEY"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("not base64 at all"), std::string::npos) << e.what();
  }
}

TEST(AzureSharedKey, Base64RoundTripsAndRefusesGarbage) {
  for (std::string bytes : {std::string(""), std::string("a"), std::string("ab"), std::string("abc"),
                            std::string("\0\xff\x10", 3)}) {
    std::string back;
    if (bytes.empty()) continue;
    ASSERT_TRUE(base64_decode(base64_encode(bytes), &back)) << bytes;
    EXPECT_EQ(back, bytes);
  }
  std::string out;
  EXPECT_FALSE(base64_decode("abc", &out));
  EXPECT_FALSE(base64_decode("ab!d", &out));
  EXPECT_FALSE(base64_decode("", &out));
}

}  // namespace
}  // namespace wrapp::storage::azure
