# Equivalent of ClearML's examples/reporting/model_reporting.py: the same calls, only the import differs.
from ringlog import Task, OutputModel

task = Task.init(project_name="examples", task_name="Model reporting example")

output_model = OutputModel(task=task)

labels = {"background": 0, "cat": 1, "dog": 2}
output_model.update_labels(labels)

# register a model file that lives elsewhere: the URI is recorded, nothing is downloaded
model_url = "https://github.com/ultralytics/yolov5/releases/download/v6.2/yolov5x6.pt"
output_model.update_weights(register_uri=model_url)

# or store a local model file
with open("my_model.onnx", "wb") as f:
    f.write(bytes(range(256)) * 64)
output_model.update_weights(weights_filename="my_model.onnx")

print("Model registration completed")
