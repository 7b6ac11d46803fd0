"""The store on S3-compatible object storage (FORMAT.md, "Object stores").

Writers keep a local spool (an ordinary local store root) and an uploader copies each task's files
to the bucket as whole objects; readers mirror the bucket into a bounded local cache and read it
with the ordinary local readers. Nothing here is imported unless a root is an ``s3://`` URL.
"""
