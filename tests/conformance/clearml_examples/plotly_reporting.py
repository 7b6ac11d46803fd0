# A plotly figure, as ClearML's examples/reporting/plotly_reporting.py (plotly.express's iris sample).
import plotly.express as px

from ringlog import Task, Logger


def main():
    task = Task.init(project_name="examples", task_name="Plotly reporting")
    print("reporting plotly figures")
    df = px.data.iris()
    fig = px.scatter(df, x="sepal_width", y="sepal_length", color="species", marginal_y="violin",
                     marginal_x="box", trendline=None, template="simple_white")
    task.get_logger().report_plotly(title="iris", series="sepal", iteration=0, figure=fig)
    print("done reporting")


if __name__ == "__main__":
    main()
