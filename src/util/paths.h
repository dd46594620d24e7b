// Validation of relative paths and path segments that come from untrusted
// input (catalogs, .wrapp files, command lines).
#pragma once

#include <string>
#include <string_view>

namespace wrapp {

// True when `segment` is a safe single path segment (package name, version,
// file name): not empty, not "." or "..", no "/", "\\" or control characters.
bool is_safe_segment(std::string_view segment);

// True when `relative` is a safe relative path: forward slashes between safe
// segments; not absolute, no empty, "." or ".." segment.
bool is_safe_relative_path(std::string_view relative);

// %-encodes the bytes of a URL path that are not unreserved or sub-delims
// ("/" stays): the path part of the URLs in catalogs.
std::string percent_encode_path(std::string_view path);
// percent_encode_path(path) == encoded, without building the string.
bool equals_percent_encoded(std::string_view encoded, std::string_view path);

}  // namespace wrapp
