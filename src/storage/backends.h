// Which storage backends this build has: what `wrapp version` lists (the
// reference's "Local File System: ENABLED" lines) and what the Resolver
// says about a URL no backend serves. A backend this build knows of but
// cannot reach from here (Nucleus, the Storage API) fails such a URL at once
// as a storage failure (exit 2), naming the backend; an unknown scheme is
// bad input (exit 1).
#pragma once

#include <string>
#include <vector>

namespace wrapp::storage {

struct BackendInfo {
  std::string name;                  // "Local File System", "S3", ...
  std::vector<std::string> schemes;  // URL schemes it serves
  bool enabled = false;
  // Disabled and never reachable from this build (Nucleus, the Storage
  // API): a URL of it is a storage failure. Other disabled backends are
  // still to come; their URLs are "no backend available" (bad input).
  bool unreachable = false;
  std::string note;                  // why a disabled backend is
};

// Every backend, in the order `wrapp version` prints them.
const std::vector<BackendInfo>& backend_catalog();

// The backend serving `scheme` ("" for none), and whether it is enabled.
const BackendInfo* backend_for_scheme(const std::string& scheme);

}  // namespace wrapp::storage
