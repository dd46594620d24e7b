// Writing Azure block blobs.
//
// Up to Config::single_put_limit bytes are kept in memory and sent by one
// Put Blob at commit. Past it, blocks of the block size (grown so that
// size_hint fits in Azure's 50,000 blocks) are sent by Put Block as bytes
// arrive, one in flight while the next one fills, and commit sends Put Block
// List. Block ids start with a random tag of this Writer: uncommitted blocks
// are kept per blob name, so two writers of one name never commit each
// other's blocks. A Writer dropped before commit leaves its uncommitted
// blocks to Azure, which discards them (after a week; they are invisible
// and never part of a blob).
//
// Conditions are the service's: If-None-Match: * (create-only) or If-Match:
// <etag> on Put Blob or Put Block List. A refusal of a create-only request
// may be our own first attempt, which succeeded unseen (checked on every
// refusal): the blob's size and hash metadata then tell whether it is ours. After a
// compare-and-swap the refusal stands (a rival may have written the same
// bytes).
//
// The content hash (WriteOptions::content_hash, else the sha-256-flat of the
// bytes as they stream) is x-ms-meta-wrapp_hash, set by the request that
// commits, so every blob wrapp writes carries it.
#pragma once

#include <memory>

#include "storage/azure/service.h"
#include "storage/storage.h"

namespace wrapp::storage::azure {

std::unique_ptr<Writer> make_writer(Service& service, const Url& url, const WriteOptions& options);

// The block size for a blob of `size_hint` bytes: the configured one, grown
// to fit the blob in Azure's 50,000 blocks.
uint64_t block_size_for(const Config& config, uint64_t size_hint);

}  // namespace wrapp::storage::azure
