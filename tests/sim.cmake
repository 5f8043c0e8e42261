# The simulator cannot rot (tools/sim/sim.c): twenty devices through a
# partition and churn must converge, every sync succeeding (exit 0). No
# figure is asserted here; they live in docs/scaling.md.
add_test(NAME sim_smoke COMMAND clientele-sim --devices 20 --seed 1 --quiet)
set_tests_properties(sim_smoke PROPERTIES TIMEOUT 60 LABELS "bench;sim")
