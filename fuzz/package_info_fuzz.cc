// model::PackageInfo::parse on any input; what it accepts must be safe to
// use and must survive a rewrite unchanged.
#include "fuzz/fuzz_support.h"
#include "model/package_info.h"
#include "util/paths.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wrapp;
  using fuzz::require;
  std::optional<model::PackageInfo> info;
  if (!fuzz::accepted([&] { info = model::PackageInfo::parse(fuzz::as_text(data, size), "fuzz.wrapp"); })) {
    return 0;
  }
  require(info->name.size() <= kMaxSegmentBytes && info->version.size() <= kMaxSegmentBytes, "long name kept");
  for (const auto& d : info->dependencies) {
    require(is_safe_segment(d.package) && is_safe_segment(d.version), "unsafe dependency name kept");
    require(d.relative_destination.empty() || is_safe_relative_path(d.relative_destination),
            "unsafe dependency location kept");
  }
  if (info->catalog) {
    for (const auto& item : info->catalog->items) require(is_safe_relative_path(item.relative_path), "unsafe path");
  }
  // Rewritten and read again: the same text (unknown keys included).
  std::string once = info->serialize();
  model::PackageInfo back = model::PackageInfo::parse(once, "rewritten.wrapp");
  require(back.serialize() == once, "a rewrite changed the package file");
  return 0;
}
