#include "storage/http/dates.h"

#include <time.h>

#include "util/error.h"

namespace wrapp::storage::http {

namespace {

// Two digits, or -1.
int digits(std::string_view s, size_t at, size_t n) {
  if (at + n > s.size()) return -1;
  int value = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    value = value * 10 + (s[i] - '0');
  }
  return value;
}

std::optional<int64_t> to_ns(int year, int month, int day, int hour, int minute, int second, int64_t nanos) {
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  struct tm t {};
  t.tm_year = year - 1900;
  t.tm_mon = month - 1;
  t.tm_mday = day;
  t.tm_hour = hour;
  t.tm_min = minute;
  t.tm_sec = second;
  time_t seconds = timegm(&t);
  if (seconds < 0) return std::nullopt;
  return static_cast<int64_t>(seconds) * 1'000'000'000 + nanos;
}

}  // namespace

std::optional<int64_t> parse_time(std::string_view s) {
  // ISO 8601: 2009-10-12T17:50:30[.000]Z
  if (s.size() >= 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':' && s.back() == 'Z') {
    int64_t nanos = 0;
    size_t at = 19;
    if (s[at] == '.') {
      int64_t scale = 100'000'000;
      for (++at; at + 1 < s.size() && s[at] >= '0' && s[at] <= '9'; ++at, scale /= 10) nanos += (s[at] - '0') * scale;
    }
    if (at + 1 != s.size()) return std::nullopt;
    return to_ns(digits(s, 0, 4), digits(s, 5, 2), digits(s, 8, 2), digits(s, 11, 2), digits(s, 14, 2),
                 digits(s, 17, 2), nanos);
  }
  // HTTP date: Wed, 12 Oct 2009 17:50:30 GMT
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() == 29 && s.substr(25) == " GMT" && s[3] == ',') {
    int month = 0;
    for (int m = 0; m < 12; ++m) {
      if (s.substr(8, 3) == months[m]) month = m + 1;
    }
    if (s[19] != ':' || s[22] != ':') return std::nullopt;
    return to_ns(digits(s, 12, 4), month, digits(s, 5, 2), digits(s, 17, 2), digits(s, 20, 2), digits(s, 23, 2), 0);
  }
  return std::nullopt;
}

std::string http_date(std::chrono::system_clock::time_point when) {
  time_t t = std::chrono::system_clock::to_time_t(when);
  struct tm parts {};
  gmtime_r(&t, &parts);
  static const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT", days[parts.tm_wday], parts.tm_mday,
                     months[parts.tm_mon], parts.tm_year + 1900, parts.tm_hour, parts.tm_min, parts.tm_sec);
}

}  // namespace wrapp::storage::http
