# Installing like a Debian program (issue 9): the .deb, the man page, the
# systemd user unit, the help and its bash completion, data folder hygiene.
#
# The scripts live in tests/integration/, where integration.cmake registers
# them as integration.test_*; this file (included after it) adds what they
# need beyond that: exit status 77 means "skipped" (a tool such as dpkg-deb,
# man or systemd-analyze is missing, or the .deb check in the sanitizer build),
# the package label, and where the sources and cpack are.
set(CLIENTELE_PACKAGE_TESTS
  test_package test_manpage test_systemd_unit test_help test_completion test_datadir_perms)
foreach(name ${CLIENTELE_PACKAGE_TESTS})
  set(script ${CMAKE_SOURCE_DIR}/tests/integration/${name}.sh)
  if(NOT EXISTS ${script})
    continue()
  endif()
  if(NOT TEST integration.${name})
    add_test(NAME integration.${name} COMMAND bash ${script})
  endif()
  set_tests_properties(integration.${name} PROPERTIES
    LABELS "integration;package"
    SKIP_RETURN_CODE 77
    TIMEOUT 300
    ENVIRONMENT "CLIENTELE_BIN=$<TARGET_FILE:clientele>;CLIENTELE_BUILD=${CMAKE_BINARY_DIR};CLIENTELE_SOURCE=${CMAKE_SOURCE_DIR};CLIENTELE_CPACK=${CMAKE_CPACK_COMMAND};CLIENTELE_SANITIZE=$<BOOL:${CLIENTELE_SANITIZE}>")
endforeach()
