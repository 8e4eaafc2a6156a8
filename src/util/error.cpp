#include "util/error.h"

#include <exception>

namespace hearth {

void rethrow_with_context(const std::string& context) {
  try {
    throw;
  } catch (const Error& e) {
    throw Error(context + ": " + e.what());
  } catch (const std::bad_alloc&) {
    throw Error(context + ": out of memory");
  } catch (const std::exception& e) {
    throw Error(context + ": " + e.what());
  }
}

}  // namespace hearth
