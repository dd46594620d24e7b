#include "storage/backends.h"

namespace wrapp::storage {

const std::vector<BackendInfo>& backend_catalog() {
  static const std::vector<BackendInfo> catalog = {
      {"Local File System", {"file"}, true, false, ""},
      {"S3", {"s3"}, true, false, ""},
      {"Azure Blob Storage", {}, true, false, ""},  // https:// URLs of Azure hosts (azure/config.h)
      {"Google Cloud Storage", {"gs"}, true, false, ""},
      {"HTTP(S), read-only", {"http", "https"}, true, false, ""},
      {"Nucleus", {"omniverse"}, false, true, "the Nucleus client library cannot be reached from this build"},
      {"Storage API", {}, false, true, "its gRPC services cannot be reached from this build"},
  };
  return catalog;
}

const BackendInfo* backend_for_scheme(const std::string& scheme) {
  for (const auto& backend : backend_catalog()) {
    for (const auto& s : backend.schemes) {
      if (s == scheme) return &backend;
    }
  }
  return nullptr;
}

}  // namespace wrapp::storage
