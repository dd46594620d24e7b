// Validation of relative paths and path segments that come from untrusted
// input (catalogs, .wrapp files, command lines).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace wrapp {

// Bounds of what any file system wrapp writes to can hold (NAME_MAX and
// PATH_MAX on Linux): a longer name or path in a catalog, a .wrapp file or a
// command line can never be installed, and is refused as unsafe.
inline constexpr size_t kMaxSegmentBytes = 255;
inline constexpr size_t kMaxPathBytes = 4096;

// True when `segment` is a safe single path segment (package name, version,
// file name): not empty, not "." or "..", no "/", "\\" or control characters,
// at most kMaxSegmentBytes long.
bool is_safe_segment(std::string_view segment);

// True when `relative` is a safe relative path: forward slashes between safe
// segments; not absolute, no empty, "." or ".." segment; at most
// kMaxPathBytes long.
bool is_safe_relative_path(std::string_view relative);

// Why `segment` / `relative` is not safe, for messages ("longer than 255
// bytes", "a '..' segment", ...); empty when it is safe.
std::string_view segment_problem(std::string_view segment);
std::string_view relative_path_problem(std::string_view relative);

// %-encodes the bytes of a URL path that are not unreserved or sub-delims
// ("/" stays): the path part of the URLs in catalogs.
std::string percent_encode_path(std::string_view path);
// percent_encode_path(path) == encoded, without building the string.
bool equals_percent_encoded(std::string_view encoded, std::string_view path);

}  // namespace wrapp
