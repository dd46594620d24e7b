// One version of a package in one repository: the reference's
// UniquePackageLocation, what find-orphans returns and delete-packages takes.
// Pure data: no I/O here.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace wrapp::model {

struct UniquePackageLocation {
  std::string package;
  std::string version;
  std::string repository;  // URL or path of the repository (without .packages)

  bool operator==(const UniquePackageLocation&) const = default;
};

// Reads a JSON list of {"package", "version", "repository"} objects (the
// --json output of find-orphans); other members are skipped. Names and
// versions must be safe segments and the repository non-empty text;
// anything else is refused (FailedCommand naming `origin`).
std::vector<UniquePackageLocation> parse_package_locations(std::string_view text, std::string_view origin);

}  // namespace wrapp::model
