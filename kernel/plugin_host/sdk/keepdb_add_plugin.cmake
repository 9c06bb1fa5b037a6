# keepdb_add_plugin(<target> SOURCES <files...> [LIBS <libraries...>])
#
# Builds a KeepDB provider plugin as a MODULE library (lib<target>.so) that exports only
# kdb_plugin_entry_v1 (hidden visibility plus a version script) and links with
# --no-undefined, so a missing symbol fails the build rather than keepd's start-up.
# Used in-tree and shipped with the plugin SDK (find_package(KeepDBPlugin)).
function(keepdb_add_plugin name)
  cmake_parse_arguments(PLUGIN "" "" "SOURCES;LIBS" ${ARGN})
  set(exports "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/plugin_exports.map")
  add_library(${name} MODULE ${PLUGIN_SOURCES})
  set_target_properties(${name} PROPERTIES
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LINK_DEPENDS "${exports}")
  target_link_libraries(${name} PRIVATE KeepDB::plugin ${PLUGIN_LIBS})
  target_link_options(${name} PRIVATE "LINKER:--version-script=${exports}")
  # clang's sanitizers (the in-tree fuzz build) leave their runtime to the executable that
  # loads the plugin, so only there may a plugin link with undefined symbols.
  if(NOT KEEPDB_FUZZ)
    target_link_options(${name} PRIVATE "LINKER:--no-undefined")
  endif()
endfunction()
