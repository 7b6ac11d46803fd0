# 3-D plots, as ClearML's examples/reporting/3d_plots_reporting.py: a surface and a 3-D scatter.
import numpy as np

from ringlog import Task, Logger


def report_plots(logger, iteration=0):
    # type: (Logger, int) -> ()
    rng = np.random.default_rng(0)
    logger.report_surface("example_surface", "series1", iteration=iteration, matrix=rng.integers(10, size=(10, 10)),
                          xaxis="title X", yaxis="title Y", zaxis="title Z")
    logger.report_scatter3d("example_scatter_3d", "series_xyz", iteration=iteration,
                            scatter=rng.integers(10, size=(10, 3)), xaxis="title x", yaxis="title y", zaxis="title z")


def main():
    task = Task.init(project_name="examples", task_name="3D plot reporting")
    logger = task.get_logger()
    report_plots(logger)
    logger.flush()
    print("done reporting")


if __name__ == "__main__":
    main()
