# Equivalent of ClearML's examples/reporting/model_reporting_plots.py: the same calls, only the imports differ.
from ringlog import Task, OutputModel
from ringlog.clearml.reporting import SeriesInfo
import pandas as pd
import numpy as np

task = Task.init(project_name="examples", task_name="Model reporting plots example")

output_model = OutputModel(task=task)
labels = {"background": 0, "cat": 1, "dog": 2}
output_model.update_labels(labels)

model_url = "https://github.com/ultralytics/yolov5/releases/download/v6.2/yolov5x6.pt"
output_model.update_weights(register_uri=model_url)

output_model.report_scalar("Reported Metrics", "Val - mAP@50", 72.7, 0)
output_model.report_single_value("Total epochs", 8)

summary = pd.DataFrame(
    {
        "Model": ["YOLOv5n", "YOLOv5s", "YOLOv5m6", "YOLOv5x6"],
        "size (pixels)": [640, 640, 1280, 1280],
        "Val - mAP@50-95": [28.0, 37.4, 51.3, 55.0],
        "CPU Speed b1 (ms)": [45, 98, 887, 3136],
    }
)
output_model.report_table(title="Summary Table", series="Comparison", iteration=0, table_plot=summary)

curve = np.array([[0, 0.3], [1, 0.55], [2, 0.7], [3, 0.77], [4, 0.8], [5, 0.816], [6, 0.822], [7, 0.829]])
output_model.report_line_plot(
    title="Accuracy",
    series=[SeriesInfo(name="Validation", data=curve)],
    xaxis="Iteration",
    yaxis="Validation Accuracy",
)
print("Model registration completed")
