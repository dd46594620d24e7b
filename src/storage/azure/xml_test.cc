#include "storage/azure/xml.h"

#include <gtest/gtest.h>

#include "util/error.h"

namespace wrapp::storage::azure {
namespace {

TEST(AzureXml, ReadsAListPageWithMetadataAndPrefixes) {
  ListResult r = parse_list(R"(<?xml version="1.0" encoding="utf-8"?>
<EnumerationResults ServiceEndpoint="http://127.0.0.1/devstoreaccount1" ContainerName="repo">
  <Prefix>p/</Prefix><MaxResults>5000</MaxResults>
  <Blobs>
    <Blob><Name>p/a b.txt</Name><Properties><Last-Modified>Mon, 30 Nov 2026 19:04:05 GMT</Last-Modified>
      <Etag>0x8DCBA</Etag><Content-Length>12</Content-Length></Properties>
      <Metadata><wrapp_hash>sha-256-flat;1048576;ab</wrapp_hash><other>x</other></Metadata></Blob>
    <Blob><Name>p/empty</Name><Properties><Etag>"0x1"</Etag><Content-Length>0</Content-Length></Properties><Metadata/></Blob>
    <BlobPrefix><Name>p/sub/</Name></BlobPrefix>
  </Blobs>
  <NextMarker>2!ab</NextMarker>
</EnumerationResults>)",
                            "u");
  ASSERT_EQ(r.blobs.size(), 2u);
  EXPECT_EQ(r.blobs[0].name, "p/a b.txt");
  EXPECT_EQ(r.blobs[0].size, 12u);
  EXPECT_EQ(r.blobs[0].etag, "\"0x8DCBA\"");  // quoted, as headers have it
  EXPECT_EQ(r.blobs[0].content_hash, "sha-256-flat;1048576;ab");
  EXPECT_EQ(r.blobs[0].mtime_ns, 1796065445000000000);
  EXPECT_EQ(r.blobs[1].etag, "\"0x1\"");
  EXPECT_EQ(r.blobs[1].content_hash, "");
  EXPECT_EQ(r.prefixes, std::vector<std::string>{"p/sub/"});
  EXPECT_EQ(r.next_marker, "2!ab");
}

TEST(AzureXml, RefusesWhatAzureNeverSends) {
  for (std::string bad : {std::string("<Error><Code>x</Code></Error>"), std::string("<EnumerationResults><Blobs><Blob>"),
                          std::string("<EnumerationResults><Blobs><Blob><Properties/></Blob></Blobs></EnumerationResults>"),
                          std::string(R"(<!DOCTYPE l [<!ENTITY a "x">]><EnumerationResults/>)"),
                          std::string("<EnumerationResults><Blobs><Blob><Name>n</Name><Properties><Content-Length>-1"
                                      "</Content-Length></Properties></Blob></Blobs></EnumerationResults>")}) {
    EXPECT_THROW(parse_list(bad, "u"), StorageError) << bad;
  }
}

TEST(AzureXml, ReadsErrors) {
  auto e = parse_error("<?xml version=\"1.0\"?><Error><Code>BlobAlreadyExists</Code><Message>The specified blob "
                       "already exists.\nRequestId:1\nTime:2026</Message></Error>");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, "BlobAlreadyExists");
  EXPECT_FALSE(parse_error("<EnumerationResults/>"));
  EXPECT_FALSE(parse_error("not xml"));
}

}  // namespace
}  // namespace wrapp::storage::azure
