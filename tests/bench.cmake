# The benchmark cannot rot: run W1 small through the real processes and check
# the JSON's shape and convergence (tests/bench/check_w1.c). No timing is
# asserted here; figures live in docs/performance.md.
add_executable(check-w1-json ${CMAKE_CURRENT_SOURCE_DIR}/bench/check_w1.c)
target_link_libraries(check-w1-json PRIVATE PkgConfig::CJSON)
add_test(NAME bench_w1_smoke
  COMMAND sh -c "\"$0\" w1 --records 2000 --noop-runs 2 --json \"$2/bench_w1_smoke.json\" && \"$1\" \"$2/bench_w1_smoke.json\" 2000"
          $<TARGET_FILE:clientele-bench> $<TARGET_FILE:check-w1-json> ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(bench_w1_smoke PROPERTIES TIMEOUT 300 LABELS bench)
# The related benchmark checks its own answers (both ways find exactly the K
# contacts at the company).
add_test(NAME bench_related_smoke COMMAND clientele-bench related --records 2000 --related 7 --runs 3)
set_tests_properties(bench_related_smoke PROPERTIES TIMEOUT 120 LABELS bench)
