// Test helper (not part of the library): an S3 backend on the server that
// WRAPP_TEST_S3_ENDPOINT names (tests/e2e/test_s3.py starts moto and sets
// it), in bucket WRAPP_TEST_S3_BUCKET, below a prefix of its own that
// cleanup() empties. Credentials come from the usual AWS_* variables.
// Without the variables, `skip` says why the test cannot run.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <unistd.h>

#include "storage/s3/s3_storage.h"

namespace wrapp::storage::s3::testing {

struct S3Target {
  std::shared_ptr<S3Storage> storage;
  Url root;
  std::function<void()> cleanup;
  std::string skip;  // why there is no target
};

// Keys per listing page on the test targets.
inline constexpr size_t kTestListPageSize = 40;

inline S3Target make_s3_target(const std::function<void(Config&)>& tweak = {}) {
  const char* endpoint = std::getenv("WRAPP_TEST_S3_ENDPOINT");
  const char* bucket = std::getenv("WRAPP_TEST_S3_BUCKET");
  if (!endpoint || !*endpoint || !bucket || !*bucket) {
    return {.skip = "WRAPP_TEST_S3_ENDPOINT and WRAPP_TEST_S3_BUCKET are not set (tests/e2e/test_s3.py sets them "
                    "with a moto server)"};
  }
  Env base = process_env();
  std::string endpoint_text = endpoint;
  Env env = [base, endpoint_text](const char* name) -> std::optional<std::string> {
    if (std::string(name) == "AWS_ENDPOINT_URL_S3") return endpoint_text;
    return base(name);
  };
  Config config = load_config(env);
  // Multipart from 1 MiB: the suite's bigger objects take that path too.
  config.multipart_threshold = kMiB;
  // Small listing pages: a few dozen keys span several (a server's time per
  // write can grow with the keys it holds; moto's does).
  config.list_page_size = kTestListPageSize;
  if (tweak) tweak(config);
  auto storage = std::make_shared<S3Storage>(config, std::function<void()>{}, env);
  static std::atomic<int> counter{0};
  std::string prefix = "test-" + std::to_string(::getpid()) + "-" +
                       std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) + "-" +
                       std::to_string(counter++);
  Url root = Url::parse("s3://" + std::string(bucket) + "/" + prefix);
  auto cleanup = [storage, root] {
    for (const auto& entry : list_all(*storage, root, ListOptions{})) storage->remove(root.join(entry.relative_path));
  };
  return {storage, root, cleanup, ""};
}

}  // namespace wrapp::storage::s3::testing
