// The package file a command is given on the command line or in Python:
// the file itself, or a folder holding exactly one, as `wrapp status .`
// means the package installed there.
#pragma once

#include <string>

#include "commands/context.h"
#include "storage/url.h"

namespace wrapp::commands {

// `text` parsed as a location. A name ending in ".wrapp" is returned as is,
// without looking at the store. A folder stands for the one package file in
// it (".<name>.wrapp"; a legacy visible "<name>.wrapp" only where there is
// no hidden one). A folder with none throws FailedCommand kNotFound; with
// several, kBadInput listing them. Anything else (a file, nothing at all)
// is returned as is, for the command to read or to report missing.
storage::Url package_file_argument(CommandContext& ctx, const std::string& text);

}  // namespace wrapp::commands
