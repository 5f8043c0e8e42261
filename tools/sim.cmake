# clientele-sim: a mesh of N devices syncing in one process through the real
# session and merge code over an in-memory transport (tools/sim/sim.c;
# figures in docs/scaling.md). Built by default beside the binary; never
# installed. It reaches the sync layer's private seam (src/sync/internal.h:
# sync_link), hence src/ on its include path.
add_executable(clientele-sim ${CMAKE_SOURCE_DIR}/tools/sim/sim.c ${CMAKE_SOURCE_DIR}/tools/sim/memlink.c
  ${CMAKE_SOURCE_DIR}/tools/sim/report.c)
target_include_directories(clientele-sim PRIVATE ${CMAKE_SOURCE_DIR}/src)
target_link_libraries(clientele-sim PRIVATE libclientele)
