"""`harness explore`: search random fault timelines for one that breaks a client, and shrink it.

catalogue     what may be drawn: every fault kind with its parameter bounds
scenario_file a trial as a scenario (the base's load and checks, a drawn timeline) and YAML
shrink        delta debugging over the steps, then milder windows, intensities and routes
explorer      the loop: trials, confirmation, shrinking, the budget (ExploreOptions, explore)
journal       explore.json: seed, every drawn timeline, every run
report        explore.md, explore.html and the index over every run

    import harness.explore
    result = harness.explore.explore(harness.explore.ExploreOptions(client=Path("naive"), seed=7))
"""

from harness.explore.explorer import ExploreOptions, ExploreResult, explore

__all__ = ["ExploreOptions", "ExploreResult", "explore"]
