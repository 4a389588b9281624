FROM python:3.12-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY bench ./bench
COPY course_data ./course_data
RUN pip install --no-cache-dir ".[fast]"
ENV COURSE_DIR=/app/course_data
ENTRYPOINT ["tutorbot"]
