// Reading and writing a value at any byte address (a field of a record in a
// mapped or read file), without the undefined behaviour of a cast pointer.
// Host byte order: formats that are little-endian on disk assert that the
// host is too where they read in place.
#pragma once

#include <cstring>

namespace wrapp::util {

template <typename T>
T load_unaligned(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <typename T>
void store_unaligned(char* p, T v) {
  std::memcpy(p, &v, sizeof v);
}

}  // namespace wrapp::util
