# Integration tests: tests/integration/*.sh start real clientele processes
# (on loopback only) through tests/integration/lib.sh.
file(GLOB INTEGRATION_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/integration/test_*.sh)
foreach(script ${INTEGRATION_TESTS})
  get_filename_component(name ${script} NAME_WE)
  add_test(NAME integration.${name} COMMAND bash ${script})
  set_tests_properties(integration.${name} PROPERTIES
    LABELS integration TIMEOUT 900
    ENVIRONMENT "CLIENTELE_BIN=$<TARGET_FILE:clientele>;CLIENTELE_FILL=$<TARGET_FILE:clientele-fill>;CLIENTELE_ANNOUNCE=$<TARGET_FILE:clientele-announce>;CLIENTELE_FORGE=$<TARGET_FILE:clientele-forge>;CLIENTELE_BUILD=${CMAKE_BINARY_DIR}")
endforeach()
