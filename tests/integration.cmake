# Integration tests: tests/integration/*.sh start real clientele processes
# (on loopback only) through tests/integration/lib.sh.
file(GLOB INTEGRATION_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/integration/test_*.sh)
list(FILTER INTEGRATION_TESTS EXCLUDE REGEX "/test_mesh\\.sh$") # registered below as integration.mesh
foreach(script ${INTEGRATION_TESTS})
  get_filename_component(name ${script} NAME_WE)
  add_test(NAME integration.${name} COMMAND bash ${script})
  set_tests_properties(integration.${name} PROPERTIES
    LABELS integration TIMEOUT 900
    ENVIRONMENT "CLIENTELE_BIN=$<TARGET_FILE:clientele>;CLIENTELE_FILL=$<TARGET_FILE:clientele-fill>;CLIENTELE_ANNOUNCE=$<TARGET_FILE:clientele-announce>;CLIENTELE_FORGE=$<TARGET_FILE:clientele-forge>;CLIENTELE_BUILD=${CMAKE_BINARY_DIR}")
endforeach()

# The team mesh of issue 19: 20 serves, 30 pairs, concurrent edits, equal
# digests; prints convergence time, syncs and bytes. Heavy (20 to 40 s of
# two cores): it runs alone.
add_test(NAME integration.mesh COMMAND bash ${CMAKE_SOURCE_DIR}/tests/integration/test_mesh.sh)
set_tests_properties(integration.mesh PROPERTIES
  LABELS "integration;mesh" TIMEOUT 300 RUN_SERIAL TRUE
  ENVIRONMENT "CLIENTELE_BIN=$<TARGET_FILE:clientele>")
