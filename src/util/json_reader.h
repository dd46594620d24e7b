// A pull parser for JSON text: the caller walks the document value by value
// and keeps only what it needs. No DOM and no index, so reading a catalog of
// a million items costs the catalog and nothing else (a DOM costs about
// five times the text; simdjson's index four bytes per input byte).
//
// Full JSON (RFC 8259): any whitespace, key order, escapes including
// surrogate pairs, numbers with fractions and exponents. Errors throw
// FailedCommand "<origin>: not valid JSON at byte N: <what>".
//
// Bounded: nesting deeper than kMaxJsonDepth is refused ("nested deeper than
// 256 levels"), so neither this reader nor any code walking its values
// (recursively or into a DOM) can run out of stack on hostile input.
#pragma once

#include <bitset>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace wrapp {

// Lets a parser hand back the part of a mapped text it has read (see
// util::MappedFile), so a huge document never sits in memory whole.
struct TextWindow {
  std::function<void(size_t)> release_before;  // everything before this offset is done
  std::function<void()> restart;               // a new pass starts at offset 0
};

// Objects and arrays nest at most this deep (the top-level value is level 1).
inline constexpr size_t kMaxJsonDepth = 256;

class JsonReader {
 public:
  enum class Type { kObject, kArray, kString, kNumber, kBool, kNull };

  JsonReader(std::string_view text, std::string_view origin);

  // Calls fn(position) whenever the reader has moved `step` bytes further:
  // lets the owner of a mapped text drop the part already read.
  void on_progress(std::function<void(size_t)> fn, size_t step = size_t{8} << 20) {
    progress_ = std::move(fn);
    progress_step_ = step;
  }
  // The same, from a TextWindow (ignored when null).
  void use_window(const TextWindow* window) {
    if (window && window->release_before) on_progress(window->release_before);
  }

  // Type of the next value (whitespace skipped).
  Type peek();

  // Objects: begin_object(), then while (next_key(key)) { read the value }.
  // Opening a container deeper than kMaxJsonDepth is an error.
  void begin_object();
  bool next_key(std::string& key);  // false after the closing '}'
  // Arrays: begin_array(), then while (next_element()) { read the value }.
  void begin_array();
  bool next_element();  // false after the closing ']'

  void read_string(std::string& out);  // unescaped
  std::string read_string();
  // Integers; refuses fractions, exponents and out-of-range values.
  bool read_uint64(uint64_t& out);  // false (nothing consumed) if not a non-negative integer
  bool read_int64(int64_t& out);    // false (nothing consumed) if not an integer in range
  bool read_bool();
  void read_null();
  bool try_null();  // consumes and returns true if the next value is null

  // How often `needle` occurs in the rest of the text: a cheap upper bound
  // on a list's length, so it can be allocated once instead of doubling.
  size_t count_ahead(std::string_view needle) const;

  // Skips the next value and returns its JSON text (checked: valid JSON,
  // valid UTF-8, nested no deeper than kMaxJsonDepth in all). Iterative.
  std::string_view skip_value();
  // Only whitespace may follow the top-level value.
  void expect_end();

  [[noreturn]] void error(std::string_view what) const;
  // The origin as messages show it (shortened, see shorten_for_message).
  const std::string& origin() const { return origin_; }

 private:
  void skip_ws();
  char next_char();  // after whitespace; error at the end of the text
  void expect(char c);
  void scan_number();
  void expect_literal(std::string_view word);
  void open_container(char c);  // '{' or '['
  bool more_members();          // the next member of the innermost open container, if any


  std::string_view text_;
  std::string origin_;
  // Where skipped keys and strings are decoded (checked, then dropped),
  // reused. Members, not thread_locals: see ItemText in model/catalog.cc.
  std::string skipped_key_;
  std::string skipped_string_;
  size_t pos_ = 0;
  // Whether the innermost open container has no member yet. One flag is
  // enough: once a nested value ends, its container has a member.
  bool first_ = true;
  // Open containers, and for each level whether it is an object.
  size_t depth_ = 0;
  std::bitset<kMaxJsonDepth + 1> is_object_;
  std::function<void(size_t)> progress_;
  size_t progress_step_ = 0;
  size_t progress_at_ = 0;
  void report_progress() {
    if (progress_ && pos_ - progress_at_ >= progress_step_) {
      progress_at_ = pos_;
      progress_(pos_);
    }
  }
};

}  // namespace wrapp
