# Read by ctest (TEST_INCLUDE_FILES) after gtest_discover_tests has listed spoke_backing_tests:
# without the servers of tests/backing/run.sh (which sets SPOKE_BACKING=1) these tests could only
# fail, so they are reported as disabled instead of being run.
if(NOT "$ENV{SPOKE_BACKING}" STREQUAL "1" AND spoke_backing_tests_TESTS)
  set_tests_properties(${spoke_backing_tests_TESTS} PROPERTIES DISABLED TRUE)
endif()
