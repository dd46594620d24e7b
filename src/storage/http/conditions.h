// Conditional writes as HTTP object stores (S3, Azure Blob) express them:
// create-only is If-None-Match: *, compare-and-swap is If-Match: <etag>,
// and the same checks done first with a HEAD, so a write fails before its
// bytes travel (the service checks again when it commits).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage/storage.h"

namespace wrapp::storage::http {

// The headers of a write's condition: If-None-Match: * (create-only),
// If-Match: <etag>, or none (overwrite).
std::vector<std::pair<std::string, std::string>> condition_headers(const WriteOptions& options);

// Throws FailedCommand kAlreadyExists (create-only) or kPreconditionFailed
// (if_match) naming `url`.
[[noreturn]] void fail_condition(const Url& url, const WriteOptions& options);

// Throws as fail_condition unless a write to `url` may start under
// `options`, given `head` (the object's FileInfo, nullopt when absent). An
// in_place create-only write (a version folder not yet published) is not
// checked: the commit's If-None-Match is the check, one request less per
// file.
void check_write_target(const Url& url, const WriteOptions& options,
                        const std::function<std::optional<FileInfo>()>& head);

}  // namespace wrapp::storage::http
