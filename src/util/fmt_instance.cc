// fmt's compiled part, built into wrapp_util instead of loaded from
// libfmt.so.
//
// Why: libfmt.so needs libstdc++.so, and loading and relocating the two
// cost every command about 1 ms at start (`wrapp --version` took 3.7 ms
// with them, 2.7 ms without; a no-op install of a small package takes
// 15 ms). With fmt compiled in, the CLI links libstdc++ and libgcc
// statically (CMakeLists.txt) and loads no C++ library at all.
//
// What: Debian's libfmt-dev ships the implementation as a header,
// fmt/format-inl.h, from which libfmt.so itself is built; this file is
// fmt 9's src/format.cc (the same explicit instantiations). CMakeLists.txt
// compiles it only against fmt 9 (WRAPP_FMT_INSTANCE) and links libfmt.so
// for any other version, whose instantiations may differ.
#ifdef WRAPP_FMT_INSTANCE

#include <fmt/format-inl.h>

FMT_BEGIN_NAMESPACE
namespace detail {

template FMT_API auto dragonbox::to_decimal(float x) noexcept -> dragonbox::decimal_fp<float>;
template FMT_API auto dragonbox::to_decimal(double x) noexcept -> dragonbox::decimal_fp<double>;

#ifndef FMT_STATIC_THOUSANDS_SEPARATOR
template FMT_API locale_ref::locale_ref(const std::locale& loc);
template FMT_API auto locale_ref::get<std::locale>() const -> std::locale;
#endif

template FMT_API auto thousands_sep_impl(locale_ref) -> thousands_sep_result<char>;
template FMT_API auto decimal_point_impl(locale_ref) -> char;
template FMT_API void buffer<char>::append(const char*, const char*);
template FMT_API void vformat_to(buffer<char>&, string_view, basic_format_args<FMT_BUFFER_CONTEXT(char)>,
                                 locale_ref);

template FMT_API auto thousands_sep_impl(locale_ref) -> thousands_sep_result<wchar_t>;
template FMT_API auto decimal_point_impl(locale_ref) -> wchar_t;
template FMT_API void buffer<wchar_t>::append(const wchar_t*, const wchar_t*);

}  // namespace detail
FMT_END_NAMESPACE

#endif  // WRAPP_FMT_INSTANCE
