# Included by tests/<layer>/CMakeLists.txt: every <name>_test.cpp in that folder becomes one gtest
# executable linked with the layer library, labelled with the layer ("<layer>-conformance" for
# *conformance* tests, so `ctest -L conformance` selects them all).
function(audetect_layer_tests layer)
  file(GLOB tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_test.cpp)
  foreach(src ${tests})
    get_filename_component(stem ${src} NAME_WE)
    set(labels ${layer})
    if(stem MATCHES "conformance")
      list(APPEND labels conformance)
    endif()
    audetect_test(${layer}_${stem} SOURCES ${src} LIBS audetect_${layer} ${ARGN} LABELS ${labels})
  endforeach()
endfunction()
