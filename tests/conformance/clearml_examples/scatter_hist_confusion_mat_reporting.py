# 2-D plots, as ClearML's examples/reporting/scatter_hist_confusion_mat_reporting.py: a histogram,
# two histograms on one graph, confusion matrices and a three-series scatter on one graph.
import numpy as np

from ringlog import Task, Logger


def report_plots(logger, iteration=0):
    # type: (Logger, int) -> ()
    rng = np.random.default_rng(0)
    histogram = rng.integers(10, size=10)
    logger.report_histogram("single_histogram", "random histogram", iteration=iteration, values=histogram,
                            xaxis="title x", yaxis="title y")
    logger.report_histogram("two_histogram", "series 1", iteration=iteration, values=rng.integers(13, size=10),
                            xaxis="title x", yaxis="title y")
    logger.report_histogram("two_histogram", "series 2", iteration=iteration, values=histogram * 0.75,
                            xaxis="title x", yaxis="title y")
    confusion = rng.integers(10, size=(10, 10))
    logger.report_matrix("example_confusion", "ignored", iteration=iteration, matrix=confusion,
                         xaxis="title X", yaxis="title Y")
    logger.report_confusion_matrix("example_confusion_0_0_at_top", "ignored", iteration=iteration,
                                   matrix=confusion, xaxis="title X", yaxis="title Y", yaxis_reversed=True)
    for series, mode in (("series_xy", "lines"), ("series_markers", "markers"),
                         ("series_lines+markers", "lines+markers")):
        scatter2d = np.hstack((np.atleast_2d(np.arange(0, 10)).T, rng.integers(10, size=(10, 1))))
        logger.report_scatter2d("example_scatter", series, iteration=iteration, scatter=scatter2d,
                                xaxis="title x", yaxis="title y", mode=mode)


def main():
    task = Task.init(project_name="examples", task_name="2D plots reporting")
    print("reporting some graphs")
    logger = task.get_logger()
    report_plots(logger)
    logger.flush()
    print("done reporting")


if __name__ == "__main__":
    main()
