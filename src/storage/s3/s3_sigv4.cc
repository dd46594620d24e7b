#include "storage/s3/s3_sigv4.h"

#include <time.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include <fmt/format.h>

#include "util/crypto_library.h"

namespace wrapp::storage::s3 {

namespace {

std::string hex(const unsigned char* data, size_t size) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 15];
  }
  return out;
}

std::string sha256_hex(const std::string& text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  util::crypto_library().SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return hex(digest, sizeof digest);
}

std::string hmac(const std::string& key, const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  const auto& ssl = util::crypto_library();
  ssl.HMAC(ssl.EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(text.data()),
       text.size(), digest, &size);
  return std::string(reinterpret_cast<char*>(digest), size);
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Leading and trailing blanks dropped, inner runs of blanks made one space.
std::string canonical_value(const std::string& value) {
  std::string out;
  bool blank = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      blank = !out.empty();
      continue;
    }
    if (blank) out += ' ';
    blank = false;
    out += c;
  }
  return out;
}

std::string utc(std::chrono::system_clock::time_point now, const char* format) {
  time_t t = std::chrono::system_clock::to_time_t(now);
  struct tm parts {};
  gmtime_r(&t, &parts);
  char buffer[32];
  strftime(buffer, sizeof buffer, format, &parts);
  return buffer;
}

}  // namespace

void sign_request(const std::string& method, const std::string& url, Headers& headers, const Credentials& credentials,
                  const std::string& region, std::chrono::system_clock::time_point now) {
  size_t scheme = url.find("://");
  size_t path_at = url.find('/', scheme + 3);
  std::string host = url.substr(scheme + 3, path_at - scheme - 3);
  std::string rest = path_at == std::string::npos ? "/" : url.substr(path_at);
  size_t question = rest.find('?');
  std::string path = rest.substr(0, question);
  std::string query = question == std::string::npos ? "" : rest.substr(question + 1);

  std::string date_time = utc(now, "%Y%m%dT%H%M%SZ");
  std::string date = date_time.substr(0, 8);
  bool has_payload_hash = std::any_of(headers.begin(), headers.end(), [](const auto& h) {
    return lower(h.first) == "x-amz-content-sha256";
  });
  headers.emplace_back("Host", host);
  headers.emplace_back("x-amz-date", date_time);
  if (!has_payload_hash) headers.emplace_back("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
  if (!credentials.session_token.empty()) headers.emplace_back("x-amz-security-token", credentials.session_token);

  std::vector<std::pair<std::string, std::string>> signed_headers;
  std::string payload_hash;
  for (const auto& [name, value] : headers) {
    if (value.empty()) continue;  // removes a header: never sent
    signed_headers.emplace_back(lower(name), canonical_value(value));
    if (signed_headers.back().first == "x-amz-content-sha256") payload_hash = signed_headers.back().second;
  }
  std::sort(signed_headers.begin(), signed_headers.end());
  std::string canonical_headers, names;
  for (const auto& [name, value] : signed_headers) {
    canonical_headers += name + ":" + value + "\n";
    if (!names.empty()) names += ';';
    names += name;
  }
  std::string canonical_request =
      fmt::format("{}\n{}\n{}\n{}\n{}\n{}", method, path, query, canonical_headers, names, payload_hash);
  std::string scope = fmt::format("{}/{}/s3/aws4_request", date, region);
  std::string to_sign = fmt::format("AWS4-HMAC-SHA256\n{}\n{}\n{}", date_time, scope, sha256_hex(canonical_request));
  std::string key = hmac(hmac(hmac(hmac("AWS4" + credentials.secret_access_key, date), region), "s3"), "aws4_request");
  std::string signature = hmac(key, to_sign);
  headers.emplace_back("Authorization",
                       fmt::format("AWS4-HMAC-SHA256 Credential={}/{}, SignedHeaders={}, Signature={}",
                                   credentials.access_key_id, scope, names,
                                   hex(reinterpret_cast<const unsigned char*>(signature.data()), signature.size())));
}

}  // namespace wrapp::storage::s3
