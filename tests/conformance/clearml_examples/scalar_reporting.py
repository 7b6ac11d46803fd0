# Scalars, as ClearML's examples/reporting/scalar_reporting.py reports them: several series in one
# title, per iteration. Only the import line would differ in a ClearML version of this script.
from ringlog import Task, Logger


def report_scalars(logger):
    # type: (Logger) -> ()
    for iteration in range(10):
        logger.report_scalar("unified graph", "series A", iteration=iteration, value=1.0 / (iteration + 1))
        logger.report_scalar("unified graph", "series B", iteration=iteration, value=10.0 / (iteration + 1))
    for iteration in range(5):
        logger.report_scalar("unified graph - 2", "series A", iteration=iteration, value=iteration * 2.0)


def main():
    task = Task.init(project_name="examples", task_name="Scalar reporting")
    print("reporting scalar graphs")
    logger = task.get_logger()
    report_scalars(logger)
    logger.flush()
    print("done reporting")


if __name__ == "__main__":
    main()
