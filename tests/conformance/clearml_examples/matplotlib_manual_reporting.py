# Explicit matplotlib reports, as ClearML's examples/reporting/matplotlib_manual_reporting.py (without
# its seaborn part): the pyplot module itself is passed as the figure, automatic capture is off.
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ringlog import Task, Logger  # noqa: E402

task = Task.init(project_name="examples", task_name="Manual Matplotlib example",
                 auto_connect_frameworks={"matplotlib": False})
rng = np.random.default_rng(0)
x, y = rng.random(20), rng.random(20)
plt.scatter(x, y, alpha=0.5)
task.logger.report_matplotlib_figure(title="Manual Reporting", series="Just a plot", iteration=0, figure=plt)
plt.show()
plt.scatter(x, y, alpha=0.5)
task.logger.report_matplotlib_figure(title="Manual Reporting", series="Plot as an image", iteration=0,
                                     figure=plt, report_image=True)
plt.show()
plt.imshow(np.eye(32, 32, dtype=np.uint8))
task.logger.report_matplotlib_figure(title="Manual Reporting", series="Image plot", iteration=0, figure=plt,
                                     report_interactive=False)
plt.show()
print("This is a Matplotlib example")
