# Single values (a table of final numbers), as ClearML's examples/reporting/single_scalar_reporting.py.
from ringlog import Task, Logger


def main():
    task = Task.init(project_name="examples", task_name="Scalar reporting (Single Value)")
    logger = task.get_logger()
    logger.report_single_value(name="metric_A", value=125)
    logger.report_single_value(name="metric_B", value=305.95)
    logger.report_single_value(name="metric_C", value=486)
    logger.flush()
    print("done reporting")


if __name__ == "__main__":
    main()
