// traceback: where a package file came from, following its repository and
// source pointers back through installs, mirrors and creates.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "commands/context.h"

namespace wrapp::commands {

struct TracebackOptions {
  std::string wrapp_file;
};

// One step of the ancestry. Each step follows one pointer of the one
// before, so the tree is a chain: step i is at depth i.
struct TracebackStep {
  enum class Kind {
    kInstalled,                // a package file outside a repository with a repository pointer
    kPrimaryRepository,        // a repository version whose pointer names its own repository (or none)
    kMirrorRepository,         // a repository version whose pointer names another repository
    kPrimarySource,            // a package file with neither pointer (`wrapp new`): where it began
    kPrimarySourceFolder,      // a source folder without package file: where it began
    kSourceWithoutRepository,  // a package file with a source but no repository pointer (data error)
    kMissingInRepository,      // the version is not in the repository a pointer names (error)
    kMissingSource,            // the source a pointer names does not exist (error)
    kCircular,                 // a package file reached again (error); the chain ends
  };
  Kind kind;
  std::string url;      // the package file (the folder for kPrimarySourceFolder)
  std::string name;     // of the package file read ("" where none was)
  std::string version;
};

struct TracebackResult {
  std::vector<TracebackStep> steps;  // the given file first
};

// The rules (docs/commands/traceback.md):
//   - a package file in <R>/.packages/<n>/<v>/ is a repository version:
//     primary when its repository pointer is R or absent (then its source
//     pointer is followed), else a mirror (then its repository pointer is);
//   - any other package file with a repository pointer is an installed copy
//     (its repository pointer is followed);
//   - without repository pointer it is a primary source, or, when it has a
//     source pointer, a data error (its source pointer is followed);
//   - a repository pointer leads to <R>/.packages/<n>/<v>/.<n>.wrapp (or
//     <n>.wrapp) for the name and version of the file that holds it;
//   - a source pointer leads to a folder: its .<n>.wrapp (or <n>.wrapp)
//     when there is one, else the folder is the primary source folder; a
//     source that is itself a .wrapp file is read as one.
// Every package file is visited once: reaching one again ends the chain
// with kCircular. A chain longer than kMaxPackageDepth fails. The given
// file must exist (FailedCommand otherwise).
TracebackResult traceback(CommandContext& ctx, const TracebackOptions& options);

// The spec's line for a step ("Primary source at <f>."), paths shown as
// local paths for file URLs.
std::string traceback_line(const TracebackStep& step);
const char* traceback_kind_name(TracebackStep::Kind kind);

// The chain as a tree: {"kind", "message", "url", "name", "version",
// "children": [the next step]}.
nlohmann::json to_json(const TracebackResult& result);

}  // namespace wrapp::commands
