// Azure Storage's Shared Key authorization, signed here with OpenSSL's
// HMAC-SHA256 (no Azure SDK exists for C++ in Debian or on PyPI).
//
// The string to sign (Azure's "Authorize with Shared Key", versions since
// 2015-02-21): the verb, the values of eleven standard headers
// (Content-Length empty when 0), the x-ms-* headers in lower case, sorted,
// as "name:value\n", then the canonical resource "/ACCOUNT/PATH" followed by
// each query parameter as "\nname:value" (names in lower case, sorted,
// values decoded). The signature is base64(HMAC-SHA256(base64decode(key),
// string)), sent as "Authorization: SharedKey ACCOUNT:SIGNATURE".
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wrapp::storage::azure {

using Headers = std::vector<std::pair<std::string, std::string>>;

// The string Shared Key signs. `path` is the request URL's path as sent
// (percent-encoded); `query` the decoded parameters; `headers` all the
// request's headers (any case).
std::string string_to_sign(std::string_view method, std::string_view account, std::string_view path,
                           const std::map<std::string, std::string>& query, const Headers& headers,
                           uint64_t content_length);

// The Authorization header's value for `string`. Throws FailedCommand (bad
// input) when `key` is not base64, never repeating it.
std::string shared_key_authorization(std::string_view account, std::string_view key, std::string_view string,
                                     const std::string& key_source);

// RFC 4648 base64, padded (Azure's block ids, keys and signatures).
std::string base64_encode(std::string_view bytes);
// Decodes padded base64; false when `text` is not base64.
bool base64_decode(std::string_view text, std::string* out);

}  // namespace wrapp::storage::azure
