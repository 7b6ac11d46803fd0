# Equivalent of ClearML's examples/reporting/using_artifacts_example.py (run artifacts.py first).
from pprint import pprint

from ringlog import Task


def main():
    task = Task.init(project_name="examples", task_name="use artifacts example")
    artifacts_task = Task.get_task(project_name="examples", task_name="artifacts example")

    numpy_artifact = artifacts_task.artifacts["Numpy Eye"].get()
    print("numpy_artifact is:\n{}\n".format(numpy_artifact))
    download_numpy_artifact = artifacts_task.artifacts["Numpy Eye"].get_local_copy()
    print("download_numpy_artifact path is:\n{}\n".format(download_numpy_artifact))
    pil_artifact = artifacts_task.artifacts["pillow_image"].get()
    print("pil_artifact is:\n{}\n".format(pil_artifact))
    pandas_artifact = artifacts_task.artifacts["Pandas"].get()
    print("pandas_artifact is:\n{}\n".format(pandas_artifact))
    dictionary_artifact = artifacts_task.artifacts["dictionary"].get()
    print("dictionary_artifact is:\n")
    pprint(dictionary_artifact)
    df_artifact = artifacts_task.artifacts["train"].get()
    print("df_artifact is:\n{}\n".format(df_artifact))
    df_artifact_as_gz = artifacts_task.artifacts["train"].get_local_copy()
    print("df_artifact_as_gz path is:\n{}\n".format(df_artifact_as_gz))
    jpegs = artifacts_task.artifacts["wildcard jpegs"].get_local_copy()
    print("wildcard jpegs folder is:\n{}\n".format(jpegs))
    task.get_logger().report_text("read {} artifacts".format(len(artifacts_task.artifacts)))


if __name__ == "__main__":
    main()
