# The local web page: API tests (curl against a real `clientele serve`) and
# browser tests (Debian's headless Chromium driven by playwright-core).
add_executable(make_conflict ${CMAKE_SOURCE_DIR}/tests/http/make_conflict.c)
target_link_libraries(make_conflict PRIVATE libclientele)

set(HTTP_TEST_ENV
  "CLIENTELE_BIN=$<TARGET_FILE:clientele>;CLIENTELE_BUILD=${CMAKE_BINARY_DIR};MAKE_CONFLICT=$<TARGET_FILE:make_conflict>;CLIENTELE_FILL=$<TARGET_FILE:clientele-fill>;CLIENTELE_SRC=${CMAKE_SOURCE_DIR}")

add_test(NAME http.api COMMAND bash ${CMAKE_SOURCE_DIR}/tests/http/test_api.sh)
set_tests_properties(http.api PROPERTIES LABELS "http;api" TIMEOUT 300 ENVIRONMENT "${HTTP_TEST_ENV}")

add_test(NAME http.browser COMMAND bash ${CMAKE_SOURCE_DIR}/tests/browser/run.sh)
set_tests_properties(http.browser PROPERTIES LABELS "http;browser" TIMEOUT 600 ENVIRONMENT "${HTTP_TEST_ENV}"
  SKIP_RETURN_CODE 77)

add_test(NAME http.hardening COMMAND bash ${CMAKE_SOURCE_DIR}/tests/http/test_hardening.sh)
set_tests_properties(http.hardening PROPERTIES LABELS "http;api" TIMEOUT 300 ENVIRONMENT "${HTTP_TEST_ENV}")

add_test(NAME http.events COMMAND bash ${CMAKE_SOURCE_DIR}/tests/http/test_events.sh)
set_tests_properties(http.events PROPERTIES LABELS "http;api" TIMEOUT 300 ENVIRONMENT "${HTTP_TEST_ENV}")

add_test(NAME http.today COMMAND bash ${CMAKE_SOURCE_DIR}/tests/http/test_today.sh)
set_tests_properties(http.today PROPERTIES LABELS "http;api" TIMEOUT 300 ENVIRONMENT "${HTTP_TEST_ENV}")

add_test(NAME http.browser_pairing COMMAND bash ${CMAKE_SOURCE_DIR}/tests/browser/run.sh test_pairing.cjs)
set_tests_properties(http.browser_pairing PROPERTIES LABELS "http;browser" TIMEOUT 300 ENVIRONMENT "${HTTP_TEST_ENV}"
  SKIP_RETURN_CODE 77)

add_test(NAME http.dav COMMAND bash ${CMAKE_SOURCE_DIR}/tests/http/test_dav.sh)
set_tests_properties(http.dav PROPERTIES LABELS "http;dav" TIMEOUT 300 ENVIRONMENT "${HTTP_TEST_ENV}"
  SKIP_RETURN_CODE 77)

add_test(NAME http.caldav COMMAND bash ${CMAKE_SOURCE_DIR}/tests/http/test_caldav.sh)
set_tests_properties(http.caldav PROPERTIES LABELS "http;dav" TIMEOUT 300 ENVIRONMENT "${HTTP_TEST_ENV}"
  SKIP_RETURN_CODE 77)

add_test(NAME http.dav_tls COMMAND bash ${CMAKE_SOURCE_DIR}/tests/http/test_dav_tls.sh)
set_tests_properties(http.dav_tls PROPERTIES LABELS "http;dav" TIMEOUT 300 ENVIRONMENT "${HTTP_TEST_ENV}"
  SKIP_RETURN_CODE 77)

add_test(NAME http.litmus COMMAND bash ${CMAKE_SOURCE_DIR}/tests/http/test_litmus.sh)
set_tests_properties(http.litmus PROPERTIES LABELS "http;dav" TIMEOUT 300 ENVIRONMENT "${HTTP_TEST_ENV}"
  SKIP_RETURN_CODE 77)
