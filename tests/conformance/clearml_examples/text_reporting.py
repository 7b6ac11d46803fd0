# Text, as ClearML's examples/reporting/text_reporting.py: report_text at several levels, and print.
import logging

from ringlog import Task, Logger


def report_logs(logger):
    # type: (Logger) -> ()
    logger.report_text("This is an info message", level=logging.INFO)
    logger.report_text("This is a warning message", level=logging.WARNING, print_console=False)
    logger.report_text("This is an error message", level=logging.ERROR)
    print("printed text goes to the console log too")


def main():
    task = Task.init(project_name="examples", task_name="Text Reporting")
    logger = task.get_logger()
    report_logs(logger)
    logger.flush()
    print("done reporting")


if __name__ == "__main__":
    main()
