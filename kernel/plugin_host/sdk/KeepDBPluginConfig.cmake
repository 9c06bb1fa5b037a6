# The KeepDB plugin SDK, as installed: find_package(KeepDBPlugin 1.0 CONFIG REQUIRED) gives
#   KeepDB::plugin        include directory holding keepdb/plugin.h and keepdb/plugin_sdk.hpp
#   keepdb_add_plugin()   builds a plugin .so with the required visibility and link flags
# The package version is the plugin ABI version (major.minor).
get_filename_component(_keepdb_plugin_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
if(NOT TARGET KeepDB::plugin)
  add_library(KeepDB::plugin INTERFACE IMPORTED)
  set_target_properties(KeepDB::plugin PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${_keepdb_plugin_prefix}/include")
endif()
unset(_keepdb_plugin_prefix)
include("${CMAKE_CURRENT_LIST_DIR}/keepdb_add_plugin.cmake")
