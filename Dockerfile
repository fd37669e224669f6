FROM python:3.11-slim
WORKDIR /src
ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY pyproject.toml README.md alembic.ini constraints.txt ./
COPY api ./api
COPY service ./service
COPY db ./db
COPY nlp ./nlp
COPY bench ./bench
COPY seeds ./seeds
# a real (non-editable) install pinned to the same versions CI tests; everything the program
# reads at run time ships inside the package
RUN pip install --no-cache-dir -c constraints.txt . && rm -rf /src
WORKDIR /app
EXPOSE 8000
CMD ["article-store", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
