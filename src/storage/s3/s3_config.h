// How the S3 backend reaches its service: endpoint, addressing style,
// region, credentials, transfer sizes. Read once per backend (per command)
// from the environment, the credential registry (--auth, Python) and the
// AWS shared files, so a test or a user changes them between commands.
//
// Endpoint: AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL, else
// https://s3.<region>.amazonaws.com (https://<bucket>.s3-accelerate.amazonaws.com
// with WRAPP_ENABLE_S3_ACCELERATION, AWS only). Addressing: virtual-hosted
// (bucket in the host name) on AWS, as AWS recommends; path style
// (bucket in the path) for custom endpoints, which emulators and most
// S3-compatible servers expect, and for bucket names with dots, which break
// the wildcard certificate of virtual-hosted names.
//
// Credentials, first found wins: the registry (find_credential, kind
// "boto3"), then AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
// AWS_SESSION_TOKEN, then the profile AWS_PROFILE (default "default") of
// AWS_SHARED_CREDENTIALS_FILE (default ~/.aws/credentials). None: requests
// go unsigned (public buckets). Secrets never appear in a message.
//
// The same backend serves gs:// URLs through Google Cloud Storage's XML
// API when their credential is an HMAC key (load_gcs_xml_config,
// uses_gcs_hmac): GCS's endpoint and rules (s3_dialect.h), HMAC keys only
// from wrapp's own sources, never the AWS_* ones.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "storage/http/client.h"
#include "storage/s3/s3_dialect.h"
#include "storage/url.h"

namespace wrapp::storage::s3 {

inline constexpr uint64_t kMiB = 1024 * 1024;
// S3's limits on multipart uploads.
inline constexpr uint64_t kMinPartSize = 5 * kMiB;
inline constexpr uint64_t kMaxPartSize = 5 * 1024 * kMiB;  // also the largest CopyObject
inline constexpr uint64_t kMaxParts = 10000;

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
  std::string source;  // where they came from, for messages ("AWS_ACCESS_KEY_ID", "--auth", a profile)
};

struct Config {
  std::string endpoint;  // scheme://host[:port], no trailing slash
  bool custom_endpoint = false;
  bool accelerate = false;  // only on AWS
  std::string region = "us-east-1";
  // The reference's defaults (its storage documentation): 5 MiB, 5 MiB, 50.
  uint64_t multipart_threshold = 5 * kMiB;
  uint64_t multipart_chunksize = 5 * kMiB;
  size_t max_concurrency = 50;  // Features::connections
  size_t list_page_size = 1000;  // keys per listing page (max-keys; 1000 is the most S3 gives)
  std::string ca_file;  // WRAPP_S3_CA_FILE: a CA to trust besides the system's
  const Dialect* dialect = &kAmazonS3;

  bool is_gcs() const { return dialect == &kGcsXml; }

  // The request URL of `key` (no leading '/') in `bucket`, with `query`
  // appended as given (already canonical: see canonical_query).
  std::string object_url(const std::string& bucket, std::string_view key, std::string_view query = {}) const;
  // Path style for custom endpoints and for bucket names that are not one
  // lowercase DNS label (dots break the certificate's wildcard).
  bool path_style(const std::string& bucket) const;
};

// Environment lookup, replaceable in tests.
using Env = std::function<std::optional<std::string>(const char* name)>;
Env process_env();

// Reads the configuration. Throws FailedCommand (bad input) naming the
// variable for a malformed value.
Config load_config(const Env& env);

// Google Cloud Storage's XML API: https://storage.googleapis.com, or
// WRAPP_GCS_XML_ENDPOINT (an http(s) URL: a test server); path-style
// addressing, region "auto" (what GCS signs with), WRAPP_GCS_MULTIPART_THRESHOLD
// and WRAPP_GCS_CHUNK_SIZE (part size, at least 5 MiB) as the JSON API's
// backend reads them, WRAPP_GCS_CA_FILE.
Config load_gcs_xml_config(const Env& env);
inline constexpr std::string_view kGcsXmlEndpoint = "https://storage.googleapis.com";

// Whether gs:// `url` is reached with an HMAC key (through the XML API)
// rather than a service account (the JSON API, gcs/): the credential
// registered for it is an HMAC key (kind "boto3": --auth gs://B,ID,SECRET,
// StorageAuthInfo.boto3("gs://B", ...)); or none is registered, no
// emulator (STORAGE_EMULATOR_HOST) and no GOOGLE_APPLICATION_CREDENTIALS
// are set, and find_gcs_hmac_environment finds one. A "gcs" credential
// registered for the URL (a service account) keeps it on the JSON API.
bool uses_gcs_hmac(const Url& url, const Env& env);
// WRAPP_GCS_HMAC_ACCESS_ID and WRAPP_GCS_HMAC_SECRET, else gs_access_key_id
// and gs_secret_access_key in the [Credentials] section of the boto file
// gsutil reads (BOTO_CONFIG, default ~/.boto).
std::optional<Credentials> find_gcs_hmac_environment(const Env& env);

// The credentials for `url` (an s3:// URL), or nullopt when none are found:
// the registry's for `url`, else find_environment_credentials.
std::optional<Credentials> find_credentials(const Url& url, const Env& env);
std::optional<Credentials> find_registered_credentials(const Url& url);
// The AWS_* variables', else the shared credentials file's.
std::optional<Credentials> find_environment_credentials(const Env& env);

// A bounded reader of the AWS INI files (credentials, config): the keys of
// section `section` ("default", "profile x"). Lines beyond 1 MiB of file or
// 4096 bytes are not read; comments (# ;) and blank lines are skipped.
std::map<std::string, std::string> read_ini_section(const std::string& path, const std::string& section);

// "k1=v1&k2=v2" sorted by key, keys and values percent-encoded strictly
// (RFC 3986 unreserved kept), "k=" for a key without a value: the canonical
// form SigV4 signs, sent as is so the signature holds whatever the signer
// does with the query.
std::string canonical_query(const std::map<std::string, std::string>& params);

}  // namespace wrapp::storage::s3
