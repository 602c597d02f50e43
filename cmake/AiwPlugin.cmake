# aiw_add_plugin(<name> SOURCES <files...> [NO_INSTALL])
# Builds a stage plugin: a MODULE library named aiw_<name>.so with hidden visibility, so only
# the entry point (marked visible by AIW_PLUGIN) is exported. Used in-tree and by authors
# through find_package(aiw).
# Unless NO_INSTALL is given, `cmake --install` puts it in AIW_INSTALL_PLUGIN_DIR: in-tree that
# is relative to the install prefix; through find_package(aiw) it is the plugin folder of the
# aiw install that was found, where aiw will discover it.
function(aiw_add_plugin name)
  cmake_parse_arguments(ARG "NO_INSTALL" "" "SOURCES" ${ARGN})
  add_library(${name} MODULE ${ARG_SOURCES})
  # In-tree builds list their plugins so test suites can depend on all of them.
  set_property(GLOBAL APPEND PROPERTY AIW_IN_TREE_PLUGINS ${name})
  set_target_properties(${name} PROPERTIES
    PREFIX "" OUTPUT_NAME "aiw_${name}"
    CXX_VISIBILITY_PRESET hidden C_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
  # aiw::sdk comes from framework/ in-tree and from aiwTargets.cmake through find_package(aiw).
  target_link_libraries(${name} PRIVATE aiw::sdk)
  if(DEFINED AIW_PLUGIN_OUTPUT_DIR)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${AIW_PLUGIN_OUTPUT_DIR})
  endif()
  # Refuse undefined symbols at link time rather than at dlopen.
  target_link_options(${name} PRIVATE -Wl,--no-undefined)
  # g++ marks some template statics STB_GNU_UNIQUE, which makes a library impossible to
  # dlclose; a refused or unloaded plugin should really leave the process.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${name} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-fno-gnu-unique>)
  endif()
  if(NOT ARG_NO_INSTALL AND DEFINED AIW_INSTALL_PLUGIN_DIR)
    install(TARGETS ${name} LIBRARY DESTINATION ${AIW_INSTALL_PLUGIN_DIR})
  endif()
endfunction()
