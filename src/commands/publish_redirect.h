// publish-redirect: redirect packages for every package version of one or
// more source repositories (docs/commands/publish-redirect.md).
//
// A redirect package is a version folder holding only its package file:
// the same name, version, dependencies and catalog as the source's, except
// that each item's source_path is the absolute URL of the file in the
// source repository, or, with an external URL, that URL with the source
// repository's base replaced by it (a CDN in front of the source). install,
// mirror, check and get read the bytes from there (item_source.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "commands/context.h"

namespace wrapp::commands {

struct PublishRedirectOptions {
  std::vector<std::string> source_repos;  // at least one
  std::string redirect_repo;
  std::optional<std::string> external_url;  // replaces each source repository's base in the URLs written
};

struct PublishRedirectResult {
  // URLs of the package files written (with --dry-run: that would be
  // written), in the order of the source repositories, then name and
  // version.
  std::vector<std::string> written;
  // Versions the redirect repository already holds with the same content.
  std::vector<std::string> unchanged;
};

// 1. Every version of every source repository is read (list-repo's
//    versions, either package file name).
// 2. The same name and version in two source repositories: identical
//    content (catalog items by path, hash and size, and dependencies) is
//    written once, from the first repository given; different content
//    refuses the whole command before anything is written, naming both.
// 3. A version the redirect repository already has: identical content is
//    left alone (unchanged); different content refuses the whole command
//    before anything is written (a published file is never rewritten).
// 4. Each remaining version is published through VersionPublisher (its
//    lock, leftovers of an interrupted run removed, the package file
//    written create-only and last).
PublishRedirectResult publish_redirect(CommandContext& ctx, const PublishRedirectOptions& options);

// {"written": [urls], "unchanged": [urls]}
nlohmann::json to_json(const PublishRedirectResult& result);

}  // namespace wrapp::commands
