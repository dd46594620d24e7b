// Which URLs the Azure Blob backend serves, how they name accounts,
// containers and blobs, and the credentials and sizes it uses. Read once per
// backend (per command) from the environment; the credential registry
// (--auth, Python) is asked per URL.
//
// URLs. Azure's own form, https://ACCOUNT.blob.core.windows.net/CONTAINER/BLOB,
// is always Azure. Any other http(s) URL is Azure when it lies below an
// account endpoint the environment names (an emulator's
// http://127.0.0.1:10000/devstoreaccount1, a custom domain), or when a
// credential of kind "azure_blob" (Python's StorageAuthInfo.azure_blob) is
// registered for it; such URLs are path-style, the account being the
// endpoint's (or the first path segment).
//
// Accounts from the environment, the variables Azure's own tools read:
// AZURE_STORAGE_CONNECTION_STRING (AccountName, AccountKey,
// SharedAccessSignature, BlobEndpoint or DefaultEndpointsProtocol +
// EndpointSuffix, UseDevelopmentStorage=true), else AZURE_STORAGE_ACCOUNT with
// AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN.
//
// Credentials for a URL, first found wins: the registry's (kind "azure_blob":
// account_name, account_key, sas_token, connection_string; the --auth forms
// URL,ACCOUNT,KEY and URL,SAS_TOKEN), then the environment's account when
// the URL is below its endpoint. None: anonymous requests (public
// containers). A key or a SAS never appears in a message.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/url.h"

namespace wrapp::storage::azure {

inline constexpr uint64_t kMiB = 1024 * 1024;
// Azure's limits on block blobs.
inline constexpr uint64_t kMaxBlocks = 50000;
inline constexpr uint64_t kMaxBlockSize = 4000 * kMiB;
inline constexpr size_t kMaxBlobName = 1024;

// The development account every Azure Storage emulator has.
inline constexpr std::string_view kDevelopmentAccount = "devstoreaccount1";
inline constexpr std::string_view kDevelopmentKey =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

struct Account {
  std::string endpoint;  // scheme://host[:port][/path], no trailing slash: the account's base URL
  std::string name;
  std::string key;     // base64, as Azure shows it; "" without Shared Key
  std::string sas;     // a SAS token's query ("sv=...&sig=..."), without '?'; "" without one
  std::string source;  // where the credentials came from, for messages ("--auth", a variable)
};

struct Config {
  std::vector<Account> accounts;  // from the environment (at most one today)
  // Blobs up to this size go in one Put Blob at commit; bigger ones as
  // blocks of block_size, uploaded as they fill, then Put Block List.
  // WRAPP_AZURE_SINGLE_PUT_SIZE and WRAPP_AZURE_BLOCK_SIZE (bytes).
  uint64_t single_put_limit = 32 * kMiB;
  uint64_t block_size = 8 * kMiB;
  size_t max_concurrency = 32;  // WRAPP_AZURE_MAX_CONCURRENCY: Features::connections
  std::string ca_file;          // WRAPP_AZURE_CA_FILE: a CA to trust besides the system's
  size_t list_page_size = 5000;  // blobs per listing page (maxresults; 5000 is the most Azure gives)
  // Why the variables above could not be read ("" when they could). Kept
  // instead of thrown, so that a broken Azure variable fails Azure URLs
  // (locate) and not the plain https:// ones the Resolver also asks about.
  std::string environment_error;
};

// Reads a variable; nullptr when unset. Tests pass their own.
using Getenv = std::function<const char*(const char*)>;

// The configuration the environment gives. A malformed variable is recorded
// in environment_error, naming the variable, never its secret: locate()
// then fails with it (bad input).
Config config_from_environment(const Getenv& getenv);
Config config_from_environment();

// One connection string ("k=v;k=v"), as Azure's tools accept it.
// `source` names it in messages.
Account parse_connection_string(std::string_view text, const std::string& source);

// Whether `url` is an Azure Blob URL under `config` (see the header).
bool serves(const Config& config, const Url& url);

// A URL's account (with the credentials found for it), container and blob
// ("" for the container itself).
struct Location {
  Account account;
  std::string container;
  std::string blob;
  // The prefix of every blob below this one, as a folder: "" for the container.
  std::string folder_prefix() const { return blob.empty() ? std::string() : blob + "/"; }
  // The request URL of the blob (or of the container, with `container_only`),
  // percent-encoded, without a query.
  std::string request_url(bool container_only = false) const;
  // The URL path that request_url has (for Shared Key's canonical resource).
  std::string request_path(bool container_only = false) const;
};

// FailedCommand (bad input) for a URL that names no container, a container
// name Azure could not have, or a blob name longer than Azure allows.
Location locate(const Config& config, const Url& url);

}  // namespace wrapp::storage::azure
