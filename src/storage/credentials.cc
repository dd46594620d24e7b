#include "storage/credentials.h"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <vector>

#include "util/error.h"

namespace wrapp::storage {

namespace {

std::mutex registry_mu;
std::vector<Credential>& registry() {
  static std::vector<Credential> credentials;
  return credentials;
}

// Scheme and host compare without case; a trailing '/' does not count.
std::string normal(std::string_view url) {
  std::string out(url);
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  size_t scheme = out.find("://");
  size_t host_end = scheme == std::string::npos ? 0 : out.find('/', scheme + 3);
  if (host_end == std::string::npos) host_end = out.size();
  for (size_t i = 0; i < host_end; ++i) out[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(out[i])));
  return out;
}

bool covers(const std::string& prefix, const std::string& url) {
  if (!url.starts_with(prefix)) return false;
  return url.size() == prefix.size() || url[prefix.size()] == '/' || prefix.ends_with("://");
}

}  // namespace

std::string Credential::field(std::string_view name) const {
  auto it = fields.find(std::string(name));
  return it == fields.end() ? std::string() : it->second;
}

Credential parse_auth_option(std::string_view value) {
  auto trimmed = [](std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return std::string(s);
  };
  size_t first = value.find(',');
  size_t second = first == std::string_view::npos ? first : value.find(',', first + 1);
  std::string url = trimmed(value.substr(0, first));
  bool ok = first != std::string_view::npos && url.find("://") != std::string::npos && first + 1 < value.size() &&
            (second == std::string_view::npos || (second > first + 1 && second + 1 < value.size()));
  if (!ok) {
    fail_with(ErrorCode::kBadInput,
              "--auth: expected URL,USER,PASSWORD_OR_TOKEN or URL,TOKEN (the value is not repeated: it holds a secret)");
  }
  Credential c;
  c.server_url = url;
  if (second == std::string_view::npos) {
    c.kind = "storage_api_bearer";
    c.fields["bearer_token"] = std::string(value.substr(first + 1));
    return c;
  }
  std::string user(value.substr(first + 1, second - first - 1));
  std::string secret(value.substr(second + 1));
  // An HMAC key of Google Cloud Storage is S3-style too (its XML API).
  if (normal(url).starts_with("s3://") || normal(url).starts_with("gs://")) {
    c.kind = "boto3";
    c.fields = {{"aws_access_key_id", user}, {"aws_secret_access_key", secret}};
  } else {
    c.kind = "nucleus";
    c.fields = {{"username", user}, {"password_or_token", secret}};
  }
  return c;
}

void add_credential(Credential credential) {
  credential.server_url = normal(credential.server_url);
  std::lock_guard lock(registry_mu);
  auto& all = registry();
  std::erase_if(all, [&](const Credential& c) { return c.server_url == credential.server_url; });
  all.push_back(std::move(credential));
}

bool remove_credential(std::string_view server_url) {
  std::string key = normal(server_url);
  std::lock_guard lock(registry_mu);
  return std::erase_if(registry(), [&](const Credential& c) { return c.server_url == key; }) > 0;
}

void clear_credentials() {
  std::lock_guard lock(registry_mu);
  registry().clear();
}

void replace_credentials(std::vector<Credential> credentials) {
  std::vector<Credential> normalised;
  for (auto& c : credentials) {
    c.server_url = normal(c.server_url);
    std::erase_if(normalised, [&](const Credential& o) { return o.server_url == c.server_url; });
    normalised.push_back(std::move(c));
  }
  std::lock_guard lock(registry_mu);
  registry() = std::move(normalised);
}

std::optional<Credential> find_credential(std::string_view url) {
  std::string key = normal(url);
  std::lock_guard lock(registry_mu);
  const Credential* best = nullptr;
  for (const auto& c : registry()) {
    if (covers(c.server_url, key) && (!best || c.server_url.size() >= best->server_url.size())) best = &c;
  }
  return best ? std::optional<Credential>(*best) : std::nullopt;
}

std::optional<Credential> find_credential(const Url& url) { return find_credential(url.str()); }

}  // namespace wrapp::storage
