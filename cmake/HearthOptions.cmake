# Compiler flags shared by every target.
add_compile_options(-Wall -Wextra -Wno-unused-parameter -fno-strict-aliasing)
# GCC 12 reports false -Wstringop-overflow positives inside fmt's headers.
add_compile_options($<$<CXX_COMPILER_ID:GNU>:-Wno-stringop-overflow>)

if(HEARTH_ASSERTS)
  # Release keeps its optimisation level but not -DNDEBUG: invariants stay checked.
  foreach(cfg RELEASE RELWITHDEBINFO MINSIZEREL)
    string(REPLACE "-DNDEBUG" "" CMAKE_C_FLAGS_${cfg} "${CMAKE_C_FLAGS_${cfg}}")
    string(REPLACE "-DNDEBUG" "" CMAKE_CXX_FLAGS_${cfg} "${CMAKE_CXX_FLAGS_${cfg}}")
  endforeach()
endif()

if(HEARTH_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
  add_compile_definitions(HEARTH_SANITIZE=1)
endif()
