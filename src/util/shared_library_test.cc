#include "util/shared_library.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "util/crypto_library.h"
#include "util/error.h"

namespace wrapp::util {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const StorageError& e) {
    return e.what();
  }
  return "";
}

TEST(SharedLibrary, AMissingLibraryIsAStorageErrorNamingItAndWhatNeedsIt) {
  std::string message = error_of([] { open_shared_library("libwrapp-absent.so.9", "needed to test this"); });
  EXPECT_NE(message.find("cannot load libwrapp-absent.so.9 (needed to test this): "), std::string::npos) << message;
  EXPECT_NE(message.find("No such file"), std::string::npos) << message;  // the loader's reason
}

TEST(SharedLibrary, AMissingFunctionSaysTheLibraryIsTooOld) {
  void* libc = open_shared_library("libc.so.6", "the C library");
  EXPECT_NE(shared_library_function(libc, "libc.so.6", "malloc", "libc"), nullptr);
  std::string message = error_of([&] { shared_library_function(libc, "libc.so.6", "wrapp_no_such_function", "libc"); });
  EXPECT_EQ(message, "libc.so.6 has no function wrapp_no_such_function: too old a libc");
}

TEST(SharedLibrary, LibcryptoIsOpenedWithEveryFunctionWrappCalls) {
  const CryptoLibrary& ssl = crypto_library();
  EXPECT_EQ(&ssl, &crypto_library());  // opened once
  unsigned char digest[32];
  ssl.SHA256(reinterpret_cast<const unsigned char*>("abc"), 3, digest);
  EXPECT_EQ(digest[0], 0xba);  // SHA-256("abc") = ba7816bf...
  EXPECT_EQ(digest[31], 0xad);
}

}  // namespace
}  // namespace wrapp::util
