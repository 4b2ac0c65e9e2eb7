# smsgate container image: the same pip install as `make test`, minus test extras.
# Alone it serves SQLite from the /data volume; compose.yaml runs it against
# PostgreSQL (SMSGATE_DATABASE_URL=postgresql://…) as a gateway and a dispatcher.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY smsgate ./smsgate
COPY wordlists ./wordlists
COPY templates ./templates
# The same unpinned pip upgrade as `make install`, so the image builds as the tests do.
# hadolint ignore=DL3013
RUN python -m pip install --no-cache-dir --upgrade pip \
 && python -m pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 smsgate && mkdir /data && chown smsgate /data
COPY --from=build /wheels /wheels
RUN python -m pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER 10001
WORKDIR /home/smsgate
VOLUME /data
ENV SMSGATE_DATABASE_URL=sqlite:////data/smsgate.db \
    SMSGATE_HOST=0.0.0.0 \
    SMSGATE_PORT=8080 \
    SMSGATE_LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2)"]
ENTRYPOINT ["smsgate"]
CMD ["serve"]
