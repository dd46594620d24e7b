#include "storage/xml_walker.h"

#include <expat.h>

#include <vector>

#include "util/error.h"

namespace wrapp::storage {

namespace {

class Walker {
 public:
  using OnEnd = std::function<void(const std::string& path, const std::string& text)>;

  Walker(const XmlLimits& limits, const OnEnd& on_end) : limits_(limits), on_end_(on_end) {}

  // Returns "" on success, else why the document was refused.
  std::string walk(std::string_view xml) {
    if (xml.size() > limits_.max_document) return "the document is too large";
    XML_Parser p = XML_ParserCreate(nullptr);
    if (!p) return "out of memory";
    struct Free {
      XML_Parser p;
      ~Free() { XML_ParserFree(p); }
    } free_parser{p};
    parser_ = p;
    XML_SetUserData(p, this);
    XML_SetElementHandler(p, &Walker::start, &Walker::end);
    XML_SetCharacterDataHandler(p, &Walker::text);
    // No object store sends a DTD: refusing one means no entity is ever
    // defined, let alone expanded.
    XML_SetStartDoctypeDeclHandler(p, &Walker::doctype);
    if (XML_Parse(p, xml.data(), static_cast<int>(xml.size()), XML_TRUE) == XML_STATUS_ERROR) {
      if (!refusal_.empty()) return refusal_;
      return fmt::format("malformed XML at line {}: {}", XML_GetCurrentLineNumber(p),
                         XML_ErrorString(XML_GetErrorCode(p)));
    }
    return refusal_;
  }

 private:
  void refuse(std::string why) {
    if (refusal_.empty()) refusal_ = std::move(why);
    XML_StopParser(parser_, XML_FALSE);
  }

  static void start(void* user, const XML_Char* name, const XML_Char**) {
    auto* w = static_cast<Walker*>(user);
    if (!w->refusal_.empty()) return;
    if (++w->depth_ > w->limits_.max_depth) return w->refuse("elements nested too deep");
    std::string_view local(name);
    if (auto colon = local.rfind(':'); colon != std::string_view::npos) local.remove_prefix(colon + 1);
    w->lengths_.push_back(w->path_.size());
    if (!w->path_.empty()) w->path_ += '/';
    w->path_ += local;
    w->text_.clear();
  }

  static void end(void* user, const XML_Char*) {
    auto* w = static_cast<Walker*>(user);
    if (!w->refusal_.empty()) return;
    try {
      w->on_end_(w->path_, w->text_);
    } catch (const std::exception& e) {
      return w->refuse(e.what());
    }
    w->text_.clear();
    w->path_.resize(w->lengths_.back());
    w->lengths_.pop_back();
    --w->depth_;
  }

  static void text(void* user, const XML_Char* s, int len) {
    auto* w = static_cast<Walker*>(user);
    if (!w->refusal_.empty()) return;
    if (w->text_.size() + static_cast<size_t>(len) > w->limits_.max_text) {
      return w->refuse("an element's text is too long");
    }
    w->text_.append(s, static_cast<size_t>(len));
  }

  static void doctype(void* user, const XML_Char*, const XML_Char*, const XML_Char*, int) {
    static_cast<Walker*>(user)->refuse("a DOCTYPE (object stores send none)");
  }

  const XmlLimits& limits_;
  const OnEnd& on_end_;
  XML_Parser parser_ = nullptr;
  size_t depth_ = 0;
  std::string path_;
  std::vector<size_t> lengths_;
  std::string text_;
  std::string refusal_;
};

}  // namespace

std::string walk_xml(std::string_view xml, const XmlLimits& limits,
                     const std::function<void(const std::string& path, const std::string& text)>& on_end) {
  return Walker(limits, on_end).walk(xml);
}

}  // namespace wrapp::storage
