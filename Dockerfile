FROM python:3.11-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY pyproject.toml README.md alembic.ini ./
COPY api ./api
COPY service ./service
COPY db ./db
COPY nlp ./nlp
COPY bench ./bench
COPY seeds ./seeds
RUN pip install --no-cache-dir -e .
EXPOSE 8000
CMD ["article-store", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
