# Small programs the integration tests use (never installed).
add_executable(clientele-fill ${CMAKE_SOURCE_DIR}/tests/tools/fill.c)
target_link_libraries(clientele-fill PRIVATE libclientele)
add_executable(clientele-announce ${CMAKE_SOURCE_DIR}/tests/tools/announce.c)
target_link_libraries(clientele-announce PRIVATE libclientele)
add_executable(clientele-forge ${CMAKE_SOURCE_DIR}/tests/tools/forge.c)
target_link_libraries(clientele-forge PRIVATE libclientele)
