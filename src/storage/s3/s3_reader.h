// Reading S3 objects: a Reader of ranged GETs pinned to one version by
// If-Match, and a Document read with one GET.
//
// Opening sends no HEAD: it GETs the object's first kPrefetch bytes, whose
// answer carries the size, ETag and metadata too. An object that small (most
// package files, lock and package documents) is then read from memory: one
// request, and a snapshot that later writes cannot change, as a local file
// descriptor would be (compare-and-swap loops read, then write on the etag
// read).
#pragma once

#include <memory>

#include "storage/s3/s3_service.h"
#include "storage/storage.h"

namespace wrapp::storage::s3 {

inline constexpr size_t kPrefetch = 1024 * 1024;

// The Reader of the object at `url`, nullptr when there is none (404). Past
// the prefetched bytes, read_at sends one GET for the requested range
// ("Range: bytes=a-b", "If-Match: <etag>"): concurrent calls are concurrent
// requests, and an object replaced or removed since open throws
// StorageError naming it.
std::unique_ptr<Reader> open_reader(Service& service, const Url& url, size_t prefetch = kPrefetch);

// The whole object by one GET; nullptr when there is none (404).
std::unique_ptr<Document> get_document(Service& service, const Url& url);

}  // namespace wrapp::storage::s3
