// What differs between the services that speak S3's protocol: Amazon S3
// (and the S3-compatible servers), and Google Cloud Storage's XML API
// reached with HMAC keys (gs:// URLs; docs/storage.md "HMAC keys").
//
// GCS takes S3's requests, SigV4 signatures and x-amz-meta-* metadata, but
// an object's version tag is its generation (the x-goog-generation header,
// <Generation> in listings), which its preconditions compare
// (x-goog-if-generation-match, 0 meaning "no live object"): its ETag is a
// digest of the bytes, equal for equal contents, so it cannot tell two
// writes of the same bytes apart. GCS copies whole objects only (no
// UploadPartCopy), and may answer an object's metadata as x-goog-meta-*.
#pragma once

#include <string_view>
#include <utility>

namespace wrapp::storage::s3 {

struct Dialect {
  std::string_view backend;  // Storage::name(), in --stats
  std::string_view service;  // in messages: "S3 AccessDenied (HTTP 403)"
  // The response header holding an object's version tag (FileInfo::etag),
  // lower case as http::Response keeps them.
  std::string_view version_header;
  bool listed_generation;  // listings' version tag: <Generation> (else <ETag>)
  // Request headers: the object's version tag is this one; the source of
  // a copy is still this version; there is no object yet.
  std::string_view match_header;
  std::string_view copy_source_match_header;
  std::pair<std::string_view, std::string_view> create_only;
  // Response headers that may carry the wrapp-hash metadata.
  std::string_view hash_headers[2];
  bool part_copy;  // UploadPartCopy exists (copies above 5 GiB in parts)
};

inline constexpr Dialect kAmazonS3{
    .backend = "S3",
    .service = "S3",
    .version_header = "etag",
    .listed_generation = false,
    .match_header = "If-Match",
    .copy_source_match_header = "x-amz-copy-source-if-match",
    .create_only = {"If-None-Match", "*"},
    .hash_headers = {"x-amz-meta-wrapp-hash", "x-amz-meta-wrapp-hash"},
    .part_copy = true,
};

inline constexpr Dialect kGcsXml{
    .backend = "Google Cloud Storage (XML API)",
    .service = "GCS",
    .version_header = "x-goog-generation",
    .listed_generation = true,
    .match_header = "x-goog-if-generation-match",
    .copy_source_match_header = "x-goog-copy-source-if-generation-match",
    .create_only = {"x-goog-if-generation-match", "0"},
    .hash_headers = {"x-amz-meta-wrapp-hash", "x-goog-meta-wrapp-hash"},
    .part_copy = false,
};

}  // namespace wrapp::storage::s3
