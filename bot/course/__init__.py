"""Course content: pydantic models of a module, loaded from the files in `course_data/`."""
