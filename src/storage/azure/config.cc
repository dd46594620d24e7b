#include "storage/azure/config.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

#include "storage/credentials.h"
#include "storage/http/client.h"
#include "util/error.h"

namespace wrapp::storage::azure {

namespace {

constexpr std::string_view kAzureHostSuffix = ".blob.core.windows.net";
constexpr size_t kMaxConnectionString = 16 * 1024;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string without_question_mark(std::string_view sas) {
  while (!sas.empty() && (sas.front() == '?' || sas.front() == ' ')) sas.remove_prefix(1);
  while (!sas.empty() && sas.back() == ' ') sas.remove_suffix(1);
  return std::string(sas);
}

// The host of an authority ("host:port" -> "host"), in lower case.
std::string host_of(std::string_view authority) {
  if (auto colon = authority.rfind(':'); colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    authority = authority.substr(0, colon);
  }
  return lower(authority);
}

// An account's name when `url`'s host is Azure's own ("" otherwise).
std::string azure_host_account(const Url& url) {
  std::string host = host_of(url.authority());
  if (!host.ends_with(kAzureHostSuffix) || host.size() == kAzureHostSuffix.size()) return "";
  return host.substr(0, host.size() - kAzureHostSuffix.size());
}

// Whether `url` lies at or below `endpoint` (scheme://authority[/path]).
bool below_endpoint(const Url& url, const std::string& endpoint) {
  std::string text = url.str();
  std::string base = endpoint;
  auto scheme_end = base.find("://");
  if (scheme_end == std::string::npos) return false;
  // Scheme and host compare without case, the path with it.
  auto path_at = base.find('/', scheme_end + 3);
  std::string head = lower(base.substr(0, path_at));
  std::string path = path_at == std::string::npos ? std::string() : base.substr(path_at);
  if (lower(text.substr(0, head.size())) != head) return false;
  std::string rest = text.substr(head.size());
  return path.empty() || rest == path || rest.starts_with(path + "/");
}

uint64_t size_variable(const Getenv& getenv, const char* name, uint64_t fallback, uint64_t max) {
  const char* value = getenv(name);
  if (!value || !*value) return fallback;
  std::string_view text(value);
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v == 0 || v > max) {
    fail_with(ErrorCode::kBadInput, "{} '{}' is not a number between 1 and {}", name, shorten_for_message(text, 64),
              max);
  }
  return v;
}

// The account a registered credential describes, for a URL already known
// to be Azure; nullopt when the registry has none for it.
std::optional<Account> registered_account(const Url& url) {
  std::optional<Credential> c = find_credential(url);
  if (!c) return std::nullopt;
  Account account;
  account.source = "--auth";
  if (c->kind == "azure_blob") {
    if (!c->field("connection_string").empty()) {
      return parse_connection_string(c->field("connection_string"), "the connection string given for " + c->server_url);
    }
    account.name = c->field("account_name");
    account.key = c->field("account_key");
    account.sas = without_question_mark(c->field("sas_token"));
  } else if (c->kind == "nucleus") {  // --auth URL,ACCOUNT,KEY
    account.name = c->field("username");
    account.key = c->field("password_or_token");
  } else if (c->kind == "storage_api_bearer") {  // --auth URL,SAS_TOKEN
    account.sas = without_question_mark(c->field("bearer_token"));
  } else {
    return std::nullopt;
  }
  return account;
}

// An endpoint's origin ("scheme://host[:port]") and path ("" or "/account").
std::pair<std::string, std::string> split_endpoint(const std::string& endpoint) {
  size_t path_at = endpoint.find('/', endpoint.find("://") + 3);
  if (path_at == std::string::npos) return {endpoint, ""};
  return {endpoint.substr(0, path_at), endpoint.substr(path_at)};
}

bool valid_container(std::string_view name) {
  if (name == "$root" || name == "$logs" || name == "$web") return true;
  if (name.size() < 3 || name.size() > 63 || name.front() == '-' || name.back() == '-') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

}  // namespace

Account parse_connection_string(std::string_view text, const std::string& source) {
  if (text.size() > kMaxConnectionString) {
    fail_with(ErrorCode::kBadInput, "{} is longer than {} bytes: not a connection string", source,
              kMaxConnectionString);
  }
  Account account;
  account.source = source;
  std::string protocol = "https";
  std::string suffix = "core.windows.net";
  bool development = false;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find(';', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view part = text.substr(at, end - at);
    at = end + 1;
    while (!part.empty() && std::isspace(static_cast<unsigned char>(part.front()))) part.remove_prefix(1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      // The value is not repeated: it may hold a key.
      fail_with(ErrorCode::kBadInput, "{} is not a connection string (expected Name=Value pairs separated by ';')",
                source);
    }
    std::string name = lower(part.substr(0, eq));
    std::string value(part.substr(eq + 1));
    if (name == "accountname") account.name = value;
    else if (name == "accountkey") account.key = value;
    else if (name == "sharedaccesssignature") account.sas = without_question_mark(value);
    else if (name == "blobendpoint") account.endpoint = value;
    else if (name == "defaultendpointsprotocol") protocol = lower(value);
    else if (name == "endpointsuffix") suffix = value;
    else if (name == "usedevelopmentstorage") development = lower(value) == "true";
    // Other services' endpoints (QueueEndpoint, ...) are not ours.
  }
  if (development) {
    if (account.name.empty()) account.name = kDevelopmentAccount;
    if (account.key.empty() && account.sas.empty()) account.key = kDevelopmentKey;
    if (account.endpoint.empty()) account.endpoint = "http://127.0.0.1:10000/" + account.name;
  }
  if (account.endpoint.empty()) {
    if (account.name.empty()) {
      fail_with(ErrorCode::kBadInput, "{} names neither an AccountName nor a BlobEndpoint", source);
    }
    account.endpoint = protocol + "://" + account.name + ".blob." + suffix;
  }
  while (!account.endpoint.empty() && account.endpoint.back() == '/') account.endpoint.pop_back();
  if (!account.endpoint.starts_with("http://") && !account.endpoint.starts_with("https://")) {
    fail_with(ErrorCode::kBadInput, "{}: BlobEndpoint '{}' is not an http(s):// URL", source,
              http::redact(account.endpoint));
  }
  if (!account.key.empty() && account.name.empty()) {
    fail_with(ErrorCode::kBadInput, "{} has an AccountKey but no AccountName", source);
  }
  return account;
}

namespace {

// The configuration the variables give; FailedCommand for a malformed one.
Config read_environment(const Getenv& getenv) {
  Config config;
  config.single_put_limit = size_variable(getenv, "WRAPP_AZURE_SINGLE_PUT_SIZE", config.single_put_limit, 5000 * kMiB);
  config.block_size = size_variable(getenv, "WRAPP_AZURE_BLOCK_SIZE", config.block_size, kMaxBlockSize);
  config.max_concurrency = size_variable(getenv, "WRAPP_AZURE_MAX_CONCURRENCY", config.max_concurrency, 1024);
  if (const char* ca = getenv("WRAPP_AZURE_CA_FILE"); ca && *ca) config.ca_file = ca;
  const char* connection = getenv("AZURE_STORAGE_CONNECTION_STRING");
  if (connection && *connection) {
    config.accounts.push_back(parse_connection_string(connection, "AZURE_STORAGE_CONNECTION_STRING"));
  } else if (const char* name = getenv("AZURE_STORAGE_ACCOUNT"); name && *name) {
    Account account;
    account.name = name;
    account.endpoint = "https://" + lower(name) + std::string(kAzureHostSuffix);
    if (const char* key = getenv("AZURE_STORAGE_KEY"); key && *key) {
      account.key = key;
      account.source = "AZURE_STORAGE_KEY";
    } else if (const char* sas = getenv("AZURE_STORAGE_SAS_TOKEN"); sas && *sas) {
      account.sas = without_question_mark(sas);
      account.source = "AZURE_STORAGE_SAS_TOKEN";
    }
    config.accounts.push_back(std::move(account));
  }
  return config;
}

}  // namespace

Config config_from_environment(const Getenv& getenv) {
  try {
    return read_environment(getenv);
  } catch (const FailedCommand& e) {
    Config config;
    config.environment_error = e.what();
    return config;
  }
}

Config config_from_environment() {
  return config_from_environment([](const char* name) { return std::getenv(name); });
}

bool serves(const Config& config, const Url& url) {
  if (url.scheme() != "http" && url.scheme() != "https") return false;
  if (!azure_host_account(url).empty()) return true;
  for (const auto& account : config.accounts) {
    if (below_endpoint(url, account.endpoint)) return true;
  }
  std::optional<Credential> c = find_credential(url);
  return c && c->kind == "azure_blob";
}

std::string Location::request_path(bool container_only) const {
  std::string path = split_endpoint(account.endpoint).second;
  // Appended piece by piece: GCC 12 warns (-Wrestrict, a false positive)
  // about "/" + a temporary string here.
  path += '/';
  path += http::uri_encode(container, false);
  if (!container_only && !blob.empty()) {
    path += '/';
    path += http::uri_encode(blob, true);
  }
  return path;
}

std::string Location::request_url(bool container_only) const {
  return split_endpoint(account.endpoint).first + request_path(container_only);
}

Location locate(const Config& config, const Url& url) {
  if (!config.environment_error.empty()) fail_with(ErrorCode::kBadInput, "{}", config.environment_error);
  Location location;
  // The account's endpoint and the path below it ("/container/blob").
  std::string rest;
  bool found = false;
  for (const auto& account : config.accounts) {
    if (!below_endpoint(url, account.endpoint)) continue;
    location.account = account;
    rest = url.path().substr(std::min(split_endpoint(account.endpoint).second.size(), url.path().size()));
    found = true;
    break;
  }
  if (!found) {
    std::string host_account = azure_host_account(url);
    std::string base = url.scheme() + "://" + url.authority();
    rest = url.path();
    if (host_account.empty()) {  // path-style: /ACCOUNT/CONTAINER/BLOB
      size_t slash = rest.find('/', 1);
      host_account = rest.substr(1, slash == std::string::npos ? std::string::npos : slash - 1);
      if (host_account.empty()) {
        fail_with(ErrorCode::kBadInput, "'{}' names no Azure storage account (expected {}://HOST/ACCOUNT/CONTAINER/...)",
                  url.str(), url.scheme());
      }
      base += "/" + host_account;
      rest = slash == std::string::npos ? std::string("/") : rest.substr(slash);
    }
    location.account.endpoint = base;
    location.account.name = host_account;
  }
  // The registry's credentials win over the environment's.
  if (auto registered = registered_account(url)) {
    if (registered->name.empty()) registered->name = location.account.name;
    location.account.name = registered->name;
    location.account.key = registered->key;
    location.account.sas = registered->sas;
    location.account.source = registered->source;
  }
  if (rest.empty()) rest.push_back('/');  // (not = "/": a GCC 12 -Wrestrict false positive)
  size_t slash = rest.find('/', 1);
  location.container = rest.substr(1, slash == std::string::npos ? std::string::npos : slash - 1);
  location.blob = slash == std::string::npos ? std::string() : rest.substr(slash + 1);
  if (location.container.empty()) {
    fail_with(ErrorCode::kBadInput, "'{}' names no container: Azure Blob URLs are {}/CONTAINER/PATH", url.str(),
              http::redact(location.account.endpoint));
  }
  if (!valid_container(location.container)) {
    fail_with(ErrorCode::kBadInput,
              "'{}': '{}' cannot be an Azure container name (3 to 63 lowercase letters, digits and hyphens)",
              url.str(), shorten_for_message(location.container, 80));
  }
  if (location.blob.size() > kMaxBlobName) {
    fail_with(ErrorCode::kBadInput, "'{}': a blob name is at most {} bytes", shorten_for_message(url.str(), 200),
              kMaxBlobName);
  }
  return location;
}

}  // namespace wrapp::storage::azure
