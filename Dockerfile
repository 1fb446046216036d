# The bridge: API (`serve`) and reconciliation (`worker`) from one image.
FROM python:3.11-slim
WORKDIR /app
COPY setup.cfg pyproject.toml README.md ./
COPY bridge/ bridge/
RUN pip install --no-cache-dir '.[postgres]' waitress && useradd --system --uid 10001 bridge \
    && mkdir -p /var/lib/jenkins-bridge && chown bridge /var/lib/jenkins-bridge
USER 10001
ENV BRIDGE_DATA_DIR=/var/lib/jenkins-bridge
EXPOSE 8000
ENTRYPOINT ["jenkins-bridge"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000", "--with-worker"]
