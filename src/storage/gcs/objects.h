// Requests about one object and the write preconditions, shared by the
// backend, its readers and its writers.
//
// Object generations are the etags: a generation changes with every new
// content of a name (metadata changes do not alter it), and GCS's
// preconditions speak of them: ifGenerationMatch=0 is create-only,
// ifGenerationMatch=G a compare-and-swap on G.
#pragma once

#include <optional>
#include <string>

#include "storage/gcs/config.h"
#include "storage/gcs/json.h"
#include "storage/gcs/session.h"
#include "storage/storage.h"

namespace wrapp::storage::gcs {

// objects.get: the object's metadata, nullopt when there is none (404).
std::optional<ObjectMeta> get_object(Session& session, const Url& url, const Location& location);

// Whether any object lies below `location` as a folder (its name + "/").
bool has_objects_below(Session& session, const Url& url, const Location& location);

// "&ifGenerationMatch=..." for the write `options` describe ("" for an
// unconditional overwrite). An if_match that is no generation cannot
// match anything: it is refused by check_write first.
std::string write_precondition(const WriteOptions& options);

// Throws as the Storage contract says unless `current` (nullopt: absent)
// allows the write `options` describe: kAlreadyExists for a create-only
// write onto an object, kPreconditionFailed for an if_match that does not
// hold; kBadInput for the root of a bucket.
void check_write(const std::optional<ObjectMeta>& current, const Location& location, const WriteOptions& options,
                 const Url& url);

// The FailedCommand for a write refused with 412.
[[noreturn]] void precondition_failed(const WriteOptions& options, const Url& url);

// With an emulator (see session.h): reads the object back after a
// conditional write and throws as a 412 would when its generation is not
// the one just written (another writer replaced it meanwhile). A no-op for
// unconditional writes and against Google.
void verify_written(Session& session, const Url& url, const Location& location, const WriteOptions& options,
                    const std::string& written_generation);

// The JSON metadata of an object wrapp writes (name, content type and the
// content hash, when known).
std::string object_resource_json(const Location& location, const std::string& content_hash);

}  // namespace wrapp::storage::gcs
