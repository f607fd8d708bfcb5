# syntax=docker/dockerfile:1
# Samenbeeld's images. There is no container engine on the project's machines: this
# recipe is not built or tested there (see README.md, Deployment).
#
#   docker build -t registry.example.org/samenbeeld/samenbeeld:0.1.0 .
#   docker build --target airflow -t registry.example.org/samenbeeld/samenbeeld-airflow:0.1.0 .
#
# The package is installed the way `make venv` installs it: torch 2.13.0 (the CPU build)
# first, then CrypTen 0.4.1 without its broken declared dependencies, then the project with
# the mpc extra (the dev and airflow extras are for the developer's machine).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG AIRFLOW_IMAGE=apache/airflow:3.3.2-python3.11

FROM ${PYTHON_IMAGE} AS build
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/samenbeeld
ENV PATH=/opt/samenbeeld/bin:$PATH
RUN pip install --upgrade pip \
 && pip install --index-url "${TORCH_INDEX_URL}" "torch==2.13.0" \
 && pip install --no-deps "crypten==0.4.1"
WORKDIR /src
COPY pyproject.toml README.md ./
COPY platform ./platform
COPY federation ./federation
COPY api ./api
COPY migrations ./migrations
RUN pip wheel --no-deps --wheel-dir /wheels . \
 && pip install "$(ls /wheels/samenbeeld-*.whl)[mpc]" \
 && python -c "import samenbeeld.api.cli, samenbeeld.federation.mpc.dealer" \
 && python -m samenbeeld.platform.privacy

# The services: `samenbeeld node|party|hub serve`, `samenbeeld db upgrade`, the operator
# commands. Non-root, and nothing written outside the volumes the chart mounts.
FROM ${PYTHON_IMAGE} AS service
RUN groupadd --gid 10001 samenbeeld \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin samenbeeld
COPY --from=build /opt/samenbeeld /opt/samenbeeld
ENV PATH=/opt/samenbeeld/bin:$PATH \
    HOME=/tmp \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SAMENBEELD_DATA_DIR=/var/lib/samenbeeld
USER 10001:10001
EXPOSE 8080 29500
ENTRYPOINT ["samenbeeld"]
CMD ["--help"]

# Airflow with the samenbeeld package and the DAGs (for helm/airflow-values.yaml). The
# tasks only call the services over HTTP, so neither torch nor CrypTen is installed here.
FROM ${AIRFLOW_IMAGE} AS airflow
COPY --from=build /wheels /tmp/wheels
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" /tmp/wheels/samenbeeld-*.whl
COPY --chown=airflow:0 dags/ /opt/airflow/dags/

# The default target is the services' image.
FROM service
