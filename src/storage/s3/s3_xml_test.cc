#include "storage/s3/s3_xml.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "util/error.h"

namespace wrapp::storage::s3 {
namespace {

const char* kPage = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name><Prefix>repo/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys>
  <IsTruncated>true</IsTruncated>
  <Contents><Key>repo/a&amp;b.txt</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified>
    <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag><Size>434234</Size><StorageClass>STANDARD</StorageClass></Contents>
  <Contents><Key>repo/d/e</Key><LastModified>2024-01-01T00:00:00Z</LastModified><ETag>"x-2"</ETag><Size>0</Size></Contents>
  <CommonPrefixes><Prefix>repo/sub/</Prefix></CommonPrefixes>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
</ListBucketResult>)";

TEST(S3Xml, ParsesAListingPage) {
  ListResult page = parse_list(kPage, "s3://bucket/repo");
  ASSERT_EQ(page.objects.size(), 2u);
  EXPECT_EQ(page.objects[0].key, "repo/a&b.txt");
  EXPECT_EQ(page.objects[0].size, 434234u);
  EXPECT_EQ(page.objects[0].etag, "\"fba9dede5f27731c9771645a39863328\"");
  EXPECT_EQ(page.objects[0].mtime_ns, 1255369830LL * 1'000'000'000);
  EXPECT_EQ(page.objects[1].key, "repo/d/e");
  EXPECT_EQ(page.objects[1].size, 0u);
  EXPECT_EQ(page.prefixes, std::vector<std::string>{"repo/sub/"});
  EXPECT_TRUE(page.truncated);
  EXPECT_EQ(page.next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
}

TEST(S3Xml, NamespacePrefixesAreIgnored) {
  ListResult page = parse_list(
      "<s3:ListBucketResult xmlns:s3='x'><s3:Contents><s3:Key>k</s3:Key><s3:Size>3</s3:Size></s3:Contents>"
      "<s3:IsTruncated>false</s3:IsTruncated></s3:ListBucketResult>",
      "s3://b");
  ASSERT_EQ(page.objects.size(), 1u);
  EXPECT_EQ(page.objects[0].key, "k");
  EXPECT_FALSE(page.truncated);
}

TEST(S3Xml, ParsesErrorsUploadIdsAndEtags) {
  auto error = parse_error(
      "<?xml version='1.0'?><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated "
      "does not match</Message><StringToSign>secret stuff</StringToSign><RequestId>1</RequestId></Error>");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, "SignatureDoesNotMatch");
  EXPECT_EQ(error->message, "The request signature we calculated does not match");
  EXPECT_EQ(parse_error("<ListBucketResult/>"), std::nullopt);
  EXPECT_EQ(parse_error("<html>502 Bad Gateway"), std::nullopt);
  EXPECT_EQ(parse_error(""), std::nullopt);
  EXPECT_EQ(parse_upload_id("<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>abc-1</UploadId>"
                            "</InitiateMultipartUploadResult>",
                            "s3://b/k"),
            "abc-1");
  EXPECT_EQ(parse_result_etag("<CopyObjectResult><LastModified>x</LastModified><ETag>\"e1\"</ETag></CopyObjectResult>",
                              "s3://b/k"),
            "\"e1\"");
  EXPECT_EQ(parse_result_etag("<CopyPartResult><ETag>\"p\"</ETag></CopyPartResult>", "s3://b/k"), "\"p\"");
  EXPECT_EQ(parse_result_etag("<CompleteMultipartUploadResult><ETag>\"m-2\"</ETag></CompleteMultipartUploadResult>",
                              "s3://b/k"),
            "\"m-2\"");
  EXPECT_THROW(parse_upload_id("<InitiateMultipartUploadResult/>", "s3://b/k"), StorageError);
  EXPECT_THROW(parse_result_etag("<Error><Code>InternalError</Code></Error>", "s3://b/k"), StorageError);
}

TEST(S3Xml, Times) {
  EXPECT_EQ(parse_time("1970-01-01T00:00:01Z"), 1'000'000'000);
  EXPECT_EQ(parse_time("1970-01-01T00:00:01.5Z"), 1'500'000'000);
  EXPECT_EQ(parse_time("Wed, 12 Oct 2009 17:50:30 GMT"), 1255369830LL * 1'000'000'000);
  for (const char* bad : {"", "yesterday", "2009-13-12T17:50:30Z", "2009-10-12T17:50:30", "Wed, 12 Foo 2009 17:50:30 GMT",
                          "1969-12-31T23:59:59Z"}) {
    EXPECT_EQ(parse_time(bad), std::nullopt) << bad;
  }
}

// Every hostile document is refused with a StorageError that names the URL
// and quotes nothing of the document.
void expect_refused(const std::string& xml, const std::string& why) {
  try {
    parse_list(xml, "s3://bucket/where");
    ADD_FAILURE() << "accepted: " << why;
  } catch (const StorageError& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("s3://bucket/where"), std::string::npos) << message;
    EXPECT_LT(message.size(), 300u) << why;
    EXPECT_EQ(message.find("SECRET"), std::string::npos) << message;
  }
}

TEST(S3Xml, HostileDocumentsAreRefused) {
  expect_refused("", "empty");
  expect_refused("<ListBucketResult>", "unclosed");
  expect_refused("<ListBucketResult><Contents><Key>SECRET</Key></Contents>", "truncated");
  expect_refused("<Error><Code>AccessDenied</Code></Error>", "not a listing");
  expect_refused("<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>", "entry without key");
  expect_refused("<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>", "bad size");
  expect_refused("<ListBucketResult><Contents><Key>k</Key><Size>99999999999999999999999</Size></Contents>"
                 "</ListBucketResult>",
                 "size overflow");
  expect_refused("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>", "truncated without token");
  // Entities: the billion laughs, and an external entity reading a file.
  expect_refused(R"(<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "SECRETSECRET"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>
<ListBucketResult><Prefix>&b;</Prefix></ListBucketResult>)",
                 "entity expansion");
  expect_refused(R"(<?xml version="1.0"?><!DOCTYPE l [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<ListBucketResult><Prefix>&x;</Prefix></ListBucketResult>)",
                 "external entity");
  expect_refused("<ListBucketResult><Prefix>&undefined;</Prefix></ListBucketResult>", "undefined entity");
  std::string deep;
  for (int i = 0; i < 1000; ++i) deep += "<a>";
  expect_refused("<ListBucketResult>" + deep, "deep nesting");
  expect_refused("<ListBucketResult><Prefix>" + std::string(kMaxText + 1, 'x') + "</Prefix></ListBucketResult>",
                 "long text");
  expect_refused(std::string(kMaxDocument + 1, ' '), "huge document");
  expect_refused(std::string("<ListBucketResult>\0</ListBucketResult>", 37), "NUL byte");
  expect_refused("<ListBucketResult><Contents><Key>\xff\xfe</Key></Contents></ListBucketResult>", "invalid UTF-8");
}

TEST(S3Xml, TooManyEntriesAreRefused) {
  std::string xml = "<ListBucketResult>";
  for (size_t i = 0; i <= kMaxEntries; ++i) xml += "<CommonPrefixes><Prefix>p/</Prefix></CommonPrefixes>";
  xml += "</ListBucketResult>";
  expect_refused(xml, "too many entries");
}

// Fuzz-style: random mutations of a valid page never crash and either parse
// or throw StorageError.
TEST(S3Xml, MutatedPagesParseOrThrowStorageError) {
  std::mt19937 random(12345);
  const std::string base = kPage;
  const std::string alphabet("<>/&;\"'=x \n\xff\0!?[]", 17);  // with a NUL byte
  for (int round = 0; round < 3000; ++round) {
    std::string xml = base;
    int edits = 1 + static_cast<int>(random() % 8);
    for (int e = 0; e < edits; ++e) {
      size_t at = random() % xml.size();
      switch (random() % 3) {
        case 0: xml[at] = alphabet[random() % alphabet.size()]; break;
        case 1: xml.erase(at, 1 + random() % 20); break;
        default: xml.insert(at, xml.substr(random() % xml.size(), random() % 40)); break;
      }
      if (xml.empty()) xml.assign(1, '<');
    }
    try {
      parse_list(xml, "s3://b/fuzz");
    } catch (const StorageError&) {
    }
    parse_error(xml);  // never throws
  }
}

}  // namespace
}  // namespace wrapp::storage::s3
