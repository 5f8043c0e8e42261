# Fuzz harnesses (tests/fuzz/fuzz_*.c, one LLVMFuzzerTestOneInput each).
#
# Always: each harness is linked with tests/fuzz/driver.c into NAME-replay,
# and ctest replays its checked-in corpus tests/fuzz/corpus/NAME/ (test
# fuzz.NAME) — in the Release and in the ASan+UBSan build alike.
#
# With -DCLIENTELE_FUZZ=ON and clang (CC=clang): each harness is also built
# as a real libFuzzer target NAME (the engine compiled with coverage
# instrumentation), to run by hand: build-fuzz/NAME tests/fuzz/corpus/NAME
# (docs/reliability.md tells how long and what was found).
option(CLIENTELE_FUZZ "Build libFuzzer targets of the fuzz harnesses (clang)" OFF)

file(GLOB FUZZ_HARNESSES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_*.c)
list(FILTER FUZZ_HARNESSES EXCLUDE REGEX "fuzz_store\\.c$")
set(FUZZ_SUPPORT ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_store.c)

set(CLIENTELE_LIBFUZZER OFF)
if(CLIENTELE_FUZZ)
  include(CheckCSourceCompiles)
  set(CMAKE_REQUIRED_FLAGS -fsanitize=fuzzer)
  set(CMAKE_REQUIRED_LINK_OPTIONS -fsanitize=fuzzer)
  check_c_source_compiles(
    "#include <stdint.h>
     #include <stddef.h>
     int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }"
    CLIENTELE_HAVE_LIBFUZZER)
  unset(CMAKE_REQUIRED_FLAGS)
  unset(CMAKE_REQUIRED_LINK_OPTIONS)
  if(CLIENTELE_HAVE_LIBFUZZER)
    set(CLIENTELE_LIBFUZZER ON)
    # coverage for the engine; libFuzzer's own main comes in only at the
    # harnesses' link
    target_compile_options(libclientele PUBLIC -fsanitize=fuzzer-no-link)
    target_link_options(libclientele PUBLIC -fsanitize=fuzzer-no-link)
  else()
    message(WARNING "CLIENTELE_FUZZ: ${CMAKE_C_COMPILER_ID} has no -fsanitize=fuzzer (use CC=clang); "
                    "building the corpus replay drivers only")
  endif()
endif()

foreach(src ${FUZZ_HARNESSES})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name}-replay ${src} ${FUZZ_SUPPORT} ${CMAKE_SOURCE_DIR}/tests/fuzz/driver.c)
  target_link_libraries(${name}-replay PRIVATE libclientele)
  target_include_directories(${name}-replay PRIVATE ${CMAKE_SOURCE_DIR}/src) # the sync layer's internals (fuzz_wire_vv)
  add_test(NAME fuzz.${name} COMMAND ${name}-replay ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${name})
  set_tests_properties(fuzz.${name} PROPERTIES LABELS fuzz TIMEOUT 120)
  if(CLIENTELE_LIBFUZZER)
    add_executable(${name} ${src} ${FUZZ_SUPPORT})
    target_link_libraries(${name} PRIVATE libclientele)
    target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/src)
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  endif()
endforeach()

# Writes the binary seeds of the corpora (run by hand when a format changes).
add_executable(clientele-fuzz-seeds ${CMAKE_SOURCE_DIR}/tests/fuzz/make_corpus.c)
target_link_libraries(clientele-fuzz-seeds PRIVATE libclientele)
