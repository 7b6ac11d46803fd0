# Audio and video, as ClearML's examples/reporting/media_reporting.py: links to media stored
# elsewhere (recorded, never downloaded) and a local audio file.
import os

from ringlog import Task, Logger

task = Task.init(project_name="examples", task_name="Audio and video reporting")
print("reporting audio and video samples to the debug samples section")
Logger.current_logger().report_media("video", "clip", iteration=1, url="https://media.example.com/clips/clip.mp4")
Logger.current_logger().report_media("audio", "remote tune", iteration=1, url="https://media.example.com/tune.wav")
Logger.current_logger().report_media("audio", "tone", iteration=1, local_path=os.path.join("data_samples", "tone.wav"))
