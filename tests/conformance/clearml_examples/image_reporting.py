# Debug images of every input kind, as ClearML's examples/reporting/image_reporting.py.
import os

import numpy as np
from PIL import Image

from ringlog import Task, Logger


def report_debug_images(logger, iteration=0):
    # type: (Logger, int) -> ()
    logger.report_image("image", "image float", iteration=iteration, image=np.eye(64, 64, dtype=np.float64))
    m = np.eye(64, 64, dtype=np.uint8) * 255
    logger.report_image("image", "image uint8", iteration=iteration, image=m)
    m = np.concatenate((np.atleast_3d(m), np.zeros((64, 64, 2), dtype=np.uint8)), axis=2)
    logger.report_image("image", "image color red", iteration=iteration, image=m)
    picture = Image.open(os.path.join("data_samples", "picture.png"))
    logger.report_image("image", "image PIL", iteration=iteration, image=picture)
    logger.report_media("image", "image with report media", iteration=iteration,
                        local_path=os.path.join("data_samples", "picture.png"), file_extension="png")


def main():
    task = Task.init(project_name="examples", task_name="Image reporting")
    print("reporting a few debug images")
    logger = task.get_logger()
    report_debug_images(logger)
    logger.flush()
    print("done reporting")


if __name__ == "__main__":
    main()
