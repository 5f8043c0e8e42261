# clientele-bench: workload W1 of issue 8 (tools/bench/bench.c; report in
# docs/performance.md). Built by default next to the clientele binary, which it
# runs as device A's `serve` process; never installed.
add_executable(clientele-bench ${CMAKE_SOURCE_DIR}/tools/bench/bench.c ${CMAKE_SOURCE_DIR}/tools/bench/queries.c)
target_link_libraries(clientele-bench PRIVATE libclientele)
add_dependencies(clientele-bench clientele)
