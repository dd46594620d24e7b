#include "storage/gcs/session.h"

#include "storage/credentials.h"
#include "storage/gcs/json.h"
#include "util/error.h"

namespace wrapp::storage::gcs {
namespace {

http::ClientOptions client_options(const Config& config, const std::function<void()>& check_cancelled) {
  http::ClientOptions options;
  options.ca_file = config.ca_file;
  options.check_cancelled = check_cancelled;
  return options;
}

}  // namespace

Session::Session(Config config, std::function<void()> check_cancelled, http::RetryPolicy retry)
    : config_(std::move(config)),
      check_cancelled_(std::move(check_cancelled)),
      retry_(retry),
      client_(client_options(config_, check_cancelled_)) {}

std::shared_ptr<TokenSource> Session::tokens_for(const Url& target) {
  if (config_.emulator) return nullptr;
  std::string file;
  if (auto credential = find_credential(target); credential && credential->kind == "gcs") {
    file = credential->field("credentials_file");
  }
  if (file.empty()) file = config_.credentials_file;
  if (file.empty()) {
    throw StorageError(fmt::format(
        "cannot reach '{}': no Google Cloud Storage credentials (give a service-account key file with "
        "StorageAuthInfo.gcs(...) or GOOGLE_APPLICATION_CREDENTIALS, an HMAC key with --auth gs://BUCKET,ACCESS_ID,SECRET "
        "or WRAPP_GCS_HMAC_ACCESS_ID and WRAPP_GCS_HMAC_SECRET, or point STORAGE_EMULATOR_HOST at an emulator)",
        target.str()));
  }
  std::lock_guard lock(mu_);
  auto& slot = tokens_[file];
  if (!slot) slot = std::make_shared<TokenSource>(load_service_account(file), client_, retry_, check_cancelled_);
  return slot;
}

http::Response Session::send(const Url& target, const std::function<http::Request()>& build,
                             const http::RetryPolicy* retry) {
  auto tokens = tokens_for(target);
  for (bool renewed = false;; renewed = true) {
    std::string token;
    http::Response r = http::with_retries(
        [&] {
          http::Request request = build();
          if (tokens) {
            try {
              token = tokens->token();
            } catch (const StorageError& e) {
              // Retried by the token source already: say what it was for.
              throw StorageError(fmt::format("cannot reach '{}': {}", target.str(), e.what()));
            }
            request.headers.emplace_back("Authorization", "Bearer " + token);
          }
          return client_.perform(request);
        },
        retry ? *retry : retry_, check_cancelled_);
    if (r.status == 401 && tokens && !renewed) {
      tokens->invalidate(token);
      continue;
    }
    return r;
  }
}

std::unique_lock<std::mutex> Session::lock_object(const Location& location) {
  if (!config_.emulator) return {};
  size_t slot = std::hash<std::string>{}(location.bucket + "/" + location.object) % object_locks_.size();
  return std::unique_lock(object_locks_[slot]);
}

void Session::fail(const http::Response& response, std::string_view action, const Url& url) const {
  std::string says = error_summary(response.body);
  std::string detail = fmt::format("HTTP {}{}", response.status, says.empty() ? "" : ": " + says);
  switch (response.status) {
    case 401:
      throw StorageError(fmt::format("{} '{}': Google Cloud Storage refused the credentials ({}); check the "
                                     "service-account key given for it",
                                     action, url.str(), detail));
    case 403:
      throw StorageError(fmt::format("{} '{}': permission denied ({}); the service account needs access to "
                                     "bucket '{}'",
                                     action, url.str(), detail, url.authority()));
    case 404:
      throw StorageError(fmt::format("{} '{}': not found ({})", action, url.str(), detail), ErrorCode::kNotFound);
    default:
      throw StorageError(fmt::format("{} '{}': Google Cloud Storage answered {}", action, url.str(), detail));
  }
}

}  // namespace wrapp::storage::gcs
