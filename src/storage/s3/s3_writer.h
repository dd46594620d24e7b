// Writing S3 objects.
//
// Up to Config::multipart_threshold bytes are kept in memory and sent by one
// PUT at commit. Past the threshold a multipart upload starts and parts of
// the chunk size (grown so that size_hint fits in 10,000 parts) are sent as
// bytes arrive, one part in flight while the next one fills: memory stays
// below the threshold plus two parts. Commit completes the upload, and a
// Writer destroyed before it aborts the upload, so nothing is left behind.
//
// Conditions are the service's: If-None-Match: * (create-only) or If-Match:
// <etag> on the PUT or on CompleteMultipartUpload. A 412 (or a 404 for an
// If-Match target that is gone) is FailedCommand kAlreadyExists or
// kPreconditionFailed. A 412 to a create-only request may be our own first
// attempt, which succeeded unseen (checked on every refusal): the
// object's size and hash metadata then tell whether it is ours. After a compare-and-swap the
// 412 stands (a rival may have written the same bytes).
//
// The content hash: WriteOptions::content_hash, else the sha-256-flat of the
// bytes written (computed as they stream), is stored as
// x-amz-meta-wrapp-hash. A multipart upload fixes its metadata when it
// starts, before the bytes are known: without a hash given up front, the
// completed object gets its hash by a CopyObject onto itself that replaces
// the metadata, on condition that it is still the object just completed.
// Objects above 5 GiB skip that copy and keep no hash.
#pragma once

#include <memory>

#include "storage/s3/s3_service.h"
#include "storage/storage.h"

namespace wrapp::storage::s3 {

std::unique_ptr<Writer> make_writer(Service& service, const Url& url, const WriteOptions& options);

// The part size for an object of `size_hint` bytes: the configured chunk
// size, grown to fit the object in S3's 10,000 parts.
uint64_t part_size_for(const Config& config, uint64_t size_hint);

}  // namespace wrapp::storage::s3
