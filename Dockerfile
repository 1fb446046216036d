# The bridge: API (`serve`), reconciliation (`worker`) and push receiver (`receive`) from one image.
# Dependencies are installed at the versions the tests pass with (constraints.txt). Runs as an unprivileged
# user; the root filesystem may be read-only (the Helm chart mounts /data and /tmp).
FROM python:3.11-slim-bookworm
WORKDIR /app
COPY setup.cfg pyproject.toml README.md constraints.txt ./
COPY bridge/ bridge/
RUN pip install --no-cache-dir -c constraints.txt '.[postgres]' waitress \
    && useradd --system --uid 10001 --gid 0 --home-dir /var/lib/jenkins-bridge bridge \
    && mkdir -p /var/lib/jenkins-bridge && chown 10001:0 /var/lib/jenkins-bridge
USER 10001
ENV BRIDGE_DATA_DIR=/var/lib/jenkins-bridge PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
ENTRYPOINT ["jenkins-bridge"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000", "--with-worker"]
