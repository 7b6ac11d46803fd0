# Configuration files, as ClearML's examples/reporting/config_files.py: connect_configuration with a
# path returns a path to read the configuration from.
import json
from pathlib import Path

import yaml

from ringlog import Task

task = Task.init(project_name="FirstTrial", task_name="config_files_example")
config_file = task.connect_configuration(Path("data_samples") / "sample.json", name="json config file")
with open(config_file.as_posix(), "rt") as f:
    config_json = json.load(f)
print(config_json)
config_file = task.connect_configuration(Path("data_samples") / "config_yaml.yaml", name="yaml config file")
with open(config_file.as_posix(), "rt") as f:
    config_yaml = yaml.load(f, Loader=yaml.SafeLoader)
print(config_yaml)
print("done")
