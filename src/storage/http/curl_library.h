// libcurl, opened on first use (dlopen) instead of linked into wrapp.
//
// Why: libcurl brings some thirty libraries with it (TLS, Kerberos, LDAP,
// SSH, IDN...), and loading and relocating them costs every wrapp process
// about 4 ms at start, a sixth of a status of a small tree, whether or not it
// ever talks to a server. Only the HTTP-based backends (S3, Azure, GCS,
// HTTPS) need it: they take it through here, so local commands never load
// it. (git keeps libcurl out of its main binary for the same reason, in
// git-remote-https.)
//
// The members have libcurl's own signatures (curl/curl.h gives the types
// and constants); only client.cc calls them.
#pragma once

#include <curl/curl.h>

namespace wrapp::storage::http {

// X(member, libcurl's function): the members are named without the curl_
// prefix, as curl.h makes some of its names macros (type checks) that would
// expand after a member access too.
#define WRAPP_CURL_FUNCTIONS(X)                                                                 \
  X(global_init, curl_global_init) X(easy_init, curl_easy_init) X(easy_setopt, curl_easy_setopt) \
  X(easy_getinfo, curl_easy_getinfo) X(easy_perform, curl_easy_perform)                          \
  X(easy_reset, curl_easy_reset) X(easy_cleanup, curl_easy_cleanup)                              \
  X(easy_strerror, curl_easy_strerror) X(share_init, curl_share_init)                            \
  X(share_setopt, curl_share_setopt) X(share_cleanup, curl_share_cleanup)                        \
  X(slist_append, curl_slist_append) X(slist_free_all, curl_slist_free_all)

struct CurlLibrary {
#define WRAPP_CURL_MEMBER(member, fn) decltype(&::fn) member;
  WRAPP_CURL_FUNCTIONS(WRAPP_CURL_MEMBER)
#undef WRAPP_CURL_MEMBER
};

// The library, opened and initialised (curl_global_init) by the first call,
// from any thread; it stays loaded. Throws StorageError naming the library
// and the loader's reason when it cannot be opened or lacks a function.
const CurlLibrary& curl_library();

}  // namespace wrapp::storage::http
