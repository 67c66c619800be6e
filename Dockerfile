# The mock backends (BPJS, ERM, patient app) as one image. compose.yaml runs it once per service,
# each with the arguments `harness up` gives that mock (harness/stack/topology.py,
# mock_arguments); tests/test_container_files.py keeps the two files in line with that code.
#
#   docker build -t health-resilience-mocks .
#   docker run --rm -p 127.0.0.1:18101:18101 health-resilience-mocks \
#       bpjs --host 0.0.0.0 --allow-remote --port 18101 --seed 1
#
# The mocks refuse a non-loopback address unless given --allow-remote. Inside a container they
# must listen on 0.0.0.0 for anything outside it to reach them, so publish their ports on the
# host's loopback only (-p 127.0.0.1:...), as compose.yaml does.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# What `pip install .` needs: the project file, its readme and license, the packages it lists and
# the library the wheel carries (pyproject.toml, [tool.hatch.build.targets.wheel.force-include]).
COPY pyproject.toml LICENSE constraints.txt /src/
COPY docs/pypi.md /src/docs/pypi.md
COPY harness /src/harness
COPY mock_services /src/mock_services
COPY service_contract /src/service_contract
COPY scenarios /src/scenarios
COPY examples/__init__.py /src/examples/__init__.py
COPY examples/bpjs_client.py /src/examples/bpjs_client.py
COPY examples/clients /src/examples/clients
COPY examples/reference_client /src/examples/reference_client
COPY examples/ci /src/examples/ci
COPY docs/incidents /src/docs/incidents
RUN pip install -c /src/constraints.txt /src && rm -rf /src

# Not root. /data holds the mocks' SQLite files (--db /data/<service>.db); a named volume
# mounted there starts out owned by this user.
RUN useradd --system --uid 10001 --no-create-home mock \
    && mkdir /data \
    && chown mock /data
USER mock
WORKDIR /data

EXPOSE 18101 18102 18103
ENTRYPOINT ["python", "-m", "mock_services"]
CMD ["--help"]
