# Tables, as ClearML's examples/reporting/pandas_reporting.py: a DataFrame with an index, a CSV
# (a remote URL is refused with a warning: ringlog never uses the network; a local CSV works) and
# a list of lists.
import os

import pandas as pd

from ringlog import Task, Logger


def report_table(logger, iteration=0):
    # type: (Logger, int) -> ()
    df = pd.DataFrame({"num_legs": [2, 4, 8, 0], "num_wings": [2, 0, 0, 0], "num_specimen_seen": [10, 2, 1, 8]},
                      index=["falcon", "dog", "spider", "fish"])
    df.index.name = "id"
    logger.report_table("table pd", "PD with index", iteration=iteration, table_plot=df)
    logger.report_table("table - csv", "remote csv", iteration=iteration, url="https://data.example.com/table.csv")
    logger.report_table("table - csv", "local csv", iteration=iteration, csv=os.path.join("data_samples", "data.csv"))
    logger.report_table("table - list of lists", "List of lists", iteration=iteration,
                        table_plot=[["Last Name", "First Name", "Age"], ["Doe", "John", "25"], ["Smith", "Peter", "30"]])


def main():
    task = Task.init(project_name="examples", task_name="table reporting")
    print("reporting pandas tables and python lists as tables into the plots section")
    logger = task.get_logger()
    report_table(logger)
    logger.flush()
    print("done reporting")


if __name__ == "__main__":
    main()
