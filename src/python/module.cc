// wrapp._core: the compiled half of the Python package (binding.h).
#include "python/binding.h"

NB_MODULE(_core, m) {
  m.doc() = "The C++ core of wrapp, for the Python package `wrapp` (translation only).";
  m.attr("__version__") = WRAPP_VERSION;
  wrapp::python::bind_errors(m);
  wrapp::python::bind_runtime(m);
  wrapp::python::bind_commands(m);
  wrapp::python::bind_files(m);
}
