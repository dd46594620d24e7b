// Reading Azure blobs: a Reader over ranged GETs of one blob version (its
// ETag), and whole small documents.
#pragma once

#include <memory>

#include "storage/azure/service.h"
#include "storage/storage.h"

namespace wrapp::storage::azure {

// Opens `url` with a first GET of its first `prefetch` bytes (small blobs,
// package files, are read by that one request); nullptr when absent.
std::unique_ptr<Reader> open_reader(Service& service, const Url& url, size_t prefetch = 256 * 1024);

}  // namespace wrapp::storage::azure
