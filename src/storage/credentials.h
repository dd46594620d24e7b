// Credentials given to wrapp by its caller: the command line's --auth (and
// WRAPP_AUTH), the Python API's StorageAuthInfo through AuthManager. Kept in
// memory only, for this process; never written, logged or put in a message.
//
// Backends ask for the credential of a URL: the one whose server_url is the
// longest prefix of it (at a '/' boundary), else none, and then fall back to
// their service's own sources (environment variables, profile files).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/url.h"

namespace wrapp::storage {

struct Credential {
  std::string server_url;  // "s3://bucket", "https://account.blob.core.windows.net/container", ...
  // "boto3" (S3), "azure_blob", "gcs", "nucleus", "storage_api_bearer", "storage_api_client_credentials".
  std::string kind;
  // The kind's fields: boto3: aws_access_key_id, aws_secret_access_key,
  // aws_session_token; azure_blob: account_name, account_key, sas_token,
  // connection_string; gcs: project_id, credentials_file; ...
  std::map<std::string, std::string> fields;

  std::string field(std::string_view name) const;  // "" when absent
};

// One --auth value (or one of WRAPP_AUTH's): URL,USER,PASSWORD_OR_TOKEN
// (s3:// URLs: URL,ACCESS_KEY_ID,SECRET_ACCESS_KEY for S3; gs:// URLs:
// URL,ACCESS_ID,SECRET, an HMAC key of Google Cloud Storage, kind "boto3"
// as well, the form boto3 takes it in; other URLs:
// Nucleus credentials) or URL,TOKEN (a Storage API bearer token); the
// password may contain commas. The same forms as the Python API's
// wrapp.options.parse_auth. FailedCommand (kBadInput) otherwise, never
// repeating the value (it holds a secret).
Credential parse_auth_option(std::string_view value);

// Adds (or replaces, for the same server_url) a credential. Thread-safe.
void add_credential(Credential credential);
// Removes the credential of exactly this server_url; true if there was one.
bool remove_credential(std::string_view server_url);
void clear_credentials();
// Replaces every credential at once (the Python API's AuthManagers keep the
// set; each change hands it over whole). Later entries win for the same
// server_url.
void replace_credentials(std::vector<Credential> credentials);
// The credential for `url` (longest server_url prefix), or nullopt.
std::optional<Credential> find_credential(const Url& url);
std::optional<Credential> find_credential(std::string_view url);

}  // namespace wrapp::storage
