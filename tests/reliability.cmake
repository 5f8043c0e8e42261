# Reliability suite (issue 7): the fault-injecting loopback proxy, and what
# the reliability tests in tests/integration/ need beyond integration.cmake
# (which registers every tests/integration/test_*.sh): exit 77 means
# skipped (the disk-full test without permission to mount a tmpfs), the
# reliability label, and shorter timeouts. The fuzz corpora are in fuzz.cmake.
add_executable(clientele-faultproxy ${CMAKE_SOURCE_DIR}/tests/tools/faultproxy.c)
target_link_libraries(clientele-faultproxy PRIVATE Threads::Threads)

foreach(name test_crash test_fault_sync test_disk_full test_folder_damage)
  if(TEST integration.${name})
    set_tests_properties(integration.${name} PROPERTIES
      LABELS "integration;reliability" SKIP_RETURN_CODE 77 TIMEOUT 600)
  endif()
endforeach()
