#include "util/json_writer.h"

#include <cstring>

#include <fmt/format.h>

#include "util/error.h"
#include "util/json_scan.h"

namespace wrapp {

bool is_valid_utf8(std::string_view s) {
  size_t i = 0;
  // Most names are ASCII: skip eight bytes at a time while no high bit is set.
  while (i + 8 <= s.size()) {
    uint64_t word;
    std::memcpy(&word, s.data() + i, 8);
    if (word & 0x8080808080808080ULL) break;
    i += 8;
  }
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated sequence
    for (size_t k = 1; k <= n; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past Unicode are not UTF-8.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

void append_json_string(std::string& out, std::string_view s) {
  if (!is_valid_utf8(s)) fail("cannot write {:?} into a JSON file: it is not valid UTF-8", shorten_for_message(s));
  append_json_escaped(out, s);
}

void append_json_escaped(std::string& out, std::string_view s) {
  out.push_back('"');
  bool ascii = true;  // unused: escaping is the same for every byte of 0x20 and above
  for (size_t i = 0;;) {
    size_t stop = json_plain_run_end(s, i, ascii);
    out.append(s.data() + i, stop - i);
    if (stop == s.size()) break;
    unsigned char c = static_cast<unsigned char>(s[stop]);
    i = stop + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default: out += fmt::format("\\u{:04x}", c);
    }
  }
  out.push_back('"');
}

void JsonWriter::flush() {
  if (!sink_ || out_.empty()) return;
  sink_(out_);
  out_.clear();
}

void JsonWriter::newline() {
  out_.push_back('\n');
  out_.append(stack_.size(), '\t');
}

void JsonWriter::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (stack_.empty()) return;
  if (stack_.back().second) out_.push_back(',');
  stack_.back().second = true;
  newline();
}

void JsonWriter::begin_object() {
  before_value();
  out_.push_back('{');
  stack_.push_back({true, false});
}

void JsonWriter::end_object() {
  bool had_members = stack_.back().second;
  stack_.pop_back();
  if (had_members) newline();
  out_.push_back('}');
  maybe_flush();
}

void JsonWriter::begin_array() {
  before_value();
  out_.push_back('[');
  stack_.push_back({false, false});
}

void JsonWriter::end_array() {
  bool had_members = stack_.back().second;
  stack_.pop_back();
  if (had_members) newline();
  out_.push_back(']');
  maybe_flush();
}

void JsonWriter::key(std::string_view name) {
  before_value();
  append_json_string(out_, name);
  out_ += ": ";
  after_key_ = true;
}

void JsonWriter::string(std::string_view value) {
  before_value();
  append_json_string(out_, value);
}

void JsonWriter::number(uint64_t value) {
  before_value();
  fmt::format_to(std::back_inserter(out_), "{}", value);
}

void JsonWriter::number(int64_t value) {
  before_value();
  fmt::format_to(std::back_inserter(out_), "{}", value);
}

void JsonWriter::null() {
  before_value();
  out_ += "null";
}

void JsonWriter::boolean(bool value) {
  before_value();
  out_ += value ? "true" : "false";
}

void JsonWriter::raw(std::string_view json) {
  before_value();
  out_ += json;
}

}  // namespace wrapp
