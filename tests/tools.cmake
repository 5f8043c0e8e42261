# Small programs the integration tests use (never installed).
add_executable(clientele-fill ${CMAKE_SOURCE_DIR}/tests/tools/fill.c)
target_link_libraries(clientele-fill PRIVATE libclientele)
add_executable(clientele-announce ${CMAKE_SOURCE_DIR}/tests/tools/announce.c)
target_link_libraries(clientele-announce PRIVATE libclientele)
add_executable(clientele-forge ${CMAKE_SOURCE_DIR}/tests/tools/forge.c)
target_link_libraries(clientele-forge PRIVATE libclientele)
# The layer table of docs/architecture.md, checked on every include.
add_test(NAME layers COMMAND ${CMAKE_SOURCE_DIR}/tests/tools/check_layers.sh)
set_tests_properties(layers PROPERTIES LABELS unit)
