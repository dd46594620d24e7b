#include "util/json_reader.h"

#include <algorithm>
#include <cstring>
#include <limits>


#include <fmt/format.h>

#include "util/error.h"
#include "util/json_scan.h"
#include "util/json_writer.h"

namespace wrapp {

JsonReader::JsonReader(std::string_view text, std::string_view origin)
    : text_(text), origin_(shorten_for_message(origin)) {}

void JsonReader::error(std::string_view what) const {
  fail("{}: not valid JSON at byte {}: {}", origin_, pos_, what);
}

void JsonReader::skip_ws() {
  while (pos_ < text_.size()) {
    char c = text_[pos_];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
    ++pos_;
  }
}

char JsonReader::next_char() {
  skip_ws();
  if (pos_ >= text_.size()) error("unexpected end of text");
  return text_[pos_];
}

void JsonReader::expect(char c) {
  if (next_char() != c) error(std::string("expected '") + c + "'");
  ++pos_;
}

JsonReader::Type JsonReader::peek() {
  char c = next_char();
  switch (c) {
    case '{': return Type::kObject;
    case '[': return Type::kArray;
    case '"': return Type::kString;
    case 't':
    case 'f': return Type::kBool;
    case 'n': return Type::kNull;
    default:
      if (c == '-' || (c >= '0' && c <= '9')) return Type::kNumber;
      error("expected a value");
  }
}

void JsonReader::open_container(char c) {
  if (next_char() != c) error(std::string("expected '") + c + "'");
  if (depth_ >= kMaxJsonDepth) error(fmt::format("nested deeper than {} levels", kMaxJsonDepth));
  ++pos_;
  ++depth_;
  is_object_[depth_] = c == '{';
  first_ = true;
}

void JsonReader::begin_object() { open_container('{'); }

bool JsonReader::next_key(std::string& key) {
  report_progress();
  char c = next_char();
  if (c == '}') {
    ++pos_;
    --depth_;
    first_ = false;
    return false;
  }
  if (!first_) {
    if (c != ',') error("expected ',' or '}'");
    ++pos_;
  }
  first_ = false;
  if (next_char() != '"') error("expected a key");
  read_string(key);
  expect(':');
  return true;
}

void JsonReader::begin_array() { open_container('['); }

bool JsonReader::next_element() {
  report_progress();
  char c = next_char();
  if (c == ']') {
    ++pos_;
    --depth_;
    first_ = false;
    return false;
  }
  if (!first_) {
    if (c != ',') error("expected ',' or ']'");
    ++pos_;
  }
  first_ = false;
  return true;
}

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace

void JsonReader::read_string(std::string& out) {
  if (next_char() != '"') error("expected a string");
  ++pos_;
  out.clear();
  // Escapes append valid UTF-8 only (surrogates are paired below), so a
  // string whose raw bytes are all ASCII needs no UTF-8 check.
  bool ascii = true;
  for (;;) {
    // Copy the plain run up to the next quote, backslash or control byte.
    size_t run = json_plain_run_end(text_, pos_, ascii);
    out.append(text_.data() + pos_, run - pos_);
    pos_ = run;
    if (pos_ >= text_.size()) error("unterminated string");
    char c = text_[pos_++];
    if (c == '"') {
      if (!ascii && !is_valid_utf8(out)) error("a string is not valid UTF-8");
      return;
    }
    if (c != '\\') error("control character in a string");
    if (pos_ >= text_.size()) error("unterminated string");
    char e = text_[pos_++];
    switch (e) {
      case '"': out.push_back('"'); break;
      case '\\': out.push_back('\\'); break;
      case '/': out.push_back('/'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'u': {
        auto read4 = [&]() -> uint32_t {
          if (pos_ + 4 > text_.size()) error("truncated \\u escape");
          uint32_t v = 0;
          for (int k = 0; k < 4; ++k) {
            int d = hex_digit(text_[pos_++]);
            if (d < 0) error("bad \\u escape");
            v = v * 16 + static_cast<uint32_t>(d);
          }
          return v;
        };
        uint32_t cp = read4();
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (pos_ + 2 > text_.size() || text_[pos_] != '\\' || text_[pos_ + 1] != 'u') {
            error("unpaired surrogate in \\u escape");
          }
          pos_ += 2;
          uint32_t low = read4();
          if (low < 0xDC00 || low > 0xDFFF) error("unpaired surrogate in \\u escape");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          error("unpaired surrogate in \\u escape");
        }
        append_utf8(out, cp);
        break;
      }
      default: error("bad escape in a string");
    }
  }
}

std::string JsonReader::read_string() {
  std::string s;
  read_string(s);
  return s;
}

void JsonReader::scan_number() {
  size_t start = pos_;
  if (pos_ < text_.size() && text_[pos_] == '-') ++pos_;
  auto digits = [&] {
    size_t from = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    return pos_ - from;
  };
  size_t int_start = pos_;
  size_t n = digits();
  if (n == 0) error("bad number");
  if (n > 1 && text_[int_start] == '0') error("leading zero in a number");
  if (pos_ < text_.size() && text_[pos_] == '.') {
    ++pos_;
    if (digits() == 0) error("bad number");
  }
  if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
    ++pos_;
    if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
    if (digits() == 0) error("bad number");
  }
  if (pos_ == start) error("bad number");
}

bool JsonReader::read_uint64(uint64_t& out) {
  if (peek() != Type::kNumber) return false;
  size_t start = pos_;
  scan_number();
  std::string_view token = text_.substr(start, pos_ - start);
  uint64_t v = 0;
  for (char c : token) {
    if (c < '0' || c > '9' || v > (std::numeric_limits<uint64_t>::max() - (c - '0')) / 10) {
      pos_ = start;
      return false;
    }
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  out = v;
  return true;
}

bool JsonReader::read_int64(int64_t& out) {
  if (peek() != Type::kNumber) return false;
  size_t start = pos_;
  bool negative = text_[pos_] == '-';
  scan_number();
  std::string_view token = text_.substr(start + (negative ? 1 : 0), pos_ - start - (negative ? 1 : 0));
  uint64_t v = 0;
  for (char c : token) {
    if (c < '0' || c > '9' || v > (uint64_t{1} << 63) / 10 + 1) {
      pos_ = start;
      return false;
    }
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if ((!negative && v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) ||
      (negative && v > (uint64_t{1} << 63))) {
    pos_ = start;
    return false;
  }
  out = negative ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return true;
}

void JsonReader::expect_literal(std::string_view word) {
  skip_ws();
  if (text_.substr(pos_, word.size()) != word) error("expected a value");
  pos_ += word.size();
}

bool JsonReader::read_bool() {
  if (next_char() == 't') {
    expect_literal("true");
    return true;
  }
  expect_literal("false");
  return false;
}

void JsonReader::read_null() { expect_literal("null"); }

bool JsonReader::try_null() {
  if (peek() != Type::kNull) return false;
  read_null();
  return true;
}

bool JsonReader::more_members() {
  if (!is_object_[depth_]) return next_element();
  return next_key(skipped_key_);
}

std::string_view JsonReader::skip_value() {
  skip_ws();
  const size_t start = pos_;
  const size_t base = depth_;  // containers opened here close before returning
  for (;;) {
    switch (peek()) {
      case Type::kString: {
        // Decoded like any string, so a skipped value is held to the same
        // rules (escapes, UTF-8) as a read one.
        read_string(skipped_string_);
        break;
      }
      case Type::kNumber: scan_number(); break;
      case Type::kBool: read_bool(); break;
      case Type::kNull: read_null(); break;
      case Type::kObject: begin_object(); break;
      case Type::kArray: begin_array(); break;
    }
    // On to the next value, closing every container that ends here.
    for (;;) {
      if (depth_ == base) return text_.substr(start, pos_ - start);
      if (more_members()) break;
    }
  }
}

size_t JsonReader::count_ahead(std::string_view needle) const {
  // memmem, not string_view::find: find stops at every byte equal to the
  // needle's first, a quote in JSON (one byte in ten of a catalog; the count
  // was a tenth of the time of reading one); glibc's memmem skips ahead.
  if (needle.empty()) return 0;
  size_t n = 0;
  const char* p = text_.data() + std::min(pos_, text_.size());
  const char* end = text_.data() + text_.size();
  while (const void* at = ::memmem(p, static_cast<size_t>(end - p), needle.data(), needle.size())) {
    ++n;
    p = static_cast<const char*>(at) + needle.size();
  }
  return n;
}

void JsonReader::expect_end() {
  skip_ws();
  if (pos_ != text_.size()) error("unexpected text after the end");
}

}  // namespace wrapp
