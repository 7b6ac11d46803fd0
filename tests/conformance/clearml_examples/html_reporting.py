# HTML debug samples, as ClearML's examples/reporting/html_reporting.py (which draws them with bokeh;
# here the pages are written by hand): local files and a link to a page stored elsewhere.
from ringlog import Task, Logger


def report_html_url(logger, iteration=0):
    # type: (Logger, int) -> ()
    logger.report_media("html", "url_html", iteration=iteration, url="https://docs.example.com/index.html")


def report_html_table(logger, iteration=0):
    # type: (Logger, int) -> ()
    rows = "".join(f"<tr><td>{i}</td><td>{i * i}</td></tr>" for i in range(5))
    with open("squares.html", "w") as f:
        f.write(f"<html><body><h1>Squares</h1><table>{rows}</table></body></html>")
    logger.report_media("html", "squares_html", iteration=iteration, local_path="squares.html")


def main():
    task = Task.init(project_name="examples", task_name="HTML samples reporting")
    print("reporting html files into debug samples section")
    logger = task.get_logger()
    report_html_table(logger)
    report_html_url(logger)
    logger.flush()
    print("done reporting")


if __name__ == "__main__":
    main()
