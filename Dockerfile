# smsgate container image. The build installs the package exactly as `make test`
# does (pip from pyproject.toml), minus the test extras. Issue 7 adds the
# service entrypoint, HEALTHCHECK and compose file once the service exists.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY smsgate ./smsgate
COPY wordlists ./wordlists
COPY templates ./templates
RUN python -m pip install --no-cache-dir --upgrade pip \
 && python -m pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 smsgate
COPY --from=build /wheels /wheels
RUN python -m pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER smsgate
WORKDIR /home/smsgate
ENTRYPOINT ["smsgate"]
CMD ["--help"]
