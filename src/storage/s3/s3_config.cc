#include "storage/s3/s3_config.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <vector>

#include "storage/credentials.h"
#include "util/error.h"

namespace wrapp::storage::s3 {

namespace {

constexpr size_t kMaxIniBytes = 1024 * 1024;  // AWS files are tiny; a huge one is not one
constexpr size_t kMaxIniLine = 4096;

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::optional<std::string> non_empty(const Env& env, const char* name) {
  auto value = env(name);
  if (value && value->empty()) return std::nullopt;
  return value;
}

uint64_t size_var(const Env& env, const char* name, uint64_t fallback, uint64_t min, uint64_t max) {
  auto text = non_empty(env, name);
  if (!text) return fallback;
  std::string t = trim(*text);
  char* end = nullptr;
  errno = 0;
  unsigned long long value = std::strtoull(t.c_str(), &end, 10);
  if (t.empty() || !std::isdigit(static_cast<unsigned char>(t[0])) || *end != '\0' || errno == ERANGE ||
      value < min || value > max) {
    fail_with(ErrorCode::kBadInput, "{}='{}' is not a whole number from {} to {}", name, shorten_for_message(t, 64),
              min, max);
  }
  return value;
}

bool bool_var(const Env& env, const char* name) {
  auto text = non_empty(env, name);
  if (!text) return false;
  std::string t = lower(trim(*text));
  if (t == "1" || t == "true" || t == "yes" || t == "on") return true;
  if (t == "0" || t == "false" || t == "no" || t == "off") return false;
  fail_with(ErrorCode::kBadInput, "{}='{}' is not a boolean (true or false)", name, shorten_for_message(t, 64));
}

std::string home_file(const Env& env, const char* variable, const char* relative) {
  if (auto path = non_empty(env, variable)) return *path;
  auto home = non_empty(env, "HOME");
  return home ? *home + "/" + relative : std::string();
}

std::string profile_name(const Env& env) {
  auto name = non_empty(env, "AWS_PROFILE");
  return name ? *name : "default";
}

// The region of the profile in ~/.aws/config ("[default]" or "[profile NAME]").
std::optional<std::string> profile_region(const Env& env) {
  std::string path = home_file(env, "AWS_CONFIG_FILE", ".aws/config");
  if (path.empty()) return std::nullopt;
  std::string profile = profile_name(env);
  auto keys = read_ini_section(path, profile == "default" ? profile : "profile " + profile);
  if (keys.empty() && profile != "default") keys = read_ini_section(path, profile);
  auto it = keys.find("region");
  if (it == keys.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

// Region and host names are spliced into URLs: letters, digits, '-' and '.' only.
bool is_host_label_text(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (!std::isalnum(c) && c != '-' && c != '.') return false;
  }
  return true;
}

// An endpoint variable's URL without trailing slashes; nullopt when unset.
// FailedCommand when it is not an http(s) URL without user, query or fragment.
std::optional<std::string> endpoint_var(const Env& env, const char* name, const char* service) {
  auto value = non_empty(env, name);
  if (!value) return std::nullopt;
  std::string e = trim(*value);
  while (e.ends_with('/')) e.pop_back();
  if (!(e.starts_with("http://") || e.starts_with("https://")) || e.find_first_of("?#@ ") != std::string::npos) {
    fail_with(ErrorCode::kBadInput, "the {} endpoint '{}' ({}) is not an http:// or https:// URL without user, query or fragment",
              service, shorten_for_message(http::redact(e), 256), name);
  }
  return e;
}

}  // namespace

Env process_env() {
  return [](const char* name) -> std::optional<std::string> {
    const char* value = std::getenv(name);
    if (!value) return std::nullopt;
    return std::string(value);
  };
}

std::map<std::string, std::string> read_ini_section(const std::string& path, const std::string& section) {
  std::map<std::string, std::string> keys;
  std::ifstream in(path, std::ios::binary);
  if (!in) return keys;
  std::string line;
  size_t read = 0;
  bool inside = false;
  while (read < kMaxIniBytes && std::getline(in, line)) {
    read += line.size() + 1;
    if (line.size() > kMaxIniLine) continue;
    std::string t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t.front() == '[') {
      inside = t.back() == ']' && trim(std::string_view(t).substr(1, t.size() - 2)) == section;
      continue;
    }
    if (!inside) continue;
    size_t eq = t.find('=');
    if (eq == std::string::npos) continue;
    std::string key = lower(trim(std::string_view(t).substr(0, eq)));
    if (!keys.count(key)) keys[key] = trim(std::string_view(t).substr(eq + 1));
  }
  return keys;
}

Config load_config(const Env& env) {
  Config c;
  if (auto region = non_empty(env, "AWS_REGION")) {
    c.region = *region;
  } else if (auto fallback = non_empty(env, "AWS_DEFAULT_REGION")) {
    c.region = *fallback;
  } else if (auto profile = profile_region(env)) {
    c.region = *profile;
  }
  c.region = trim(c.region);
  if (!is_host_label_text(c.region)) {
    fail_with(ErrorCode::kBadInput, "the AWS region '{}' is not a region name", shorten_for_message(c.region, 64));
  }
  std::optional<std::string> endpoint = endpoint_var(env, "AWS_ENDPOINT_URL_S3", "S3");
  if (!endpoint) endpoint = endpoint_var(env, "AWS_ENDPOINT_URL", "S3");
  if (endpoint) {
    c.endpoint = *endpoint;
    c.custom_endpoint = true;
  } else {
    c.endpoint = "https://s3." + c.region + ".amazonaws.com";
    // Acceleration is an AWS service; a custom endpoint is taken as given.
    c.accelerate = bool_var(env, "WRAPP_ENABLE_S3_ACCELERATION");
  }
  c.multipart_threshold = size_var(env, "WRAPP_S3_MULTIPART_THRESHOLD", c.multipart_threshold, 0, kMaxPartSize * kMaxParts);
  c.multipart_chunksize = size_var(env, "WRAPP_S3_MULTIPART_CHUNKSIZE", c.multipart_chunksize, kMinPartSize, kMaxPartSize);
  c.max_concurrency = size_var(env, "WRAPP_S3_MAX_CONCURRENCY", c.max_concurrency, 1, 1024);
  if (auto ca = non_empty(env, "WRAPP_S3_CA_FILE")) c.ca_file = *ca;
  return c;
}

Config load_gcs_xml_config(const Env& env) {
  Config c;
  c.dialect = &kGcsXml;
  c.region = "auto";
  c.endpoint = endpoint_var(env, "WRAPP_GCS_XML_ENDPOINT", "GCS XML API").value_or(std::string(kGcsXmlEndpoint));
  c.custom_endpoint = true;  // path style: https://storage.googleapis.com/BUCKET/OBJECT
  // The JSON API backend's sizes (gcs/config.h), raised to the 5 MiB every
  // part but the last must have (the JSON API's chunks may be smaller).
  c.multipart_threshold = size_var(env, "WRAPP_GCS_MULTIPART_THRESHOLD", 8 * kMiB, 1, kMaxPartSize * kMaxParts);
  c.multipart_chunksize =
      std::max(kMinPartSize, size_var(env, "WRAPP_GCS_CHUNK_SIZE", 8 * kMiB, 1, kMaxPartSize));
  c.max_concurrency = 64;  // as the JSON API backend
  if (auto ca = non_empty(env, "WRAPP_GCS_CA_FILE")) c.ca_file = *ca;
  return c;
}

bool uses_gcs_hmac(const Url& url, const Env& env) {
  if (auto registered = find_credential(url)) return registered->kind == "boto3";
  if (non_empty(env, "STORAGE_EMULATOR_HOST") || non_empty(env, "GOOGLE_APPLICATION_CREDENTIALS")) return false;
  return find_gcs_hmac_environment(env).has_value();
}

std::optional<Credentials> find_gcs_hmac_environment(const Env& env) {
  auto id = non_empty(env, "WRAPP_GCS_HMAC_ACCESS_ID");
  auto secret = non_empty(env, "WRAPP_GCS_HMAC_SECRET");
  if (id && secret) return Credentials{*id, *secret, "", "WRAPP_GCS_HMAC_ACCESS_ID"};
  std::string path = home_file(env, "BOTO_CONFIG", ".boto");
  if (path.empty()) return std::nullopt;
  auto keys = read_ini_section(path, "Credentials");
  auto key = keys.find("gs_access_key_id");
  auto secret_key = keys.find("gs_secret_access_key");
  if (key == keys.end() || secret_key == keys.end() || key->second.empty() || secret_key->second.empty()) {
    return std::nullopt;
  }
  return Credentials{key->second, secret_key->second, "", "the [Credentials] of " + path};
}

bool Config::path_style(const std::string& bucket) const {
  if (custom_endpoint) return true;
  for (unsigned char c : bucket) {
    if (!(std::islower(c) || std::isdigit(c) || c == '-')) return true;
  }
  return bucket.empty();
}

std::string Config::object_url(const std::string& bucket, std::string_view key, std::string_view query) const {
  std::string url;
  std::string path = http::uri_encode(key, true);
  if (path_style(bucket)) {
    url = endpoint + "/" + http::uri_encode(bucket, false) + "/" + path;
  } else if (accelerate) {
    url = "https://" + bucket + ".s3-accelerate.amazonaws.com/" + path;
  } else {
    size_t host = endpoint.find("://") + 3;
    url = endpoint.substr(0, host) + bucket + "." + endpoint.substr(host) + "/" + path;
  }
  if (!query.empty()) {
    url += '?';
    url += query;
  }
  return url;
}

std::string canonical_query(const std::map<std::string, std::string>& params) {
  std::string out;
  for (const auto& [key, value] : params) {  // std::map: sorted by key, as SigV4 wants
    if (!out.empty()) out += '&';
    out += http::uri_encode(key, false) + "=" + http::uri_encode(value, false);
  }
  return out;
}

std::optional<Credentials> find_registered_credentials(const Url& url) {
  auto registered = find_credential(url);
  if (!registered || registered->kind != "boto3") return std::nullopt;
  Credentials c{registered->field("aws_access_key_id"), registered->field("aws_secret_access_key"),
                registered->field("aws_session_token"), "the credentials given for " + registered->server_url};
  if (c.access_key_id.empty()) return std::nullopt;
  return c;
}

std::optional<Credentials> find_credentials(const Url& url, const Env& env) {
  if (auto registered = find_registered_credentials(url)) return registered;
  return find_environment_credentials(env);
}

std::optional<Credentials> find_environment_credentials(const Env& env) {
  auto id = non_empty(env, "AWS_ACCESS_KEY_ID");
  auto secret = non_empty(env, "AWS_SECRET_ACCESS_KEY");
  if (id && secret) {
    auto token = non_empty(env, "AWS_SESSION_TOKEN");
    return Credentials{*id, *secret, token.value_or(""), "AWS_ACCESS_KEY_ID"};
  }
  std::string path = home_file(env, "AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
  if (path.empty()) return std::nullopt;
  std::string profile = profile_name(env);
  auto keys = read_ini_section(path, profile);
  auto key = keys.find("aws_access_key_id");
  auto secret_key = keys.find("aws_secret_access_key");
  if (key == keys.end() || secret_key == keys.end() || key->second.empty()) return std::nullopt;
  auto token = keys.find("aws_session_token");
  return Credentials{key->second, secret_key->second, token == keys.end() ? "" : token->second,
                     "profile '" + profile + "' of " + path};
}

}  // namespace wrapp::storage::s3
