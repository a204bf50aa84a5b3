# Project-wide warnings and sanitizer flags, applied through the strato_options interface target
# that every strato library and executable links.
add_library(strato_options INTERFACE)
target_compile_options(strato_options INTERFACE -Wall -Wextra -Werror)
target_include_directories(strato_options INTERFACE ${PROJECT_SOURCE_DIR})

if(STRATO_SANITIZE)
  set(STRATO_SANITIZER_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all
                             -fno-omit-frame-pointer)
  add_compile_options(${STRATO_SANITIZER_FLAGS})
  add_link_options(-fsanitize=address,undefined)
endif()

if(STRATO_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "STRATO_FUZZ needs clang (configure with -DCMAKE_CXX_COMPILER=clang++)")
  endif()
  # Instrument everything for coverage; fuzz targets add -fsanitize=fuzzer at link time.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
