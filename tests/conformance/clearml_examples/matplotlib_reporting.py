# Matplotlib with automatic capture on and one explicit report, as ClearML's
# examples/frameworks/matplotlib: shown figures are captured, an explicitly reported one is not
# captured a second time.
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ringlog import Task, Logger  # noqa: E402

task = Task.init(project_name="examples", task_name="Matplotlib example")
t = np.linspace(0, 2, 50)
plt.plot(t, np.sin(2 * np.pi * t))
plt.title("sine wave")
plt.show()  # captured
fig = plt.figure()
plt.plot(t, np.cos(2 * np.pi * t))
Logger.current_logger().report_matplotlib_figure("cosine", "explicit", figure=fig, iteration=0)
plt.show()  # already reported: no automatic copy
print("done")
