"""wrapp benchmark suite: workloads, measurement, operations, reporting."""
