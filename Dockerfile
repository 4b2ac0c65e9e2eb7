# smsgate container image: the same pip install as `make test`, minus test extras.
# Issue 7 adds compose.yaml with PostgreSQL; until then the image serves SQLite
# from the /data volume.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY smsgate ./smsgate
COPY wordlists ./wordlists
COPY templates ./templates
RUN python -m pip install --no-cache-dir --upgrade pip \
 && python -m pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 smsgate && mkdir /data && chown smsgate /data
COPY --from=build /wheels /wheels
RUN python -m pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER smsgate
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
