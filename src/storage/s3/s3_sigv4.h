// AWS Signature Version 4 for S3 requests, computed here with OpenSSL's
// HMAC-SHA256 instead of by libcurl (CURLOPT_AWS_SIGV4): Debian 12's libcurl
// 7.88 sorts the canonical headers by "name:value" lines instead of names,
// so x-amz-copy-source sorts after x-amz-copy-source-range and
// x-amz-copy-source-if-match, and every UploadPartCopy or pinned CopyObject
// was refused (SignatureDoesNotMatch, against moto); it also signs an empty
// header that only removes one (Expect:). Signing here also leaves the query
// string exactly as Config::object_url built it (already canonical).
//
// Signed: Host and every header of the request with a value (S3 requires
// all x-amz-* ones); the payload is UNSIGNED-PAYLOAD (TLS protects it in
// transit, and bodies stream). Nothing here is logged.
#pragma once

#include <chrono>
#include <string>

#include "storage/s3/s3_config.h"
#include "storage/s3/s3_service.h"

namespace wrapp::storage::s3 {

// Adds Host, x-amz-date, x-amz-content-sha256 (unless the request has one),
// x-amz-security-token (with a session token) and Authorization to
// `headers` for a `method` request of `url` (scheme://host[:port]/path?query).
void sign_request(const std::string& method, const std::string& url, Headers& headers, const Credentials& credentials,
                  const std::string& region, std::chrono::system_clock::time_point now);

}  // namespace wrapp::storage::s3
