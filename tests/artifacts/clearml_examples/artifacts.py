# Equivalent of ClearML's examples/reporting/artifacts.py: the same Task calls, only the import differs.
import os
from time import sleep

import numpy as np
import pandas as pd
from PIL import Image

from ringlog import Task

task = Task.init(project_name="examples", task_name="artifacts example")

animals = pd.DataFrame(
    {"num_legs": [2, 4, 8, 0], "num_wings": [2, 0, 0, 0], "num_specimen_seen": [10, 2, 1, 8]},
    index=["falcon", "dog", "spider", "fish"],
)

# a watched DataFrame: changes are stored again
task.register_artifact("train", animals, metadata={"counting": "legs", "max legs": 69})
animals.sample(frac=0.5, replace=True, random_state=1)  # returns a copy; the registered frame is unchanged
Task.current_task().get_registered_artifacts()["train"].sample(frac=0.5, replace=True, random_state=1)

task.upload_artifact("Pandas", artifact_object=animals)
task.upload_artifact("local file", artifact_object=os.path.join("data_samples", "dancing.jpg"))
task.upload_artifact("dictionary", animals.to_dict())
task.upload_artifact("Numpy Eye", np.eye(100, 100))
picture = Image.open(os.path.join("data_samples", "dancing.jpg"))
task.upload_artifact("pillow_image", picture)
task.upload_artifact("local folder", artifact_object=os.path.join("data_samples"))
task.upload_artifact("wildcard jpegs", artifact_object=os.path.join("data_samples", "*.jpg"))
sleep(0.1)
print(animals)
print("Done")
