#include "storage/http/conditions.h"

#include "util/error.h"

namespace wrapp::storage::http {

std::vector<std::pair<std::string, std::string>> condition_headers(const WriteOptions& options) {
  if (!options.if_match.empty()) return {{"If-Match", options.if_match}};
  if (!options.overwrite) return {{"If-None-Match", "*"}};
  return {};
}

void fail_condition(const Url& url, const WriteOptions& options) {
  if (!options.if_match.empty()) {
    fail_with(ErrorCode::kPreconditionFailed, "'{}' was replaced or removed meanwhile (it was expected with etag {})",
              url.str(), options.if_match);
  }
  fail_with(ErrorCode::kAlreadyExists, "'{}' already exists", url.str());
}

void check_write_target(const Url& url, const WriteOptions& options,
                        const std::function<std::optional<FileInfo>()>& head) {
  if (!options.if_match.empty()) {
    auto current = head();
    if (!current || current->etag != options.if_match) fail_condition(url, options);
  } else if (!options.overwrite && !options.in_place) {
    if (head()) fail_condition(url, options);
  }
}

}  // namespace wrapp::storage::http
