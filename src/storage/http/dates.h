// Times as HTTP services write them: HTTP dates (RFC 1123, in headers and
// Azure's listings) and ISO 8601 (S3's listings).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wrapp::storage::http {

// "2009-10-12T17:50:30.000Z" (ISO 8601, UTC) or an HTTP date ("Wed, 12 Oct
// 2009 17:50:30 GMT") in nanoseconds since the epoch; nullopt when neither.
std::optional<int64_t> parse_time(std::string_view text);

// "Mon, 30 Nov 2026 19:04:05 GMT": an HTTP date (x-ms-date's format).
std::string http_date(std::chrono::system_clock::time_point when);

}  // namespace wrapp::storage::http
