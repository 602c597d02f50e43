# aiw_add_plugin(<name> SOURCES <files...>)
# Builds a stage plugin: a MODULE library named aiw_<name>.so with hidden visibility, so only
# the entry point (marked visible by AIW_PLUGIN) is exported. Used in-tree and by authors
# through find_package(aiw).
function(aiw_add_plugin name)
  cmake_parse_arguments(ARG "" "" "SOURCES" ${ARGN})
  add_library(${name} MODULE ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES
    PREFIX "" OUTPUT_NAME "aiw_${name}"
    CXX_VISIBILITY_PRESET hidden C_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
  if(TARGET aiw::sdk)
    target_link_libraries(${name} PRIVATE aiw::sdk)
  endif()
  if(DEFINED AIW_PLUGIN_OUTPUT_DIR)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${AIW_PLUGIN_OUTPUT_DIR})
  endif()
  # Refuse undefined symbols at link time rather than at dlopen.
  target_link_options(${name} PRIVATE -Wl,--no-undefined)
endfunction()
