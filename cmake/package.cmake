# Exports the CMake package `aiw` for out-of-tree plugins:
#   find_package(aiw REQUIRED)
#   aiw_add_plugin(myplugin SOURCES my_stage.cpp)
include(CMakePackageConfigHelpers)
# Exported as aiw::sdk, the same name as the in-tree alias, so AiwPlugin.cmake works both ways.
set_target_properties(aiw_sdk PROPERTIES EXPORT_NAME sdk)
install(TARGETS aiw_sdk EXPORT aiwTargets)
install(EXPORT aiwTargets NAMESPACE aiw:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/aiw)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/aiwConfig.cmake.in
  ${PROJECT_BINARY_DIR}/aiwConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/aiw PATH_VARS AIW_INSTALL_PLUGIN_DIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/aiwConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/aiwConfig.cmake ${PROJECT_BINARY_DIR}/aiwConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/AiwPlugin.cmake DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/aiw)
