// A bounded walk over the small XML documents object stores answer with (S3's
// and Azure Blob's listings, errors and results), over expat.
//
// Documents come from the network, so the walk refuses what no service sends:
// a document over XmlLimits::max_document bytes, elements nested deeper than
// max_depth, an element's text over max_text bytes, and any DOCTYPE (so no
// entity is ever defined, let alone expanded). Namespaces are ignored
// (prefixes are stripped): services differ in how they declare them.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace wrapp::storage {

struct XmlLimits {
  size_t max_document = 32 * 1024 * 1024;  // a 5000-blob page is a few MB
  size_t max_depth = 16;                   // listings are 4 or 5 deep
  size_t max_text = 64 * 1024;             // names are at most 1024 bytes
};

// Calls on_end(path, text) for every element as it closes: `path` is the
// names from the root ("EnumerationResults/Blobs/Blob/Name"), `text` the
// element's own character data (only meaningful for leaf elements). An
// exception thrown by on_end stops the walk; its what() is the refusal.
// Returns "" when the whole document was walked, else why it was refused.
std::string walk_xml(std::string_view xml, const XmlLimits& limits,
                     const std::function<void(const std::string& path, const std::string& text)>& on_end);

}  // namespace wrapp::storage
